"""Words for a person: what a workflow waits for, shown as its current details in the Web UI."""

from __future__ import annotations

import json
import re

from agent_continuations.continuations import Level, flatten_approval_info, fold_levels
from agent_continuations.shared import JsonDict, TokenUsage
from agent_continuations.workflows._decisions import decision_signal_input

RESUME_HINT = "send signal `resume` with `{}`"


def _code(text: str) -> str:
    """`text` as a Markdown code span, which the Web UI shows as it is: in plain text its
    quotes would turn typographic, and JSON copied from there would not parse."""
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


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
            f"`approve` or `reject` with {_code(json.dumps(decision_signal_input(entry)))}"
        )
    for entry in flatten_approval_info(continuation):
        if "tool_call" not in entry:
            lines.append(f"- sub-agent {' > '.join(entry['paths'])} is suspended: {RESUME_HINT}")
    lines = lines or ["Running: nothing waits for a person."]
    return "\n".join([*lines, tokens])
