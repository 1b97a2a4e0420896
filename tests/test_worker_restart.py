"""A run waiting for a person survives its worker: a new worker picks it up and finishes it."""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from helpers import start_agent, tool_results, wait_for_pending
from models import ApprovalDecision
from test_example_agents import PROMPT
from worker import build_worker


async def test_new_worker_finishes_a_waiting_run(dev_server_env: WorkflowEnvironment, task_queue):
    client = dev_server_env.client
    async with build_worker(client, task_queue):
        handle = await start_agent(client, task_queue, "hr_agent", PROMPT)
        [entry] = await wait_for_pending(handle)
    # Every worker is gone now; the run's state lives only in the server's history.
    replacement: Worker = build_worker(client, task_queue)
    async with replacement:
        assert await wait_for_pending(handle) == [entry]
        await handle.signal("approve", ApprovalDecision(tool_call_id=entry["path_ids"][-1]))
        output = await handle.result()
    assert output.end_reason == "completed"
    assert tool_results(output)["account_agent_tool"] == (
        "Account stzhang was created and authorized at security level 2."
    )
