"""The workers' secrets (issue 15): tree tokens and sub-agent IDs that run IDs and histories do
not give away, keys that rotate without stranding waiting runs, and `run_tool` refusing calls
that need approval without proof from the agent run that approved them."""

from __future__ import annotations

import base64
import re
import uuid

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from agent_continuations.agent_definitions import WorkerSecrets
from agent_continuations.shared import ApprovalDecision
from agent_continuations.workflows import AgentWorkflow
from helpers import TEST_SECRETS, intrude, running_worker, start_agent, wait_for_pending
from test_example_agents import PROMPT

KEY = TEST_SECRETS.ids()[0]


async def _history_text(client: Client, workflow_id: str) -> str:
    """A workflow's history as text, every payload's data decoded from base64."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    texts: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            if "data" in value and isinstance(value["data"], str) and "metadata" in value:
                texts.append(base64.b64decode(value["data"]).decode("utf-8", "replace"))
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(history.to_json_dict())
    return "\n".join(texts)


def test_secrets_are_parsed_and_refused_with_the_variable_named():
    secrets = WorkerSecrets.parse("new:0123456789abcdef0, old:fedcba9876543210f")
    assert secrets.ids() == ["new", "old"]
    assert "old" in secrets and "gone" not in secrets
    assert secrets.mac("old", "x") != secrets.mac("new", "x")
    with pytest.raises(KeyError):
        secrets.mac("gone", "x")
    for text, problem in [
        ("short:abc", "at least 16 characters"),
        ("no-colon", "entries are ID:SECRET"),
        (":0123456789abcdef0", "must be a plain name"),
    ]:
        with pytest.raises(ValueError, match=problem):
            WorkerSecrets.from_env({"AGENT_WORKER_SECRETS": text})
    assert not WorkerSecrets.from_env({})


async def test_the_token_and_sub_agent_ids_derive_from_the_secret_and_stay_out_of_history(
    dev_server_env: WorkflowEnvironment, task_queue: str
):
    client = dev_server_env.client
    async with running_worker(client, task_queue):
        handle = await start_agent(client, task_queue, "hr_agent", PROMPT)
        [entry] = await wait_for_pending(handle)
        call_id = entry["path_ids"][0]
        suffix = TEST_SECRETS.mac(KEY, "child-id", handle.id, call_id, "0")[:12]
        child_id = f"{handle.id}/{call_id}-{suffix}"
        root_history = await _history_text(client, handle.id)
        child_history = await _history_text(client, child_id)  # the ID is the derived one
        await handle.signal(AgentWorkflow.approve, ApprovalDecision(path_ids=entry["path_ids"]))
        assert (await handle.result()).end_reason == "completed"
    assert PROMPT in root_history  # the payloads were decoded
    token = TEST_SECRETS.mac(KEY, "tree-token", handle.id)
    assert token not in root_history and token not in child_history
    assert f"tree-key-{KEY}" in root_history  # the key's ID, not the key, is recorded
    assert re.search(rf'"tree_key":\s*"{KEY}"', child_history)
    assert '"tree_token"' not in child_history  # unset, so left out of the input


async def test_keys_rotate_without_stranding_a_waiting_run(
    dev_server_env: WorkflowEnvironment, task_queue: str
):
    client = dev_server_env.client
    old = WorkerSecrets({"k1": "the first secret of the workers"})
    async with running_worker(client, task_queue, secrets=old):
        waiting = await start_agent(client, task_queue, "hr_agent", PROMPT)
        [entry] = await wait_for_pending(waiting)
    rotated = WorkerSecrets(
        {"k2": "the second secret of the workers", **{"k1": "the first secret of the workers"}}
    )
    async with running_worker(client, task_queue, secrets=rotated):
        await waiting.signal(AgentWorkflow.approve, ApprovalDecision(path_ids=entry["path_ids"]))
        assert (await waiting.result()).end_reason == "completed"
        fresh = await start_agent(client, task_queue, "hr_agent", PROMPT)
        await wait_for_pending(fresh)
        await fresh.terminate("test done")
    assert "tree-key-k1" in await _history_text(client, waiting.id)
    assert "tree-key-k2" in await _history_text(client, fresh.id)


def _authorize(proof_key: str = "", proof: str = "") -> dict[str, object]:
    return {
        "agent": "account_agent",
        "tool": "authorize_account",
        "arguments": {"username": "mallory", "security_level": 5},
        "idempotency_key": "intruder/1/call_1",
        "approval_key": proof_key,
        "approval_proof": proof,
    }


@pytest.mark.parametrize(
    "input",
    [
        _authorize(),
        _authorize(KEY, "0" * 64),
        # A real proof, as another run's history would show it: bound to that run.
        _authorize(
            KEY,
            TEST_SECRETS.approval_proof(
                KEY,
                str(uuid.uuid4()),
                "intruder/1/call_1",
                "authorize_account",
                {"username": "mallory", "security_level": 5},
            ),
        ),
    ],
    ids=["no-proof", "forged-proof", "another-runs-proof"],
)
async def test_run_tool_refuses_a_call_that_needs_approval_without_proof(
    time_skipping_env: WorkflowEnvironment, task_queue: str, input: dict[str, object]
):
    answer = await intrude(time_skipping_env.client, task_queue, input)
    assert answer.startswith("refused: ") and "needs approval: this call carries no proof" in answer


async def test_run_tool_still_runs_calls_that_need_no_approval_for_anyone(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    create = {"agent": "account_agent", "tool": "create_account", "arguments": {"username": "x"}}
    assert (await intrude(time_skipping_env.client, task_queue, create)).startswith("ran: ")
