"""Paused Pydantic AI runs in and out: their file to our continuation, and a waiting run's
continuation to theirs.

Their file is the message history `result.all_messages_json()` writes, or the object
`{"messages": [...], "deferred_tool_requests": {...}}`; the calls that wait are the last
response's tool calls without a return. Ours is an `approval_required` output (see
`continuations.format`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pydantic
from pydantic_ai import DeferredToolRequests
from pydantic_ai.messages import (
    ModelMessage,
    ModelMessagesTypeAdapter,
    ModelRequest,
    ModelResponse,
    SystemPromptPart,
    ToolCallPart,
)

from agent_continuations.agent_definitions import AgentCatalog, UnknownAgentError
from agent_continuations.frameworks.pydantic_ai._agents import PydanticAIAgent
from agent_continuations.frameworks.pydantic_ai._messages import (
    MessageConversionError,
    chat_to_model_messages,
    model_messages_to_chat,
)
from agent_continuations.shared import JsonDict

_REQUESTS: pydantic.TypeAdapter[DeferredToolRequests] = pydantic.TypeAdapter(DeferredToolRequests)


class PydanticAIFileError(ValueError):
    """A Pydantic AI file cannot move in, or a run cannot move out as one; one line says why."""


def _first_error(error: pydantic.ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    where = "/".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else first["msg"]


def _history(data: Any) -> tuple[list[ModelMessage], DeferredToolRequests | None]:
    raw, requests = data, None
    if isinstance(data, dict):
        raw, requests = data.get("messages"), data.get("deferred_tool_requests")
    try:
        history = ModelMessagesTypeAdapter.validate_python(raw)
    except pydantic.ValidationError as error:
        raise PydanticAIFileError(
            f"not a Pydantic AI message history: {_first_error(error)}"
        ) from None
    if requests is None:
        return history, None
    try:
        return history, _REQUESTS.validate_python(requests)
    except pydantic.ValidationError as error:
        raise PydanticAIFileError(
            f"deferred_tool_requests is malformed: {_first_error(error)}"
        ) from None


def _waiting(history: list[ModelMessage]) -> list[ToolCallPart]:
    """The last response's tool calls that no later request returns."""
    last = max((i for i, m in enumerate(history) if isinstance(m, ModelResponse)), default=None)
    if last is None:
        raise PydanticAIFileError("the history has no model response: nothing waits in it")
    answered = {
        part.tool_call_id
        for message in history[last + 1 :]
        if isinstance(message, ModelRequest)
        for part in message.parts
        if hasattr(part, "tool_call_id")
    }
    return [
        part
        for part in history[last].parts
        if isinstance(part, ToolCallPart) and part.tool_call_id not in answered
    ]


def _developer_first(history: list[ModelMessage], chat: list[JsonDict]) -> list[JsonDict]:
    """The chat with one developer message first: the system prompts, then the first
    request's instructions (as `from_pydantic_ai` composes an agent's)."""
    prompts = [m["content"] for m in chat if m["role"] == "developer"]
    first = next((m for m in history if isinstance(m, ModelRequest)), None)
    if first is not None and first.instructions:
        prompts.append(first.instructions)
    rest = [m for m in chat if m["role"] != "developer"]
    return ([{"role": "developer", "content": "\n\n".join(prompts)}] if prompts else []) + rest


def pydantic_ai_continuation(data: Any) -> JsonDict:
    """A paused Pydantic AI run as our `approval_required` continuation, unsealed, its
    waiting calls open (each decided here) with their tool-call IDs.

    Raises:
        PydanticAIFileError: It is malformed, has parts with no counterpart here, external
            calls (`CallDeferred`), or nothing that waits.
    """
    history, requests = _history(data)
    waiting = _waiting(history)
    if requests is not None:
        if requests.calls:
            call = requests.calls[0]
            raise PydanticAIFileError(
                f"call {call.tool_call_id!r} ({call.tool_name}) waits for an external result "
                "(CallDeferred), which has no counterpart here"
            )
        ids = {call.tool_call_id for call in waiting}
        stray = [c.tool_call_id for c in requests.approvals if c.tool_call_id not in ids]
        if stray:
            raise PydanticAIFileError(
                f"deferred_tool_requests names call {stray[0]!r}, which the history does not "
                "leave waiting"
            )
    if not waiting:
        raise PydanticAIFileError("no call of the history waits for a decision: nothing to resume")
    try:
        chat = _developer_first(history, model_messages_to_chat(history))
    except MessageConversionError as error:
        raise PydanticAIFileError(str(error)) from None
    calls: list[JsonDict] = [
        {
            "id": part.tool_call_id,
            "type": "function",
            "function": {"name": part.tool_name, "arguments": part.args_as_json_str()},
        }
        for part in waiting
    ]
    return {
        "end_reason": "approval_required",
        "continuation": {"messages": chat, "resume_request": calls},
        "approval_info": [
            {"paths": [p.tool_name], "path_ids": [p.tool_call_id], "tool_call": c, "approved": None}
            for p, c in zip(waiting, calls, strict=True)
        ],
    }


