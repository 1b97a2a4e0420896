"""Bugs in an agent's own code that runs inside the workflow (approval predicates, suspension
policies, argument validators) never fail a workflow task, and never let a call through."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator
from temporalio.testing import WorkflowEnvironment

from agent_continuations.agent_definitions import Agent, CustomPolicy, tool
from agent_continuations.shared import ApprovalDecision
from agent_continuations.workflows import AgentWorkflow
from helpers import (
    query_until,
    running_worker,
    start_agent,
    task_failures,
    tool_call,
    tool_results,
    wait_for_pending,
)


def broken_predicate(arguments: Any) -> bool:
    raise KeyError("amount")


@tool(needs_approval=broken_predicate)
def refund(order: str) -> str:
    """Refund an order."""
    return f"refunded {order}"


def explode(value: Any) -> Any:
    raise TypeError("validator bug")


@tool
def lookup(key: Annotated[str, BeforeValidator(explode)]) -> str:
    """Look a key up."""
    return key


def broken_check(status: Any) -> bool:
    return 1 / 0 > 0


AGENTS = [
    Agent(name="buggy_refunds", instructions="Refund.", tools=[refund, lookup]),
    Agent(
        name="buggy_policy",
        instructions="Look up.",
        tools=[lookup],
        suspension_policies=[CustomPolicy("broken", broken_check)],
    ),
]
SCRIPTS: dict[str, Any] = {
    "buggy_refunds": [
        {"tool_calls": [tool_call("refund", order="A1"), tool_call("lookup", key="k")]},
        {"tool_calls": [tool_call("lookup", key=str(i)) for i in range(101)]},
    ],
    "buggy_policy": [{"content": "never reached"}],
}


async def test_a_raising_predicate_asks_a_person_and_a_raising_validator_is_an_error(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, SCRIPTS, agents=AGENTS):
        handle = await start_agent(client, task_queue, "buggy_refunds", "refund A1")
        [entry] = await wait_for_pending(handle)
        assert entry["paths"] == ["refund"]  # the predicate raised: a person decides
        await handle.signal(AgentWorkflow.approve, ApprovalDecision(path_ids=entry["path_ids"]))
        output = await handle.result()
    results = tool_results(output)
    assert results["refund"] == "refunded A1"
    assert results["lookup"] == "Error: arguments of lookup cannot be checked: validator bug"
    # The next reply asks for 101 calls at once: refused, the run ends with the reason.
    assert output.end_reason == "error"
    assert output.error == (
        "the model's reply is malformed: 101 tool calls in one reply, over the 100 a turn may make"
    )
    assert await task_failures(client, handle.id) == []


async def test_a_raising_policy_suspends_the_level(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, SCRIPTS, agents=AGENTS):
        handle = await start_agent(client, task_queue, "buggy_policy", "go")
        state = await query_until(handle, AgentWorkflow.get_state, lambda s: bool(s.suspend_list))
        assert state.suspend_list == ["broken"]
        assert await task_failures(client, handle.id) == []
        await handle.terminate("test done")
