"""Words for a person: what a workflow waits for, shown as its current details in the Web UI."""

from __future__ import annotations

import json
import re

from agent_continuations.shared import TokenUsage
from agent_continuations.workflows._tree import LevelTree, WaitingEntry

RESUME_HINT = "send signal `resume` with `{}`"
HOW_TO_SEND = "Send each with More Actions → Send a Signal."


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


def describe_waiting(continuation: LevelTree, pending: list[WaitingEntry]) -> str:
    """A Markdown description of what the level waits for and which signal moves it on, and
    the tokens its tree used so far.

    Args:
        continuation: The level's continuation.
        pending: Its calls waiting for a decision, as `pending_approvals` lists them.
    """
    tokens = tokens_line(continuation.tree_usage())
    suspended_by = continuation.suspend_list
    if suspended_by:
        return f"Suspended by {', '.join(suspended_by)}: {RESUME_HINT} to go on.\n{tokens}"
    lines = [f"**Waiting for {len(pending)} decision(s).** {HOW_TO_SEND}"] if pending else []
    for entry in pending:
        lines.append(
            f"- **{entry.paths[-1]}** ({' > '.join(entry.paths)}) with {_code(entry.arguments)}: "
            f"send signal `approve` or `reject` with {_code(json.dumps(entry.signal_input()))}"
        )
    for paths in continuation.suspended_sub_agents():
        lines.append(f"- sub-agent {' > '.join(paths)} is suspended: {RESUME_HINT}")
    lines = lines or ["Running: nothing waits for a person."]
    return "\n".join([*lines, tokens])
