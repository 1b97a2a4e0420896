"""Paused runs move out to the OpenAI Agents SDK: `export ID --format openai-agents` writes a
RunState that the real `RunState.from_json` loads with the same waiting calls; and a RunState
that came in goes out again with every field."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from agents import Runner, RunState
from agents.testing import ScriptedModel, assistant_message
from temporalio.testing import WorkflowEnvironment

import sdk_agents
from agent_continuations.agent_definitions import AgentCatalog, module_agents
from agent_continuations.agent_runs import export_run
from agent_continuations.frameworks.openai_agents import (
    RunStateError,
    continuation_from_run_state,
    run_state_from_continuation,
)
from helpers import running_worker, start_agent, wait_for_pending

AGENTS = module_agents("sdk_agents", sdk_agents)
CATALOG = AgentCatalog(AGENTS)
EXTENSION_KEY = "openai_agents_run_state"


@pytest.fixture(autouse=True)
def ran() -> Iterator[list[tuple[str, dict]]]:
    sdk_agents.RAN.clear()
    yield sdk_agents.RAN


async def _exported_here(env: WorkflowEnvironment, task_queue: str) -> dict[str, Any]:
    """The onboarding run started here, waiting in its sub-agent, exported as a RunState."""
    async with running_worker(env.client, task_queue, sdk_agents.SCRIPTS, agents=AGENTS):
        handle = await start_agent(env.client, task_queue, "sdk_hr_agent", "Onboard stzhang.")
        await wait_for_pending(handle)
        continuation = await export_run(env.client, handle.id)
    return await run_state_from_continuation(continuation)


def _finishing_model() -> ScriptedModel:
    return ScriptedModel(
        [[assistant_message("Account stzhang is ready.")], [assistant_message("Onboarded.")]]
    )


@pytest.mark.parametrize("approve", [True, False])
async def test_the_sdk_loads_an_exported_run_and_finishes_it(
    time_skipping_env: WorkflowEnvironment, task_queue: str, ran: list, approve: bool
):
    exported = await _exported_here(time_skipping_env, task_queue)
    assert [name for name, _ in ran] == ["send_email_tool", "create_account"]
    ran.clear()
    state = await RunState.from_json(sdk_agents.hr_agent, json.loads(json.dumps(exported)))
    [item] = state.get_interruptions()
    assert (item.name, item.raw_item.call_id) == ("authorize_account", "call_auth")
    assert json.loads(item.raw_item.arguments) == sdk_agents.AUTHORIZE
    if approve:
        state.approve(item)
    else:
        state.reject(item, rejection_message="not today")
    model = _finishing_model()
    result = await Runner.run(sdk_agents.hr_agent, state, run_config=sdk_agents.sdk_config(model))
    assert result.final_output == "Onboarded."
    assert ran == ([("authorize_account", sdk_agents.AUTHORIZE)] if approve else [])
    assert model.remaining_steps == 0


async def _waiting_hr_export(env: WorkflowEnvironment, task_queue: str) -> dict[str, Any]:
    """The export of an `sdk_hr_agent` run that waits for its nested approval."""
    async with running_worker(env.client, task_queue, sdk_agents.SCRIPTS, agents=AGENTS):
        handle = await start_agent(env.client, task_queue, "sdk_hr_agent", "Onboard stzhang.")
        await wait_for_pending(handle)
        return await export_run(env.client, handle.id)


async def test_exported_then_imported_the_run_says_the_same(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    here = await _waiting_hr_export(time_skipping_env, task_queue)
    back = continuation_from_run_state(await run_state_from_continuation(here), CATALOG)
    assert back["approval_info"][0]["path_ids"] == ["call_sub", "call_auth"]
    assert back["agents"] == here["agents"]
    outer, inner = back["continuation"], back["continuation"]["resume_request"][0]["continuation"]
    original_outer = here["continuation"]
    original_inner = original_outer["resume_request"][0]["continuation"]
    assert outer["messages"] == [_plain(m) for m in original_outer["messages"]]
    assert inner["messages"] == [_plain(m) for m in original_inner["messages"]]


def _plain(message: dict[str, Any]) -> dict[str, Any]:
    """A message with only the keys the SDK's items carry over (no null extras)."""
    kept = {k: v for k, v in message.items() if k in ("role", "content", "tool_call_id")}
    if message.get("tool_calls"):
        kept["tool_calls"] = [
            {"id": c["id"], "type": "function", "function": c["function"]}
            for c in message["tool_calls"]
        ]
    return kept


