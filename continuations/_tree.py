"""Pure functions between an agent level's state and the continuation format's tree shapes.

The runtime form of a continuation is the format's, plus keys for this project kept on each
level: `agent`, `suspend_list` (when the level is suspended) and `decisions`. `to_output`
(in `continuations.export`) turns it into the file form.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from models import ANSWERED_STATUSES, AgentState, JsonDict


def tool_message(tool_call_id: str, content: str) -> JsonDict:
    """A chat-completions tool result message."""
    return {"role": "tool", "tool_call_id": tool_call_id, "content": content}


def build_continuation(state: AgentState) -> JsonDict:
    """The continuation of one agent level, in runtime form, with sub-agents nested.

    `messages` holds the conversation plus the results of this turn's answered calls. Every
    unanswered call is in `resume_request`; its `processed` flag is false while it waits for a
    person, true when it may run (it needs no decision, was approved, or is under way). A
    sub-agent call that waits or is suspended carries the sub-agent's continuation.
    """
    messages = list(state.messages)
    resume_request: list[JsonDict] = []
    processed: list[JsonDict] = []
    for call in state.turn_calls:
        if call.status in ANSWERED_STATUSES and call.result is not None:
            messages.append(tool_message(call.id, call.result))
            continue
        entry = dict(call.tool_call)
        if call.child_continuation is not None:
            entry["continuation"] = call.child_continuation
        resume_request.append(entry)
        if call.decision is not None:
            may_run = call.decision.approved
        else:
            # As in the prototype, a call waiting on a person (itself or in its sub-agent) is
            # unprocessed; calls already under way are processed and run again on resume.
            may_run = call.status != "waiting_approval" and call.child_continuation is None
        processed.append({"id": call.id, "approved": may_run})
    continuation: JsonDict = {"agent": state.agent, "messages": messages}
    if resume_request:
        continuation["resume_request"] = resume_request
        continuation["processed"] = processed
    if state.suspend_list:
        continuation["suspend_list"] = list(state.suspend_list)
    if state.decisions:
        continuation["decisions"] = [d.model_dump(mode="json") for d in state.decisions]
    return continuation


def _walk(continuation: JsonDict, paths: list[str], path_ids: list[str]) -> Iterator[JsonDict]:
    resume_request = continuation.get("resume_request") or []
    if not resume_request:
        if paths and continuation.get("messages"):
            # A nested level that is suspended rather than waiting for approval.
            yield {"paths": paths, "path_ids": path_ids, "approved": True}
        return
    flags = {p["id"]: bool(p.get("approved")) for p in continuation.get("processed") or []}
    for call in resume_request:
        here_paths = [*paths, call["function"]["name"]]
        here_ids = [*path_ids, call["id"]]
        nested = call.get("continuation")
        if nested:
            yield from _walk(nested, here_paths, here_ids)
        else:
            leaf = {k: v for k, v in call.items() if k != "continuation"}
            approved = flags.get(call["id"], False)
            yield {
                "paths": here_paths,
                "path_ids": here_ids,
                "tool_call": leaf,
                "approved": approved,
            }


def flatten_approval_info(continuation: JsonDict) -> list[JsonDict]:
    """The `approval_info` list: one entry per leaf of `resume_request`, walked recursively.

    A leaf's `approved` is its level's `processed` flag (false in every prototype output); a
    nested level without `resume_request` is a suspended sub-agent, listed as approved.
    """
    return list(_walk(continuation, [], []))


def waiting_calls(continuation: JsonDict) -> list[JsonDict]:
    """The `approval_info` entries of calls that still wait for a decision."""
    return [
        e for e in flatten_approval_info(continuation) if "tool_call" in e and not e["approved"]
    ]


def needs_attention(continuation: JsonDict) -> bool:
    """Whether anything in the tree waits for a person or is suspended."""
    if continuation.get("suspend_list"):
        return True
    return any(
        "tool_call" not in e or not e["approved"] for e in flatten_approval_info(continuation)
    )


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
