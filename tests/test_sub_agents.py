"""Sub-agents as child workflows: decisions sent to the root reach calls at any depth."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from agent_continuations.agent_definitions import Agent, tool
from agent_continuations.shared import ApprovalDecision, DecideInput
from agent_continuations.workflows import AgentWorkflow
from helpers import running_worker, start_agent, tool_call, tool_results, wait_for_pending


@tool(needs_approval=True)
def delete_account(username: str) -> str:
    """Delete an account for good."""
    return f"deleted {username}"


leaf = Agent(name="chain_leaf", instructions="Delete accounts.", tools=[delete_account])
mid = Agent(name="chain_mid", instructions="Delegate.", sub_agents=[leaf])
top = Agent(name="chain_top", instructions="Delegate.", sub_agents=[mid])
top_tells = Agent(
    name="chain_top_tells", instructions="Delegate.", sub_agents=[mid], on_reject="tell_model"
)
AGENTS = [top, top_tells]

SCRIPTS = {
    "chain_top": [
        {"tool_calls": [tool_call("chain_mid_tool", prompt="remove bob")]},
        {"content": "top done"},
    ],
    "chain_mid": [
        {"tool_calls": [tool_call("chain_leaf_tool", prompt="delete bob")]},
        {"content": "mid done"},
    ],
    "chain_leaf": [
        {"tool_calls": [tool_call("delete_account", username="bob")]},
        {"content": "bob deleted"},
    ],
}
SCRIPTS["chain_top_tells"] = SCRIPTS["chain_top"]
PATHS = ["chain_mid_tool", "chain_leaf_tool", "delete_account"]


async def _decide_leaf(client: Client, task_queue: str, agent: str, approved: bool):
    async with running_worker(client, task_queue, SCRIPTS, agents=AGENTS):
        handle = await start_agent(client, task_queue, agent, "remove bob")
        [entry] = await wait_for_pending(handle)
        assert entry["paths"] == PATHS
        assert len(entry["path_ids"]) == 3
        answer = await handle.execute_update(
            AgentWorkflow.decide,
            DecideInput(path_ids=entry["path_ids"], approved=approved, approver="dana"),
        )
        assert answer.startswith("approved" if approved else "rejected")
        assert await handle.query(AgentWorkflow.pending_approvals) == []
        return entry, await handle.result()


async def test_three_level_chain_approved_at_root(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    entry, output = await _decide_leaf(time_skipping_env.client, task_queue, "chain_top", True)
    assert output.end_reason == "completed"
    assert output.result == "top done"
    assert tool_results(output) == {"chain_mid_tool": "mid done"}
    [decision] = output.decisions
    assert decision.paths == PATHS and decision.path_ids == entry["path_ids"]
    assert decision.approver == "dana"


async def test_rejection_deep_down_ends_every_level(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    _, output = await _decide_leaf(time_skipping_env.client, task_queue, "chain_top", False)
    assert output.end_reason == "rejected_tool_calls"
    assert [tc["function"]["name"] for tc in output.rejected_tool_calls or []] == ["chain_mid_tool"]
    assert output.messages[-1]["role"] == "tool"


async def test_rejection_deep_down_told_to_a_tell_model_parent(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    client = time_skipping_env.client
    _, output = await _decide_leaf(client, task_queue, "chain_top_tells", False)
    assert output.end_reason == "completed"
    assert "chain_leaf_tool were rejected" in tool_results(output)["chain_mid_tool"]


async def test_sub_agent_call_ids_route_by_bare_id(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, SCRIPTS, agents=AGENTS):
        handle = await start_agent(client, task_queue, "chain_top", "remove bob")
        [entry] = await wait_for_pending(handle)
        [call] = (await handle.query(AgentWorkflow.get_state)).turn_calls
        await handle.signal(
            AgentWorkflow.approve, ApprovalDecision(tool_call_id=entry["path_ids"][-1])
        )
        output = await handle.result()
    assert output.end_reason == "completed"
    # The child's ID cannot be guessed before it starts, and the parent's state names it.
    assert call.child_workflow_id is not None
    prefix, random_part = call.child_workflow_id.rsplit("-", 1)
    assert prefix == f"{handle.id}/{entry['path_ids'][0]}" and len(random_part) == 12
    child = await client.get_workflow_handle(call.child_workflow_id).describe()
    assert child.parent_id == handle.id
