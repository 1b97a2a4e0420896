"""Real worker processes killed (SIGKILL) mid-run: another worker process finishes every run.

Each test runs `worker.py --agents crash_agents` as a subprocess, kills its process group at a
named moment (a model call, a tool call, a wait for approval, a sub-agent's tool call), starts
a new one, and checks with the ledger the tools write (`crash_agents.py`) that every tool call
completed before the crash ran exactly once, the killed call ran again with the same
idempotency key on the new worker, no approval was asked twice, and the run ended within a
minute of the kill.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle

from agent_continuations.shared import ApprovalDecision, RunOptions
from agent_continuations.workflows import AgentWorkflow
from chat_server import ChatServer, Completion, Reply
from crash_agents import LEDGER_ENV
from helpers import start_agent, tool_results, wait_for_pending

ROOT = Path(__file__).resolve().parent.parent
AGENTS_MODULE = Path(__file__).with_name("crash_agents.py")
# Short heartbeat timeouts keep the suite fast; the tool-call test keeps the 30 s default.
SHORT_HEARTBEATS = RunOptions(tool_heartbeat_seconds=2, model_heartbeat_seconds=2)
RECOVERY_LIMIT = 60.0
T = TypeVar("T")


async def eventually(check: Callable[[], T | Awaitable[T]], what: str, timeout: float = 30) -> T:
    """Poll `check` until it returns something true, and return that; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        answer = check()
        if inspect.isawaitable(answer):
            answer = await answer
        if answer:
            return answer  # type: ignore[return-value]
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what} after {timeout} s")
        await asyncio.sleep(0.1)


class Ledger:
    """The JSON lines the crash agents' tools append: one per start and one per finish."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.touch()

    def entries(self, key: str | None = None, event: str | None = None) -> list[dict[str, Any]]:
        """Complete entries, optionally only those of one call (`key`) and one `event`."""
        lines = self.path.read_text(encoding="utf-8").splitlines(keepends=True)
        entries = [json.loads(line) for line in lines if line.endswith("\n")]
        return [
            e
            for e in entries
            if (key is None or e["key"] == key) and (event is None or e["event"] == event)
        ]

    def started(self, tool: str) -> dict[str, Any] | None:
        """The first attempt's start of `tool`, once it has started."""
        return next(
            (e for e in self.entries(event="start") if e["tool"] == tool and e["attempt"] == 1),
            None,
        )

    def assert_ran_once(self, keys: set[str]) -> None:
        """Each of these calls started once and finished once."""
        for key in keys:
            assert len(self.entries(key, "start")) == len(self.entries(key, "done")) == 1, (
                key,
                self.entries(key),
            )


