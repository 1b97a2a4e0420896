"""Peer benchmark: the N-turn lookup agent on Temporal's OpenAI Agents integration.

Usage: python benchmarks/peer_openai_agents.py --address HOST:PORT --model-url URL
       [--turns 10,100,1000] [--json OUT.json] [--timeout 180]

Runs in its own venv (``make peer-setup``, then ``.venv-peer/bin/python``): it needs the
``openai-agents`` and ``temporalio-openai-agents`` packages, which the project does not use.
It connects to a running Temporal server (namespace ``default``), runs a worker in-process on a
fresh task queue with ``OpenAIAgentsPlugin`` pointed at an OpenAI-compatible chat-completions
server (``benchmarks/loopback_model.py``), and for each N runs one agent whose model is
``turns-N``: N calls of the activity tool ``lookup``, then an answer. For each run it reads the
history (following continue-as-new, should any happen) and reports wall time, events and bytes.
A run that fails or passes ``--timeout`` is recorded with its reason instead of numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

# The Agents SDK would export traces to OpenAI's servers: nothing here may leave the machine.
os.environ.setdefault("OPENAI_AGENTS_DISABLE_TRACING", "1")

from temporalio import activity, workflow  # noqa: E402
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

with workflow.unsafe.imports_passed_through():
    from agents import Agent, RunConfig, Runner  # noqa: E402
    from temporalio.openai_agents.workflow import activity_as_tool  # noqa: E402

    # String operations only: the workflow sandbox re-runs this module and forbids Path.resolve.
    if os.path.dirname(__file__) not in sys.path:
        sys.path.insert(0, os.path.dirname(__file__))
    from loopback_model import lookup_result  # noqa: E402

TOOL_TIMEOUT = timedelta(seconds=30)


@activity.defn(name="lookup")
async def lookup(query: str) -> str:
    """Look an item up: a deterministic 1,000-character answer."""
    return lookup_result(query)


@workflow.defn(name="PeerLookupAgent")
class PeerLookupAgent:
    """An OpenAI Agents SDK agent whose model asks for ``turns`` lookups, then answers."""

    @workflow.run
    async def run(self, turns: int) -> str:
        agent = Agent(
            name="lookup_agent",
            instructions="Look items up until you are done.",
            model=f"turns-{turns}",
            tools=[activity_as_tool(lookup, start_to_close_timeout=TOOL_TIMEOUT)],
        )
        result = await Runner.run(
            agent,
            input=f"Look up {turns} items.",
            max_turns=turns + 5,
            run_config=RunConfig(tracing_disabled=True),
        )
        return str(result.final_output)


async def measure_history(client: Client, workflow_id: str, run_id: str) -> dict[str, Any]:
    """Events, bytes, runs and lookups of a workflow's history from ``run_id`` on, following
    continue-as-new."""
    events = size = runs = lookups = largest = 0
    while True:
        handle: WorkflowHandle[Any, Any] = client.get_workflow_handle(workflow_id, run_id=run_id)
        history = await handle.fetch_history()
        runs += 1
        for event in history.events:
            events += 1
            event_bytes = event.ByteSize()
            size += event_bytes
            largest = max(largest, event_bytes)
            if (
                event.HasField("activity_task_scheduled_event_attributes")
                and event.activity_task_scheduled_event_attributes.activity_type.name == "lookup"
            ):
                lookups += 1
        if not history.events:
            break
        attributes = "workflow_execution_continued_as_new_event_attributes"
        if not history.events[-1].HasField(attributes):
            break
        run_id = getattr(history.events[-1], attributes).new_execution_run_id
    return {
        "events": events,
        "history_bytes": size,
        "largest_event_bytes": largest,
        "runs": runs,
        "lookups": lookups,
    }


def _failure_reason(exc: BaseException) -> str:
    """A workflow failure's chain of causes (termination, timeout, error) in one line."""
    parts = []
    cause: BaseException | None = exc
    while cause is not None:
        parts.append(f"{type(cause).__name__}: {cause}" if str(cause) else type(cause).__name__)
        cause = cause.__cause__
    return ": ".join(parts)


