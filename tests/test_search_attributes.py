"""The root keeps `AgentStatus`, `AgentName`, `AgentWaitingTools` and `AgentWaitingSince`
current through every status; a server without them still runs agents."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

import test_suspension
from agent_continuations.agent_runs import resume_run, with_search_attributes
from agent_continuations.shared import ApprovalDecision, ResumeSignalInput, RunOptions
from agent_continuations.workflows import AgentSearchValues, AgentWorkflow
from helpers import running_worker, start_agent, task_failures, wait_for_pending
from test_example_agents import PROMPT
from test_import import CATALOG, decided
from test_import import SCRIPTS as IMPORT_SCRIPTS

KEPT = RunOptions(search_attributes=True)
GOLDEN = Path(__file__).parent / "golden"


async def values(handle: WorkflowHandle[Any, Any]) -> AgentSearchValues:
    """The run's agent search attributes, as the server has them now."""
    return AgentSearchValues.of((await handle.describe()).typed_search_attributes)


async def values_until(
    handle: WorkflowHandle[Any, Any], done: Callable[[AgentSearchValues], bool]
) -> AgentSearchValues:
    async with asyncio.timeout(30):
        while not done(found := await values(handle)):
            await asyncio.sleep(0.1)
    return found


async def upserts(client: Client, workflow_id: str) -> int:
    """How many upserts of the agent search attributes the workflow's latest run made (the
    SDK's own `TemporalChangeVersion`, which a patch marker sets, is not counted)."""
    kind = EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
    handle = client.get_workflow_handle(workflow_id)
    return len(
        [
            event
            async for event in handle.fetch_history_events()
            if event.event_type == kind
            and set(
                event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
            )
            != {"TemporalChangeVersion"}
        ]
    )


async def test_a_sub_agents_wait_shows_on_the_root_until_approved(dev_server_env, task_queue):
    client = dev_server_env.client
    async with running_worker(client, task_queue):
        handle = await start_agent(client, task_queue, "hr_agent", PROMPT, options=KEPT)
        [entry] = await wait_for_pending(handle)
        waiting = await values_until(handle, lambda v: v.status == "awaiting_approval")
        assert (waiting.name, waiting.waiting_tools) == ("hr_agent", ("authorize_account",))
        assert waiting.waiting_since is not None
        calls = (await handle.query(AgentWorkflow.get_state)).turn_calls
        [child_id] = [c.child_workflow_id for c in calls if c.child_workflow_id]
        child = client.get_workflow_handle(child_id)
        assert await values(child) == AgentSearchValues()  # only the root has them
        await handle.signal(AgentWorkflow.approve, ApprovalDecision(path_ids=entry["path_ids"]))
        assert (await handle.result()).end_reason == "completed"
    assert await values(handle) == AgentSearchValues(status="completed", name="hr_agent")
    # running, awaiting_approval, running again, completed: one upsert per change only.
    assert await upserts(client, handle.id) == 4
    assert await task_failures(client, handle.id, child.id) == []


async def test_a_rejection_ends_rejected(dev_server_env, task_queue):
    client = dev_server_env.client
    async with running_worker(client, task_queue):
        handle = await start_agent(client, task_queue, "hr_agent", PROMPT, options=KEPT)
        [entry] = await wait_for_pending(handle)
        await handle.signal(AgentWorkflow.reject, ApprovalDecision(path_ids=entry["path_ids"]))
        assert (await handle.result()).end_reason == "rejected_tool_calls"
    assert await values(handle) == AgentSearchValues(status="rejected", name="hr_agent")


async def test_suspended_then_resumed(dev_server_env, task_queue):
    client = dev_server_env.client
    async with running_worker(
        client, task_queue, test_suspension.SCRIPTS, agents=test_suspension.AGENTS
    ):
        handle = await start_agent(client, task_queue, "picky", "count", options=KEPT)
        await values_until(handle, lambda v: v.status == "suspended")
        await handle.signal(AgentWorkflow.resume, ResumeSignalInput(budget={"turns": 5}))
        assert (await handle.result()).end_reason == "completed"
    assert await values(handle) == AgentSearchValues(status="completed", name="picky")
    assert await task_failures(client, handle.id) == []