class Workers:
    """`worker.py --agents crash_agents` processes of one test, each in its own process group."""

    def __init__(self, folder: Path, address: str, task_queue: str, ledger: Ledger) -> None:
        self._folder = folder
        self._argv = [sys.executable, str(ROOT / "worker.py"), "--agents", "crash_agents"]
        self._argv += ["--address", address, "--task-queue", task_queue]
        self._env = {**os.environ, LEDGER_ENV: str(ledger.path), "AGENT_MODEL": "scripted"}
        self._started: list[subprocess.Popen[bytes]] = []

    async def start(self, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Start a worker and return once it polls the task queue."""
        log = self._folder / f"worker-{len(self._started) + 1}.log"
        with log.open("wb") as output:
            worker = subprocess.Popen(
                self._argv,
                cwd=self._folder,
                env={**self._env, **(env or {})},
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, killed as one
            )
        self._started.append(worker)

        def polling_or_exited() -> bool:
            return "worker polling task queue" in log.read_text() or worker.poll() is not None

        await eventually(polling_or_exited, "the worker to poll")
        assert worker.poll() is None, f"the worker exited:\n{log.read_text()}"
        return worker

    @staticmethod
    def kill(worker: subprocess.Popen[bytes]) -> float:
        """SIGKILL the worker's process group; returns when it died (`time.monotonic()`)."""
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        return time.monotonic()

    def kill_all(self) -> None:
        for worker in self._started:
            self.kill(worker)


class HoldingChatServer(ChatServer):
    """A chat server that never answers request number `hold`, as if the model were slow.

    The worker that sent it is killed meanwhile; its retry, on the next worker, is answered
    with the reply the held request would have had.
    """

    def __init__(self, *replies: Reply, hold: int) -> None:
        super().__init__(*replies)
        self._hold = hold
        self._count_lock = threading.Lock()
        self._closing = threading.Event()
        self.arrived = 0
        self.holding = threading.Event()
        report_error = self._httpd.handle_error

        def handle_error(request: Any, client_address: Any) -> None:
            # The held request is answered when its caller is long dead: a broken pipe is due.
            if not isinstance(sys.exception(), ConnectionError):
                report_error(request, client_address)

        self._httpd.handle_error = handle_error  # type: ignore[method-assign]

    def _answer(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any, dict]:
        with self._count_lock:
            self.arrived += 1
            held = self.arrived == self._hold
        if not held:
            return super()._answer(path, headers, raw)
        self.holding.set()
        self._closing.wait()  # until the test ends; the caller is long dead by then
        return 503, {"error": {"message": "held until the test ended"}}, {}

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closing.set()
        super().__exit__(exc_type, exc, tb)


async def completed_tool_calls(handle: WorkflowHandle[Any, Any]) -> set[str]:
    """Idempotency keys of the `run_tool` activities whose completion is in the history."""
    scheduled: dict[int, str] = {}
    completed: set[str] = set()
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attributes = event.activity_task_scheduled_event_attributes
            if attributes.activity_type.name == "run_tool":
                tool_input = json.loads(attributes.input.payloads[0].data)
                scheduled[event.event_id] = tool_input["idempotency_key"]
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            scheduled_id = event.activity_task_completed_event_attributes.scheduled_event_id
            if scheduled_id in scheduled:
                completed.add(scheduled[scheduled_id])
    return completed


def assert_retried_on(ledger: Ledger, killed: dict[str, Any], first: Any, second: Any) -> None:
    """The call killed with the first worker ran again, to the end, on the second."""
    assert killed["pid"] == first.pid
    starts = ledger.entries(killed["key"], "start")
    [done] = ledger.entries(killed["key"], "done")
    assert len(starts) >= 2
    assert done["attempt"] >= 2 and done["pid"] == second.pid


def report(case: str, killed_at: float) -> float:
    took = time.monotonic() - killed_at
    print(f"\n{case}: the run ended {took:.1f} s after the worker was killed")
    assert took < RECOVERY_LIMIT
    return took


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(tmp_path / "ledger.jsonl")


@pytest.fixture
def workers(tmp_path: Path, address: str, task_queue: str, ledger: Ledger) -> Iterator[Workers]:
    """Worker processes run in a folder holding `crash_agents.py`; none outlives the test."""
    shutil.copy(AGENTS_MODULE, tmp_path)
    workers = Workers(tmp_path, address, task_queue, ledger)
    try:
        yield workers
    finally:
        workers.kill_all()


async def test_killed_during_a_model_call(dev_server_env, task_queue, workers, ledger):
    client = dev_server_env.client
    note = Completion(tool_calls=[{"name": "quick", "arguments": {"note": "first"}}])
    with HoldingChatServer(note, Completion(content="Noted."), hold=2) as server:
        model_env = {"OPENAI_BASE_URL": server.url, "OPENAI_API_KEY": "test"}
        first = await workers.start(model_env)
        handle = await start_agent(
            client, task_queue, "model_crash", "Note.", options=SHORT_HEARTBEATS
        )
        await eventually(server.holding.is_set, "the second model call")
        completed = await completed_tool_calls(handle)
        killed_at = workers.kill(first)
        await workers.start(model_env)
        output = await handle.result()
        report("model call", killed_at)
        assert server.arrived == 3  # the killed call was asked again, the answered one not
    assert (output.end_reason, output.result) == ("completed", "Noted.")
    assert len(completed) == 1
    ledger.assert_ran_once(completed)


async def test_killed_during_a_tool_call_with_the_default_heartbeat(
    dev_server_env, task_queue, workers, ledger
):
    client = dev_server_env.client
    first = await workers.start()
    handle = await start_agent(client, task_queue, "tool_crash", "Note.")  # 30 s heartbeats
    killed = await eventually(lambda: ledger.started("slow"), "the slow tool to start")
    completed = await eventually(lambda: completed_tool_calls(handle), "the quick tool's end")
    killed_at = workers.kill(first)
    second = await workers.start()
    output = await handle.result()
    report("tool call, 30 s heartbeat timeout", killed_at)
    assert output.end_reason == "completed"
    assert tool_results(output) == {"quick": "noted fast", "slow": "slowly noted slow"}
    assert len(completed) == 1
    ledger.assert_ran_once(completed)
    assert_retried_on(ledger, killed, first, second)


async def test_killed_while_waiting_for_approval(dev_server_env, task_queue, workers, ledger):
    client = dev_server_env.client
    first = await workers.start()
    handle = await start_agent(
        client, task_queue, "approval_crash", "Note.", options=SHORT_HEARTBEATS
    )
    [entry] = await wait_for_pending(handle)
    completed = await completed_tool_calls(handle)
    killed_at = workers.kill(first)
    await workers.start()
    assert await wait_for_pending(handle) == [entry]  # the same call, asked once
    call_id = entry["path_ids"][-1]
    await handle.signal(AgentWorkflow.approve, ApprovalDecision(tool_call_id=call_id))
    output = await handle.result()
    report("waiting for approval", killed_at)
    assert output.end_reason == "completed"
    assert [(d.tool_call_id, d.approved) for d in output.decisions] == [(call_id, True)]
    every_call = {e["key"] for e in ledger.entries()}
    assert len(completed) == 1 and len(every_call) == 2  # the quick note, the approved one
    ledger.assert_ran_once(every_call)


async def test_killed_while_a_sub_agent_runs(dev_server_env, task_queue, workers, ledger):
    client = dev_server_env.client
    first = await workers.start()
    handle = await start_agent(
        client, task_queue, "parent_crash", "Note.", options=SHORT_HEARTBEATS
    )
    killed = await eventually(lambda: ledger.started("slow"), "the sub-agent's slow tool")
    child = client.get_workflow_handle(killed["key"].rsplit("/", 2)[0])
    completed = await completed_tool_calls(handle) | await completed_tool_calls(child)
    killed_at = workers.kill(first)
    second = await workers.start()
    output = await handle.result()
    report("sub-agent's tool call", killed_at)
    assert output.end_reason == "completed"
    assert tool_results(output)["child_crash_tool"] == "Noted twice."
    assert len(completed) == 2  # the parent's and the child's quick notes
    ledger.assert_ran_once(completed)
    assert_retried_on(ledger, killed, first, second)
