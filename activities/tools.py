"""The `run_tool` activity: runs one plain tool function with validated arguments."""

from __future__ import annotations

import asyncio
import inspect
import json

from temporalio import activity
from temporalio.exceptions import ApplicationError

from agent_definitions import get_agent
from models import ToolCallInput, ToolCallOutput


@activity.defn(name="run_tool")
async def run_tool(input: ToolCallInput) -> ToolCallOutput:
    """Run a tool of a registered agent and return its result as text for the model."""
    tool = get_agent(input.agent).find_tool(input.tool)
    if tool is None:
        raise ApplicationError(
            f"agent {input.agent!r} has no tool {input.tool!r}",
            type="UnknownTool",
            non_retryable=True,
        )
    if inspect.iscoroutinefunction(tool.function):
        result = await tool.function(**input.arguments)
    else:
        result = await asyncio.to_thread(tool.function, **input.arguments)
    content = result if isinstance(result, str) else json.dumps(result, default=str)
    return ToolCallOutput(content=content)
