"""An OpenAI Agents SDK `FunctionTool` as our `Tool`: its JSON schema, its approval rule, and its
`on_invoke_tool` run inside our `run_tool` activity."""

from __future__ import annotations

import copy
import inspect
import json
from collections.abc import Mapping
from typing import Any

import pydantic
from agents import FunctionTool, RunContextWrapper
from agents.tool_context import ToolContext

from agent_continuations.agent_definitions import ApprovalPredicate, Tool, current_tool_call
from agent_continuations.frameworks.openai_agents._errors import UnsupportedAgentError


def _arguments_model(sdk_tool: FunctionTool) -> type[pydantic.BaseModel]:
    """A model that passes any JSON object through and shows the model the tool's own schema.

    The SDK tool validates its arguments itself when invoked, and reports bad ones to the model
    through its `failure_error_function`, as it does in the SDK.
    """
    schema = copy.deepcopy(sdk_tool.params_json_schema)

    class Arguments(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(extra="allow")

        @classmethod
        def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
            return copy.deepcopy(schema)

    Arguments.__name__ = f"{sdk_tool.name}_arguments"
    return Arguments


def _call_id() -> str:
    """The model's ID of the call being run: the last part of its idempotency key."""
    return current_tool_call().idempotency_key.rsplit("/", 1)[-1]


def _invoker(sdk_tool: FunctionTool) -> Any:
    async def invoke(**arguments: Any) -> Any:
        text = json.dumps(arguments)
        context = ToolContext(
            context=None, tool_name=sdk_tool.name, tool_call_id=_call_id(), tool_arguments=text
        )
        return await sdk_tool.on_invoke_tool(context, text)

    invoke.__name__ = sdk_tool.name
    return invoke


def settled(value: Any) -> Any:
    """The value of a coroutine that completes without suspending; a plain value as it is.

    Raises:
        ValueError: The coroutine waits for something (I/O, a timer): workflow code cannot.
    """
    if not inspect.iscoroutine(value):
        return value
    try:
        value.send(None)
    except StopIteration as done:
        return done.value
    value.close()
    raise ValueError("the callable awaited something; workflow code cannot wait for I/O")


def _approval_predicate(sdk_tool: FunctionTool) -> bool | ApprovalPredicate:
    """`needs_approval` as our rule: a bool, or the SDK's callable evaluated on the arguments.

    The callable runs in workflow code, without the SDK's run context (its `context` is None)
    and with an empty call ID; one that awaits I/O or raises counts as asking a person.
    """
    rule = sdk_tool.needs_approval
    if isinstance(rule, bool):
        return rule

    def predicate(arguments: Mapping[str, Any]) -> bool:
        return bool(settled(rule(RunContextWrapper(context=None), dict(arguments), "")))

    return predicate


def _refuse_options(agent: str, sdk_tool: FunctionTool) -> None:
    """Refuse the tool options that have no counterpart here."""
    unsupported = {
        "tool_input_guardrails": bool(sdk_tool.tool_input_guardrails),
        "tool_output_guardrails": bool(sdk_tool.tool_output_guardrails),
        "is_enabled": sdk_tool.is_enabled is not True,
        "defer_loading": sdk_tool.defer_loading,
    }
    for option, used in unsupported.items():
        if used:
            raise UnsupportedAgentError(
                f"agent {agent!r}: tool {sdk_tool.name!r} uses {option}, which has no durable "
                "counterpart here"
            )


def function_tool(agent: str, sdk_tool: FunctionTool) -> Tool:
    """Our `Tool` running an SDK `FunctionTool` (from `@function_tool` or built by hand).

    Raises:
        UnsupportedAgentError: The tool uses an option that cannot run durably here.
    """
    _refuse_options(agent, sdk_tool)
    return Tool(
        name=sdk_tool.name,
        description=sdk_tool.description,
        function=_invoker(sdk_tool),
        arguments_model=_arguments_model(sdk_tool),
        needs_approval=_approval_predicate(sdk_tool),
    )
