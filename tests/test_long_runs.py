"""A 500-turn agent continues-as-new; no run's history grows past a few thousand events."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from temporalio.testing import WorkflowEnvironment

from agent_continuations.agent_definitions import Agent, tool
from agent_continuations.shared import RunOptions
from helpers import running_worker, start_agent

TURNS = 500
HISTORY_LIMIT = 1000


@tool
def step(n: int) -> str:
    """Record a step."""
    return f"step {n} done"


AGENTS = [Agent(name="marathon", instructions="Step until done.", tools=[step])]


def marathon_script(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """One `step` call per turn until TURNS steps are answered, then a final answer."""
    done = sum(1 for m in messages if m["role"] == "tool")
    if done < TURNS:
        return {"tool_calls": [{"name": "step", "arguments": {"n": done + 1}}]}
    return {"content": f"finished {done} steps"}


async def test_five_hundred_turns_continue_as_new(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, {"marathon": marathon_script}, agents=AGENTS):
        handle = await start_agent(
            client,
            task_queue,
            "marathon",
            "go",
            execution_timeout=timedelta(minutes=10),
            options=RunOptions(history_event_limit=HISTORY_LIMIT, max_turns=TURNS + 1),
        )
        output = await handle.result()
        runs: list[int] = []
        run_id: str | None = handle.first_execution_run_id
        while run_id:
            history = await client.get_workflow_handle(handle.id, run_id=run_id).fetch_history()
            runs.append(len(history.events))
            last = history.events[-1]
            attributes = last.workflow_execution_continued_as_new_event_attributes
            run_id = attributes.new_execution_run_id or None
    assert output.end_reason == "completed"
    assert output.result == f"finished {TURNS} steps"
    results = [m["content"] for m in output.messages if m["role"] == "tool"]
    assert results == [f"step {n} done" for n in range(1, TURNS + 1)]
    assert len(runs) > 1, "the run should have continued as new"
    assert max(runs) < HISTORY_LIMIT + 100, runs
    assert json.dumps(output.messages).count('"role": "assistant"') == TURNS + 1
