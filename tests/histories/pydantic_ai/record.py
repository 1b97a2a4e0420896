"""Record the Pydantic AI runs' histories that `tests/test_pydantic_ai_replay.py` replays.

Run from the repository root: `python tests/histories/pydantic_ai/record.py` records those
missing and keeps the others (`--force` records all).
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[2]), str(HERE.parents[1])]

from temporalio.client import Client  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402

import pydantic_ai_agents as pa  # noqa: E402
from agent_continuations.plugin import agent_data_converter  # noqa: E402
from agent_continuations.shared import ApprovalDecision  # noqa: E402
from agent_continuations.workflows import AgentWorkflow  # noqa: E402
from helpers import running_worker, start_agent, wait_for_pending  # noqa: E402

FORCE = "--force" in sys.argv[1:]


async def _save(client: Client, workflow_id: str, name: str) -> None:
    path = HERE / f"{name}.json"
    if FORCE or not path.exists():
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        saved = {"workflow_id": workflow_id, "history": json.loads(history.to_json())}
        path.write_text(json.dumps(saved, indent=1) + "\n")


async def record(client: Client) -> None:
    queue = f"record-{uuid.uuid4()}"
    async with running_worker(client, queue, {}, agents=pa.AGENTS):
        # A tool that raised ApprovalRequired while it ran, approved, run again.
        handle = await start_agent(client, queue, "payouts", "Pay out.")
        await wait_for_pending(handle)
        await handle.signal(AgentWorkflow.approve, ApprovalDecision(tool_call_id="c_big"))
        await handle.result()
        await _save(client, handle.id, "payouts_approval_required")
        # A refund with deps and an approval, and a ModelRetry.
        for agent, name in (("refunds", "refunds_approved"), ("stock_agent", "stock_retry")):
            handle = await start_agent(client, queue, agent, "Go.")
            if agent == "refunds":
                await wait_for_pending(handle)
                await handle.signal(AgentWorkflow.approve, ApprovalDecision(tool_call_id="c_r"))
            await handle.result()
            await _save(client, handle.id, name)


async def main() -> None:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(Path(sys.executable).parent / "temporal-test-server"),
        data_converter=agent_data_converter(),
    )
    try:
        await record(env.client)
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
