"""Approvals cannot be forged or bypassed: each attack from outside the tree is refused."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from agent_continuations.agent_definitions import Agent, tool
from agent_continuations.shared import AgentWorkflowInput, ApprovalDecision, DecideInput
from agent_continuations.workflows import AgentWorkflow
from helpers import (
    running_worker,
    start_agent,
    task_failures,
    tool_call,
    tool_results,
    wait_for_pending,
)


@tool(needs_approval=True, editable=False)
def grant_access(user: str, security_level: int) -> str:
    """Grant a user access at a security level."""
    return f"{user} granted level {security_level}"


@tool(needs_approval=True)
def pay(account: str, amount: int) -> str:
    """Pay an amount to an account."""
    return f"paid {amount} to {account}"


vault = Agent(name="forgery_vault", instructions="Guard the vault.", tools=[grant_access, pay])
boss = Agent(name="forgery_boss", instructions="Delegate.", sub_agents=[vault])
AGENTS = [boss]
SCRIPTS: dict[str, Any] = {
    "forgery_vault": [
        {"tool_calls": [tool_call("grant_access", user="eve", security_level=2)]},
        {"content": "vault done"},
    ],
    "forgery_boss": [
        {"tool_calls": [tool_call("forgery_vault_tool", prompt="grant eve level 2")]},
        {"content": "boss done"},
    ],
}
PAY_SCRIPTS: dict[str, Any] = {
    "forgery_vault": [
        {"tool_calls": [tool_call("pay", account="acme", amount=100)]},
        {"content": "paid"},
    ]
}


async def _waiting_tree(client: Client, task_queue: str):
    handle = await start_agent(client, task_queue, "forgery_boss", "grant eve")
    [entry] = await wait_for_pending(handle)
    [call] = (await handle.query(AgentWorkflow.get_state)).turn_calls
    assert call.child_workflow_id is not None
    return handle, entry, client.get_workflow_handle(call.child_workflow_id)


async def test_forged_reports_and_park_from_outside_are_ignored(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, SCRIPTS, agents=AGENTS):
        handle, entry, child = await _waiting_tree(client, task_queue)
        leaf = entry["tool_call"]
        forged_leaf = {
            **leaf,
            "function": {**leaf["function"], "arguments": '{"user": "eve", "security_level": 1}'},
        }
        forged_tree = {
            "agent": "forgery_vault",
            "messages": [{"role": "user", "content": "x"}],
            "resume_request": [forged_leaf],
            "processed": [{"id": leaf["id"], "approved": False}],
        }
        call_id = entry["path_ids"][0]
        # No token, a wrong token, and a report that marks the call processed.
        await handle.signal(
            AgentWorkflow.report_sub_agent_state,
            {"tool_call_id": call_id, "continuation": forged_tree},
        )
        await handle.signal(
            AgentWorkflow.report_sub_agent_state,
            {"token": "guess", "tool_call_id": call_id, "continuation": None},
        )
        await handle.signal(AgentWorkflow.park, {"token": "guess"})
        await handle.signal(AgentWorkflow.park)
        # An update after the signals is handled after them: the view is unchanged.
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(
                AgentWorkflow.decide, {"tool_call_id": "nope", "approved": True}
            )
        [still] = await handle.query(AgentWorkflow.pending_approvals)
        assert still == entry
        assert json.loads(still["tool_call"]["function"]["arguments"])["security_level"] == 2
        await handle.signal(AgentWorkflow.approve, ApprovalDecision(path_ids=entry["path_ids"]))
        output = await handle.result()
        assert output.end_reason == "completed"
        assert tool_results(output) == {"forgery_vault_tool": "vault done"}
        assert await task_failures(client, handle.id, child.id) == []


async def test_decisions_sent_to_a_sub_agent_are_refused(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, SCRIPTS, agents=AGENTS):
        handle, entry, child = await _waiting_tree(client, task_queue)
        leaf_id = entry["path_ids"][-1]
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await child.execute_update(
                AgentWorkflow.decide, DecideInput(tool_call_id=leaf_id, approved=True)
            )
        assert f"go to the root workflow {handle.id!r}" in str(refused.value.cause)
        await child.signal(AgentWorkflow.approve, ApprovalDecision(tool_call_id=leaf_id))
        # A decision passed down with a wrong token is ignored too.
        await child.signal(
            AgentWorkflow.apply_decision,
            {"token": "guess", "decision": {"tool_call_id": leaf_id, "approved": True}},
        )
        assert await wait_for_pending(handle) == [entry]
        assert (await child.query(AgentWorkflow.get_state)).decisions == []
        answer = await handle.execute_update(
            AgentWorkflow.decide, DecideInput(path_ids=entry["path_ids"], approved=False)
        )
        assert answer.startswith("rejected")
        output = await handle.result()
    assert output.end_reason == "rejected_tool_calls"
    [decision] = output.decisions
    assert decision.path_ids == entry["path_ids"]


async def test_a_decision_with_another_calls_digest_is_refused(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, SCRIPTS, agents=AGENTS):
        handle, entry, _ = await _waiting_tree(client, task_queue)
        assert len(entry["digest"]) == 16
        stale = DecideInput(path_ids=entry["path_ids"], approved=True, digest="0" * 16)
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(AgentWorkflow.decide, stale)
        message = str(refused.value.cause)
        assert "is not the call decided on" in message and entry["digest"] in message
        assert '"security_level": 2' in message
        await handle.signal(
            AgentWorkflow.approve, ApprovalDecision(path_ids=entry["path_ids"], digest="0" * 16)
        )
        assert await wait_for_pending(handle) == [entry]
        right = DecideInput(path_ids=entry["path_ids"], approved=True, digest=entry["digest"])
        assert (await handle.execute_update(AgentWorkflow.decide, right)).startswith("approved")
        assert (await handle.result()).end_reason == "completed"


async def test_tools_may_forbid_edits_and_edits_keep_the_original(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, SCRIPTS, agents=AGENTS):
        handle, entry, _ = await _waiting_tree(client, task_queue)
        edited = DecideInput(
            path_ids=entry["path_ids"],
            approved=True,
            arguments={"user": "eve", "security_level": 5},
        )
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(AgentWorkflow.decide, edited)
        assert "grant_access does not allow its arguments to be edited" in str(refused.value.cause)
        await handle.signal(AgentWorkflow.reject, ApprovalDecision(path_ids=entry["path_ids"]))
        await handle.result()
    async with running_worker(client, task_queue, PAY_SCRIPTS, agents=AGENTS):
        handle = await start_agent(client, task_queue, "forgery_vault", "pay acme")
        [entry] = await wait_for_pending(handle)
        await handle.execute_update(
            AgentWorkflow.decide,
            DecideInput(
                path_ids=entry["path_ids"],
                approved=True,
                arguments={"account": "acme", "amount": 50},
            ),
        )
        output = await handle.result()
    [decision] = output.decisions
    assert decision.original_arguments == {"account": "acme", "amount": 100}
    assert decision.edited_arguments == {"account": "acme", "amount": 50}
    assert tool_results(output)["pay"].endswith("paid 50 to acme")


async def test_a_squatted_sub_agent_id_does_not_stop_the_parent(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    client = time_skipping_env.client
    predictable = {
        **SCRIPTS,
        "forgery_boss": [
            {
                "tool_calls": [
                    {**tool_call("forgery_vault_tool", prompt="grant eve"), "id": "call_1"}
                ]
            },
            {"content": "boss done"},
        ],
    }
    root_id = f"squat-target-{uuid.uuid4()}"
    async with running_worker(client, task_queue, predictable, agents=AGENTS):
        # A sub-agent's ID used to be `<parent ID>/<call ID>`: both can be known in advance.
        await client.start_workflow(
            AgentWorkflow.run,
            AgentWorkflowInput(agent="forgery_vault", prompt="squat"),
            id=f"{root_id}/call_1",
            task_queue=f"{task_queue}-nobody-polls",
            execution_timeout=timedelta(minutes=1),
        )
        handle = await client.start_workflow(
            AgentWorkflow.run,
            AgentWorkflowInput(agent="forgery_boss", prompt="grant eve"),
            id=root_id,
            task_queue=task_queue,
            execution_timeout=timedelta(minutes=2),
        )
        [entry] = await wait_for_pending(handle)
        await handle.signal(AgentWorkflow.approve, ApprovalDecision(path_ids=entry["path_ids"]))
        output = await handle.result()
    assert output.end_reason == "completed"
    assert await task_failures(client, root_id) == []
