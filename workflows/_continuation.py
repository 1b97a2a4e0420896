"""One agent level's state as its continuation tree (pure)."""

from __future__ import annotations

import pydantic

from agent_continuations.continuations import Continuation, ProcessedEntry, tool_message
from agent_continuations.shared import JsonDict, validation_problems
from agent_continuations.workflows._state import ANSWERED_STATUSES, AgentState
from agent_continuations.workflows._tree import LevelTree, WaitingCall


def build_continuation(state: AgentState) -> LevelTree:
    """The continuation of one agent level, with sub-agents nested.

    `messages` holds the conversation plus the results of this turn's answered calls. Every
    unanswered call is in `resume_request`; its `processed` flag is false while it waits for a
    person, true when it may run (it needs no decision, was approved, or is under way). A
    sub-agent call that waits or is suspended carries the sub-agent's continuation. `usage`
    counts the tokens of the level and of its sub-agents that ended.
    """
    messages = list(state.messages)
    resume_request: list[WaitingCall] = []
    processed: list[ProcessedEntry] = []
    for call in state.turn_calls:
        if call.status in ANSWERED_STATUSES and call.result is not None:
            messages.append(tool_message(call.id, call.result))
            continue
        resume_request.append(
            WaitingCall(tool_call=call.tool_call, continuation=call.child_continuation)
        )
        if call.decision is not None:
            may_run = call.decision.approved
        else:
            # As in the prototype, a call waiting on a person (itself or in its sub-agent) is
            # unprocessed; calls already under way are processed and run again on resume.
            may_run = call.status != "waiting_approval" and call.child_continuation is None
        processed.append(ProcessedEntry(id=call.id, approved=may_run))
    usage = state.usage + state.sub_agents_usage
    return LevelTree(
        agent=state.agent,
        messages=messages,
        resume_request=resume_request or None,
        processed=processed or None,
        suspend_list=list(state.suspend_list) or None,
        decisions=list(state.decisions) or None,
        usage=usage if usage.total_tokens else None,
    )


def parse_runtime_tree(tree: JsonDict) -> LevelTree:
    """A continuation tree in runtime form, as a sub-agent reports it, checked.

    Raises:
        ValueError: It does not have the format's shape; the message says where.
    """
    try:
        Continuation.model_validate(tree)
        return LevelTree.model_validate(tree)
    except pydantic.ValidationError as error:
        raise ValueError(f"malformed continuation: {validation_problems(error)}") from None
