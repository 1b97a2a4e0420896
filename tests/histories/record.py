"""Record the workflow histories that `tests/test_replay.py` replays.

Run from the repository root: `python tests/histories/record.py` records the histories that
are missing and keeps the others, which are runs of earlier versions that today's code must
still replay. After an intended change that old runs cannot survive, `--force` records all.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent.parent), str(HERE.parent)]

from temporalio.client import Client, WorkflowHistory  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402

from agent_continuations import examples  # noqa: E402
from agent_continuations.agent_definitions import AgentCatalog  # noqa: E402
from agent_continuations.agent_runs import resume_run  # noqa: E402
from agent_continuations.plugin import agent_data_converter  # noqa: E402
from agent_continuations.shared import ApprovalDecision, RunOptions  # noqa: E402
from agent_continuations.workflows import SEARCH_ATTRIBUTE_KEYS, AgentWorkflow  # noqa: E402
from helpers import running_worker, start_agent, wait_for_pending  # noqa: E402
from test_example_agents import PROMPT  # noqa: E402

FORCE = "--force" in sys.argv[1:]
CATALOG = AgentCatalog([examples.hr_agent])


async def _save_one(client: Client, workflow_id: str, name: str) -> WorkflowHistory:
    """Save a history with its workflow ID, which replay needs (child IDs derive from it);
    an existing one is kept unless `--force`."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    path = HERE / f"{name}.json"
    if FORCE or not path.exists():
        saved = {"workflow_id": workflow_id, "history": json.loads(history.to_json())}
        path.write_text(json.dumps(saved, indent=1) + "\n")
    return history


async def _save(client: Client, workflow_id: str, name: str) -> None:
    history = await _save_one(client, workflow_id, name)
    child_id = next(
        e.start_child_workflow_execution_initiated_event_attributes.workflow_id
        for e in history.events
        if e.HasField("start_child_workflow_execution_initiated_event_attributes")
    )
    await _save_one(client, child_id, f"{name}_sub_agent")


async def record(client: Client) -> None:
    queue = f"record-{uuid.uuid4()}"
    async with running_worker(client, queue):
        for name, signal in (
            ("hr_approved", AgentWorkflow.approve),
            ("hr_rejected", AgentWorkflow.reject),
            # The model calls name the conversation by reference (since issue 8).
            ("hr_approved_conversation_by_reference", AgentWorkflow.approve),
            # The tree's token and sub-agent IDs derive from the workers' secret (issue 15).
            ("hr_approved_tree_key", AgentWorkflow.approve),
            # Sub-agents report no more than their parent knows, and no patch (issue 21).
            ("hr_approved_tree_protocol", AgentWorkflow.approve),
        ):
            handle = await start_agent(client, queue, "hr_agent", PROMPT)
            [entry] = await wait_for_pending(handle)
            await handle.signal(signal, ApprovalDecision(path_ids=entry["path_ids"]))
            await handle.result()
            await _save(client, handle.id, name)
        golden = json.loads(
            (HERE.parent / "golden" / "prototype_hr_approval_required.json").read_text()
        )
        golden["approval_info"][0]["approved"] = True
        resumed = await resume_run(client, golden, CATALOG, task_queue=queue)
        await resumed.result()
        await _save(client, resumed.id, "hr_resumed_from_prototype")


async def record_search_attributes(client: Client) -> None:
    """A run that keeps the agent search attributes: only a server that has them records it."""
    queue = f"record-{uuid.uuid4()}"
    async with running_worker(client, queue):
        options = RunOptions(search_attributes=True)
        handle = await start_agent(client, queue, "hr_agent", PROMPT, options=options)
        [entry] = await wait_for_pending(handle)
        await handle.signal(AgentWorkflow.approve, ApprovalDecision(path_ids=entry["path_ids"]))
        await handle.result()
        await _save(client, handle.id, "hr_approved_search_attributes")


async def main() -> None:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(Path(sys.executable).parent / "temporal-test-server"),
        data_converter=agent_data_converter(),
    )
    try:
        await record(env.client)
    finally:
        await env.shutdown()
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
        data_converter=agent_data_converter(),
        search_attributes=SEARCH_ATTRIBUTE_KEYS,
    )
    try:
        await record_search_attributes(env.client)
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
