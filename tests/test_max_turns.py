"""A model that never stops calling tools is bounded: `max_turns` suspends its agent."""

from __future__ import annotations

from typing import Any

from temporalio.testing import WorkflowEnvironment

from agent_continuations.agent_definitions import Agent, tool
from agent_continuations.shared import BudgetInput, ResumeSignalInput, RunOptions
from agent_continuations.workflows import AgentWorkflow
from helpers import query_until, running_worker, start_agent


@tool
def poll(n: int) -> str:
    """Poll once more."""
    return f"polled {n}"


def forever(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """A runaway model: one more tool call, every turn."""
    turn = sum(1 for m in messages if m["role"] == "assistant")
    return {"tool_calls": [{"name": "poll", "arguments": {"n": turn}}]}


AGENTS = [
    Agent(name="runaway", instructions="Poll.", tools=[poll], max_turns=3),
    Agent(name="runaway_default", instructions="Poll.", tools=[poll]),
]
SCRIPTS = {"runaway": forever, "runaway_default": forever}


async def test_max_turns_suspends_and_a_new_budget_goes_on(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, SCRIPTS, agents=AGENTS):
        handle = await start_agent(client, task_queue, "runaway", "poll")
        state = await query_until(handle, AgentWorkflow.get_state, lambda s: bool(s.suspend_list))
        assert (state.suspend_list, state.model_turns) == (["max_turns"], 3)
        metadata = await handle.query(AgentWorkflow.get_continuation)
        assert metadata["end_reason"] == "suspended"
        assert metadata["suspend_list"] == ["max_turns"]
        await handle.signal(AgentWorkflow.resume, ResumeSignalInput(budget=BudgetInput(turns=2)))
        state = await query_until(
            handle, AgentWorkflow.get_state, lambda s: s.model_turns == 5 and bool(s.suspend_list)
        )
        assert state.suspend_list == ["max_turns"]
        await handle.terminate("test done")


async def test_the_run_overrides_the_agents_budget_and_can_exit(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, SCRIPTS, agents=AGENTS):
        handle = await start_agent(
            client,
            task_queue,
            "runaway_default",
            "poll",
            options=RunOptions(max_turns=2, exit_on_suspend=True),
        )
        output = await handle.result()
    assert output.end_reason == "suspended"
    assert output.suspend_list == ["max_turns"]
    assert output.continuation is not None
    assert sum(1 for m in output.messages if m["role"] == "assistant") == 2


async def test_the_default_budget_is_fifty_turns(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, SCRIPTS, agents=AGENTS):
        handle = await start_agent(
            client, task_queue, "runaway_default", "poll", options=RunOptions(exit_on_suspend=True)
        )
        output = await handle.result()
    assert output.suspend_list == ["max_turns"]
    assert sum(1 for m in output.messages if m["role"] == "assistant") == 50


async def test_starter_start_takes_max_turns(dev_server_env, task_queue, starter):
    async with running_worker(dev_server_env.client, task_queue, SCRIPTS, agents=AGENTS):
        code, out, _ = await starter("start", "runaway_default", "poll", "--max-turns", "2")
        assert code == 0
        handle = dev_server_env.client.get_workflow_handle(out.strip())
        state = await query_until(handle, AgentWorkflow.get_state, lambda s: bool(s.suspend_list))
        assert (state.suspend_list, state.model_turns) == (["max_turns"], 2)
        await handle.terminate("test done")
        code, _, err = await starter("start", "runaway_default", "poll", "--max-turns", "0")
        assert code == 2 and "give at least 1 turn, not '0'" in err
