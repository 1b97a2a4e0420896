"""Benchmark: many agent trees waiting for approval on one worker, beside bare Temporal trees.

Usage: python benchmarks/waiting_agents.py --address HOST:PORT --json OUT.json [--trees N]
           [--rounds R] [--max-cached-workflows K [K ...]] [--max-concurrent-workflow-tasks N]
           [--max-concurrent-activities N] [--start-concurrency N]

Against a running server, for each cache size K: starts `python worker.py` on a fresh task queue
(a subprocess, so its RSS is its own), starts N `hr_agent` trees with the offline scripted model,
polls the root's `pending_approvals` until every tree waits for its sub-agent's
`authorize_account` call, samples the worker's RSS, then sends half the roots the `approve`
signal (with the call's digest, as the Web UI would) and reads when each root closed; then
restarts the worker and approves the other half the same way: completions with the worker's
cache warm, and cold (each run replays its history first). Then the same for a bare tree of
the same shape (`bare_tree.py`), run by this script in `--bare-worker` mode: a root and a child
that run the activities the agent tree runs, in the same order (five model-like calls, three
tool-like ones), the child waiting for `approve` forwarded by the root; both sides once per
cache size. Last the floor: the bare tree without activities, what the server itself takes.
Prints a table and writes `{"waiting": {...}}` to `--json`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

# This script's folder is on the path when it runs, and the trees' modules are in it.
from bare_tree import BareChild, BareRoot, bare_model, bare_tool
from floor_tree import FloorChild, FloorRoot
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

POLLING_LINE = "worker polling task queue"
PROMPT = "Onboard our new colleague stzhang, their email is stzhang@example.com, username: stzhang."
SAMPLE_EVERY = 0.5
POLL_EVERY = 0.5
QUERY_TIMEOUT = timedelta(seconds=10)  # a busy worker answers late: ask again next round
RUN_TIMEOUT = timedelta(hours=1)  # trees a failed benchmark leaves behind end by themselves


async def run_bare_worker(args: argparse.Namespace) -> None:
    """`--bare-worker`: run the bare tree's workflows and activities on `--task-queue`."""
    client = await Client.connect(args.address)
    options = {
        name: getattr(args, name)
        for name in ("max_concurrent_workflow_tasks", "max_concurrent_activities")
        if getattr(args, name) is not None
    }
    cached = args.max_cached_workflows[0] if args.max_cached_workflows else 1000
    worker = Worker(
        client,
        task_queue=args.task_queue,
        workflows=[BareRoot, BareChild, FloorRoot, FloorChild],
        activities=[bare_model, bare_tool],
        max_cached_workflows=cached,
        **options,
    )
    # SIGTERM shuts it down as worker.py does, so the server hands its runs on at once.
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    print(f"bare {POLLING_LINE} {args.task_queue!r}", file=sys.stderr, flush=True)
    await worker.run()


# Measuring.
def project_root() -> Path:
    """The project's folder (not at import: the workflow sandbox imports this file too)."""
    return Path(__file__).resolve().parent.parent


def rss_mb(pid: int) -> float:
    """The process's resident set size (VmRSS) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """The process's user and system CPU time so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@dataclass
class Side:
    """How to start, probe and approve one kind of tree."""

    name: str
    worker_argv: list[str]
    start: Callable[[Client, str, str], Awaitable[WorkflowHandle]]
    waiting: Callable[[WorkflowHandle], Awaitable[Any]]  # what to approve, or None
    approve: Callable[[WorkflowHandle, Any], Awaitable[None]]


@dataclass
class Completions:
    """Approving some trees: completions per second, the worker's CPU per second, latencies."""

    per_second: float
    worker_cpu: float
    latencies: list[float]


@dataclass
class Result:
    side: str
    trees: int
    worker_settings: dict[str, int]
    start_seconds: float = 0.0
    to_waiting_seconds: float = 0.0
    trees_per_second_to_waiting: float = 0.0
    worker_cpu_to_waiting: float = 0.0  # CPU seconds per wall second: 1.0 is one core busy
    rss_idle_mb: float = 0.0
    rss_waiting_mb: float = 0.0
    rss_peak_mb: float = 0.0
    completions_per_second: float = 0.0
    worker_cpu_to_completion: float = 0.0
    latency_p50_seconds: float = 0.0
    latency_p99_seconds: float = 0.0
    cold_completions_per_second: float = 0.0
    cold_latency_p50_seconds: float = 0.0
    rss_samples: list[float] = field(default_factory=list, repr=False)


