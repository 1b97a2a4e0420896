"""Per-tool and per-agent activity options: timeouts, retries and task queues."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.common import RetryPolicy
from temporalio.testing import WorkflowEnvironment

from agent_continuations import ActivityOptions, Agent, RunOptions, tool
from agent_continuations.connection import connect
from agent_continuations.workflows._activity_options import TOOL_CALL_DEFAULTS, effective_options
from helpers import running_worker, start_agent, tool_call, tool_results, worker_process

TESTS = Path(__file__).resolve().parent
CALLS: list[str] = []


@tool(
    start_to_close_timeout=timedelta(seconds=2),
    retry_policy=RetryPolicy(maximum_attempts=2),
)
async def slow_lookup(key: str) -> str:
    """Look a key up, slowly."""
    CALLS.append(key)
    await asyncio.sleep(5)
    return f"found {key}"


AGENTS = [Agent(name="options_agent", instructions="Look up.", tools=[slow_lookup])]
SCRIPTS = {
    "options_agent": [
        {"tool_calls": [tool_call("slow_lookup", key="a")]},
        {"content": "done"},
    ]
}


def test_the_run_s_timeouts_override_the_tool_s_which_override_the_defaults():
    own = ActivityOptions(start_to_close_timeout=timedelta(seconds=7), task_queue="vault")
    merged = effective_options(own, TOOL_CALL_DEFAULTS, None, None)
    assert merged.start_to_close_timeout == timedelta(seconds=7)
    assert merged.heartbeat_timeout == TOOL_CALL_DEFAULTS.heartbeat_timeout
    assert merged.retry_policy == TOOL_CALL_DEFAULTS.retry_policy
    assert merged.task_queue == "vault"
    by_run = effective_options(own, TOOL_CALL_DEFAULTS, 60, 5)
    assert by_run.start_to_close_timeout == timedelta(seconds=60)
    assert by_run.heartbeat_timeout == timedelta(seconds=5)


@pytest.mark.parametrize(
    "options",
    [{"start_to_close_timeout": timedelta(0)}, {"heartbeat_timeout": timedelta(seconds=-1)}],
)
def test_a_tool_refuses_timeouts_that_are_not_positive(options):
    with pytest.raises(ValueError, match="must be positive"):
        tool(**options)(lambda: "x")


def test_a_tool_refuses_an_empty_task_queue():
    with pytest.raises(ValueError, match="task_queue must not be empty"):
        tool(task_queue=" ")(lambda: "x")


async def test_a_tool_s_own_timeout_and_retry_policy_apply(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    CALLS.clear()
    client = time_skipping_env.client
    async with running_worker(client, task_queue, SCRIPTS, agents=AGENTS):
        output = await (await start_agent(client, task_queue, "options_agent", "go")).result()
    assert output.end_reason == "completed"
    result = tool_results(output)["slow_lookup"]
    assert result.startswith("Error: tool slow_lookup failed:") and "timeout" in result.lower()
    assert CALLS == ["a", "a"]  # the tool's own two attempts, not the default three


async def test_the_run_s_timeout_overrides_the_tool_s(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    CALLS.clear()
    client = time_skipping_env.client
    options = RunOptions(tool_timeout_seconds=30)
    async with running_worker(client, task_queue, SCRIPTS, agents=AGENTS):
        handle = await start_agent(client, task_queue, "options_agent", "go", options=options)
        output = await handle.result()
    assert tool_results(output) == {"slow_lookup": "found a"}
    assert CALLS == ["a"]


async def test_a_pinned_tool_runs_only_on_the_worker_of_its_queue(address: str, task_queue: str):
    pinned = f"pinned-{uuid.uuid4()}"
    env = {"PINNED_TOOL_QUEUE": pinned, "AGENT_MODEL": "scripted"}
    flags = ["--agents", "pinned_agents", "--address", address]
    with (
        worker_process([*flags, "--task-queue", task_queue], TESTS, env) as (main, _),
        worker_process([*flags, "--task-queue", pinned], TESTS, env) as (vault, _),
    ):
        client = await connect(address)
        handle = await start_agent(client, task_queue, "pinned_agent", "where?")
        output = await asyncio.wait_for(handle.result(), timeout=60)
    assert output.end_reason == "completed", output.error
    results = tool_results(output)
    assert results["local_process"] == f"pid {main.pid}"
    assert results["credentials_process"] == f"pid {vault.pid}"
    assert main.pid != vault.pid
