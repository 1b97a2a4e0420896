"""Paused OpenAI Agents SDK runs move in: a `RunState.to_json()` resumes here with the same
waiting calls, nested agent-as-tool states included."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from agents import RunState
from temporalio.testing import WorkflowEnvironment

import sdk_agents
from agent_continuations.agent_definitions import AgentCatalog, module_agents
from agent_continuations.agent_runs import resume_run
from agent_continuations.continuations import ContinuationImportError
from agent_continuations.frameworks.openai_agents import continuation_from_run_state
from agent_continuations.shared import ApprovalDecision, DecideInput
from agent_continuations.workflows import AgentWorkflow
from helpers import one_error_line, running_worker, wait_for_pending

AGENTS = module_agents("sdk_agents", sdk_agents)
CATALOG = AgentCatalog(AGENTS)


@pytest.fixture(autouse=True)
def ran() -> Iterator[list[tuple[str, dict]]]:
    sdk_agents.RAN.clear()
    yield sdk_agents.RAN


async def _resume(env: WorkflowEnvironment, task_queue: str, data: Any):
    return await resume_run(
        env.client,
        data,
        CATALOG,
        task_queue=task_queue,
        workflow_id=f"test-sdk-resumed-{uuid.uuid4()}",
    )


async def test_a_paused_sdk_run_resumes_here_and_runs_the_approved_call_once(
    time_skipping_env: WorkflowEnvironment, task_queue: str, ran: list
):
    state, _ = await sdk_agents.paused_in_sdk()
    assert [name for name, _ in ran] == ["send_email_tool", "create_account"]
    ran.clear()
    async with running_worker(
        time_skipping_env.client, task_queue, sdk_agents.SCRIPTS, agents=AGENTS
    ):
        handle = await _resume(
            time_skipping_env, task_queue, json.loads(json.dumps(state.to_json()))
        )
        [entry] = await wait_for_pending(handle)
        # The call that waited in the SDK waits here, with the same IDs.
        assert entry["paths"] == ["account_tool", "authorize_account"]
        assert entry["path_ids"] == ["call_sub", "call_auth"]
        assert ran == []
        await handle.signal(AgentWorkflow.approve, ApprovalDecision(tool_call_id="call_auth"))
        output = await handle.result()
    assert output.end_reason == "completed"
    assert output.result == "stzhang is onboarded."
    assert ran == [("authorize_account", sdk_agents.AUTHORIZE)]
    # What ran in the SDK is in the conversation, and did not run again.
    email = [m for m in output.messages if m.get("tool_call_id") == "call_email"]
    assert email == [
        {
            "role": "tool",
            "tool_call_id": "call_email",
            "content": "Email to stzhang@example.com sent.",
        }
    ]


async def test_a_decision_taken_in_the_sdk_comes_along(
    time_skipping_env: WorkflowEnvironment, task_queue: str, ran: list
):
    state, _ = await sdk_agents.paused_in_sdk()
    ran.clear()
    [item] = state.get_interruptions()
    state.reject(item, rejection_message="not today")
    async with running_worker(
        time_skipping_env.client, task_queue, sdk_agents.SCRIPTS, agents=AGENTS
    ):
        handle = await _resume(time_skipping_env, task_queue, state.to_json())
        output = await handle.result()
    # The SDK goes on after a rejection, telling the model; so does the run here.
    assert output.end_reason == "completed"
    assert ran == []
    [decision] = output.decisions
    assert (decision.path_ids, decision.approved) == (["call_sub", "call_auth"], False)


async def test_a_rejection_here_is_told_to_the_sub_agent(
    time_skipping_env: WorkflowEnvironment, task_queue: str, ran: list
):
    state, _ = await sdk_agents.paused_in_sdk()
    ran.clear()
    async with running_worker(
        time_skipping_env.client, task_queue, sdk_agents.SCRIPTS, agents=AGENTS
    ):
        handle = await _resume(time_skipping_env, task_queue, state.to_json())
        await wait_for_pending(handle)
        await handle.execute_update(
            AgentWorkflow.decide,
            DecideInput(tool_call_id="call_auth", approved=False, reason="no"),
        )
        output = await handle.result()
    assert output.end_reason == "completed"
    assert ran == []


async def test_an_older_schema_version_loads_and_an_unknown_one_is_refused():
    state, _ = await sdk_agents.paused_in_sdk()
    older = {**state.to_json(), "$schemaVersion": "1.20"}
    # The SDK itself reads it, and so do we.
    assert (await RunState.from_json(sdk_agents.hr_agent, older)).get_interruptions()
    continuation = continuation_from_run_state(older, CATALOG)
    assert continuation["approval_info"][0]["path_ids"] == ["call_sub", "call_auth"]
    with pytest.raises(ContinuationImportError) as refused:
        await resume_run(None, {**older, "$schemaVersion": "9.0"}, CATALOG, task_queue="unused")  # type: ignore[arg-type]
    assert str(refused.value).startswith("RunState schema version '9.0' is not one the installed")


async def test_a_run_state_of_agents_the_worker_lacks_is_refused_in_one_line():
    state, _ = await sdk_agents.paused_in_sdk()
    others = AgentCatalog([a for a in AGENTS if a.name != "sdk_hr_agent"])
    with pytest.raises(ContinuationImportError) as refused:
        await resume_run(None, state.to_json(), others, task_queue="unused")  # type: ignore[arg-type]
    assert str(refused.value).startswith("the RunState's unknown agent 'sdk_hr_agent'")


async def test_resume_recognises_a_run_state_file(
    dev_server_env, task_queue, starter, tmp_path: Path, ran: list
):
    state, _ = await sdk_agents.paused_in_sdk()
    ran.clear()
    file = tmp_path / "paused.json"
    file.write_text(json.dumps(state.to_json()))
    async with running_worker(dev_server_env.client, task_queue, sdk_agents.SCRIPTS, agents=AGENTS):
        code, out, err = await starter("resume", str(file), "--id", f"sdk-{uuid.uuid4()}")
        assert code == 0, err
        workflow_id = out.strip()
        await wait_for_pending(dev_server_env.client.get_workflow_handle(workflow_id))
        code, out, err = await starter("approve", workflow_id, "call_auth", "--yes")
        assert code == 0, err
        code, out, err = await starter("result", workflow_id, "--json")
    assert json.loads(out)["end_reason"] == "completed"
    assert ran == [("authorize_account", sdk_agents.AUTHORIZE)]
    file.write_text(json.dumps({**state.to_json(), "$schemaVersion": "0.1"}))
    code, _, err = await starter("resume", str(file))
    assert code == 1
    assert "RunState schema version '0.1'" in one_error_line(err)


async def test_a_run_state_file_needs_the_seal_rules_allowance(
    starter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    state, _ = await sdk_agents.paused_in_sdk()
    file = tmp_path / "paused.json"
    file.write_text(json.dumps(state.to_json()))
    monkeypatch.setenv("CONTINUATION_SEAL_KEY", "a key")
    code, _, err = await starter("resume", str(file))
    assert code == 1
    assert "unsealed, and a seal is required" in one_error_line(err)


def test_without_the_sdk_a_run_state_is_refused_with_the_install_line(tmp_path: Path):
    file = tmp_path / "paused.json"
    file.write_text(json.dumps({"$schemaVersion": "1.21", "current_agent": {"name": "hr_agent"}}))
    program = (
        "import asyncio, sys\n"
        "sys.modules['agents'] = None  # as if the extra were not installed\n"
        "from agent_continuations.cli import amain\n"
        f"sys.exit(asyncio.run(amain(['resume', {str(file)!r}])))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert one_error_line(done.stderr) == (
        f"error: {file}: reading an OpenAI Agents SDK RunState needs: "
        "pip install 'agent-continuations-temporal[openai-agents]'"
    )


RECORDED = sorted((Path(__file__).parent / "run_states").glob("onboarding_*.json"))


@pytest.mark.parametrize("path", RECORDED, ids=[p.stem for p in RECORDED])
async def test_run_states_older_releases_wrote_resume_here(
    time_skipping_env: WorkflowEnvironment, task_queue: str, ran: list, path: Path
):
    recorded = json.loads(path.read_text())
    assert recorded["$schemaVersion"] != "1.21"  # written by an older openai-agents
    # The installed SDK reads it too, with the same waiting call.
    loaded = await RunState.from_json(sdk_agents.hr_agent, recorded)
    assert [item.raw_item.call_id for item in loaded.get_interruptions()] == ["call_auth"]
    async with running_worker(
        time_skipping_env.client, task_queue, sdk_agents.SCRIPTS, agents=AGENTS
    ):
        handle = await _resume(time_skipping_env, task_queue, recorded)
        [entry] = await wait_for_pending(handle)
        assert entry["path_ids"] == ["call_sub", "call_auth"]
        await handle.signal(AgentWorkflow.approve, ApprovalDecision(tool_call_id="call_auth"))
        output = await handle.result()
    assert output.end_reason == "completed"
    # Schema 1.0 does not keep a waiting sub-agent's own run: the SDK starts it anew when it
    # resumes one, and so does the run here.
    again = [("create_account", sdk_agents.CREATE)] if path.stem == "onboarding_1.0" else []
    assert ran == [*again, ("authorize_account", sdk_agents.AUTHORIZE)]


def test_older_releases_run_states_were_recorded():
    assert {p.stem for p in RECORDED} >= {"onboarding_1.0", "onboarding_1.17"}
