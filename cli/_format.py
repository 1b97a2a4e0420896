"""Words for a person: waiting calls, decisions and a run's output."""

from __future__ import annotations

import json
import shlex
from datetime import datetime

from temporalio.client import WorkflowExecution
from temporalio.common import SearchAttributeKey

from agent_continuations.shared import AgentRunOutput, DecisionRecord, JsonDict
from agent_continuations.workflows import AgentSearchValues


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


def approve_command(workflow_id: str, entry: JsonDict) -> str:
    """The command that approves the waiting call as it is shown: its digest makes the run
    refuse the approval if the call has changed since."""
    approve = ["agent-starter", "approve", workflow_id, call_id(entry), "--digest", entry["digest"]]
    return shlex.join(approve)


def format_pending(entries: list[JsonDict], workflow_id: str | None = None) -> str:
    """Each waiting call: its path, then its arguments, call ID and digest, indented; given the
    run's workflow ID, the command that approves it too."""
    lines = []
    for entry in entries:
        lines += [
            f"  {call_path(entry)}",
            f"    arguments: {call_arguments(entry)}",
            f"    call ID:   {call_id(entry)}",
            f"    digest:    {entry.get('digest', '')}",
        ]
        if workflow_id is not None:
            lines.append(f"    approve:   {approve_command(workflow_id, entry)}")
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


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z").strip() if moment else ""


def inbox_entry(execution: WorkflowExecution, entry: JsonDict) -> JsonDict:
    """A waiting call (a `pending_approvals` entry) with its run and the command to approve it."""
    values = AgentSearchValues.of(execution.typed_search_attributes)
    return {
        "workflow_id": execution.id,
        "run_id": execution.run_id,
        "agent": values.name,
        "waiting_since": values.waiting_since.isoformat() if values.waiting_since else None,
        **entry,
        "approve_command": approve_command(execution.id, entry),
    }


def format_inbox(entries: list[JsonDict]) -> str:
    """Waiting calls grouped by run: each run's ID, agent and since when, then its calls."""
    runs: dict[str, list[JsonDict]] = {}
    for entry in entries:
        runs.setdefault(entry["workflow_id"], []).append(entry)
    lines = [f"{len(entries)} call(s) wait for a decision in {len(runs)} run(s):"]
    for workflow_id, waiting in runs.items():
        since = waiting[0]["waiting_since"]
        when = f", waiting since {_when(datetime.fromisoformat(since))}" if since else ""
        lines.append(f"{workflow_id} ({waiting[0]['agent']}){when}")
        lines.append(format_pending(waiting, workflow_id))
    return "\n".join(lines)


# The server's own search attribute: the version a run's workflow tasks go to.
DEPLOYMENT_VERSION_KEY = SearchAttributeKey.for_keyword("TemporalWorkerDeploymentVersion")


def listed_run(execution: WorkflowExecution) -> JsonDict:
    """A run as `list` shows it: its IDs, agent, statuses and what it waits for."""
    values = AgentSearchValues.of(execution.typed_search_attributes)
    return {
        "workflow_id": execution.id,
        "run_id": execution.run_id,
        "agent": values.name,
        "status": values.status,
        "execution_status": execution.status.name if execution.status else "UNKNOWN",
        "waiting_tools": list(values.waiting_tools),
        "waiting_since": values.waiting_since.isoformat() if values.waiting_since else None,
        "start_time": execution.start_time.isoformat(),
        "version": _listed_version(execution),
    }


def _listed_version(execution: WorkflowExecution) -> str | None:
    """The Worker Deployment Version a run is on, as `<deployment>.<build ID>`; None when its
    workers are unversioned. Lists give it as the search attribute `<deployment>:<build ID>`."""
    value = execution.typed_search_attributes.get(DEPLOYMENT_VERSION_KEY)
    return value.replace(":", ".", 1) if value else None


def format_run_list(runs: list[JsonDict]) -> str:
    """Runs as a table: workflow ID, agent, status, Temporal's status, the Worker Deployment
    Version it runs on and what waits."""
    rows = [("WORKFLOW ID", "AGENT", "STATUS", "EXECUTION", "VERSION", "WAITING")]
    for run in runs:
        since = run["waiting_since"]
        waiting = ", ".join(run["waiting_tools"])
        if since:
            waiting += f" since {_when(datetime.fromisoformat(since))}"
        status = run["status"] or ""
        if run.get("failing_task_attempt"):
            status += f" (its workflow task fails: attempt {run['failing_task_attempt']})"
        version = run["version"] or "unversioned"
        agent, execution = run["agent"] or "", run["execution_status"]
        rows.append((run["workflow_id"], agent, status, execution, version, waiting))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[5]]).rstrip())
    return "\n".join(lines)
