"""A Pydantic AI tool as one of ours: its schema, its validation, and its call with a
`RunContext`, run inside our `run_tool` activity."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pydantic
from pydantic_ai import ApprovalRequired, ModelRetry, RunContext
from pydantic_ai import Tool as PydanticAITool
from pydantic_ai.messages import ToolReturnPart
from pydantic_ai.usage import RunUsage

from agent_continuations.agent_definitions import (
    ActivityOptions,
    ApprovalNeeded,
    Tool,
    current_tool_call,
)

DepsFactory = Callable[[], Any]


def _arguments_model(tool: PydanticAITool[Any]) -> type[pydantic.BaseModel]:
    """A model that checks arguments with the tool's own validator, keeps them as they came
    (JSON), and shows the tool's own JSON schema."""
    schema = tool.function_schema
    json_schema = copy.deepcopy(dict(schema.json_schema))

    class Arguments(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(extra="allow")

        @pydantic.model_validator(mode="before")
        @classmethod
        def _fits_the_tool(cls, data: Any) -> Any:
            schema.validator.validate_python(data)  # raises the tool's own ValidationError
            return data

        @classmethod
        def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
            return copy.deepcopy(json_schema)

    Arguments.__name__ = f"{tool.name}_arguments"
    return Arguments


def model_retry_text(tool_name: str, call_id: str, error: ModelRetry) -> str:
    """What the model reads when a tool raised `ModelRetry`: what Pydantic AI shows it."""
    part = ToolReturnPart(
        tool_name=tool_name, content=error.message, tool_call_id=call_id, outcome="retried"
    )
    return part.model_response_str()


async def _deps(factory: DepsFactory | None) -> Any:
    if factory is None:
        return None
    deps = factory()
    return await deps if inspect.isawaitable(deps) else deps


def convert_tool(
    tool: PydanticAITool[Any],
    model: Any,
    deps: DepsFactory | None,
    agent: str,
    default_timeout: float | None = None,
) -> Tool:
    """Our `Tool` for a Pydantic AI tool of `agent`.

    Args:
        tool: The Pydantic AI tool.
        model: What the tool reads as `ctx.model`: the agent's Pydantic AI model, if it has one.
        deps: Called on the worker before each call: its value (awaited if it is awaitable) is
            `ctx.deps`; None gives `ctx.deps = None`.
        agent: The agent's name, for refusals.
        default_timeout: Seconds one call may take when the tool sets none (its toolset's or
            its agent's `tool_timeout`).

    Raises:
        ValueError: The tool has a feature that cannot run here; one line naming it.
    """
    if tool.prepare is not None:
        raise ValueError(f"agent {agent!r}: tool {tool.name!r} has a prepare function")
    if getattr(tool, "args_validator", None) is not None:
        raise ValueError(f"agent {agent!r}: tool {tool.name!r} has an args_validator")
    if tool.sequential:
        raise ValueError(
            f"agent {agent!r}: tool {tool.name!r} is sequential, but the calls of a turn run "
            "in parallel here"
        )
    function_schema = tool.function_schema
    needs_approval = bool(tool.requires_approval)

    async def call(**arguments: Any) -> str:
        here = current_tool_call()
        call_id = here.idempotency_key.rsplit("/", 1)[-1]
        ctx: RunContext[Any] = RunContext(
            deps=await _deps(deps),
            model=model,
            usage=RunUsage(),
            tool_name=tool.name,
            tool_call_id=call_id,
            tool_call_approved=here.approved,
            run_step=0,
        )
        try:
            result = await function_schema.call(arguments, ctx)
        except ModelRetry as error:
            return model_retry_text(tool.name, call_id, error)
        except ApprovalRequired as error:
            raise ApprovalNeeded(f"{tool.name} raised ApprovalRequired") from error
        part = ToolReturnPart(tool_name=tool.name, content=result, tool_call_id=call_id)
        return part.model_response_str()

    timeout = tool.timeout or default_timeout
    return Tool(
        name=tool.name,
        description=tool.description or "",
        function=call,
        arguments_model=_arguments_model(tool),
        needs_approval=needs_approval,
        activity_options=ActivityOptions(
            start_to_close_timeout=timedelta(seconds=timeout) if timeout else None
        ),
    )
