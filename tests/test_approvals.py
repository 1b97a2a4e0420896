"""Approving and rejecting calls of a single agent, edited arguments, parallel waits, timeouts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio.testing import WorkflowEnvironment

from agent_continuations.agent_definitions import Agent, tool
from agent_continuations.shared import ApprovalDecision
from agent_continuations.workflows import AgentWorkflow
from helpers import (
    query_until,
    running_worker,
    start_agent,
    tool_call,
    tool_results,
    wait_for_pending,
)


@tool(needs_approval=lambda args: args["amount"] > 10000)
def transfer(account: str, amount: int) -> str:
    """Move money to an account.

    Args:
        account: Destination account.
        amount: Amount in cents.
    """
    return f"moved {amount} to {account}"


@tool
def lookup(account: str) -> str:
    """Look an account up."""
    return f"{account} is open"


AGENTS = [
    Agent(name="bank_end", instructions="Move money.", tools=[transfer, lookup]),
    Agent(
        name="bank_tell",
        instructions="Move money.",
        tools=[transfer, lookup],
        on_reject="tell_model",
    ),
    Agent(
        name="bank_timeout",
        instructions="Move money.",
        tools=[transfer],
        on_reject="tell_model",
        approval_timeout=timedelta(hours=24),
    ),
]

BIG = {"tool_calls": [tool_call("transfer", account="acme", amount=50000)]}
DONE = {"content": "done"}


def scripts(agent: str, *replies: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {agent: list(replies)}


async def test_small_amount_needs_no_approval(time_skipping_env: WorkflowEnvironment, task_queue):
    client = time_skipping_env.client
    small = {"tool_calls": [tool_call("transfer", account="acme", amount=500)]}
    async with running_worker(client, task_queue, scripts("bank_end", small, DONE), agents=AGENTS):
        output = await (await start_agent(client, task_queue, "bank_end", "pay")).result()
    assert tool_results(output) == {"transfer": "moved 500 to acme"}
    assert output.decisions == []


async def test_approve_runs_the_call(time_skipping_env: WorkflowEnvironment, task_queue):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, scripts("bank_end", BIG, DONE), agents=AGENTS):
        handle = await start_agent(client, task_queue, "bank_end", "pay")
        [entry] = await wait_for_pending(handle)
        assert entry["paths"] == ["transfer"]
        assert entry["tool_call"]["function"]["arguments"] == '{"account": "acme", "amount": 50000}'
        await handle.signal(
            AgentWorkflow.approve,
            ApprovalDecision(
                tool_call_id=entry["path_ids"][0], approver="bob", reason="known payee"
            ),
        )
        output = await handle.result()
    assert output.end_reason == "completed"
    assert tool_results(output) == {"transfer": "moved 50000 to acme"}
    [decision] = output.decisions
    assert (decision.approved, decision.approver, decision.reason) == (True, "bob", "known payee")


async def test_reject_ends_the_run_by_default(time_skipping_env: WorkflowEnvironment, task_queue):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, scripts("bank_end", BIG, DONE), agents=AGENTS):
        handle = await start_agent(client, task_queue, "bank_end", "pay")
        [entry] = await wait_for_pending(handle)
        await handle.signal(
            AgentWorkflow.reject,
            ApprovalDecision(tool_call_id=entry["path_ids"][0], reason="too much"),
        )
        output = await handle.result()
    assert output.end_reason == "rejected_tool_calls"
    assert [tc["id"] for tc in output.rejected_tool_calls or []] == entry["path_ids"]
    # Every call the model made is answered, so the messages stay valid for the API.
    assert output.messages[-1]["role"] == "tool"
    assert output.messages[-1]["content"] == "Rejected: too much. The call did not run."


async def test_reject_with_tell_model_goes_on(time_skipping_env: WorkflowEnvironment, task_queue):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, scripts("bank_tell", BIG, DONE), agents=AGENTS):
        handle = await start_agent(client, task_queue, "bank_tell", "pay")
        [entry] = await wait_for_pending(handle)
        await handle.signal(
            AgentWorkflow.reject,
            ApprovalDecision(tool_call_id=entry["path_ids"][0], reason="no", approver="carol"),
        )
        output = await handle.result()
    assert output.end_reason == "completed"
    assert tool_results(output) == {"transfer": "Rejected by carol: no. The call did not run."}


async def test_approve_with_edited_arguments(time_skipping_env: WorkflowEnvironment, task_queue):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, scripts("bank_end", BIG, DONE), agents=AGENTS):
        handle = await start_agent(client, task_queue, "bank_end", "pay")
        [entry] = await wait_for_pending(handle)
        await handle.signal(
            AgentWorkflow.approve,
            ApprovalDecision(
                tool_call_id=entry["path_ids"][0], arguments={"account": "acme", "amount": 20000}
            ),
        )
        output = await handle.result()
    result = tool_results(output)["transfer"]
    assert result.endswith("moved 20000 to acme")
    assert "edited the arguments" in result
    assert output.decisions[0].edited_arguments == {"account": "acme", "amount": 20000}


async def test_one_call_waits_while_another_runs(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    client = time_skipping_env.client
    both = {
        "tool_calls": [
            tool_call("transfer", account="acme", amount=50000),
            tool_call("lookup", account="acme"),
        ]
    }
    async with running_worker(client, task_queue, scripts("bank_end", both, DONE), agents=AGENTS):
        handle = await start_agent(client, task_queue, "bank_end", "pay")
        [entry] = await wait_for_pending(handle)
        state = await handle.query(AgentWorkflow.get_state)
        assert {c.name: c.status for c in state.turn_calls}["transfer"] == "waiting_approval"
        # The lookup needs no approval, so it finishes while the transfer waits.
        state = await query_until(
            handle,
            AgentWorkflow.get_state,
            lambda s: {c.name: c.status for c in s.turn_calls}["lookup"] == "done",
        )
        assert {c.name: c.status for c in state.turn_calls}["transfer"] == "waiting_approval"
        await handle.signal(
            AgentWorkflow.approve, ApprovalDecision(tool_call_id=entry["path_ids"][0])
        )
        output = await handle.result()
    assert tool_results(output) == {"transfer": "moved 50000 to acme", "lookup": "acme is open"}


async def test_approval_times_out(own_time_skipping_env: WorkflowEnvironment, task_queue):
    client = own_time_skipping_env.client
    async with running_worker(
        client, task_queue, scripts("bank_timeout", BIG, DONE), agents=AGENTS
    ):
        handle = await start_agent(
            client, task_queue, "bank_timeout", "pay", execution_timeout=timedelta(days=7)
        )
        await wait_for_pending(handle)
        await own_time_skipping_env.sleep(timedelta(hours=25))
        output = await handle.result()
    assert output.end_reason == "completed"
    assert tool_results(output) == {"transfer": "Rejected: timed out. The call did not run."}
    [decision] = output.decisions
    assert (decision.approved, decision.reason) == (False, "timed out")
