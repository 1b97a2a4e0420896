"""What a sub-agent tells its parent about what it waits for, and what the parent's copy says
between a decision passed down and the sub-agent's next report."""

from __future__ import annotations

import threading

from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from agent_continuations.agent_definitions import Agent, tool
from agent_continuations.shared import ApprovalDecision
from agent_continuations.workflows import AgentWorkflow
from helpers import (
    query_until,
    running_worker,
    signals_sent,
    start_agent,
    tool_call,
    wait_for_pending,
)

RELEASE = threading.Event()  # holds `slow_delete` until the test has looked


@tool(needs_approval=True)
def slow_delete(username: str) -> str:
    """Delete an account, slowly."""
    RELEASE.wait(timeout=30)
    return f"deleted {username}"


worker_agent = Agent(name="reports_leaf", instructions="Delete.", tools=[slow_delete])
boss = Agent(name="reports_boss", instructions="Delegate.", sub_agents=[worker_agent])

SCRIPTS = {
    "reports_boss": [
        {"tool_calls": [tool_call("reports_leaf_tool", prompt="delete ann and bob")]},
        {"content": "boss done"},
    ],
    "reports_leaf": [
        {
            "tool_calls": [
                tool_call("slow_delete", username="ann"),
                tool_call("slow_delete", username="bob"),
            ]
        },
        {"content": "both deleted"},
    ],
}


def _waiting_arguments(output: dict) -> list[str]:
    """The arguments of the calls a root's continuation output shows waiting for a decision."""
    return [
        entry["tool_call"]["function"]["arguments"]
        for entry in output.get("approval_info") or []
        if "tool_call" in entry and entry["approved"] is None
    ]


async def test_a_sub_agent_reports_what_still_waits_and_not_what_the_root_knows(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    client = time_skipping_env.client
    RELEASE.clear()
    async with running_worker(client, task_queue, SCRIPTS, agents=[boss]):
        handle = await start_agent(client, task_queue, "reports_boss", "clean up")
        first, second = await wait_for_pending(handle, 2)
        await handle.signal(
            AgentWorkflow.approve, ApprovalDecision(tool_call_id=first["path_ids"][-1])
        )
        # The other call still waits: the sub-agent reports it, and the root's copy shows it.
        [left] = await wait_for_pending(handle)
        assert left["path_ids"] == second["path_ids"]
        await query_until(
            handle,
            AgentWorkflow.get_continuation,
            lambda output: (
                _waiting_arguments(output) == [second["tool_call"]["function"]["arguments"]]
            ),
        )
        await handle.signal(
            AgentWorkflow.approve, ApprovalDecision(tool_call_id=second["path_ids"][-1])
        )
        # Both approved calls run (held): the root's copy waits for nothing, without a report.
        assert _waiting_arguments(await handle.query(AgentWorkflow.get_continuation)) == []
        assert await handle.query(AgentWorkflow.pending_approvals) == []
        RELEASE.set()
        output = await handle.result()
    assert output.end_reason == "completed" and output.result == "boss done"
    [child] = [
        event.start_child_workflow_execution_initiated_event_attributes.workflow_id
        async for event in handle.fetch_history_events()
        if event.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED
    ]
    # Two waiting, then one: two reports; none once nothing was left for a person.
    assert await signals_sent(client, child) == ["report_sub_agent_state"] * 2