def _levels(
    continuation: JsonDict, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], JsonDict]]:
    yield path, continuation
    for call in continuation.get("resume_request") or []:
        if isinstance(call.get("continuation"), dict):
            yield from _levels(call["continuation"], (*path, call["id"]))


def _system_prompt(level_agent: Any, developer: str) -> str:
    """What a Pydantic AI run must read as the system prompt: its agent adds its
    instructions to every request itself."""
    if isinstance(level_agent, PydanticAIAgent) and developer == level_agent.instructions:
        return level_agent.system_prompt
    return developer


def to_pydantic_ai(output: JsonDict, catalog: AgentCatalog | None = None) -> JsonDict:
    """A waiting run's continuation (ours) as `{"messages", "deferred_tool_requests"}`, for
    `agent.run(message_history=..., deferred_tool_results=...)` with the agent of the level
    that waits. A level inside a sub-agent comes with `path` (tool names and call IDs from
    the root); calls run with edited arguments keep the model's in the history and the edit
    in their return's `metadata`.

    Args:
        output: An `approval_required` output, as `export_run` gives it.
        catalog: The agents, to tell a Pydantic AI agent's system prompt from its
            instructions (else all of the level's instructions are its system prompt).

    Raises:
        PydanticAIFileError: The run does not wait for a decision, or waits at several levels.
    """
    if output.get("end_reason") != "approval_required":
        raise PydanticAIFileError(
            f"the run is {output.get('end_reason')}, not waiting for a decision: a Pydantic AI "
            "file holds a run paused for approvals"
        )
    info = output.get("approval_info") or []
    waiting_at = {tuple(entry["path_ids"][:-1]) for entry in info if entry.get("tool_call")}
    if len(waiting_at) != 1:
        raise PydanticAIFileError(
            f"the run waits at {len(waiting_at)} levels; a Pydantic AI file holds one: decide "
            "the others first"
        )
    [path] = waiting_at
    level = dict(_levels(output["continuation"]))[path]
    entries = [e for e in info if tuple(e["path_ids"][:-1]) == path and e.get("tool_call")]
    edits = {
        d["path_ids"][-1]: {
            "override_args": d["edited_arguments"],
            "original_args": d.get("original_arguments"),
            "approver": d.get("approver"),
            "decided_at": d.get("decided_at"),
        }
        for d in output.get("decisions") or []
        if d.get("edited_arguments") is not None and tuple(d["path_ids"][:-1]) == path
    }
    history = chat_to_model_messages(level["messages"], edits)
    name = (output.get("agents") or {}).get("/".join(path))
    level_agent = None
    if catalog is not None and name:
        with contextlib.suppress(UnknownAgentError):
            level_agent = catalog.get(name)
    _strip_instructions(history, level_agent)
    paths = entries[0]["paths"][:-1]
    requests = DeferredToolRequests(
        approvals=[
            ToolCallPart(
                tool_name=e["tool_call"]["function"]["name"],
                args=e["tool_call"]["function"]["arguments"],
                tool_call_id=e["tool_call"]["id"],
            )
            for e in entries
        ],
        metadata={
            e["path_ids"][-1]: {"paths": e["paths"], "path_ids": e["path_ids"]} for e in entries
        },
    )
    exported: JsonDict = {
        "messages": ModelMessagesTypeAdapter.dump_python(history, mode="json"),
        "deferred_tool_requests": _REQUESTS.dump_python(requests, mode="json"),
    }
    if path:
        exported["path"] = {"paths": paths, "path_ids": list(path)}
    if name:
        exported["agent"] = name
    return exported


def _strip_instructions(history: list[ModelMessage], level_agent: Any) -> None:
    """Leave in the first system prompt only what the agent does not add by itself."""
    first = history[0] if history else None
    if not isinstance(first, ModelRequest):
        return
    parts = list(first.parts)
    if parts and isinstance(parts[0], SystemPromptPart):
        prompt = _system_prompt(level_agent, parts[0].content)
        first.parts = ([SystemPromptPart(content=prompt)] if prompt else []) + parts[1:]
