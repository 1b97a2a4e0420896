"""Words for a person: what a workflow waits for, shown as its current details in the Web UI."""

from __future__ import annotations

import json

from continuations import Level, flatten_approval_info, fold_levels
from payloads import JsonDict, TokenUsage
from workflows._decisions import decision_signal_input

RESUME_HINT = "send signal `resume` with {}"


def tokens_line(usage: TokenUsage) -> str:
    """The tokens a tree used, for a person."""
    return (
        f"Tokens: {usage.total_tokens} (prompt {usage.prompt_tokens}, "
        f"completion {usage.completion_tokens})."
    )


def _tree_usage(continuation: JsonDict) -> TokenUsage:
    """The tokens of every level of a runtime continuation tree."""

    def add(level: Level, nested: dict[int, TokenUsage]) -> TokenUsage:
        own = TokenUsage.model_validate(level.data.get("usage") or {})
        return sum(nested.values(), own)

    return fold_levels(continuation, add)


def describe_waiting(continuation: JsonDict, pending: list[JsonDict]) -> str:
    """A Markdown description of what the level waits for and which signal moves it on, and
    the tokens its tree used so far.

    Args:
        continuation: The level's continuation (runtime form).
        pending: Its calls waiting for a decision, as `pending_approvals` lists them.
    """
    tokens = tokens_line(_tree_usage(continuation))
    suspended_by = continuation.get("suspend_list")
    if suspended_by:
        return f"Suspended by {', '.join(suspended_by)}: {RESUME_HINT} to go on.\n{tokens}"
    lines = [f"Waiting for {len(pending)} decision(s):"] if pending else []
    for entry in pending:
        call = entry["tool_call"]
        lines.append(
            f"- {' > '.join(entry['paths'])} with {call['function']['arguments']}: send signal "
            f"`approve` or `reject` with {json.dumps(decision_signal_input(entry))}"
        )
    for entry in flatten_approval_info(continuation):
        if "tool_call" not in entry:
            lines.append(f"- sub-agent {' > '.join(entry['paths'])} is suspended: {RESUME_HINT}")
    lines = lines or ["Running: nothing waits for a person."]
    return "\n".join([*lines, tokens])
