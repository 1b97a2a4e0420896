"""Benchmark: what one tree costs, start to waiting and approval to completion, the agent's
`hr_agent` tree beside the bare tree of `waiting_agents.py` (same shape: a root, a child that
waits for `approve` forwarded by the root).

Usage: python benchmarks/round_trips.py [--address HOST:PORT] [--json OUT.json]

Both sides run in this process on one server (a dev server of its own without `--address`),
each worker with an interceptor that counts the signals, updates and queries its workflows
handle. History events, workflow tasks, activities, upserts, memo changes and history bytes
come from the trees' histories. Prints a table and writes `{"round_trips": {...}}`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import (
    ExecuteWorkflowInput,
    HandleQueryInput,
    HandleSignalInput,
    HandleUpdateInput,
    Interceptor,
    Worker,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bare_tree import BareChild, BareRoot, bare_model, bare_tool  # noqa: E402

from benchmarks.waiting_agents import PROMPT  # noqa: E402

# The worker's counts of messages its workflows handled, by kind and name (not replayed ones).
HANDLED: Counter[str] = Counter()
POLL_EVERY = 0.05

# What each row counts in a history, by event type.
EVENT_ROWS = {
    "workflow tasks": EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    "activities": EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
    "child workflows": EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
    "signals received": EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
    "signals sent": EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
    "updates": EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
    "search attribute upserts": EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
    "memo changes": EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
    "markers (patches)": EventType.EVENT_TYPE_MARKER_RECORDED,
    "timers": EventType.EVENT_TYPE_TIMER_STARTED,
}


class _Counting(WorkflowInboundInterceptor):
    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        return await super().execute_workflow(input)

    async def handle_signal(self, input: HandleSignalInput) -> None:
        if not workflow.unsafe.is_replaying():
            HANDLED[f"signal {input.signal}"] += 1
        await super().handle_signal(input)

    async def handle_query(self, input: HandleQueryInput) -> Any:
        HANDLED[f"query {input.query}"] += 1
        return await super().handle_query(input)

    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        if not workflow.unsafe.is_replaying():
            HANDLED[f"update {input.update}"] += 1
        return await super().handle_update_handler(input)


class CountingInterceptor(Interceptor):
    """Counts the messages the worker's workflows handle, into `HANDLED`."""

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        return _Counting


async def _tree_ids(client: Client, root: str) -> list[str]:
    """The root and every workflow below it (their IDs start with the root's)."""
    found = [w.id async for w in client.list_workflows(f'WorkflowId STARTS_WITH "{root}"')]
    return sorted(set(found) | {root})


async def _snapshot(client: Client, ids: list[str]) -> dict[str, Any]:
    """Per-row totals over the histories of `ids`, and their bytes."""
    counts: Counter[str] = Counter()
    size = 0
    for workflow_id in ids:
        handle = client.get_workflow_handle(workflow_id)
        history = await handle.fetch_history()
        counts["history events"] += len(history.events)
        for row, event_type in EVENT_ROWS.items():
            counts[row] += sum(1 for e in history.events if e.event_type == event_type)
        described = await handle.describe()
        size += described.raw_description.workflow_execution_info.history_size_bytes
    return {**counts, "history bytes": size}


async def _measure(
    client: Client,
    root: WorkflowHandle,
    waiting: Callable[[], Awaitable[Any]],
    approve: Callable[[Any], Awaitable[None]],
) -> dict[str, dict[str, int]]:
    """The costs of one tree: start to waiting, then approval to completion."""
    HANDLED.clear()
    while (found := await waiting()) is None:
        await asyncio.sleep(POLL_EVERY)
    ids = await _tree_ids(client, root.id)
    to_waiting = {**await _snapshot(client, ids), **_handled()}
    HANDLED.clear()
    await approve(found)
    await root.result()
    ids = await _tree_ids(client, root.id)
    total = await _snapshot(client, ids)
    to_done = {key: value - to_waiting.get(key, 0) for key, value in total.items()}
    return {"to waiting": to_waiting, "to completion": {**to_done, **_handled()}}


