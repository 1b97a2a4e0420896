"""Words for a person: waiting calls, decisions and a run's output."""

from __future__ import annotations

import json

from payloads import AgentRunOutput, DecisionRecord, JsonDict


def call_path(entry: JsonDict) -> str:
    """A waiting call's path from the root, e.g. `account_agent_tool > authorize_account`."""
    return " > ".join(entry["paths"])


def call_id(entry: JsonDict) -> str:
    """The waiting call's own tool-call ID (the last of its `path_ids`)."""
    return str(entry["path_ids"][-1])


def call_arguments(entry: JsonDict) -> str:
    """The arguments the model gave the waiting call, as compact JSON."""
    raw = entry["tool_call"]["function"].get("arguments") or "{}"
    try:
        return json.dumps(json.loads(raw))
    except json.JSONDecodeError:
        return raw


def format_pending(entries: list[JsonDict]) -> str:
    """Each waiting call: its path, then its arguments and call ID, indented."""
    lines = []
    for entry in entries:
        lines += [
            f"  {call_path(entry)}",
            f"    arguments: {call_arguments(entry)}",
            f"    call ID:   {call_id(entry)}",
            f"    digest:    {entry.get('digest', '')}",
        ]
    return "\n".join(lines)


def format_decision(record: DecisionRecord) -> str:
    """One decision: verdict, path, call ID, who, when and why."""
    verdict = "approved" if record.approved else "rejected"
    who = f" by {record.approver}" if record.approver else ""
    when = record.decided_at.strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    why = f": {record.reason}" if record.reason else ""
    edited = (
        f" with arguments {json.dumps(record.edited_arguments)}" if record.edited_arguments else ""
    )
    return (
        f"{verdict} {' > '.join(record.paths)} ({record.tool_call_id}){edited}{who} at {when}{why}"
    )


def format_output(output: AgentRunOutput) -> str:
    """A run's end reason, its result or error, the decisions taken in it and its tokens."""
    lines = [f"end_reason: {output.end_reason}"]
    if output.result is not None:
        lines.append(f"result: {output.result}")
    if output.error is not None:
        lines.append(f"error: {output.error}")
    if output.rejected_tool_calls:
        names = ", ".join(tc["function"]["name"] for tc in output.rejected_tool_calls)
        lines.append(f"rejected calls: {names}")
    if output.decisions:
        lines.append("decisions:")
        lines += [f"  {format_decision(d)}" for d in output.decisions]
    tree, own = output.tree_usage, output.usage
    lines.append(
        f"tokens: {tree.total_tokens} (prompt {tree.prompt_tokens}, completion "
        f"{tree.completion_tokens}); the root agent's own: {own.total_tokens}"
    )
    return "\n".join(lines)
