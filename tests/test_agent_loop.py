"""The agent loop without approvals: plain answers, parallel tools, bad tool calls."""

from __future__ import annotations

import asyncio

from temporalio.testing import WorkflowEnvironment

from agent_continuations.agent_definitions import Agent, tool
from helpers import running_worker, start_agent, tool_call, tool_results

both_started = asyncio.Event()
arrivals: list[str] = []


@tool
async def first_half(word: str) -> str:
    """Waits until the other tool has started too, so it only passes if both run at once."""
    arrivals.append(word)
    if len(arrivals) == 2:
        both_started.set()
    await asyncio.wait_for(both_started.wait(), timeout=10)
    return word.upper()


second_half = tool(first_half.function, name="second_half")

AGENTS = [
    Agent(name="loop_plain", instructions="Answer briefly."),
    Agent(name="loop_parallel", instructions="Use both tools.", tools=[first_half, second_half]),
]


async def test_agent_without_tools_completes(time_skipping_env: WorkflowEnvironment, task_queue):
    client = time_skipping_env.client
    scripts = {"loop_plain": [{"content": "Hello there."}]}
    async with running_worker(client, task_queue, scripts, agents=AGENTS):
        output = await (await start_agent(client, task_queue, "loop_plain", "Say hello")).result()
    assert output.end_reason == "completed", output.error
    assert output.result == "Hello there."
    assert [m["role"] for m in output.messages] == ["developer", "user", "assistant"]
    assert output.messages[0]["content"] == "Answer briefly."


async def test_tools_without_approval_run_in_parallel(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    client = time_skipping_env.client
    arrivals.clear()
    both_started.clear()
    scripts = {
        "loop_parallel": [
            {
                "tool_calls": [
                    tool_call("first_half", word="ab"),
                    tool_call("second_half", word="cd"),
                ]
            },
            {"content": "ABCD"},
        ]
    }
    async with running_worker(client, task_queue, scripts, agents=AGENTS):
        output = await (await start_agent(client, task_queue, "loop_parallel", "go")).result()
    assert output.end_reason == "completed", output.error
    assert tool_results(output) == {"first_half": "AB", "second_half": "CD"}
    assert sorted(arrivals) == ["ab", "cd"]


async def test_bad_tool_calls_are_answered_with_errors(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    client = time_skipping_env.client
    scripts = {
        "loop_parallel": [
            {"tool_calls": [tool_call("no_such_tool"), tool_call("first_half", word=3)]},
            {"content": "sorry"},
        ]
    }
    async with running_worker(client, task_queue, scripts, agents=AGENTS):
        output = await (await start_agent(client, task_queue, "loop_parallel", "go")).result()
    assert output.end_reason == "completed", output.error
    results = tool_results(output)
    assert results["no_such_tool"] == "Error: there is no tool named 'no_such_tool'"
    assert "do not fit its schema" in results["first_half"] and "word" in results["first_half"]


async def test_unknown_agent_ends_with_error(time_skipping_env: WorkflowEnvironment, task_queue):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, {}, agents=AGENTS):
        output = await (await start_agent(client, task_queue, "nobody", "hi")).result()
    assert output.end_reason == "error"
    assert output.error == "unknown agent 'nobody'"
