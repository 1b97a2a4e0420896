"""`pending` without an ID and `list`: every agent run, found through its search attributes."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import timedelta

from temporalio.client import (
    Client,
    WorkflowExecution,
    WorkflowExecutionStatus,
    WorkflowQueryFailedError,
)
from temporalio.service import RPCError

from agent_continuations.agent_runs import create_search_attributes_command
from agent_continuations.cli._errors import CliError
from agent_continuations.cli._format import format_inbox, format_run_list, inbox_entry, listed_run
from agent_continuations.cli._runs import client_for
from agent_continuations.shared import JsonDict
from agent_continuations.workflows import AgentWorkflow

AWAITING = 'AgentStatus = "awaiting_approval" AND ExecutionStatus = "Running"'

# Each listed run gets this long to answer: a run whose workers are gone is listed with a
# warning instead of holding up the whole list.
LISTING_TIMEOUT = timedelta(seconds=10)


def _quoted(value: str, flag: str) -> str:
    """`value` as a string of a visibility query.

    Raises:
        CliError: It holds a quote or a backslash, which a name never does.
    """
    if any(c in value for c in "\"'\\"):
        raise CliError(f"{flag} takes a name without quotes or backslashes, not {value!r}")
    return f'"{value}"'


async def executions(client: Client, query: str) -> list[WorkflowExecution]:
    """The runs `query` finds.

    Raises:
        CliError: The server refused the query, e.g. it lacks the agent search attributes.
    """
    try:
        return [execution async for execution in client.list_workflows(query)]
    except RPCError as error:
        command = create_search_attributes_command(client.namespace)
        raise CliError(
            f"the server cannot list agent runs ({error.message}); if it lacks the agent "
            f"search attributes, add them with `{command}`"
        ) from None


async def _waiting(client: Client, execution: WorkflowExecution) -> list[JsonDict]:
    """The run's `pending_approvals`; none, with a warning, when it cannot answer."""
    handle = client.get_workflow_handle_for(AgentWorkflow.run, execution.id)
    try:
        return await handle.query(AgentWorkflow.pending_approvals, rpc_timeout=LISTING_TIMEOUT)
    except (RPCError, WorkflowQueryFailedError) as error:  # it ended meanwhile, no worker...
        reason = getattr(error, "message", None) or str(error)
        print(f"warning: {execution.id} did not say what it waits for: {reason}", file=sys.stderr)
        return []


async def _failing_task_attempt(client: Client, execution: WorkflowExecution) -> int | None:
    """The attempt of the run's workflow task when earlier attempts failed (the run is stuck
    until a worker can run it), else None; what visibility's status cannot say."""
    if execution.status != WorkflowExecutionStatus.RUNNING:
        return None
    handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
    try:
        raw = (await handle.describe(rpc_timeout=LISTING_TIMEOUT)).raw_description
    except RPCError:
        return None  # it ended meanwhile
    task = raw.pending_workflow_task
    return task.attempt if raw.HasField("pending_workflow_task") and task.attempt > 1 else None


async def pending_everywhere(args: argparse.Namespace) -> int:
    """`pending` without an ID: every call waiting for a decision, in every running run."""
    query = AWAITING
    if args.agent:
        query += f" AND AgentName = {_quoted(args.agent, '--agent')}"
    if args.tool:
        query += f" AND AgentWaitingTools = {_quoted(args.tool, '--tool')}"
    client = await client_for(args)
    found = await executions(client, query)
    answers = await asyncio.gather(*(_waiting(client, e) for e in found))
    entries = [
        inbox_entry(execution, entry)
        for execution, waiting in zip(found, answers, strict=True)
        for entry in waiting
        if not args.tool or entry["tool_call"]["function"]["name"] == args.tool
    ]
    if args.json:
        print(json.dumps(entries, indent=2))
    elif entries:
        print(format_inbox(entries))
    else:
        print("No call waits for a decision in any run.")
    return 0


def runs_query(args: argparse.Namespace) -> str:
    """The visibility query for the root runs `--status` and `--agent` choose (sub-agents have
    no AgentStatus), each the latest of its chain of continued runs."""
    query = f"AgentStatus = {_quoted(args.status, '--status')}" if args.status else ""
    if args.agent:
        query += " AND " if query else ""
        query += f"AgentName = {_quoted(args.agent, '--agent')}"
    return f'({query or "AgentStatus IS NOT NULL"}) AND ExecutionStatus != "ContinuedAsNew"'


async def list_runs(args: argparse.Namespace) -> int:
    """`list`: agent runs, newest first, with their status, version and what they wait for."""
    client = await client_for(args)
    found = await executions(client, runs_query(args))
    attempts = await asyncio.gather(*(_failing_task_attempt(client, e) for e in found))
    runs = [
        {**listed_run(execution), "failing_task_attempt": attempt}
        for execution, attempt in zip(found, attempts, strict=True)
    ]
    if args.json:
        print(json.dumps(runs, indent=2))
    elif runs:
        print(format_run_list(runs))
    else:
        print("No agent run found.")
    return 0