def _handled() -> dict[str, int]:
    """What the workers handled, without the probes this script sends to see the tree wait."""
    probes = ("query pending_approvals", "query waiting", "query __temporal_workflow_metadata")
    return {key: value for key, value in HANDLED.items() if key not in probes}


async def agent_costs(client: Client, queue: str) -> dict[str, dict[str, int]]:
    from agent_continuations import examples
    from agent_continuations.plugin import AgentPlugin
    from agent_continuations.shared import AgentWorkflowInput
    from agent_continuations.testing import SCRIPTED_MODEL, scripted_model_activities
    from agent_continuations.workflows import AgentWorkflow, decision_signal_input

    plugin = AgentPlugin(
        [examples.hr_agent],
        default_model=SCRIPTED_MODEL,
        model_activities=scripted_model_activities(examples.SCRIPTS),
    )
    worker = Worker(
        client, task_queue=queue, plugins=[plugin], interceptors=[CountingInterceptor()]
    )
    async with worker:
        root = await client.start_workflow(
            AgentWorkflow.run,
            AgentWorkflowInput(agent="hr_agent", prompt=PROMPT),
            id=f"hr_agent-{uuid.uuid4().hex[:8]}",
            task_queue=queue,
        )

        async def waiting() -> Any:
            pending = await root.query(AgentWorkflow.pending_approvals)
            return pending[0] if pending else None

        async def approve(entry: Any) -> None:
            await root.signal("approve", decision_signal_input(entry))

        return await _measure(client, root, waiting, approve)


async def bare_costs(client: Client, queue: str) -> dict[str, dict[str, int]]:
    worker = Worker(
        client,
        task_queue=queue,
        workflows=[BareRoot, BareChild],
        activities=[bare_model, bare_tool],
        interceptors=[CountingInterceptor()],
    )
    async with worker:
        root = await client.start_workflow(
            BareRoot.run, PROMPT, id=f"bare-{uuid.uuid4().hex[:8]}", task_queue=queue
        )

        async def waiting() -> Any:
            return True if await root.query(BareRoot.waiting) else None

        async def approve(_: Any) -> None:
            await root.signal(BareRoot.approve)

        return await _measure(client, root, waiting, approve)


def table(agent: dict[str, dict[str, int]], bare: dict[str, dict[str, int]]) -> str:
    """The costs side by side, phase by phase."""
    lines = ["| phase | cost | agent | bare |", "| --- | --- | --- | --- |"]
    for phase in ("to waiting", "to completion"):
        rows = sorted(set(agent[phase]) | set(bare[phase]), key=_row_order)
        for row in rows:
            a, b = agent[phase].get(row, 0), bare[phase].get(row, 0)
            if a or b:
                lines.append(f"| {phase} | {row} | {a:,} | {b:,} |")
    return "\n".join(lines)


def _row_order(row: str) -> tuple[int, str]:
    fixed = ["history events", *EVENT_ROWS, "history bytes"]
    return (fixed.index(row), row) if row in fixed else (len(fixed), row)


async def run(address: str | None) -> dict[str, Any]:
    from agent_continuations.plugin import agent_data_converter

    env = None
    if address is None:
        temporal = shutil.which("temporal", path=str(Path(sys.executable).parent))
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=temporal, data_converter=agent_data_converter()
        )
        client = env.client
    else:
        client = await Client.connect(address, data_converter=agent_data_converter())
    try:
        agent = await agent_costs(client, f"round-trips-{uuid.uuid4()}")
        bare = await bare_costs(client, f"round-trips-{uuid.uuid4()}")
    finally:
        if env is not None:
            await env.shutdown()
    return {"agent": agent, "bare": bare}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", help="a running server; by default a dev server of its own")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    results = await run(args.address)
    print(table(results["agent"], results["bare"]))
    if args.json:
        args.json.write_text(json.dumps({"round_trips": results}, indent=2) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
