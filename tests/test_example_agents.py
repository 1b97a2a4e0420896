"""The shipped HR → account example, approved and rejected through the root workflow."""

from __future__ import annotations

from temporalio.api.enums.v1 import EventType
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.testing import WorkflowEnvironment

from agent_continuations.shared import ApprovalDecision
from agent_continuations.workflows import AgentWorkflow
from helpers import running_worker, signals_sent, start_agent, tool_results, wait_for_pending

PROMPT = "Onboard our new colleague stzhang, their email is stzhang@example.com, username: stzhang."


async def test_sub_agent_approval_via_root(time_skipping_env: WorkflowEnvironment, task_queue: str):
    client = time_skipping_env.client
    async with running_worker(client, task_queue):
        handle = await start_agent(client, task_queue, "hr_agent", PROMPT)
        [entry] = await wait_for_pending(handle)
        assert entry["paths"] == ["account_agent_tool", "authorize_account"]
        assert entry["approved"] is False
        leaf_id, digest = entry["path_ids"][-1], entry["digest"]
        assert entry["tool_call"]["id"] == leaf_id
        # The Web UI's "current details" tell a person what waits and what to send.
        metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
        *lines, tokens = metadata.current_details.splitlines()
        assert lines == [
            "**Waiting for 1 decision(s).** Send each with More Actions → Send a Signal.",
            "- **authorize_account** (account_agent_tool > authorize_account) with "
            '`{"username": "stzhang", "security_level": 2}`: send signal `approve` or `reject` '
            f'with `{{"tool_call_id": "{leaf_id}", "digest": "{digest}"}}`',
        ]
        assert tokens.startswith("Tokens: ")  # the tree's so far
        await handle.signal(
            AgentWorkflow.approve, ApprovalDecision(tool_call_id=leaf_id, approver="alice")
        )
        output = await handle.result()
        metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
        assert metadata.current_details == "Ended: completed"
    assert output.end_reason == "completed"
    assert "onboarded" in (output.result or "")
    results = tool_results(output)
    assert results["send_email_tool"].startswith("Email to stzhang@example.com")
    assert "created and authorized" in results["account_agent_tool"]
    [decision] = output.decisions
    assert decision.approver == "alice" and decision.approved
    assert decision.paths == ["account_agent_tool", "authorize_account"]
    # The sub-agent's result reached the root once, as its child workflow's end: no signal.
    [child] = [
        event.start_child_workflow_execution_initiated_event_attributes.workflow_id
        async for event in handle.fetch_history_events()
        if event.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED
    ]
    # Nor did it report that it waits for nothing more: the root knew as it passed the
    # decision down. One report, when it came to wait; no patch marker either.
    assert await signals_sent(client, child) == ["report_sub_agent_state"]
    marker = EventType.EVENT_TYPE_MARKER_RECORDED
    child_events = client.get_workflow_handle(child).fetch_history_events()
    assert not [event async for event in child_events if event.event_type == marker]