def agent_side(argv: list[str]) -> Side:
    from agent_continuations.shared import AgentWorkflowInput
    from agent_continuations.workflows import AgentWorkflow, decision_signal_input

    async def start(client: Client, queue: str, tree_id: str) -> WorkflowHandle:
        return await client.start_workflow(
            AgentWorkflow.run,
            AgentWorkflowInput(agent="hr_agent", prompt=PROMPT, model="scripted"),
            id=tree_id,
            task_queue=queue,
            execution_timeout=RUN_TIMEOUT,
        )

    async def waiting(handle: WorkflowHandle) -> Any:
        pending = await handle.query(AgentWorkflow.pending_approvals, rpc_timeout=QUERY_TIMEOUT)
        return pending[0] if pending else None

    async def approve(handle: WorkflowHandle, entry: Any) -> None:
        decision = {**decision_signal_input(entry), "approver": "benchmark"}
        await handle.signal("approve", decision)

    return Side(
        "agent", [sys.executable, str(project_root() / "worker.py"), *argv], start, waiting, approve
    )


def bare_side(argv: list[str], root: type[BareRoot] = BareRoot, name: str = "bare") -> Side:
    async def start(client: Client, queue: str, tree_id: str) -> WorkflowHandle:
        return await client.start_workflow(
            root.run, PROMPT, id=tree_id, task_queue=queue, execution_timeout=RUN_TIMEOUT
        )

    async def waiting(handle: WorkflowHandle) -> Any:
        return True if await handle.query(BareRoot.waiting, rpc_timeout=QUERY_TIMEOUT) else None

    async def approve(handle: WorkflowHandle, _: Any) -> None:
        await handle.signal(BareRoot.approve)

    return Side(name, [sys.executable, __file__, "--bare-worker", *argv], start, waiting, approve)


def floor_side(argv: list[str]) -> Side:
    """The bare tree without activities: the floor the server sets."""
    return bare_side(argv, FloorRoot, "floor")


async def bounded(jobs: Iterable[Awaitable[Any]], limit: int) -> list[Any]:
    """Await `jobs` with at most `limit` in flight; results in order."""
    gate = asyncio.Semaphore(limit)

    async def one(job: Awaitable[Any]) -> Any:
        async with gate:
            return await job

    return await asyncio.gather(*(one(job) for job in jobs))


async def unanswered(probe: Awaitable[Any]) -> Any:
    """What `probe` found, or None when the worker did not answer in time, or the run's last
    workflow task failed (Temporal retries it; the tree counts once it answers)."""
    try:
        return await probe
    except RPCError as error:
        retried = (
            RPCStatusCode.CANCELLED,
            RPCStatusCode.DEADLINE_EXCEEDED,
            RPCStatusCode.FAILED_PRECONDITION,
        )
        if error.status in retried:
            return None
        raise


async def wait_for_polling(worker: subprocess.Popen, log: Path, deadline: float) -> None:
    while POLLING_LINE not in log.read_text(errors="replace"):
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited with {worker.returncode}: {log.read_text()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the worker did not poll in time: {log.read_text()}")
        await asyncio.sleep(0.1)


async def closed_roots(client: Client, queue: str, roots: set[str]) -> dict[str, Any]:
    """The roots on `queue` that have closed, with their visibility entries."""
    found = {}
    async for execution in client.list_workflows(
        f'TaskQueue="{queue}" AND ExecutionStatus!="Running"'
    ):
        if execution.id in roots:
            found[execution.id] = execution
    return found


class WorkerProcess:
    """The side's worker on `queue`, a process of its own (so its RSS and CPU are its own)."""

    def __init__(self, argv: list[str], queue: str, keep_log: bool) -> None:
        self._argv, self._queue, self._keep_log = argv, queue, keep_log
        self.process: subprocess.Popen | None = None
        self._log: Path | None = None

    async def start(self) -> int:
        """Start the worker and wait until it polls; its PID."""
        with tempfile.NamedTemporaryFile(
            prefix=f"{self._queue}-", suffix=".log", delete=False
        ) as log:
            self._log = Path(log.name)
        with self._log.open("w") as log_file:  # the worker keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                self._argv, cwd=project_root(), stdout=subprocess.DEVNULL, stderr=log_file
            )
        await wait_for_polling(self.process, self._log, time.monotonic() + 60)
        return self.process.pid

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self._log is not None and not self._keep_log:
            self._log.unlink(missing_ok=True)


