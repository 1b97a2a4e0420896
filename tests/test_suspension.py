"""Suspension policies: waiting for `resume`, exiting with the continuation, resuming from it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from agent_continuations.agent_definitions import (
    Agent,
    AgentCatalog,
    CustomPolicy,
    EveryNTurns,
    MaxDuration,
    tool,
)
from agent_continuations.agent_runs import export_run, resume_run
from agent_continuations.continuations import (
    ContinuationImportError,
    SealStatus,
    import_continuation,
)
from agent_continuations.shared import ApprovalDecision, ResumeSignalInput, RunOptions
from agent_continuations.workflows import AgentWorkflow
from helpers import (
    query_until,
    running_worker,
    start_agent,
    tool_call,
    tool_results,
    wait_for_pending,
)


@tool(needs_approval=True)
def ship(order: str) -> str:
    """Ship an order."""
    return f"shipped {order}"


@tool
def count(n: int) -> str:
    """Count."""
    return str(n)


slow_shipper = Agent(
    name="slow_shipper",
    instructions="Ship.",
    tools=[ship],
    suspension_policies=[MaxDuration(timedelta(days=2))],
)
counter = Agent(
    name="counter", instructions="Count.", tools=[count], suspension_policies=[EveryNTurns(2)]
)
counter_boss = Agent(name="counter_boss", instructions="Delegate.", sub_agents=[counter])
picky = Agent(
    name="picky",
    instructions="Count.",
    tools=[count],
    suspension_policies=[CustomPolicy("long_chat", lambda s: s.message_count > 4)],
)
mixed_boss = Agent(name="mixed_boss", instructions="Delegate.", sub_agents=[counter, slow_shipper])
AGENTS = [slow_shipper, counter_boss, picky, mixed_boss]
CATALOG = AgentCatalog(AGENTS)

COUNTING = [
    {"tool_calls": [tool_call("count", n=1)]},
    {"tool_calls": [tool_call("count", n=2)]},
    {"content": "counted to 2"},
]
SCRIPTS = {
    "slow_shipper": [{"tool_calls": [tool_call("ship", order="A1")]}, {"content": "shipped"}],
    "counter": COUNTING,
    "picky": COUNTING,
    "counter_boss": [
        {"tool_calls": [tool_call("counter_tool", prompt="count to 2")]},
        {"content": "the counter is done"},
    ],
    "mixed_boss": [
        {
            "tool_calls": [
                tool_call("counter_tool", prompt="count to 2"),
                tool_call("slow_shipper_tool", prompt="ship A1"),
            ]
        },
        {"content": "all done"},
    ],
}


async def test_duration_policy_suspends_after_days_then_resume_signal(
    own_time_skipping_env: WorkflowEnvironment, task_queue
):
    client = own_time_skipping_env.client
    async with running_worker(client, task_queue, SCRIPTS, agents=AGENTS):
        handle = await start_agent(
            client, task_queue, "slow_shipper", "ship A1", execution_timeout=timedelta(days=30)
        )
        [entry] = await wait_for_pending(handle)
        await own_time_skipping_env.sleep(timedelta(days=3))  # nobody decides for three days
        await handle.signal(
            AgentWorkflow.approve, ApprovalDecision(tool_call_id=entry["path_ids"][0])
        )
        exported = await query_until(
            handle, AgentWorkflow.get_continuation, lambda out: out["end_reason"] == "suspended"
        )
        assert exported["suspend_list"] == ["longer_than_172800s"]
        assert exported["continuation"]["messages"][-1]["content"] == "shipped A1"
        await handle.signal(AgentWorkflow.resume, ResumeSignalInput())
        output = await handle.result()
    assert output.end_reason == "completed"
    assert output.result == "shipped"


async def test_custom_policy_and_resume_with_a_new_budget(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, SCRIPTS, agents=AGENTS):
        handle = await start_agent(client, task_queue, "picky", "count")
        state = await query_until(handle, AgentWorkflow.get_state, lambda s: bool(s.suspend_list))
        assert (state.suspend_list, state.model_turns) == (["long_chat"], 2)
        await handle.signal(
            AgentWorkflow.resume, {"budget": {"turns": -1}}
        )  # invalid: logged, ignored
        # An update is handled after the signals sent before it: once it is refused, the
        # invalid resume has been handled too.
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(
                AgentWorkflow.decide, {"tool_call_id": "none", "approved": True}
            )
        state = await handle.query(AgentWorkflow.get_state)
        assert state.suspend_list == ["long_chat"]
        await handle.signal(AgentWorkflow.resume, {"budget": {"turns": 5}})
        output = await handle.result()
    assert output.end_reason == "completed"
    assert output.result == "counted to 2"


async def test_exit_on_suspend_then_resume_from_the_file(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    client = time_skipping_env.client
    key = b"test-key"
    async with running_worker(client, task_queue, SCRIPTS, agents=AGENTS):
        handle = await start_agent(
            client, task_queue, "counter_boss", "count", options=RunOptions(exit_on_suspend=True)
        )
        exited = await handle.result()
        assert exited.end_reason == "approval_required"
        exported = json.loads(json.dumps(await export_run(client, handle.id, key=key)))
        [entry] = exported["approval_info"]
        # A suspended sub-agent shows as an approved entry without a tool call.
        assert entry == {
            "paths": ["counter_tool"],
            "path_ids": entry["path_ids"],
            "approved": True,
        }
        nested = exported["continuation"]["resume_request"][0]["continuation"]
        assert [m["content"] for m in nested["messages"] if m["role"] == "tool"] == ["1", "2"]
        resumed = await resume_run(client, exported, CATALOG, task_queue=task_queue, key=key)
        output = await resumed.result()
    assert output.end_reason == "completed"
    assert tool_results(output) == {"counter_tool": "counted to 2"}


async def test_tampered_sealed_continuation_is_refused(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, SCRIPTS, agents=AGENTS):
        handle = await start_agent(client, task_queue, "slow_shipper", "ship A1")
        await wait_for_pending(handle)
        sealed = await export_run(client, handle.id, key=b"k1")
        await handle.terminate("test over")
    approved = json.loads(json.dumps(sealed))
    approved["approval_info"][0]["approved"] = True
    assert import_continuation(approved, CATALOG, key=b"k1").seal == SealStatus.VALID
    # Approve the shipment, then change what ships: the seal no longer matches.
    changed = json.loads(json.dumps(approved))
    for call in (
        changed["continuation"]["resume_request"][0],
        changed["approval_info"][0]["tool_call"],
    ):
        call["function"]["arguments"] = '{"order": "EVERYTHING"}'
    with pytest.raises(ContinuationImportError, match="seal does not match"):
        import_continuation(changed, CATALOG, key=b"k1")
    with pytest.raises(ContinuationImportError, match="no key is configured"):
        import_continuation(approved, CATALOG, key=None)
    with pytest.raises(ContinuationImportError, match="seal does not match"):
        import_continuation(approved, CATALOG, key=b"other")


async def test_exit_on_suspend_parks_a_sibling_that_waits_for_approval(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, SCRIPTS, agents=AGENTS):
        handle = await start_agent(
            client, task_queue, "mixed_boss", "go", options=RunOptions(exit_on_suspend=True)
        )
        exited = await handle.result()
        assert exited.end_reason == "approval_required"
        exported = await export_run(client, handle.id)
        entries = {tuple(e["paths"]): e for e in exported["approval_info"]}
        # The counter suspended; the shipper was told to park while it waited for a person.
        assert entries[("counter_tool",)]["approved"] is True
        ship = entries[("slow_shipper_tool", "ship")]
        assert ship["approved"] is None  # open: the file says nobody decided yet
        ship["approved"] = True
        resumed = await resume_run(client, exported, CATALOG, task_queue=task_queue)
        output = await resumed.result()
    assert output.end_reason == "completed"
    assert tool_results(output) == {"counter_tool": "counted to 2", "slow_shipper_tool": "shipped"}


async def test_resume_sent_to_the_root_wakes_a_suspended_sub_agent(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, SCRIPTS, agents=AGENTS):
        handle = await start_agent(client, task_queue, "counter_boss", "count")
        # Until the sub-agent reports, its call shows as under way (with its tool_call).
        exported = await query_until(
            handle,
            AgentWorkflow.get_continuation,
            lambda out: any("tool_call" not in e for e in out.get("approval_info", [])),
        )
        assert exported["end_reason"] == "approval_required"
        [entry] = exported["approval_info"]
        assert entry["paths"] == ["counter_tool"] and entry["approved"] is True
        assert "tool_call" not in entry
        assert (
            await handle.query(AgentWorkflow.pending_approvals) == []
        )  # nothing for a person to decide
        metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
        what, tokens = metadata.current_details.splitlines()
        assert what == "- sub-agent counter_tool is suspended: send signal `resume` with `{}`"
        assert tokens.startswith("Tokens: ")  # the whole tree's, the suspended sub-agent's too
        await handle.signal(AgentWorkflow.resume, ResumeSignalInput())
        output = await handle.result()
    assert output.end_reason == "completed"
    assert tool_results(output) == {"counter_tool": "counted to 2"}
