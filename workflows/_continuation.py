"""One agent level's state as a continuation tree in runtime form (see `continuations`)."""

from __future__ import annotations

import pydantic

from agent_continuations.continuations import Continuation, Level, fold_levels, tool_message
from agent_continuations.shared import DecisionRecord, JsonDict, TokenUsage, validation_problems
from agent_continuations.workflows._state import ANSWERED_STATUSES, AgentState


def build_continuation(state: AgentState) -> JsonDict:
    """The continuation of one agent level, in runtime form, with sub-agents nested.

    `messages` holds the conversation plus the results of this turn's answered calls. Every
    unanswered call is in `resume_request`; its `processed` flag is false while it waits for a
    person, true when it may run (it needs no decision, was approved, or is under way). A
    sub-agent call that waits or is suspended carries the sub-agent's continuation. `usage`
    counts the tokens of the level and of its sub-agents that ended.
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
    usage = state.usage + state.sub_agents_usage
    if usage.total_tokens:
        continuation["usage"] = usage.model_dump(mode="json")
    return continuation


class _RuntimeLevel(pydantic.BaseModel):
    """The keys the runtime keeps on a level, beside the format's."""

    agent: str | None = None
    suspend_list: list[str] | None = None
    decisions: list[DecisionRecord] | None = None
    usage: TokenUsage | None = None


def check_runtime_tree(tree: JsonDict) -> None:
    """Check a continuation tree in runtime form, as a sub-agent reports it.

    Raises:
        ValueError: It does not have the shape; the message says where.
    """
    try:
        Continuation.model_validate(tree)

        def check_level(level: Level, nested: dict[int, None]) -> None:
            _RuntimeLevel.model_validate(
                {k: level.data[k] for k in _RuntimeLevel.model_fields if k in level.data}
            )

        fold_levels(tree, check_level)
    except pydantic.ValidationError as error:
        raise ValueError(f"malformed continuation: {validation_problems(error)}") from None
