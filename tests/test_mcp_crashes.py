"""A worker process killed (SIGKILL) in the middle of an MCP call: the call runs again, with the
same idempotency key, on the next worker's own server process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from agent_continuations.shared import ApprovalDecision, RunOptions
from agent_continuations.workflows import AgentWorkflow
from helpers import ROOT, start_agent, tool_results, wait_for_pending
from mcp_agents import LOG_ENV, SERVER_SCRIPT

AGENTS_MODULE = Path(__file__).with_name("mcp_agents.py")


class Workers:
    """`worker.py --agents mcp_agents` processes, each in its own process group."""

    def __init__(self, folder: Path, address: str, task_queue: str, log: Path) -> None:
        self._folder = folder
        self._argv = [sys.executable, str(ROOT / "worker.py"), "--agents", "mcp_agents"]
        self._argv += ["--address", address, "--task-queue", task_queue]
        self._env = {**os.environ, LOG_ENV: str(log), "AGENT_MODEL": "scripted"}
        self.started: list[subprocess.Popen[bytes]] = []

    async def start(self) -> subprocess.Popen[bytes]:
        log = self._folder / f"worker-{len(self.started) + 1}.log"
        with log.open("wb") as output:
            worker = subprocess.Popen(
                self._argv,
                cwd=self._folder,
                env=self._env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append(worker)
        await until(lambda: "worker polling task queue" in log.read_text() or worker.poll())
        assert worker.poll() is None, log.read_text()
        return worker

    @staticmethod
    def kill(worker: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


async def until(check: object, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "gave up waiting"
        await asyncio.sleep(0.1)


@pytest.fixture
def workers(tmp_path: Path, address: str, task_queue: str) -> Iterator[Workers]:
    shutil.copy(AGENTS_MODULE, tmp_path)
    shutil.copy(SERVER_SCRIPT, tmp_path)
    workers = Workers(tmp_path, address, task_queue, tmp_path / "server.log")
    try:
        yield workers
    finally:
        for worker in workers.started:
            Workers.kill(worker)


async def test_a_worker_killed_mid_call_runs_it_again_with_the_same_key(
    dev_server_env: WorkflowEnvironment, task_queue: str, tmp_path: Path, workers: Workers
) -> None:
    client = dev_server_env.client
    log = tmp_path / "server.log"

    def events(name: str) -> list[list[str]]:
        lines = log.read_text().splitlines() if log.exists() else []
        return [line.split() for line in lines if line.startswith(name)]

    first = await workers.start()
    handle = await start_agent(
        client,
        task_queue,
        "mcp_worker_agent",
        "go",
        options=RunOptions(tool_heartbeat_seconds=2),
    )
    await until(lambda: events("slow:start"))
    Workers.kill(first)
    await workers.start()
    [entry] = await wait_for_pending(handle, timeout=60)
    assert entry["paths"] == ["record"]
    await handle.signal(AgentWorkflow.approve, ApprovalDecision(tool_call_id=entry["path_ids"][0]))
    output = await handle.result()
    assert output.end_reason == "completed"
    assert tool_results(output)["slow"] == "waited 3.0s"
    killed, again = events("slow:start")
    assert killed[1] == again[1] and killed[1].startswith(f"{handle.id}/1/")
    assert killed[2] != again[2]  # another server process, the new worker's
    assert again[2] in {end[2] for end in events("slow:end")}
    assert len(events("record:")) == 1