async def run_one(client: Client, queue: str, turns: int, timeout: float) -> dict[str, Any]:
    """Run the agent for ``turns`` lookups; numbers on success, the reason on failure."""
    workflow_id = f"peer-openai-agents-{turns}-{uuid.uuid4().hex[:8]}"
    start = time.perf_counter()
    handle = await client.start_workflow(
        PeerLookupAgent.run,
        turns,
        id=workflow_id,
        task_queue=queue,
        execution_timeout=timedelta(seconds=timeout),
    )
    error: str | None = None
    try:
        result = await asyncio.wait_for(handle.result(), timeout + 30)
        expected = f"done after {turns} lookups"
        if result != expected:
            error = f"unexpected result {result!r} (wanted {expected!r})"
    except WorkflowFailureError as exc:
        error = _failure_reason(exc.cause) if exc.cause else str(exc)
    except TimeoutError:
        error = f"no result within {timeout + 30:.0f} s"
        await handle.terminate("benchmark timeout")
    seconds = time.perf_counter() - start
    assert handle.first_execution_run_id is not None  # set by start_workflow
    stats = await measure_history(client, workflow_id, handle.first_execution_run_id)
    out: dict[str, Any] = {"seconds": round(seconds, 3), **stats}
    if error is not None:
        out["error"] = f"{error} (after {stats['lookups']} of {turns} lookups)"
        return out
    out["ms_per_turn"] = round(seconds * 1000 / turns, 2)
    out["history_bytes_per_turn"] = round(stats["history_bytes"] / turns)
    return out


def _make_plugin(model_url: str) -> Any:
    from agents.models.openai_provider import OpenAIProvider
    from openai import AsyncOpenAI
    from temporalio.openai_agents import ModelActivityParameters, OpenAIAgentsPlugin

    # Temporal owns retries: the client makes one attempt. Chat completions, not Responses.
    provider = OpenAIProvider(
        openai_client=AsyncOpenAI(base_url=model_url, api_key="loopback", max_retries=0),
        use_responses=False,
    )
    params = ModelActivityParameters(start_to_close_timeout=timedelta(seconds=60))
    return OpenAIAgentsPlugin(model_params=params, model_provider=provider)


def _print_table(results: dict[str, dict[str, Any]]) -> None:
    print(f"{'N':>6} {'ms/turn':>9} {'bytes/turn':>11} {'bytes':>12} {'events':>7} {'runs':>4}")
    for n, r in results.items():
        if "error" in r:
            print(f"{n:>6} failed after {r['seconds']:.1f} s: {r['error']}")
            print(f"{'':>6} history so far: {r['history_bytes']:,} bytes, {r['events']} events")
            continue
        print(
            f"{n:>6} {r['ms_per_turn']:>9.1f} {r['history_bytes_per_turn']:>11,}"
            f" {r['history_bytes']:>12,} {r['events']:>7} {r['runs']:>4}"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", default="localhost:7233", help="Temporal server HOST:PORT")
    parser.add_argument("--model-url", required=True, help="OpenAI-compatible base URL")
    parser.add_argument("--turns", default="10,100,1000", help="comma-separated N values")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds allowed per run")
    args = parser.parse_args()
    turns = [int(n) for n in args.turns.split(",") if n.strip()]

    client = await Client.connect(args.address, plugins=[_make_plugin(args.model_url)])
    queue = f"peer-openai-agents-{uuid.uuid4()}"
    results: dict[str, dict[str, Any]] = {}
    async with Worker(client, task_queue=queue, workflows=[PeerLookupAgent], activities=[lookup]):
        for n in turns:
            results[str(n)] = await run_one(client, queue, n, args.timeout)
            print(f"N={n}: {results[str(n)]}", file=sys.stderr, flush=True)
    _print_table(results)
    if args.json:
        args.json.write_text(json.dumps({"peer": results}, indent=2) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
