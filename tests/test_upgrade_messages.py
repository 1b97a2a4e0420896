"""The `upgrade` update and `starter.py upgrade`: who may send it, when a level moves, and the
one-line refusals (versioned workers on the dev server: tests/test_upgrade.py)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import WorkerDeploymentVersion
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import WorkerDeploymentConfig

from agent_continuations import Agent, tool
from agent_continuations.shared import ApprovalDecision, ResumeSignalInput
from agent_continuations.worker import PINNED_BY_DEFAULT
from agent_continuations.workflows import AgentWorkflow
from helpers import (
    one_error_line,
    query_until,
    running_worker,
    start_agent,
    task_failures,
    tool_call,
    tool_results,
    wait_for_pending,
)
from test_example_agents import PROMPT
from test_upgrade import AUTHORIZED, make_current

CALLS: list[str] = []
RELEASE = asyncio.Event()


@tool
async def slow_lookup(key: str) -> str:
    """Look a key up, slowly."""
    CALLS.append(key)
    await RELEASE.wait()
    return f"found {key}"


@tool(needs_approval=True)
def grant(key: str) -> str:
    """Grant access to a key."""
    return f"granted {key}"


AGENTS = [
    Agent(name="mid_turn_agent", instructions="Look up.", tools=[slow_lookup, grant]),
    Agent(name="one_turn_agent", instructions="Look up.", tools=[grant], max_turns=1),
]
SCRIPTS = {
    "mid_turn_agent": [
        {"tool_calls": [tool_call("slow_lookup", key="a"), tool_call("grant", key="a")]},
        {"content": "done"},
    ],
    "one_turn_agent": [
        {"tool_calls": [tool_call("grant", key="b")]},
        {"content": "done"},
    ],
}


def versioned_worker() -> WorkerDeploymentConfig:
    """A Worker Deployment Version of a deployment of the test's own."""
    return WorkerDeploymentConfig(
        version=WorkerDeploymentVersion(f"upgrade-{uuid.uuid4()}", "v1"),
        use_worker_versioning=True,
        default_versioning_behavior=PINNED_BY_DEFAULT,
    )


async def run_id(handle: WorkflowHandle) -> str:
    return (await handle.describe()).run_id


async def test_a_level_mid_turn_moves_at_its_next_wait(dev_server_env, task_queue):
    client = dev_server_env.client
    CALLS.clear()
    RELEASE.clear()
    versioned = versioned_worker()
    async with running_worker(
        client, task_queue, SCRIPTS, agents=AGENTS, deployment_config=versioned
    ):
        deployment = versioned.version.deployment_name
        await make_current(client.service_client.config.target_host, "v1", deployment)
        handle = await start_agent(client, task_queue, "mid_turn_agent", "go")
        [entry] = await wait_for_pending(handle)
        first = await run_id(handle)
        answer = await handle.execute_update(AgentWorkflow.upgrade)
        assert answer == "is mid-turn: moves to the current version at its next wait"
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(AgentWorkflow.upgrade)
        assert "moves to the current version already" in str(refused.value.cause)
        await asyncio.sleep(1)
        assert await run_id(handle) == first  # the lookup still runs in this run
        RELEASE.set()
        for _ in range(100):  # the lookup answered, the level waits for a person: it moves
            if await run_id(handle) != first:
                break
            await asyncio.sleep(0.1)
        assert await run_id(handle) != first
        assert await wait_for_pending(handle) == [entry]
        await handle.signal(
            AgentWorkflow.approve, ApprovalDecision(tool_call_id=entry["path_ids"][-1])
        )
        output = await handle.result()
    assert tool_results(output) == {"slow_lookup": "found a", "grant": "granted a"}
    assert CALLS == ["a"]
    assert await task_failures(client, handle.id) == []


