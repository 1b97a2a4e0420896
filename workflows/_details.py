"""Words for a person: what a workflow waits for, shown as its current details in the Web UI."""

from __future__ import annotations

import json

from continuations import flatten_approval_info
from payloads import JsonDict
from workflows._decisions import decision_signal_input

RESUME_HINT = "send signal `resume` with {}"


def describe_waiting(continuation: JsonDict, pending: list[JsonDict]) -> str:
    """A Markdown description of what the level waits for and which signal moves it on.

    Args:
        continuation: The level's continuation (runtime form).
        pending: Its calls waiting for a decision, as `pending_approvals` lists them.
    """
    suspended_by = continuation.get("suspend_list")
    if suspended_by:
        return f"Suspended by {', '.join(suspended_by)}: {RESUME_HINT} to go on."
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
    return "\n".join(lines) or "Running: nothing waits for a person."
