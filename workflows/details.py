"""Words for a person: what a workflow waits for, shown as its current details in the Web UI."""

from __future__ import annotations

import json

from models import JsonDict


def describe_waiting(pending: list[JsonDict]) -> str:
    """A Markdown description of the waiting calls and how to decide them."""
    if not pending:
        return "Running: no tool call is waiting for a decision."
    lines = [f"Waiting for {len(pending)} decision(s):"]
    for entry in pending:
        call = entry["tool_call"]
        lines.append(
            f"- {' > '.join(entry['paths'])} with {call['function']['arguments']}: send signal "
            f"`approve` or `reject` with {json.dumps({'tool_call_id': call['id']})}"
        )
    return "\n".join(lines)
