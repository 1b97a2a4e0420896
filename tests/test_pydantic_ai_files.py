"""Paused Pydantic AI runs move in (resume here) and out (go on with the real library)."""

from __future__ import annotations

import json
from typing import Any

import pydantic
import pytest
from pydantic_ai import DeferredToolRequests, DeferredToolResults, ToolDenied
from pydantic_ai.messages import ModelMessagesTypeAdapter, ModelRequest, SystemPromptPart
from pydantic_ai.tools import ToolApproved
from temporalio.testing import WorkflowEnvironment

import pydantic_ai_agents as pa
from agent_continuations.agent_definitions import AgentCatalog
from agent_continuations.agent_runs import export_run, resume_run
from agent_continuations.continuations import ContinuationImportError, import_continuation
from agent_continuations.frameworks.pydantic_ai import (
    PydanticAIFileError,
    pydantic_ai_continuation,
    to_pydantic_ai,
)
from agent_continuations.shared import ApprovalDecision
from agent_continuations.workflows import AgentWorkflow
from helpers import RUN_TIMEOUT, query_until, running_worker, start_agent, wait_for_pending

CATALOG = AgentCatalog(pa.AGENTS)


def ledger(name: str) -> list[Any]:
    return [entry for tool, entry in pa.LEDGER if tool == name]


async def paused_refund() -> Any:
    """A real Pydantic AI run of `refunds`, paused on its refund, as its JSON history."""
    result = await pa.refunds.run("Refund order A-17.", deps=pa.Bank(currency="EUR"))
    assert isinstance(result.output, DeferredToolRequests)
    return result


async def resume_here(client, task_queue: str, data: Any, agent: str):
    return await resume_run(
        client,
        pydantic_ai_continuation(data),
        CATALOG,
        task_queue=task_queue,
        agent=agent,
        workflow_id=f"test-{agent}-resumed-{id(data)}",
        options=None,
    )


