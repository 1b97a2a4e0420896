"""Pydantic AI agents run here: tools, deps, approvals, ModelRetry, structured output."""

from __future__ import annotations

import json

import pytest
from pydantic_ai import Agent
from pydantic_ai.messages import ModelResponse, ToolCallPart
from pydantic_ai.models.function import FunctionModel
from pydantic_ai.models.test import TestModel
from temporalio.testing import WorkflowEnvironment

import pydantic_ai_agents as pa
from agent_continuations.frameworks.pydantic_ai import from_pydantic_ai
from agent_continuations.shared import ApprovalDecision
from agent_continuations.workflows import AgentWorkflow
from helpers import running_worker, start_agent, tool_results, wait_for_pending


async def test_approved_refund_runs_once_with_deps(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    client = time_skipping_env.client
    pa.LEDGER.clear()
    async with running_worker(client, task_queue, {}, agents=pa.AGENTS):
        handle = await start_agent(client, task_queue, "refunds", "Refund order A-17.")
        [entry] = await wait_for_pending(handle)
        assert entry["paths"] == ["refund"] and entry["path_ids"] == ["c_r"]
        assert [name for name, _ in pa.LEDGER] == ["lookup_order"]
        await handle.signal(AgentWorkflow.approve, ApprovalDecision(tool_call_id="c_r"))
        output = await handle.result()
    assert output.end_reason == "completed", output.error
    assert output.result == "refund: Refunded 25.0 EUR on order A-17."
    refunds = [args for name, args in pa.LEDGER if name == "refund"]
    assert refunds == [{"order_id": "A-17", "amount": 25.0, "call": "c_r"}]
    assert output.messages[0] == {
        "role": "developer",
        "content": "You work for the shop.\n\nRefund what the customer asks.",
    }


async def test_model_retry_is_what_the_model_reads(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, {}, agents=pa.AGENTS):
        output = await (await start_agent(client, task_queue, "stock_agent", "How many?")).result()
    assert output.end_reason == "completed", output.error
    assert output.result == ('{"error":"\'bad sku\' is not a SKU: SKUs have no spaces"} | 7')


async def test_structured_output_is_validated_json(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, {}, agents=pa.AGENTS):
        output = await (await start_agent(client, task_queue, "invoicing", "Bill ACME")).result()
    assert output.end_reason == "completed", output.error
    assert json.loads(output.result or "") == {"customer": "ACME", "total": 120.0}
    assert tool_results(output) == {"price": "120.0"}


async def test_sub_agent_approval_is_decided_at_the_root(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    client = time_skipping_env.client
    pa.LEDGER.clear()
    async with running_worker(client, task_queue, {}, agents=pa.AGENTS):
        handle = await start_agent(client, task_queue, "director", "Authorize stzhang.")
        [entry] = await wait_for_pending(handle)
        assert entry["paths"] == ["hr_tool", "accounts_tool", "authorize"]
        assert entry["path_ids"] == ["c_dir", "c_hr", "c_auth"]
        assert pa.LEDGER == []
        await handle.signal(
            AgentWorkflow.approve,
            ApprovalDecision(
                path_ids=entry["path_ids"], arguments={"username": "stzhang", "level": 1}
            ),
        )
        output = await handle.result()
    assert output.end_reason == "completed", output.error
    assert pa.LEDGER == [("authorize", {"username": "stzhang", "level": 1})]
    assert output.result == (
        "hr_tool said: accounts_tool said: Note: a person edited the arguments before approving; "
        'the call ran with {"username": "stzhang", "level": 1}.\nstzhang authorized at level 1'
    )
    [decision] = output.decisions
    assert decision.edited_arguments == {"username": "stzhang", "level": 1}
    assert decision.original_arguments == {"username": "stzhang", "level": 2}


async def test_approval_required_waits_then_runs_approved(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    client = time_skipping_env.client
    pa.LEDGER.clear()
    async with running_worker(client, task_queue, {}, agents=pa.AGENTS):
        handle = await start_agent(client, task_queue, "payouts", "Pay out.")
        [entry] = await wait_for_pending(handle)
        assert entry["path_ids"] == ["c_big"]
        assert pa.LEDGER == [("payout", 5)]  # the small one ran; the large one asked
        await handle.signal(AgentWorkflow.approve, ApprovalDecision(tool_call_id="c_big"))
        output = await handle.result()
    assert output.end_reason == "completed", output.error
    assert pa.LEDGER == [("payout", 5), ("payout", 5000)]
    assert output.result == "paid 5 | paid 5000"


async def test_approval_required_rejected_tells_the_model(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    client = time_skipping_env.client
    pa.LEDGER.clear()
    async with running_worker(client, task_queue, {}, agents=pa.AGENTS):
        handle = await start_agent(client, task_queue, "payouts", "Pay out.")
        await wait_for_pending(handle)
        await handle.signal(
            AgentWorkflow.reject, ApprovalDecision(tool_call_id="c_big", reason="too much")
        )
        output = await handle.result()
    assert output.end_reason == "completed", output.error
    assert pa.LEDGER == [("payout", 5)]
    assert output.result == "paid 5 | Rejected: too much. The call did not run."


def _broken(messages, info):
    raise RuntimeError("boom")


def _never_fits(messages, info):
    [output_tool] = info.output_tools
    return ModelResponse(parts=[ToolCallPart(output_tool.name, {"customer": "ACME"})])


BROKEN = [
    from_pydantic_ai(Agent(FunctionModel(_broken), name="broken")),
    from_pydantic_ai(Agent(FunctionModel(_never_fits), name="unfit", output_type=pa.Invoice)),
]


@pytest.mark.parametrize(
    ("agent", "error"),
    [
        ("broken", "the Pydantic AI model raised RuntimeError: boom"),
        ("unfit", "the model's output does not fit the agent's output type: 1 validation error"),
    ],
)
async def test_a_failing_model_ends_the_run_with_one_line(
    time_skipping_env: WorkflowEnvironment, task_queue, agent: str, error: str
):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, {}, agents=BROKEN):
        output = await (await start_agent(client, task_queue, agent, "Go.")).result()
    assert output.end_reason == "error"
    assert error in (output.error or "") and "\n" not in (output.error or "")


def _quote(text: str) -> str:
    """Quote a text."""
    return f"«{text}»"


quoting = Agent(TestModel(), name="quoting", output_type=pa.Invoice)
quoting.tool_plain(requires_approval=True)(_quote)


async def test_the_test_model_calls_the_tools_then_gives_the_output(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    """Pydantic AI's `TestModel` calls every tool once, then `final_result` with arguments
    that fit the output type: here the call waits for approval first."""
    client = time_skipping_env.client
    async with running_worker(client, task_queue, {}, agents=[from_pydantic_ai(quoting)]):
        handle = await start_agent(client, task_queue, "quoting", "Quote.")
        [entry] = await wait_for_pending(handle)
        assert entry["paths"] == ["_quote"]
        await handle.signal(
            AgentWorkflow.approve, ApprovalDecision(tool_call_id=entry["path_ids"][0])
        )
        output = await handle.result()
    assert output.end_reason == "completed", output.error
    assert tool_results(output) == {"_quote": "«a»"}
    assert pa.Invoice.model_validate_json(output.result or "") == pa.Invoice(customer="a", total=0)
