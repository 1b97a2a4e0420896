"""Approvers (issue 15): a tool's calls decided only by the people it names, each decision
signed with the approver's Ed25519 key and checked by the run against the workers' keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from agent_continuations.agent_definitions import (
    Agent,
    AgentCatalog,
    ApproverKeys,
    decision_message,
    sign_decision,
    tool,
)
from agent_continuations.agent_runs import decide_run, export_run, resume_run
from agent_continuations.shared import ApprovalDecision, DecideInput, RunOptions, call_digest
from agent_continuations.workflows import AgentWorkflow
from helpers import intrude, running_worker, start_agent, tool_call, tool_results, wait_for_pending
from test_import import decided

KEYS: dict[str, Ed25519PrivateKey] = {
    name: Ed25519PrivateKey.generate() for name in ("alice", "mallory")
}


def _pem(name: str) -> bytes:
    return KEYS[name].private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _public_pem(name: str) -> bytes:
    return (
        KEYS[name]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


# The workers know both keys; only alice approves the vault.
APPROVER_KEYS = ApproverKeys({name: _public_pem(name) for name in KEYS})


OPENED: list[str] = []  # the vaults opened, by every test's in-process worker


@tool(approvers=["alice"])
def open_vault(vault: str) -> str:
    """Open a vault."""
    OPENED.append(vault)
    return f"{vault} is open"


AGENTS = [Agent(name="vault_keeper", instructions="Open vaults.", tools=[open_vault])]
SCRIPTS = {
    "vault_keeper": [
        {"tool_calls": [tool_call("open_vault", vault="north")]},
        {"content": "done"},
    ]
}


def _signed(
    workflow_id: str, entry: dict, approver: str, approved: bool = True, **overrides: str
) -> DecideInput:
    message = decision_message(
        overrides.get("signed_for", workflow_id),
        entry["path_ids"][-1],
        entry["digest"],
        approved,
        None,
    )
    return DecideInput(
        path_ids=entry["path_ids"],
        approved=approved,
        approver=overrides.get("as_approver", approver),
        digest=entry["digest"],
        signature=sign_decision(_pem(approver), message),
    )


def test_a_tool_with_approvers_needs_approval_and_their_keys():
    assert open_vault.requires_approval({"vault": "x"})
    with pytest.raises(ValueError, match="names approvers without a key: alice"):
        AgentCatalog(AGENTS, approver_keys=ApproverKeys())


async def test_only_the_approvers_signature_decides(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    client = time_skipping_env.client
    async with running_worker(
        client, task_queue, SCRIPTS, agents=AGENTS, approver_keys=APPROVER_KEYS
    ):
        handle = await start_agent(client, task_queue, "vault_keeper", "open north")
        [entry] = await wait_for_pending(handle)
        unsigned = DecideInput(path_ids=entry["path_ids"], approved=True, approver="alice")
        forged = [
            (unsigned, "is decided only by alice, with a signed decision"),
            (_signed(handle.id, entry, "mallory"), "is decided only by alice"),
            (_signed(handle.id, entry, "mallory", as_approver="alice"), "is not alice's"),
            # alice's real signature, for another run: replayed here, it does not hold.
            (_signed(handle.id, entry, "alice", signed_for="another-run"), "is not alice's"),
            # alice's signature on a rejection does not approve.
            (
                _signed(handle.id, entry, "alice", approved=False).model_copy(
                    update={"approved": True}
                ),
                "is not alice's",
            ),
        ]
        for decision, problem in forged:
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await decide_run(handle, decision)
            assert problem in str(refused.value.cause)
        # The same unsigned decision as a signal is ignored: the call still waits.
        await handle.signal(AgentWorkflow.approve, ApprovalDecision(path_ids=entry["path_ids"]))
        assert len(await wait_for_pending(handle)) == 1
        assert await decide_run(handle, _signed(handle.id, entry, "alice")) == (
            f"approved open_vault ({entry['path_ids'][-1]})"
        )
        output = await handle.result()
    assert tool_results(output) == {"open_vault": "north is open"}
    [record] = output.decisions
    assert (record.approver, record.approved) == ("alice", True)


async def test_the_starter_signs_with_a_key_file_and_prints_a_signal_to_paste(
    dev_server_env: WorkflowEnvironment, task_queue: str, starter, tmp_path: Path
):
    (tmp_path / "alice.pem").write_bytes(_pem("alice"))
    client = dev_server_env.client
    async with running_worker(
        client, task_queue, SCRIPTS, agents=AGENTS, approver_keys=APPROVER_KEYS
    ):
        handle = await start_agent(client, task_queue, "vault_keeper", "open north")
        [entry] = await wait_for_pending(handle)
        key = ["--key", str(tmp_path / "alice.pem"), "--approver", "alice"]
        code, out, err = await starter("approve", handle.id, "--all", "--yes", "--print", *key)
        assert code == 0, err
        signal_input = json.loads(out.splitlines()[-1])
        assert signal_input["approver"] == "alice" and signal_input["signature"]
        # What a person pastes into the Web UI's `approve` signal.
        await handle.signal("approve", signal_input)
        output = await handle.result()
    assert output.end_reason == "completed"
    assert output.decisions[0].approver == "alice"


async def test_a_continuation_file_cannot_approve_an_approvers_call(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    client = time_skipping_env.client
    async with running_worker(
        client, task_queue, SCRIPTS, agents=AGENTS, approver_keys=APPROVER_KEYS
    ):
        original = await start_agent(client, task_queue, "vault_keeper", "open north")
        await wait_for_pending(original)
        exported = json.loads(json.dumps(await export_run(client, original.id, move=True)))
        approved = decided(exported, True)  # the file says: approved
        resumed = await resume_run(client, approved, AgentCatalog(AGENTS), task_queue=task_queue)
        [entry] = await wait_for_pending(resumed)  # it waits for alice all the same
        assert await decide_run(resumed, _signed(resumed.id, entry, "alice")) == (
            f"approved open_vault ({entry['path_ids'][-1]})"
        )
        output = await resumed.result()
    assert tool_results(output) == {"open_vault": "north is open"}
    assert [d.approver for d in output.decisions if d.approved] == ["alice"]


@tool(needs_approval=True)
def close_vault(vault: str) -> str:
    """Close a vault."""
    return f"{vault} is closed"


GUARDED_AGENTS = [
    Agent(name="guarded_closer", instructions="Close.", tools=[close_vault], approvers=["alice"]),
    Agent(name="plain_closer", instructions="Close.", tools=[close_vault]),
]
CLOSE_SCRIPT = [{"tool_calls": [tool_call("close_vault", vault="south")]}, {"content": "done"}]


@pytest.mark.parametrize(
    ("agent", "options"),
    [("guarded_closer", RunOptions()), ("plain_closer", RunOptions(approvers=["alice"]))],
    ids=["the-agent-names-them", "the-run-names-them"],
)
async def test_an_agent_or_a_run_names_the_approvers(
    time_skipping_env: WorkflowEnvironment, task_queue: str, agent: str, options: RunOptions
):
    client = time_skipping_env.client
    scripts = {name: CLOSE_SCRIPT for name in ("guarded_closer", "plain_closer")}
    async with running_worker(
        client, task_queue, scripts, agents=GUARDED_AGENTS, approver_keys=APPROVER_KEYS
    ):
        handle = await start_agent(client, task_queue, agent, "close south", options=options)
        [entry] = await wait_for_pending(handle)
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await decide_run(handle, DecideInput(path_ids=entry["path_ids"], approved=True))
        assert "close_vault is decided only by alice" in str(refused.value.cause)
        await decide_run(handle, _signed(handle.id, entry, "alice"))
        output = await handle.result()
    assert tool_results(output) == {"close_vault": "south is closed"}


async def test_a_run_naming_an_approver_without_a_key_ends_with_one_line(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    client = time_skipping_env.client
    options = RunOptions(approvers=["carol"])
    async with running_worker(
        client, task_queue, {}, agents=GUARDED_AGENTS, approver_keys=APPROVER_KEYS
    ):
        handle = await start_agent(client, task_queue, "plain_closer", "close", options=options)
        output = await handle.result()
    assert (output.end_reason, output.error) == (
        "error",
        "the run names approvers without a key: carol",
    )


VAULT_CHIEF = Agent(name="vault_chief", instructions="Delegate.", sub_agents=[AGENTS[0]])
NESTED_SCRIPTS = {
    "vault_chief": [
        {"tool_calls": [tool_call(AGENTS[0].tool_name, prompt="open north")]},
        {"content": "the keeper is done"},
    ],
    **SCRIPTS,
}


async def test_an_approvers_call_in_a_sub_agent_runs_on_the_signature_passed_down(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    client = time_skipping_env.client
    async with running_worker(
        client, task_queue, NESTED_SCRIPTS, agents=[VAULT_CHIEF], approver_keys=APPROVER_KEYS
    ):
        handle = await start_agent(client, task_queue, "vault_chief", "open north")
        [entry] = await wait_for_pending(handle)
        assert len(entry["path_ids"]) == 2
        opened = len(OPENED)
        await decide_run(handle, _signed(handle.id, entry, "alice"))
        output = await handle.result()
    assert output.end_reason == "completed"
    assert OPENED[opened:] == ["north"]  # the tool ran once, below, on alice's signature
    assert [d.approver for d in output.decisions] == ["alice"]


def _open_vault_input(signed: dict | None) -> dict[str, object]:
    arguments = {"vault": "north"}
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "open_vault", "arguments": json.dumps(arguments)},
    }
    return {
        "agent": "vault_keeper",
        "tool": "open_vault",
        "arguments": arguments,
        "idempotency_key": "intruder/1/call_1",
        "signed_approval": signed and {"tool_call": call, **signed},
    }


def _signature(approver: str, root: str) -> str:
    digest = call_digest({"function": {"name": "open_vault", "arguments": '{"vault": "north"}'}})
    return sign_decision(_pem(approver), decision_message(root, "call_1", digest, True, None))


@pytest.mark.parametrize(
    ("signed", "problem"),
    [
        (None, "runs only with a decision signed by alice"),
        (
            {
                "approver": "mallory",
                "signature": _signature("mallory", "r"),
                "root_workflow_id": "r",
            },
            "'mallory' is not among the approvers",
        ),
        # alice's real signature, from another tree's history: not for this workflow.
        (
            {"approver": "alice", "signature": _signature("alice", "r"), "root_workflow_id": "r"},
            "the signed decision is for the tree of 'r'",
        ),
    ],
    ids=["unsigned", "not-an-approver", "another-tree"],
)
async def test_run_tool_checks_the_approvers_signature_itself(
    time_skipping_env: WorkflowEnvironment, task_queue: str, signed: dict | None, problem: str
):
    answer = await intrude(
        time_skipping_env.client,
        task_queue,
        _open_vault_input(signed),
        scripts=SCRIPTS,
        agents=AGENTS,
        approver_keys=APPROVER_KEYS,
    )
    assert answer.startswith("refused: ") and problem in answer
