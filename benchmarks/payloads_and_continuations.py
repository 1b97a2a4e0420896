"""Benchmark: large payloads, and continuations of a 3-level tree.

Usage: python benchmarks/payloads_and_continuations.py --address HOST:PORT [--json OUT.json]
       [--messages 1000]

1. Big payloads: 50 turns with 100 KB tool results, and one 5 MB tool result, each completing,
   with the bytes recorded in history and kept in the payload store.
2. Continuations: a 3-level tree with about `--messages` messages waits for approval; export
   with `move` (time, size) and import (time until the resumed tree waits again).
The payload store is a fresh directory (or `AGENT_PAYLOAD_STORE` if set).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("AGENT_PAYLOAD_STORE", tempfile.mkdtemp(prefix="bench-payloads-"))

from temporalio.client import Client  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

from agent_continuations.agent_definitions import AgentCatalog  # noqa: E402
from agent_continuations.agent_runs import export_run, resume_run  # noqa: E402
from agent_continuations.connection import connect  # noqa: E402
from agent_continuations.continuations import fold_levels  # noqa: E402
from agent_continuations.plugin import AgentPlugin  # noqa: E402
from agent_continuations.shared import AgentWorkflowInput, RunOptions  # noqa: E402
from agent_continuations.testing import SCRIPTED_MODEL, scripted_model_activities  # noqa: E402
from agent_continuations.workflows import AgentWorkflow  # noqa: E402
from benchmarks.bench_agents import AGENTS, reads, tree_scripts  # noqa: E402
from benchmarks.history_bytes import chain_history  # noqa: E402

RUN_TIMEOUT = timedelta(minutes=10)


def _store_bytes() -> int:
    """Bytes in the local payload store."""
    root = Path(os.environ["AGENT_PAYLOAD_STORE"])
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


async def _reading(client: Client, queue: str, name: str, sizes_kb: list[int]) -> dict[str, Any]:
    """One run of `bench_reader` reading documents of `sizes_kb`; its time and bytes."""
    stored_before = _store_bytes()
    started = time.perf_counter()
    handle = await client.start_workflow(
        AgentWorkflow.run,
        AgentWorkflowInput(
            agent="bench_reader",
            prompt="read",
            options=RunOptions(max_turns=len(sizes_kb) + 1),
        ),
        id=f"bench-{name}-{queue}",
        task_queue=queue,
        execution_timeout=RUN_TIMEOUT,
    )
    output = await handle.result()
    seconds = time.perf_counter() - started
    history = await chain_history(client, handle.id, handle.first_execution_run_id)
    return {
        "end_reason": output.end_reason,
        "seconds": round(seconds, 2),
        "tool_result_bytes": sum(1000 * kb for kb in sizes_kb),
        "history_bytes": history.bytes,
        "largest_event_bytes": history.largest_event,
        "runs": history.runs,
        "store_bytes_added": _store_bytes() - stored_before,
    }


async def _pending(handle: Any, deadline: float) -> list[Any]:
    while time.perf_counter() < deadline:
        pending = await handle.query(AgentWorkflow.pending_approvals)
        if pending:
            return pending
        await asyncio.sleep(0.05)
    raise TimeoutError("the tree never came to wait for approval")


async def _continuations(client: Client, queue: str, messages: int) -> dict[str, Any]:
    """Export and import a waiting 3-level tree of about `messages` messages."""
    handle = await client.start_workflow(
        AgentWorkflow.run,
        AgentWorkflowInput(agent="bench_top", prompt="go", options=RunOptions(max_turns=10_000)),
        id=f"bench-tree-{queue}",
        task_queue=queue,
        execution_timeout=RUN_TIMEOUT,
    )
    await _pending(handle, time.perf_counter() + 600)
    started = time.perf_counter()
    continuation = await export_run(client, handle.id, move=True)  # ends the tree's run
    exported = time.perf_counter() - started
    size = len(json.dumps(continuation))
    counted = _count_messages(continuation)
    started = time.perf_counter()
    resumed = await resume_run(client, continuation, AgentCatalog(AGENTS), task_queue=queue)
    await _pending(resumed, time.perf_counter() + 600)
    imported = time.perf_counter() - started
    await export_run(client, resumed.id, move=True)
    return {
        "levels": 3,
        "messages": counted,
        "export_seconds": round(exported, 3),
        "export_bytes": size,
        "import_seconds": round(imported, 3),
    }


def _count_messages(continuation: dict[str, Any]) -> int:
    """Messages in a continuation's tree, every level counted."""
    return fold_levels(
        continuation["continuation"],
        lambda level, nested: len(level.data.get("messages") or []) + sum(nested.values()),
    )


def _plugin(scripts: dict[str, Any]) -> AgentPlugin:
    models = scripted_model_activities(scripts)
    return AgentPlugin(AGENTS, default_model=SCRIPTED_MODEL, model_activities=models)


async def run(address: str, messages: int) -> dict[str, Any]:
    """Both parts; returns `{"big_payloads": ..., "continuations": ...}`."""
    notes_per_level = max(1, (messages // 3 - 3) // 2)
    scripts = {**tree_scripts(notes_per_level), "bench_reader": reads([100] * 50)}
    client = await connect(address, plugin=_plugin(scripts))
    queue = f"bench-payloads-{uuid.uuid4()}"
    async with Worker(client, task_queue=queue):
        fifty = await _reading(client, queue, "fifty-100kb", [100] * 50)
    scripts["bench_reader"] = reads([5000])
    client = await connect(address, plugin=_plugin(scripts))
    async with Worker(client, task_queue=queue):
        five_mb = await _reading(client, queue, "one-5mb", [5000])
        tree = await _continuations(client, queue, messages)
    return {
        "big_payloads": {"50 x 100 KB": fifty, "1 x 5 MB": five_mb},
        "continuations": tree,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", required=True)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = await run(args.address, args.messages)
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
