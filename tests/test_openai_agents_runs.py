"""OpenAI Agents SDK agents run here durably: tools, approvals at the root for a sub-agent's
call, rejections told to the model as the SDK does, approval callables, and output types."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from temporalio.testing import WorkflowEnvironment

import sdk_agents
from agent_continuations.agent_definitions import load_agent_modules, module_agents
from agent_continuations.shared import ApprovalDecision, DecideInput
from agent_continuations.workflows import AgentWorkflow
from helpers import running_worker, start_agent, wait_for_pending

AGENTS = module_agents("sdk_agents", sdk_agents)


@pytest.fixture(autouse=True)
def ran() -> Iterator[list[tuple[str, dict]]]:
    sdk_agents.RAN.clear()
    yield sdk_agents.RAN


async def test_sub_agent_call_waits_at_the_root_and_runs_once_approved(
    time_skipping_env: WorkflowEnvironment, task_queue: str, ran: list
):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, sdk_agents.SCRIPTS, agents=AGENTS):
        handle = await start_agent(client, task_queue, "sdk_hr_agent", "Onboard stzhang.")
        [entry] = await wait_for_pending(handle)
        assert entry["paths"] == ["account_tool", "authorize_account"]
        assert entry["path_ids"] == ["call_sub", "call_auth"]
        assert [name for name, _ in ran] == ["send_email_tool", "create_account"]
        await handle.signal(AgentWorkflow.approve, ApprovalDecision(tool_call_id="call_auth"))
        output = await handle.result()
    assert output.end_reason == "completed"
    assert output.result == "stzhang is onboarded."
    assert ran.count(("authorize_account", sdk_agents.AUTHORIZE)) == 1
    # The sub-agent's answer came back to the root as the SDK's tool output.
    [sub_result] = [m for m in output.messages if m.get("tool_call_id") == "call_sub"]
    assert sub_result["content"] == "Account stzhang is ready."


async def test_a_rejection_is_told_to_the_model_and_the_run_goes_on(
    time_skipping_env: WorkflowEnvironment, task_queue: str, ran: list
):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, sdk_agents.SCRIPTS, agents=AGENTS):
        handle = await start_agent(client, task_queue, "sdk_hr_agent", "Onboard stzhang.")
        await wait_for_pending(handle)
        await handle.execute_update(
            AgentWorkflow.decide, DecideInput(tool_call_id="call_auth", approved=False)
        )
        output = await handle.result()
    assert output.end_reason == "completed"
    assert "authorize_account" not in [name for name, _ in ran]


@pytest.mark.parametrize(("amount", "waits"), [(20.0, False), (500.0, True)])
async def test_an_approval_callable_decides_per_call(
    time_skipping_env: WorkflowEnvironment, task_queue: str, ran: list, amount: float, waits: bool
):
    scripts = {
        "refunds_agent": [
            {"tool_calls": [{"name": "refund", "arguments": {"order_id": "A", "amount": amount}}]},
            {"content": "Done."},
        ]
    }
    client = time_skipping_env.client
    async with running_worker(client, task_queue, scripts, agents=AGENTS):
        handle = await start_agent(client, task_queue, "refunds_agent", "Refund A.")
        if waits:
            [entry] = await wait_for_pending(handle)
            assert ran == []
            await handle.signal(
                AgentWorkflow.approve, ApprovalDecision(tool_call_id=entry["path_ids"][-1])
            )
        output = await handle.result()
    assert output.end_reason == "completed"
    assert ran == [("refund", {"order_id": "A", "amount": amount})]


@pytest.mark.parametrize(
    ("reply", "end_reason", "result"),
    [
        (
            '{"username": "stzhang", "security_level": 2}',
            "completed",
            '{"username":"stzhang","security_level":2}',
        ),
        ('{"username": "stzhang"}', "error", None),
    ],
)
async def test_the_final_output_is_validated_against_the_output_type(
    time_skipping_env: WorkflowEnvironment,
    task_queue: str,
    reply: str,
    end_reason: str,
    result: str | None,
):
    scripts = {"account_reader": [{"content": reply}]}
    client = time_skipping_env.client
    async with running_worker(client, task_queue, scripts, agents=AGENTS):
        handle = await start_agent(client, task_queue, "account_reader", "Describe stzhang.")
        output = await handle.result()
    assert output.end_reason == end_reason
    assert output.result == result
    if end_reason == "error":
        assert "security_level" in (output.error or "")


async def test_the_readme_example_runs_paused_approved_and_finished(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    loaded = load_agent_modules(["agent_continuations.examples.openai_agents_onboarding"])
    assert sorted(a.name for a in loaded.agents) == ["account_agent", "hr_agent"]
    client = time_skipping_env.client
    async with running_worker(client, task_queue, loaded.scripts, agents=loaded.agents):
        handle = await start_agent(client, task_queue, "hr_agent", "Onboard stzhang.")
        [entry] = await wait_for_pending(handle)
        assert entry["paths"] == ["account_agent_tool", "authorize_account"]
        await handle.signal(
            AgentWorkflow.approve, ApprovalDecision(tool_call_id=entry["path_ids"][-1])
        )
        output = await handle.result()
    assert output.end_reason == "completed"
    assert output.result == (
        "stzhang is onboarded: welcome email sent, account created and authorized."
    )


async def test_a_tool_reads_its_call_from_the_sdk_context(
    time_skipping_env: WorkflowEnvironment, task_queue: str, ran: list
):
    call = {"name": "ticket", "arguments": {"subject": "Refund"}, "id": "call_ticket"}
    scripts = {"refunds_agent": [{"tool_calls": [call]}, {"content": "Opened."}]}
    client = time_skipping_env.client
    async with running_worker(client, task_queue, scripts, agents=AGENTS):
        handle = await start_agent(client, task_queue, "refunds_agent", "Open a ticket.")
        output = await handle.result()
    assert ran == [("ticket", {"call_id": "call_ticket", "tool": "ticket"})]
    [result] = [m for m in output.messages if m.get("tool_call_id") == "call_ticket"]
    assert result["content"] == "Ticket call_ticket opened: Refund"
