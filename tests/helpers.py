"""Helpers for tests: run agents on a worker with scripts, wait for pending approvals."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker, WorkerDeploymentConfig

from agent_continuations import examples
from agent_continuations.activities import ModelActivities
from agent_continuations.agent_definitions import Agent, ApproverKeys, WorkerSecrets
from agent_continuations.agent_runs import start_run
from agent_continuations.plugin import AgentPlugin
from agent_continuations.shared import AgentRunOutput, RunOptions
from agent_continuations.testing import SCRIPTED_MODEL, Script, scripted_model_activities
from agent_continuations.workflows import AgentWorkflow
from continuation_cases import director_agent
from intruder_workflow import IntruderWorkflow

RUN_TIMEOUT = timedelta(minutes=2)
ROOT = Path(__file__).resolve().parent.parent
WORKER_STOP_SECONDS = 30
UNHANDLED_COMMAND = WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND
T = TypeVar("T")
# The agents a test's worker runs unless it names its own: the examples, and the director
# above them that the continuation tests use.
SHARED_AGENTS = (examples.hr_agent, director_agent)
# The workers' secrets of the tests' workers, as a deployment configures them.
TEST_SECRETS = WorkerSecrets({"test-key": "a test secret of the workers"})


@asynccontextmanager
async def running_worker(
    client: Client,
    task_queue: str,
    scripts: Mapping[str, Script] | None = None,
    model_activities: ModelActivities | None = None,
    agents: Sequence[Agent] = SHARED_AGENTS,
    secrets: WorkerSecrets = TEST_SECRETS,
    approver_keys: ApproverKeys | None = None,
    seal_key: bytes | None = None,
    deployment_config: WorkerDeploymentConfig | None = None,
) -> AsyncIterator[Worker]:
    """A worker with the agent plugin for `task_queue`, running for the duration of the block.

    It runs `agents` (`SHARED_AGENTS` by default) with `secrets`, on the `scripted` model
    unless an agent or the run names another, playing `scripts` (the examples' by default).
    A workflow whose code raises fails instead of retrying its task until a fixed worker is
    deployed (Temporal's default, right in production), so a bug fails its test fast.
    """
    plugin = AgentPlugin(
        agents,
        default_model=SCRIPTED_MODEL,
        secrets=secrets,
        approver_keys=approver_keys,
        seal_key=seal_key,
        model_activities=model_activities
        or scripted_model_activities(examples.SCRIPTS if scripts is None else scripts),
    )
    worker = Worker(
        client,
        task_queue=task_queue,
        plugins=[plugin],
        workflow_failure_exception_types=[Exception],
        deployment_config=deployment_config,
    )
    async with worker:
        yield worker


async def start_agent(
    client: Client,
    task_queue: str,
    agent: str,
    prompt: str,
    model: str | None = None,
    execution_timeout: timedelta = RUN_TIMEOUT,
    options: RunOptions | None = None,
) -> WorkflowHandle[Any, AgentRunOutput]:
    """Start a run with a fresh ID and an execution timeout, so a hang fails fast."""
    return await start_run(
        client,
        agent,
        prompt,
        task_queue=task_queue,
        workflow_id=f"test-{agent}-{uuid.uuid4()}",
        model=model,
        options=options,
        execution_timeout=execution_timeout,
    )


async def query_until(
    handle: WorkflowHandle[Any, Any],
    query: Callable[[Any], T],
    done: Callable[[T], bool],
    timeout: float = 30.0,
) -> T:
    """Poll `query` (an `AgentWorkflow` query method) until `done` says its answer is the one
    awaited; fail after `timeout`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        answer = await handle.query(query)
        if done(answer):
            return answer
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"query {query.__name__} never gave the awaited answer: {answer}")
        await asyncio.sleep(0.1)


async def wait_for_pending(
    handle: WorkflowHandle[Any, Any], count: int = 1, timeout: float = 30.0
) -> list[dict[str, Any]]:
    """Poll the `pending_approvals` query until `count` calls wait."""
    return await query_until(
        handle, AgentWorkflow.pending_approvals, lambda pending: len(pending) >= count, timeout
    )


async def task_failures(client: Client, *workflow_ids: str) -> list[str]:
    """Messages of the workflow tasks that failed in these workflows' latest runs.

    A workflow task that fails is retried until it passes: with a malformed message or
    reply that always fails it, the run hangs. Every hostile-input test asserts there is none.
    Not counted: the server's refusal of a completion that a new event overtook
    (`UNHANDLED_COMMAND`), which the worker redoes at once with that event.
    """
    failures = []
    for workflow_id in workflow_ids:
        async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                attributes = event.workflow_task_failed_event_attributes
                if attributes.cause == UNHANDLED_COMMAND:
                    continue
                cause = WorkflowTaskFailedCause.Name(attributes.cause)
                failures.append(f"{workflow_id}: {cause}: {attributes.failure.message}")
    return failures


async def signals_sent(client: Client, workflow_id: str) -> list[str]:
    """The names of the signals a workflow's latest run sent to other workflows."""
    sent = EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED
    return [
        event.signal_external_workflow_execution_initiated_event_attributes.signal_name
        async for event in client.get_workflow_handle(workflow_id).fetch_history_events()
        if event.event_type == sent
    ]


def tool_call(name: str, **arguments: Any) -> dict[str, Any]:
    """A scripted tool call."""
    return {"name": name, "arguments": arguments}


def tool_results(output: AgentRunOutput) -> dict[str, str]:
    """Tool message contents by tool name, from the run's messages."""
    names = {
        tc["id"]: tc["function"]["name"]
        for m in output.messages
        if m.get("role") == "assistant"
        for tc in m.get("tool_calls") or []
    }
    return {
        names[m["tool_call_id"]]: m["content"] for m in output.messages if m.get("role") == "tool"
    }


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@contextmanager
def worker_process(
    argv: list[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    program: list[str] | None = None,
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`python worker.py ARGV` (or `program ARGV`) in `cwd`, once it polls: the process and
    its polling log line. It is stopped when the block ends."""
    worker = subprocess.Popen(
        [*(program or [sys.executable, str(ROOT / "worker.py")]), *argv],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stderr is not None
        for line in worker.stderr:  # the worker logs this line once it polls
            if "worker polling task queue" in line:
                break
        else:
            raise AssertionError(f"the worker exited with {worker.wait()} before polling")
        yield worker, line
    finally:
        worker.terminate()
        worker.wait(WORKER_STOP_SECONDS)


async def intrude(client: Client, task_queue: str, input: dict[str, object], **worker: Any) -> str:
    """What `IntruderWorkflow`, on a queue of its own, gets from `run_tool` on the agents'
    (their worker runs with `running_worker`'s options `worker`)."""
    intruders = f"intruders-{uuid.uuid4()}"
    async with (
        running_worker(client, task_queue, **worker),
        Worker(client, task_queue=intruders, workflows=[IntruderWorkflow]),
    ):
        return await client.execute_workflow(
            IntruderWorkflow.run,
            {"task_queue": task_queue, "input": input},
            id=f"intruder-{uuid.uuid4()}",
            task_queue=intruders,
        )