async def test_exit_on_suspend_ends_suspended(dev_server_env, task_queue):
    client = dev_server_env.client
    options = KEPT.model_copy(update={"exit_on_suspend": True})
    async with running_worker(
        client, task_queue, test_suspension.SCRIPTS, agents=test_suspension.AGENTS
    ):
        handle = await start_agent(client, task_queue, "picky", "count", options=options)
        assert (await handle.result()).end_reason == "suspended"
    assert await values(handle) == AgentSearchValues(status="suspended", name="picky")


async def test_an_imported_run_that_waits_is_awaiting_approval(dev_server_env, task_queue):
    client = dev_server_env.client
    data = decided(json.loads((GOLDEN / "prototype_hr_approval_required.json").read_text()), None)
    async with running_worker(client, task_queue, IMPORT_SCRIPTS):
        handle = await resume_run(client, data, CATALOG, task_queue=task_queue, options=KEPT)
        [entry] = await wait_for_pending(handle)
        waiting = await values_until(handle, lambda v: v.status == "awaiting_approval")
        assert waiting.waiting_tools == (entry["tool_call"]["function"]["name"],)
        await handle.signal(AgentWorkflow.approve, ApprovalDecision(path_ids=entry["path_ids"]))
        assert (await handle.result()).end_reason == "completed"
    assert (await values(handle)).status == "completed"


async def test_the_wait_carries_over_continue_as_new(dev_server_env, task_queue):
    client = dev_server_env.client
    options = KEPT.model_copy(update={"history_event_limit": 150})
    async with running_worker(client, task_queue):
        handle = await start_agent(client, task_queue, "hr_agent", PROMPT, options=options)
        [entry] = await wait_for_pending(handle)
        before = await values_until(handle, lambda v: v.status == "awaiting_approval")
        for _ in range(200):
            await handle.signal(AgentWorkflow.approve, {"tool_call_id": "x" * 1000})
        latest = client.get_workflow_handle(handle.id)
        async with asyncio.timeout(30):
            while (await latest.describe()).run_id == handle.first_execution_run_id:
                await asyncio.sleep(0.1)
        assert await wait_for_pending(latest) == [entry]
        assert await values(latest) == before  # the same wait, since the same time
        assert await upserts(client, handle.id) == 0  # carried over, nothing to change
        await latest.signal(AgentWorkflow.approve, ApprovalDecision(path_ids=entry["path_ids"]))
        assert (await handle.result()).end_reason == "completed"
    assert await values(latest) == AgentSearchValues(status="completed", name="hr_agent")
    assert await task_failures(client, handle.id) == []


async def test_an_unknown_agent_ends_in_error(dev_server_env, task_queue):
    client = dev_server_env.client
    async with running_worker(client, task_queue):
        handle = await start_agent(client, task_queue, "nobody", "hi", options=KEPT)
        assert (await handle.result()).end_reason == "error"
    assert await values(handle) == AgentSearchValues(status="error", name="nobody")


async def test_a_server_without_them_warns_and_runs(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    client = time_skipping_env.client
    warnings: list[str] = []
    options = await with_search_attributes(client, RunOptions(), warnings.append)
    assert not options.search_attributes
    [warning] = warnings
    assert "lacks the search attributes AgentStatus, AgentName" in warning
    assert "temporal operator search-attribute create" in warning
    async with running_worker(client, task_queue):
        handle = await start_agent(client, task_queue, "hr_agent", PROMPT, options=options)
        [entry] = await wait_for_pending(handle)
        await handle.signal(AgentWorkflow.approve, ApprovalDecision(path_ids=entry["path_ids"]))
        assert (await handle.result()).end_reason == "completed"
    assert await task_failures(client, handle.id) == []


async def test_the_dev_server_has_them(dev_server_env):
    warnings: list[str] = []
    options = await with_search_attributes(dev_server_env.client, RunOptions(), warnings.append)
    assert options.search_attributes and warnings == []
