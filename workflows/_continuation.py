"""One agent level's state as a continuation tree in runtime form (see `continuations`)."""

from __future__ import annotations

from continuations import tool_message
from payloads import JsonDict
from workflows._state import ANSWERED_STATUSES, AgentState


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