async def test_history_alone_resumes_here_and_the_approved_call_runs_once(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    pa.LEDGER.clear()
    result = await paused_refund()
    assert ledger("lookup_order") == ["A-17"] and ledger("refund") == []
    history = json.loads(result.all_messages_json())
    client = time_skipping_env.client
    async with running_worker(client, task_queue, {}, agents=pa.AGENTS):
        handle = await resume_here(client, task_queue, history, "refunds")
        [entry] = await wait_for_pending(handle)
        assert entry["path_ids"] == ["c_r"]  # the same tool-call ID
        await handle.signal(AgentWorkflow.approve, ApprovalDecision(tool_call_id="c_r"))
        output = await handle.result()
    assert output.end_reason == "completed", output.error
    assert output.result == "refund: Refunded 25.0 EUR on order A-17."
    assert ledger("refund") == [{"order_id": "A-17", "amount": 25.0, "call": "c_r"}]
    assert ledger("lookup_order") == ["A-17"]  # done in Pydantic AI: never again


async def test_object_form_resumes_and_a_denial_is_what_the_model_reads(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    pa.LEDGER.clear()
    result = await paused_refund()
    requests = pydantic.TypeAdapter(DeferredToolRequests).dump_python(result.output, mode="json")
    data = {"messages": json.loads(result.all_messages_json()), "deferred_tool_requests": requests}
    client = time_skipping_env.client
    async with running_worker(client, task_queue, {}, agents=pa.AGENTS):
        handle = await resume_here(client, task_queue, data, "refunds")
        await wait_for_pending(handle)
        await handle.signal(
            AgentWorkflow.reject, ApprovalDecision(tool_call_id="c_r", reason="no receipt")
        )
        output = await handle.result()
    assert output.result == "refund: Rejected: no receipt. The call did not run."
    assert ledger("refund") == []


async def test_an_edit_made_here_on_an_imported_call_is_recorded_with_the_original(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    pa.LEDGER.clear()
    result = await pa.transfers.run("Pay both.")
    client = time_skipping_env.client
    async with running_worker(client, task_queue, {}, agents=pa.AGENTS):
        handle = await resume_here(
            client, task_queue, json.loads(result.all_messages_json()), "transfers"
        )
        await wait_for_pending(handle, 2)
        edited = {"to": "acme", "cents": 90}
        await handle.signal(
            AgentWorkflow.approve, ApprovalDecision(tool_call_id="c_t1", arguments=edited)
        )
        await handle.signal(AgentWorkflow.approve, ApprovalDecision(tool_call_id="c_t2"))
        output = await handle.result()
    assert ledger("transfer") == [edited, {"to": "globex", "cents": 200}]
    [first] = [d for d in output.decisions if d.tool_call_id == "c_t1"]
    assert first.edited_arguments == edited
    assert first.original_arguments == {"to": "acme", "cents": 100}


async def waiting_export(client, task_queue: str, agent: str, count: int = 1) -> dict[str, Any]:
    handle = await start_agent(client, task_queue, agent, "Go.", execution_timeout=RUN_TIMEOUT)
    await wait_for_pending(handle, count)
    return await export_run(client, handle.id)


async def test_a_run_waiting_here_goes_on_in_pydantic_ai(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    pa.LEDGER.clear()
    client = time_skipping_env.client
    async with running_worker(client, task_queue, {}, agents=pa.AGENTS):
        output = await waiting_export(client, task_queue, "refunds")
    exported = to_pydantic_ai(output, CATALOG)
    assert exported["agent"] == "refunds" and "path" not in exported
    history = ModelMessagesTypeAdapter.validate_python(exported["messages"])
    first = history[0]
    assert isinstance(first, ModelRequest) and isinstance(first.parts[0], SystemPromptPart)
    assert first.parts[0].content == "You work for the shop."  # the agent adds its instructions
    assert ledger("lookup_order") == ["A-17"]
    for decision, expected in [
        (True, "refund: Refunded 25.0 EUR on order A-17."),
        (ToolDenied("not today"), "refund: not today"),
        (
            ToolApproved(override_args={"order_id": "A-17", "amount": 5}),
            "refund: Refunded 5.0 EUR on order A-17.",
        ),
    ]:
        pa.LEDGER.clear()
        result = await pa.refunds.run(
            message_history=ModelMessagesTypeAdapter.validate_python(exported["messages"]),
            deferred_tool_results=DeferredToolResults(approvals={"c_r": decision}),
            deps=pa.Bank(currency="EUR"),
        )
        assert result.output == expected
        assert len(ledger("refund")) == (0 if isinstance(decision, ToolDenied) else 1)
        assert ledger("lookup_order") == []  # done here: never again


async def test_an_edit_made_here_is_in_the_exported_metadata(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    pa.LEDGER.clear()
    client = time_skipping_env.client
    async with running_worker(client, task_queue, {}, agents=pa.AGENTS):
        handle = await start_agent(client, task_queue, "transfers", "Pay both.")
        await wait_for_pending(handle, 2)
        edited = {"to": "acme", "cents": 90}
        await handle.signal(
            AgentWorkflow.approve,
            ApprovalDecision(tool_call_id="c_t1", arguments=edited, approver="ann"),
        )
        await query_until(
            handle,
            AgentWorkflow.get_continuation,
            lambda output: len(output["continuation"]["messages"]) == 4,  # c_t1's return too
        )
        exported = to_pydantic_ai(await export_run(client, handle.id), CATALOG)
    [waiting] = exported["deferred_tool_requests"]["approvals"]
    assert waiting["tool_call_id"] == "c_t2"
    history = ModelMessagesTypeAdapter.validate_python(exported["messages"])
    call = history[1].parts[0]
    assert call.tool_call_id == "c_t1" and call.args_as_dict() == {"to": "acme", "cents": 100}
    [done] = history[2].parts
    assert done.tool_call_id == "c_t1"
    assert done.metadata["override_args"] == edited
    assert done.metadata["original_args"] == {"to": "acme", "cents": 100}
    assert done.metadata["approver"] == "ann"
    pa.LEDGER.clear()
    result = await pa.transfers.run(
        message_history=history,
        deferred_tool_results=DeferredToolResults(
            approvals={"c_t2": ToolApproved(override_args={"to": "globex", "cents": 150})}
        ),
    )
    assert ledger("transfer") == [{"to": "globex", "cents": 150}]
    assert result.output.endswith("moved 150 to globex")


async def test_a_sub_agent_level_exports_with_its_path(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    pa.LEDGER.clear()
    client = time_skipping_env.client
    async with running_worker(client, task_queue, {}, agents=pa.AGENTS):
        output = await waiting_export(client, task_queue, "director")
    exported = to_pydantic_ai(output, CATALOG)
    assert exported["agent"] == "accounts"
    assert exported["path"] == {
        "paths": ["hr_tool", "accounts_tool"],
        "path_ids": ["c_dir", "c_hr"],
    }
    meta = exported["deferred_tool_requests"]["metadata"]["c_auth"]
    assert meta["path_ids"] == ["c_dir", "c_hr", "c_auth"]
    result = await pa.accounts.run(
        message_history=ModelMessagesTypeAdapter.validate_python(exported["messages"]),
        deferred_tool_results=DeferredToolResults(approvals={"c_auth": True}),
    )
    assert result.output == "stzhang authorized at level 2"
    assert ledger("authorize") == [{"username": "stzhang", "level": 2}]


def _history(result) -> Any:
    return json.loads(result.all_messages_json())


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ([{"kind": "request", "parts": [{"part_kind": "nonsense"}]}], "not a Pydantic AI message"),
        (
            [{"kind": "request", "parts": [{"part_kind": "user-prompt", "content": "hi"}]}],
            "the history has no model response",
        ),
    ],
)
def test_a_malformed_file_is_refused_in_one_line(data, problem):
    with pytest.raises(PydanticAIFileError) as refused:
        pydantic_ai_continuation(data)
    assert problem in str(refused.value) and "\n" not in str(refused.value)


async def test_external_calls_and_unknown_tools_are_refused():
    result = await paused_refund()
    history = _history(result)
    external = {
        "messages": history,
        "deferred_tool_requests": {
            "calls": [{"tool_name": "refund", "args": {}, "tool_call_id": "c_r"}],
            "approvals": [],
            "metadata": {},
        },
    }
    with pytest.raises(PydanticAIFileError, match="waits for an external result"):
        pydantic_ai_continuation(external)
    with pytest.raises(ContinuationImportError, match="'transfers' has no tool 'lookup_order'"):
        import_continuation(pydantic_ai_continuation(history), CATALOG, agent="transfers")


def _entry(paths: list[str], path_ids: list[str]) -> dict[str, Any]:
    call = {"id": path_ids[-1], "function": {"name": paths[-1], "arguments": "{}"}}
    return {"paths": paths, "path_ids": path_ids, "tool_call": call, "approved": None}


@pytest.mark.parametrize(
    ("output", "problem"),
    [
        (
            {"end_reason": "suspended", "continuation": {"messages": []}, "suspend_list": []},
            "the run is suspended, not waiting for a decision",
        ),
        (
            {
                "end_reason": "approval_required",
                "continuation": {"messages": []},
                "approval_info": [
                    _entry(["a", "x"], ["c1", "x1"]),
                    _entry(["b", "y"], ["c2", "y1"]),
                ],
            },
            "the run waits at 2 levels; a Pydantic AI file holds one",
        ),
    ],
)
def test_what_has_no_pydantic_ai_form_is_refused_in_one_line(output, problem):
    with pytest.raises(PydanticAIFileError) as refused:
        to_pydantic_ai(output)
    assert problem in str(refused.value) and "\n" not in str(refused.value)