async def test_a_suspended_run_moves_suspended(dev_server_env, task_queue):
    client = dev_server_env.client
    versioned = versioned_worker()
    async with running_worker(
        client, task_queue, SCRIPTS, agents=AGENTS, deployment_config=versioned
    ):
        deployment = versioned.version.deployment_name
        await make_current(client.service_client.config.target_host, "v1", deployment)
        handle = await start_agent(client, task_queue, "one_turn_agent", "go")
        [entry] = await wait_for_pending(handle)
        await handle.signal(
            AgentWorkflow.approve, ApprovalDecision(tool_call_id=entry["path_ids"][-1])
        )
        suspended = await query_until(
            handle, AgentWorkflow.get_state, lambda s: bool(s.suspend_list)
        )
        first = await run_id(handle)
        answer = await handle.execute_update(AgentWorkflow.upgrade)
        assert answer == "moves to the current version now"
        for _ in range(100):
            if await run_id(handle) != first:
                break
            await asyncio.sleep(0.1)
        assert await run_id(handle) != first
        state = await handle.query(AgentWorkflow.get_state)
        assert state.suspend_list == ["max_turns"]
        assert state.messages == suspended.messages and state.decisions == suspended.decisions
        await handle.signal(AgentWorkflow.resume, ResumeSignalInput())
        output = await handle.result()
    assert (output.end_reason, output.result) == ("completed", "done")
    assert tool_results(output) == {"grant": "granted b"}
    assert await task_failures(client, handle.id) == []


async def test_a_decision_sent_with_the_upgrade_is_not_lost(dev_server_env, task_queue):
    client = dev_server_env.client
    versioned = versioned_worker()
    deployment = versioned.version.deployment_name
    async with running_worker(client, task_queue, deployment_config=versioned):
        await make_current(client.service_client.config.target_host, "v1", deployment)
        handle = await start_agent(client, task_queue, "hr_agent", PROMPT)
        [entry] = await wait_for_pending(handle)
    # No worker: the decision and the upgrade reach the next worker's same workflow task.
    decision = ApprovalDecision(tool_call_id=entry["path_ids"][-1], digest=entry["digest"])
    await handle.signal(AgentWorkflow.approve, decision)
    upgrade = asyncio.create_task(handle.execute_update(AgentWorkflow.upgrade))
    await asyncio.sleep(1)
    async with running_worker(client, task_queue, deployment_config=versioned):
        assert "moves to the current version" in await upgrade
        output = await handle.result()
    assert tool_results(output)["account_agent_tool"] == AUTHORIZED
    assert [d.tool_call_id for d in output.decisions] == [entry["path_ids"][-1]]
    assert await task_failures(client, handle.id) == []


async def test_upgrade_is_for_the_root_on_versioned_workers_and_its_signal_is_sealed(
    dev_server_env: WorkflowEnvironment, task_queue
):
    client = dev_server_env.client
    async with running_worker(client, task_queue):
        handle = await start_agent(client, task_queue, "hr_agent", PROMPT)
        [entry] = await wait_for_pending(handle)
        first = await run_id(handle)
        child_id = (await handle.query(AgentWorkflow.get_state)).turn_calls[1].child_workflow_id
        assert child_id is not None
        child = client.get_workflow_handle(child_id)
        child_first = await run_id(child)
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await child.execute_update(AgentWorkflow.upgrade)
        assert f"go to the root workflow {handle.id!r}" in str(refused.value.cause)
        await child.signal("apply_upgrade", {"token": "guessed", "mac": "forged"})
        await handle.signal("apply_upgrade", {"token": "guessed", "mac": "forged"})
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(AgentWorkflow.upgrade)
        assert "the run's workers are unversioned" in str(refused.value.cause)
        await handle.signal(
            AgentWorkflow.approve, ApprovalDecision(tool_call_id=entry["path_ids"][-1])
        )
        output = await handle.result()
    assert output.end_reason == "completed"
    assert await run_id(handle) == first
    assert await run_id(child) == child_first
    assert await task_failures(client, handle.id, child_id) == []


async def test_starter_upgrade_refuses_in_one_line(dev_server_env, task_queue, starter):
    code, _, err = await starter("upgrade")
    assert code == 1 and "give either a run's workflow ID or --all" in one_error_line(err)
    code, _, err = await starter("upgrade", "some-run", "--agent", "hr_agent")
    assert code == 1 and "--agent and --status choose the runs" in one_error_line(err)
    async with running_worker(dev_server_env.client, task_queue):
        handle = await start_agent(dev_server_env.client, task_queue, "hr_agent", PROMPT)
        await wait_for_pending(handle)
        code, _, err = await starter("upgrade", handle.id)
        assert code == 1 and "runs on unversioned workers" in one_error_line(err)
        await handle.terminate()
    code, _, err = await starter("upgrade", handle.id)
    assert code == 1 and "has ended (TERMINATED)" in one_error_line(err)