async def test_a_run_state_that_came_in_goes_out_with_every_field():
    state, _ = await sdk_agents.paused_in_sdk()
    original = json.loads(json.dumps(state.to_json()))
    continuation = continuation_from_run_state(original, CATALOG)
    assert continuation[EXTENSION_KEY] == original
    assert await run_state_from_continuation(continuation) == original
    # Once a decision is set in the file, the RunState is written anew, with it.
    continuation["approval_info"][0]["approved"] = True
    decided = await run_state_from_continuation(continuation)
    assert decided != original
    sdk_agents.RAN.clear()
    loaded = await RunState.from_json(sdk_agents.hr_agent, decided)
    model = _finishing_model()
    result = await Runner.run(sdk_agents.hr_agent, loaded, run_config=sdk_agents.sdk_config(model))
    assert result.final_output == "Onboarded."
    assert sdk_agents.RAN == [("authorize_account", sdk_agents.AUTHORIZE)]


async def test_only_runs_of_sdk_agents_waiting_for_approval_move_out():
    with pytest.raises(RunStateError) as refused:
        await run_state_from_continuation({"end_reason": "approval_required", "agents": {"": "x"}})
    assert "'x' is not an OpenAI Agents SDK agent" in str(refused.value)
    with pytest.raises(RunStateError) as refused:
        await run_state_from_continuation(
            {"end_reason": "suspended", "agents": {"": "sdk_hr_agent"}, "continuation": {}}
        )
    assert str(refused.value) == (
        "only a run waiting for approval moves out as a RunState, not a suspended one"
    )


async def test_export_format_openai_agents_writes_a_run_state_file(
    dev_server_env, task_queue, starter, tmp_path: Path, ran: list
):
    file = tmp_path / "run_state.json"
    async with running_worker(dev_server_env.client, task_queue, sdk_agents.SCRIPTS, agents=AGENTS):
        code, out, err = await starter("start", "sdk_hr_agent", "Onboard stzhang.")
        workflow_id = out.strip()
        await wait_for_pending(dev_server_env.client.get_workflow_handle(workflow_id))
        code, _, err = await starter(
            "export", workflow_id, "--format", "openai-agents", "-o", str(file), "--move"
        )
        assert code == 0, err
        assert err.startswith(f"exported OpenAI Agents SDK RunState to {file} (unsealed)\n")
        code, out, _ = await starter("result", workflow_id, "--json")
        assert json.loads(out)["end_reason"] == "approval_required"  # moved out
        code, out, err = await starter("export", workflow_id, "--format", "openai-agents")
        assert code == 0, err
        assert json.loads(out) == json.loads(file.read_text())  # the moved run's result
    ran.clear()
    state = await RunState.from_json(sdk_agents.hr_agent, json.loads(file.read_text()))
    [item] = state.get_interruptions()
    state.approve(item)
    model = _finishing_model()
    result = await Runner.run(sdk_agents.hr_agent, state, run_config=sdk_agents.sdk_config(model))
    assert result.final_output == "Onboarded."
    assert ran == [("authorize_account", sdk_agents.AUTHORIZE)]


async def test_a_long_run_moves_out_beyond_the_sdk_default_of_ten_turns(
    time_skipping_env: WorkflowEnvironment, task_queue: str, ran: list
):
    def refund(amount: float) -> dict[str, Any]:
        return {
            "tool_calls": [{"name": "refund", "arguments": {"order_id": "A", "amount": amount}}]
        }

    scripts = {"refunds_agent": [*(refund(1.0) for _ in range(12)), refund(500.0)]}
    async with running_worker(time_skipping_env.client, task_queue, scripts, agents=AGENTS):
        handle = await start_agent(time_skipping_env.client, task_queue, "refunds_agent", "Go.")
        await wait_for_pending(handle)
        exported = await run_state_from_continuation(
            await export_run(time_skipping_env.client, handle.id)
        )
    ran.clear()
    state = await RunState.from_json(sdk_agents.refunds_agent, exported)
    [item] = state.get_interruptions()
    state.approve(item)
    model = ScriptedModel([[assistant_message("Refunded.")]])
    result = await Runner.run(
        sdk_agents.refunds_agent, state, run_config=sdk_agents.sdk_config(model)
    )
    assert result.final_output == "Refunded."
    assert ran == [("refund", {"order_id": "A", "amount": 500.0})]


async def test_a_record_the_agents_cannot_replay_is_refused_in_one_line(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    continuation = await _waiting_hr_export(time_skipping_env, task_queue)
    first_call = continuation["continuation"]["messages"][2]["tool_calls"][0]
    first_call["function"]["name"] = "fax_tool"  # a tool the SDK agent does not have
    with pytest.raises(RunStateError) as refused:
        await run_state_from_continuation(continuation)
    assert str(refused.value).startswith("the SDK could not replay the run: ")
    assert "fax_tool" in str(refused.value)