async def measure(client: Client, side: Side, args: argparse.Namespace, settings: dict) -> Result:
    """Start `args.trees` trees on a fresh worker and wait until all wait; approve the first
    half on that worker (its cache warm), then the second half on a worker started afresh
    (its cache cold: each run replays its history first)."""
    queue = f"bench-wait-{side.name}-{uuid.uuid4().hex[:8]}"
    argv = side.worker_argv + ["--address", args.address, "--task-queue", queue]
    argv += [f"--{name.replace('_', '-')}={value}" for name, value in settings.items()]
    result = Result(side.name, args.trees, settings)
    worker = WorkerProcess(argv, queue, args.keep_logs)
    sampling = True

    async def sample(pid: int) -> None:
        while sampling and worker.process is not None and worker.process.poll() is None:
            result.rss_samples.append(rss_mb(pid))
            await asyncio.sleep(SAMPLE_EVERY)

    sampler: asyncio.Task | None = None
    try:
        pid = await worker.start()
        await asyncio.sleep(1)  # let the worker settle before its idle RSS
        result.rss_idle_mb = rss_mb(pid)
        sampler = asyncio.create_task(sample(pid))
        ids = [f"{queue}-{i}" for i in range(args.trees)]
        begun, cpu = time.monotonic(), cpu_seconds(pid)
        handles = await bounded(
            (side.start(client, queue, tree_id) for tree_id in ids), args.start_concurrency
        )
        result.start_seconds = time.monotonic() - begun
        decisions: dict[int, Any] = {}
        deadline = begun + args.phase_timeout
        while len(decisions) < len(handles):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{len(decisions)}/{args.trees} trees waiting in time")
            todo = [i for i in range(len(handles)) if i not in decisions]
            probes = (unanswered(side.waiting(handles[i])) for i in todo)
            found = await bounded(probes, args.query_concurrency)
            decisions.update((i, got) for i, got in zip(todo, found, strict=True) if got)
            if len(decisions) < len(handles):
                await asyncio.sleep(POLL_EVERY)
        result.to_waiting_seconds = time.monotonic() - begun
        result.trees_per_second_to_waiting = args.trees / result.to_waiting_seconds
        result.worker_cpu_to_waiting = (cpu_seconds(pid) - cpu) / result.to_waiting_seconds
        waiting_from = len(result.rss_samples)
        await asyncio.sleep(3)  # a few samples while every tree waits
        result.rss_waiting_mb = statistics.mean(result.rss_samples[waiting_from:])
        result.rss_peak_mb = max(result.rss_samples)
        sampling = False
        await sampler

        async def approve_all(indices: list[int]) -> Completions:
            """Approve these trees and wait until their roots close."""
            tree_ids = {ids[i] for i in indices}
            sent: dict[str, float] = {}

            async def approve(i: int) -> None:
                sent[ids[i]] = time.time()
                await side.approve(handles[i], decisions[i])

            begun, cpu, approving = time.monotonic(), cpu_seconds(pid), time.time()
            await bounded((approve(i) for i in indices), args.start_concurrency)
            deadline = begun + args.phase_timeout
            while len(closed := await closed_roots(client, queue, tree_ids)) < len(tree_ids):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{len(closed)}/{len(tree_ids)} trees completed in time")
                await asyncio.sleep(POLL_EVERY)
            cpu_per_second = (cpu_seconds(pid) - cpu) / (time.monotonic() - begun)
            failed = [e.id for e in closed.values() if e.status and e.status.name != "COMPLETED"]
            if failed:
                raise RuntimeError(f"{len(failed)} trees did not complete, e.g. {failed[0]}")
            ends = {tree_id: e.close_time.timestamp() for tree_id, e in closed.items()}
            latencies = [ends[tree_id] - sent[tree_id] for tree_id in tree_ids]
            return Completions(
                len(indices) / (max(ends.values()) - approving), cpu_per_second, latencies
            )

        half = args.trees // 2
        warm = await approve_all(list(range(half)))
        result.completions_per_second = warm.per_second
        result.worker_cpu_to_completion = warm.worker_cpu
        result.latency_p50_seconds = percentile(warm.latencies, 0.5)
        result.latency_p99_seconds = percentile(warm.latencies, 0.99)
        worker.stop()
        pid = await worker.start()
        cold = await approve_all(list(range(half, args.trees)))
        result.cold_completions_per_second = cold.per_second
        result.cold_latency_p50_seconds = percentile(cold.latencies, 0.5)
        return result
    finally:
        sampling = False
        if sampler and not sampler.done():
            await sampler
        worker.stop()


