"""Benchmark: one scripted agent for N turns on the time-skipping server; prints numbers.

Usage: python benchmarks/long_run.py [--turns 200] [--history-limit 2000]

Prints wall time, time per turn, the runs continue-as-new made, and the events and bytes of
history per run: the baseline for passing the conversation by reference instead of by value.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from temporalio.contrib.pydantic import pydantic_data_converter  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

from agent_definitions import Agent, register, tool  # noqa: E402
from payloads import AgentWorkflowInput, RunOptions  # noqa: E402
from plugin import AgentPlugin  # noqa: E402
from workflows import AgentWorkflow  # noqa: E402


@tool
def step(n: int) -> str:
    """Record a step."""
    return f"step {n} done"


def script(turns: int) -> Any:
    def reply(messages: list[dict[str, Any]]) -> dict[str, Any]:
        done = sum(1 for m in messages if m["role"] == "tool")
        if done < turns:
            return {"tool_calls": [{"name": "step", "arguments": {"n": done + 1}}]}
        return {"content": f"finished {done} steps"}

    return reply


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--history-limit", type=int, default=2000)
    args = parser.parse_args()
    register(Agent(name="bench_stepper", instructions="Step until done.", tools=[step]))
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(Path(sys.executable).parent / "temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    queue = f"bench-{uuid.uuid4()}"
    client = env.client
    try:
        plugin = AgentPlugin(scripts={"bench_stepper": script(args.turns)})
        async with Worker(client, task_queue=queue, plugins=[plugin]):
            started = time.perf_counter()
            handle = await client.start_workflow(
                AgentWorkflow.run,
                AgentWorkflowInput(
                    agent="bench_stepper",
                    prompt="go",
                    options=RunOptions(
                        history_event_limit=args.history_limit, max_turns=args.turns + 1
                    ),
                ),
                id=f"bench-{queue}",
                task_queue=queue,
                execution_timeout=timedelta(hours=1),
            )
            output = await handle.result()
            elapsed = time.perf_counter() - started
        runs: list[tuple[int, int]] = []
        run_id: str | None = handle.first_execution_run_id
        while run_id:
            history = await client.get_workflow_handle(handle.id, run_id=run_id).fetch_history()
            runs.append((len(history.events), sum(e.ByteSize() for e in history.events)))
            attributes = history.events[-1].workflow_execution_continued_as_new_event_attributes
            run_id = attributes.new_execution_run_id or None
    finally:
        await env.shutdown()
    print(f"end_reason          {output.end_reason}")
    print(f"turns               {args.turns}")
    print(f"wall time           {elapsed:.1f} s")
    print(f"per turn            {1000 * elapsed / args.turns:.1f} ms")
    print(f"runs (CAN chain)    {len(runs)}")
    print(f"max events per run  {max(events for events, _ in runs)}")
    print(f"max bytes per run   {max(size for _, size in runs) / 1e6:.2f} MB")
    print(f"total history bytes {sum(size for _, size in runs) / 1e6:.2f} MB")


if __name__ == "__main__":
    asyncio.run(main())
