"""A run waiting for a person survives its worker: a new worker picks it up and finishes it."""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment

from agent_continuations.shared import ApprovalDecision
from agent_continuations.workflows import AgentWorkflow
from helpers import running_worker, start_agent, tool_results, wait_for_pending
from test_example_agents import PROMPT


async def test_new_worker_finishes_a_waiting_run(dev_server_env: WorkflowEnvironment, task_queue):
    client = dev_server_env.client
    async with running_worker(client, task_queue):
        handle = await start_agent(client, task_queue, "hr_agent", PROMPT)
        [entry] = await wait_for_pending(handle)
    # Every worker is gone now; the run's state lives only in the server's history.
    async with running_worker(client, task_queue):
        assert await wait_for_pending(handle) == [entry]
        await handle.signal(
            AgentWorkflow.approve, ApprovalDecision(tool_call_id=entry["path_ids"][-1])
        )
        output = await handle.result()
    assert output.end_reason == "completed"
    assert tool_results(output)["account_agent_tool"] == (
        "Account stzhang was created and authorized at security level 2."
    )
