"""Pure functions between an agent level's state and the continuation format's tree shapes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from models import AgentState, JsonDict


def tool_message(tool_call_id: str, content: str) -> JsonDict:
    """A chat-completions tool result message."""
    return {"role": "tool", "tool_call_id": tool_call_id, "content": content}


def build_continuation(state: AgentState) -> JsonDict:
    """The continuation object of one agent level, with waiting sub-agents nested.

    `messages` holds the conversation plus the results of this turn's finished calls;
    `resume_request` the calls that wait for a decision, a waiting sub-agent's call carrying
    that sub-agent's own continuation under `continuation`.
    """
    messages = list(state.messages)
    resume_request: list[JsonDict] = []
    for call in state.turn_calls:
        if call.status == "done" and call.result is not None:
            messages.append(tool_message(call.id, call.result))
        elif call.status == "waiting_approval":
            resume_request.append(dict(call.tool_call))
        elif call.child_continuation and call.child_continuation.get("resume_request"):
            resume_request.append({**call.tool_call, "continuation": call.child_continuation})
    continuation: JsonDict = {"agent": state.agent, "messages": messages}
    if resume_request:
        continuation["resume_request"] = resume_request
        continuation["processed"] = [{"id": tc["id"], "approved": False} for tc in resume_request]
    return continuation


def _walk(continuation: JsonDict, paths: list[str], path_ids: list[str]) -> Iterator[JsonDict]:
    resume_request = continuation.get("resume_request") or []
    if not resume_request:
        if paths and continuation.get("messages"):
            # A nested level that is suspended rather than waiting for approval.
            yield {"paths": paths, "path_ids": path_ids, "approved": True}
        return
    for call in resume_request:
        here_paths = [*paths, call["function"]["name"]]
        here_ids = [*path_ids, call["id"]]
        nested = call.get("continuation")
        if nested:
            yield from _walk(nested, here_paths, here_ids)
        else:
            leaf = {k: v for k, v in call.items() if k != "continuation"}
            yield {"paths": here_paths, "path_ids": here_ids, "tool_call": leaf, "approved": False}


def flatten_approval_info(continuation: JsonDict) -> list[JsonDict]:
    """The `approval_info` list: one entry per waiting leaf, found by walking `resume_request`."""
    return list(_walk(continuation, [], []))


def waiting_calls(continuation: JsonDict) -> list[JsonDict]:
    """The `approval_info` entries that still wait for a decision (those with a `tool_call`)."""
    return [entry for entry in flatten_approval_info(continuation) if "tool_call" in entry]


def find_waiting_call(
    continuation: JsonDict, tool_call_id: str | None, path_ids: list[str] | None
) -> JsonDict:
    """The waiting entry named by a leaf tool-call ID or by its full `path_ids`.

    Raises:
        LookupError: No waiting call matches, or a bare ID matches several.
    """
    entries = waiting_calls(continuation)
    if path_ids:
        matches = [e for e in entries if e["path_ids"] == list(path_ids)]
        named: Any = path_ids
    else:
        matches = [e for e in entries if e["path_ids"][-1] == tool_call_id]
        named = tool_call_id
    if not matches:
        waiting = ", ".join(e["path_ids"][-1] for e in entries) or "none"
        raise LookupError(f"no call {named!r} is waiting for a decision (waiting: {waiting})")
    if len(matches) > 1:
        raise LookupError(f"tool call ID {named!r} is ambiguous here: give path_ids")
    return matches[0]