COLUMNS = [
    ("side", "side", "{}"),
    ("round", "round", "{}"),
    ("cache", "max_cached_workflows", "{}"),
    ("trees", "trees", "{}"),
    ("start s", "start_seconds", "{:.1f}"),
    ("waiting s", "to_waiting_seconds", "{:.1f}"),
    ("trees/s", "trees_per_second_to_waiting", "{:.1f}"),
    ("CPU", "worker_cpu_to_waiting", "{:.2f}"),
    ("RSS idle MB", "rss_idle_mb", "{:.0f}"),
    ("RSS waiting MB", "rss_waiting_mb", "{:.0f}"),
    ("RSS peak MB", "rss_peak_mb", "{:.0f}"),
    ("done/s warm", "completions_per_second", "{:.1f}"),
    ("CPU", "worker_cpu_to_completion", "{:.2f}"),
    ("p50 s", "latency_p50_seconds", "{:.2f}"),
    ("p99 s", "latency_p99_seconds", "{:.2f}"),
    ("done/s cold", "cold_completions_per_second", "{:.1f}"),
    ("p50 s cold", "cold_latency_p50_seconds", "{:.2f}"),
]


def table(rows: list[dict]) -> str:
    cells = [[title for title, _, _ in COLUMNS]]
    cells += [[form.format(row.get(key, "sdk")) for _, key, form in COLUMNS] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    return "\n".join(
        "  ".join(c.rjust(w) for c, w in zip(line, widths, strict=True)) for line in cells
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", default="localhost:7233", help="Temporal frontend")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--trees", type=int, default=200, help="trees per side (default 200)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        metavar="R",
        help="run the sides in turn R times; the ratios take each side's median (default 3)",
    )
    parser.add_argument(
        "--max-cached-workflows",
        type=int,
        nargs="+",
        default=[1000],
        metavar="K",
        help="run the sides once per cache size and round (default: 1000, the SDK's default)",
    )
    parser.add_argument("--max-concurrent-workflow-tasks", type=int, metavar="N")
    parser.add_argument("--max-concurrent-activities", type=int, metavar="N")
    parser.add_argument(
        "--start-concurrency",
        type=int,
        default=20,
        metavar="N",
        help="starts and signals in flight at once (default 20)",
    )
    parser.add_argument(
        "--query-concurrency",
        type=int,
        default=10,
        metavar="N",
        help="pending_approvals queries in flight at once (default 10)",
    )
    parser.add_argument(
        "--phase-timeout",
        type=float,
        default=600,
        metavar="S",
        help="give up when reaching waiting, or completing, takes longer",
    )
    parser.add_argument("--no-bare", action="store_true", help="skip the bare tree")
    parser.add_argument("--keep-logs", action="store_true", help="keep the workers' logs in /tmp")
    parser.add_argument("--bare-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--task-queue", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


async def main() -> None:
    args = parse_args()
    if args.bare_worker:
        await run_bare_worker(args)
        return
    sys.path.insert(0, str(project_root()))
    from agent_continuations.plugin import AgentPlugin

    client = await Client.connect(args.address, plugins=[AgentPlugin()])
    slots = {
        name: getattr(args, name)
        for name in ("max_concurrent_workflow_tasks", "max_concurrent_activities")
        if getattr(args, name) is not None
    }
    sides = [agent_side] if args.no_bare else [agent_side, bare_side]
    # The sides in turn, round after round: the machine's load drifts, and each side's
    # median over the rounds sees the same drift.
    runs = []
    for round_number in range(1, args.rounds + 1):
        for cache in args.max_cached_workflows:
            runs += [
                (side, round_number, {"max_cached_workflows": cache, **slots}) for side in sides
            ]
        if not args.no_bare:
            cache = args.max_cached_workflows[0]
            runs.append((floor_side, round_number, {"max_cached_workflows": cache, **slots}))
    rows = []
    for make_side, round_number, settings in runs:
        side = make_side([])
        print(
            f"{side.name} side, round {round_number}, {args.trees} trees, {settings} ...",
            file=sys.stderr,
            flush=True,
        )
        result = await measure(client, side, args, settings)
        row = {"round": round_number, **asdict(result)}
        row.pop("rss_samples")
        row.update(row.pop("worker_settings"))
        rows.append(row)
        print(table(rows[-1:]), file=sys.stderr, flush=True)
    print(table(rows))
    if args.json:
        report = {"waiting": {"trees": args.trees, "rounds": args.rounds, "runs": rows}}
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    with contextlib.suppress(asyncio.CancelledError):  # a bare worker stopped by SIGTERM
        asyncio.run(main())
