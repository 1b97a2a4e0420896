"""Benchmark: an agent doing N turns (one model call, one 1 KB tool result each) beside a bare
workflow running the same 2N activities with the same results.

Usage: python benchmarks/turns.py --address HOST:PORT --model-url URL [--turns 10,100,1000]
                                  [--json OUT.json]

Both sides call the loopback model (`benchmarks/loopback_model.py`, model `turns-N`) through
the real `openai` client. The agent sends the conversation, as an agent must; the bare
workflow's model activity sends only stubs the loopback model counts, and its history holds
nothing but the activities' results. Prints ms and history bytes per turn for both.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openai  # noqa: E402
from temporalio import activity  # noqa: E402
from temporalio.client import Client  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

from agent_continuations.activities import ModelActivities  # noqa: E402
from agent_continuations.agent_definitions import Agent, tool  # noqa: E402
from agent_continuations.connection import connect  # noqa: E402
from agent_continuations.plugin import AgentPlugin  # noqa: E402
from agent_continuations.shared import AgentWorkflowInput, RunOptions  # noqa: E402
from agent_continuations.workflows import AgentWorkflow  # noqa: E402
from benchmarks.bare_turns import BareLookupInput, BareModelInput, BareTurns  # noqa: E402
from benchmarks.history_bytes import chain_history  # noqa: E402
from benchmarks.loopback_model import lookup_result  # noqa: E402

RUN_TIMEOUT = timedelta(minutes=15)


@tool(name="lookup")
def bench_lookup(query: str) -> str:
    """Look something up."""
    return lookup_result(query)


AGENTS = [Agent(name="bench_researcher", instructions="Look things up.", tools=[bench_lookup])]


class BareActivities:
    """The bare workflow's activities: the same model server and the same tool results."""

    def __init__(self, model_url: str) -> None:
        self._client = openai.AsyncOpenAI(api_key="bench", base_url=model_url, max_retries=0)

    @activity.defn(name="bare_model")
    async def bare_model(self, input: BareModelInput) -> dict[str, Any]:
        """Ask the loopback model for the next message (it counts the tool messages)."""
        stubs: list[Any] = [{"role": "tool", "tool_call_id": "c", "content": ""}] * input.answered
        completion = await self._client.chat.completions.create(
            model=input.model, messages=[{"role": "user", "content": "go"}, *stubs]
        )
        return completion.choices[0].message.model_dump(mode="json")

    @activity.defn(name="bare_lookup")
    async def bare_lookup(self, input: BareLookupInput) -> str:
        """The same tool result as the agent's `lookup`."""
        return lookup_result(input.query)


async def _measure(client: Client, turns: int, start: Any) -> dict[str, Any]:
    """Run one side for `turns` turns; its time and history."""
    started = time.perf_counter()
    handle = await start()
    await handle.result()
    seconds = time.perf_counter() - started
    history = await chain_history(
        client,
        handle.id,
        handle.first_execution_run_id,
        model_activity="call_model" if handle.id.startswith("agent") else "bare_model",
    )
    measured: dict[str, Any] = {
        "seconds": round(seconds, 2),
        "ms_per_turn": round(1000 * seconds / turns, 1),
        "history_bytes": history.bytes,
        "history_bytes_per_turn": round(history.bytes / turns),
        "events": history.events,
        "runs": history.runs,
        "largest_event_bytes": history.largest_event,
    }
    if turns >= 20:
        measured["bytes_per_turn_first_10"] = round(history.bytes_per_turn(0, 10))
        measured["bytes_per_turn_last_10"] = round(history.bytes_per_turn(turns - 10, turns))
        measured["bytes_per_turn_last_100"] = round(
            history.bytes_per_turn(max(0, turns - 100), turns)
        )
    return measured


async def run(address: str, model_url: str, turn_counts: list[int]) -> dict[str, Any]:
    """Both sides at each N; returns `{"turns": {N: {"agent": ..., "bare": ..., ratios}}}`."""
    models = ModelActivities(base_url=model_url, api_key="bench")
    client = await connect(address, plugin=AgentPlugin(AGENTS, model_activities=models))
    queue = f"bench-turns-{uuid.uuid4()}"
    bare = BareActivities(model_url)
    results: dict[str, Any] = {}
    async with Worker(
        client,
        task_queue=queue,
        workflows=[BareTurns],
        activities=[bare.bare_model, bare.bare_lookup],
    ):
        for turns in turn_counts:

            async def agent(turns: int = turns) -> Any:
                return await client.start_workflow(
                    AgentWorkflow.run,
                    AgentWorkflowInput(
                        agent="bench_researcher",
                        prompt="look things up",
                        model=f"turns-{turns}",
                        options=RunOptions(max_turns=turns + 1),
                    ),
                    id=f"agent-{queue}-{turns}",
                    task_queue=queue,
                    execution_timeout=RUN_TIMEOUT,
                )

            async def bare_run(turns: int = turns) -> Any:
                return await client.start_workflow(
                    BareTurns.run,
                    f"turns-{turns}",
                    id=f"bare-{queue}-{turns}",
                    task_queue=queue,
                    execution_timeout=RUN_TIMEOUT,
                )

            ours = await _measure(client, turns, agent)
            base = await _measure(client, turns, bare_run)
            results[str(turns)] = {
                "agent": ours,
                "bare": base,
                "bytes_ratio": round(ours["history_bytes"] / base["history_bytes"], 2),
                "time_ratio": round(ours["seconds"] / base["seconds"], 2),
            }
            print(f"turns {turns}: {json.dumps(results[str(turns)])}", file=sys.stderr)
    return {"turns": results}


def print_table(results: dict[str, Any]) -> None:
    """The turns table: one row per N."""
    print(
        f"{'turns':>6} {'agent ms/turn':>13} {'bare ms/turn':>12} {'agent B/turn':>12} "
        f"{'bare B/turn':>11} {'bytes ratio':>11} {'runs':>4}"
    )
    for turns, row in results["turns"].items():
        agent, bare = row["agent"], row["bare"]
        print(
            f"{turns:>6} {agent['ms_per_turn']:>13} {bare['ms_per_turn']:>12} "
            f"{agent['history_bytes_per_turn']:>12} {bare['history_bytes_per_turn']:>11} "
            f"{row['bytes_ratio']:>11} {agent['runs']:>4}"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", required=True)
    parser.add_argument("--model-url", required=True)
    parser.add_argument("--turns", default="10,100,1000")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = await run(args.address, args.model_url, [int(n) for n in args.turns.split(",")])
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
