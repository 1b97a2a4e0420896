"""A waiting run's continuation as a RunState the OpenAI Agents SDK resumes.

The SDK writes the RunState itself: each level's recorded conversation is replayed to it, with
its model replies played back in order and each tool call answered with its recorded output
(nothing runs again), until it pauses on the same calls, with the same IDs, as the run here;
`RunResult.to_state().to_json()` then gives a RunState that `RunState.from_json(agent, ...)`
loads with the user's own agents. Decisions already set in the continuation's `approval_info`
are applied with `RunState.approve` / `reject`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from agents import Agent as SdkAgent
from agents import (
    AgentsException,
    FunctionTool,
    ModelResponse,
    RunConfig,
    Runner,
    RunState,
    Usage,
)
from agents.models.interface import Model
from agents.run import DEFAULT_MAX_TURNS
from agents.tool_context import ToolContext
from openai.types.responses import (
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputText,
)

from agent_continuations.frameworks.openai_agents._errors import RunStateError
from agent_continuations.frameworks.openai_agents._import import (
    EXTENSION_KEY,
    run_state_to_continuation,
)
from agent_continuations.shared import JsonDict


def _reply(message: JsonDict, index: int) -> list[Any]:
    """One assistant message of ours as the output items of one model response."""
    items: list[Any] = []
    content = message.get("content")
    if isinstance(content, list):
        content = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    if content:
        text = ResponseOutputText(type="output_text", text=content, annotations=[])
        items.append(
            ResponseOutputMessage(
                id=f"msg_{index}",
                type="message",
                role="assistant",
                status="completed",
                content=[text],
            )
        )
    for call in message.get("tool_calls") or []:
        function = call["function"]
        items.append(
            ResponseFunctionToolCall(
                id=call["id"],
                call_id=call["id"],
                type="function_call",
                name=function["name"],
                arguments=function["arguments"],
            )
        )
    return items


class _Replay(Model):
    """Plays one level's recorded model replies back to the SDK, in order."""

    def __init__(self, agent: str, replies: list[list[Any]]) -> None:
        self._agent = agent
        self._replies = replies

    async def get_response(self, *args: Any, **kwargs: Any) -> ModelResponse:
        if not self._replies:
            raise RunStateError(
                f"the SDK asked agent {self._agent!r} for more model turns than the run had"
            )
        return ModelResponse(output=self._replies.pop(0), usage=Usage(), response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        raise RunStateError("a replay is not streamed")


class _Level:
    """One continuation level: its messages, the outputs of its answered calls and the calls
    that wait."""

    def __init__(self, level: JsonDict) -> None:
        messages: list[JsonDict] = level["messages"]
        users = [m for m in messages if m["role"] == "user"]
        if len(users) != 1 or not isinstance(users[0].get("content"), str):
            raise RunStateError("a RunState starts from one text request: this level has not one")
        self.request: str = users[0]["content"]
        self.replies = [_reply(m, i) for i, m in enumerate(messages) if m["role"] == "assistant"]
        self.outputs = {
            m["tool_call_id"]: m.get("content") for m in messages if m["role"] == "tool"
        }
        self.waiting = {call["id"]: call for call in level.get("resume_request") or []}


def _recorded(name: str, outputs: dict[str, Any]) -> Any:
    async def invoke(context: ToolContext[Any], arguments: str) -> Any:
        if context.tool_call_id not in outputs:
            raise RunStateError(f"call {context.tool_call_id!r} of {name!r} has no recorded output")
        return outputs[context.tool_call_id]

    return invoke


def _stub(tool: FunctionTool, level: _Level) -> FunctionTool:
    """The tool as the replay sees it: same name, description and schema; answered from the
    record; asking for approval exactly for the calls that wait here."""
    waiting = set(level.waiting)

    async def waits(context: Any, arguments: dict[str, Any], call_id: str) -> bool:
        return call_id in waiting

    return FunctionTool(
        name=tool.name,
        description=tool.description,
        params_json_schema=tool.params_json_schema,
        on_invoke_tool=_recorded(tool.name, level.outputs),
        strict_json_schema=tool.strict_json_schema,
        needs_approval=waits,
    )


def _agent_tool(tool: FunctionTool, level: _Level) -> FunctionTool:
    """An agent-as-tool whose waiting call replays the sub-agent's own level (so the SDK nests
    its state), and whose answered calls return their recorded output."""
    sub_agent: SdkAgent[Any] = tool._agent_instance  # type: ignore[attr-defined]
    nested = [
        call["continuation"]
        for call in level.waiting.values()
        if call["function"]["name"] == tool.name and call.get("continuation")
    ]
    if len(nested) > 1:
        raise RunStateError(f"two calls of agent tool {tool.name!r} wait at once")
    replayed_sub = _replayed(sub_agent, _Level(nested[0])) if nested else sub_agent
    turns = DEFAULT_MAX_TURNS + (len(_Level(nested[0]).replies) if nested else 0)
    offered = replayed_sub.as_tool(tool.name, tool.description, max_turns=turns)
    run_nested, recorded = offered.on_invoke_tool, _recorded(tool.name, level.outputs)

    async def invoke(context: ToolContext[Any], arguments: str) -> Any:
        if context.tool_call_id in level.outputs:
            return await recorded(context, arguments)
        return await run_nested(context, arguments)

    offered.on_invoke_tool = invoke
    return offered


def _replayed(sdk: SdkAgent[Any], level: _Level) -> SdkAgent[Any]:
    """A copy of the SDK agent that replays `level`."""
    tools: list[Any] = []
    for tool in sdk.tools:
        if isinstance(tool, FunctionTool) and getattr(tool, "_is_agent_tool", False):
            tools.append(_agent_tool(tool, level))
        elif isinstance(tool, FunctionTool):
            tools.append(_stub(tool, level))
        else:
            raise RunStateError(f"agent {sdk.name!r} has a {type(tool).__name__}")
    return sdk.clone(tools=tools, model=_Replay(sdk.name, list(level.replies)))


def _unchanged_original(output: JsonDict) -> JsonDict | None:
    """The RunState a continuation came from, if it carries one and still says the same."""
    original = output.get(EXTENSION_KEY)
    if not isinstance(original, dict):
        return None
    try:
        again = run_state_to_continuation(original, _instructions(output))
    except RunStateError:
        return None
    same = all(again[k] == output.get(k) for k in ("continuation", "approval_info", "agents"))
    return original if same else None


def _instructions(output: JsonDict) -> Any:
    """The instructions each level's `developer` message gave, by agent name."""
    found: dict[str, str] = {}

    def walk(level: JsonDict, path: list[str]) -> None:
        agent = (output.get("agents") or {}).get("/".join(path))
        first = level["messages"][0] if level.get("messages") else {}
        if agent and first.get("role") == "developer":
            found[agent] = first.get("content") or ""
        for call in level.get("resume_request") or []:
            if call.get("continuation"):
                walk(call["continuation"], [*path, call["id"]])

    walk(output["continuation"], [])
    return lambda name: found.get(name, "")


async def continuation_to_run_state(output: JsonDict, sdk_root: SdkAgent[Any]) -> JsonDict:
    """The RunState JSON of a run waiting for approval, as `RunState.to_json()` writes it.

    A continuation imported from a RunState and not changed since gives that RunState back,
    every field as it was (usage, trace, reasoning items, tool-use tracker).

    Args:
        output: The run's continuation (an `approval_required` output of ours).
        sdk_root: The SDK agent the run's root agent was converted from.

    Raises:
        RunStateError: The run does not wait for approval, or its record cannot be replayed
            (more than one request per level, a hosted tool); one line.
    """
    if output.get("end_reason") != "approval_required":
        raise RunStateError(
            f"only a run waiting for approval moves out as a RunState, not a "
            f"{output.get('end_reason')} one"
        )
    original = _unchanged_original(output)
    if original is not None:
        return original
    root = _Level(output["continuation"])
    turns = DEFAULT_MAX_TURNS + len(root.replies)
    try:
        result = await Runner.run(
            _replayed(sdk_root, root),
            root.request,
            max_turns=turns,
            run_config=RunConfig(tracing_disabled=True),
        )
    except AgentsException as error:  # e.g. the record and the agents' tools disagree
        raise RunStateError(f"the SDK could not replay the run: {error}") from None
    state: RunState[Any, Any] = result.to_state()
    decided = {tuple(e["path_ids"])[-1]: e.get("approved") for e in output["approval_info"]}
    for item in state.get_interruptions():
        verdict = decided.get(getattr(item.raw_item, "call_id", None))
        if verdict is True:
            state.approve(item)
        elif verdict is False:
            state.reject(item)
    return json.loads(json.dumps(state.to_json()))
