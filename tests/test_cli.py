"""The starter's commands against the dev server, in process, and their one-line errors."""

from __future__ import annotations

import json
import shlex
import socket

import pytest

from agent_continuations.cli import amain
from helpers import one_error_line, running_worker, start_agent, wait_for_pending
from test_example_agents import PROMPT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_start_pending_approve_result(dev_server_env, task_queue, starter):
    async with running_worker(dev_server_env.client, task_queue):
        code, out, _ = await starter("start", "hr_agent", PROMPT)
        assert code == 0
        workflow_id = out.strip()
        [entry] = await wait_for_pending(dev_server_env.client.get_workflow_handle(workflow_id))
        call_id = entry["tool_call"]["id"]

        code, out, _ = await starter("pending", workflow_id)
        assert code == 0
        assert "  account_agent_tool > authorize_account\n" in out
        assert 'arguments: {"username": "stzhang", "security_level": 2}' in out
        assert f"call ID:   {call_id}" in out
        command = f"agent-starter approve {workflow_id} {call_id} --digest {entry['digest']}"
        assert f"approve:   {command}\n" in out

        code, out, _ = await starter("pending", workflow_id, "--json")
        assert json.loads(out) == [entry]

        _, *argv = shlex.split(command)  # what `pending` shows, as a person would paste it
        code, out, _ = await starter(*argv, "--approver", "alice", "--reason", "known")
        assert (code, out) == (0, f"approved account_agent_tool > authorize_account ({call_id})\n")

        code, out, _ = await starter("result", workflow_id, "--json")
        output = json.loads(out)
        assert output["end_reason"] == "completed"
        assert "onboarded" in output["result"]
        [decision] = output["decisions"]
        assert (decision["approver"], decision["reason"]) == ("alice", "known")

        code, out, _ = await starter("result", workflow_id)
        assert out.startswith("end_reason: completed\nresult: stzhang is onboarded")
        assert f"approved account_agent_tool > authorize_account ({call_id}) by alice" in out


async def test_start_wait_then_approve_all(dev_server_env, task_queue, starter):
    async with running_worker(dev_server_env.client, task_queue):
        code, out, _ = await starter("start", "hr_agent", PROMPT, "--wait")
        workflow_id, heading, path, *_ = out.splitlines()
        assert (heading, path) == (
            "Waiting for a decision:",
            "  account_agent_tool > authorize_account",
        )
        code, out, _ = await starter("approve", workflow_id, "--all", "--yes")
        assert code == 0 and out.startswith(f"1 call(s) to approve in {workflow_id}:\n")
        assert "\napproved account_agent_tool > authorize_account (" in out
        code, out, _ = await starter("result", workflow_id)
        assert out.startswith("end_reason: completed")


async def test_reject_ends_the_run(dev_server_env, task_queue, starter):
    client = dev_server_env.client
    async with running_worker(client, task_queue):
        handle = await start_agent(client, task_queue, "hr_agent", PROMPT)
        [entry] = await wait_for_pending(handle)
        code, out, _ = await starter(
            "reject",
            handle.id,
            entry["tool_call"]["id"],
            "--digest",
            entry["digest"],
            "--reason",
            "no",
        )
        assert code == 0 and out.startswith("rejected account_agent_tool > authorize_account")
        code, out, _ = await starter("result", handle.id, "--json")
        output = json.loads(out)
        assert output["end_reason"] == "rejected_tool_calls"
        assert output["decisions"][0]["reason"] == "no"
        code, _, err = await starter("approve", handle.id, "--all", "--yes")
        assert code == 1
        assert one_error_line(err).endswith("has ended (COMPLETED): nothing to decide")


async def test_unknown_call_is_refused_with_the_validators_message(
    dev_server_env, task_queue, starter
):
    client = dev_server_env.client
    async with running_worker(client, task_queue):
        handle = await start_agent(client, task_queue, "hr_agent", PROMPT)
        [entry] = await wait_for_pending(handle)
        code, out, err = await starter("approve", handle.id, "call_bogus", "--yes")
        assert (code, out) == (1, "")
        assert one_error_line(err) == (
            "error: refused: no call 'call_bogus' is waiting for a decision "
            f"(waiting: {entry['tool_call']['id']})"
        )
        await handle.terminate("test over")


@pytest.mark.parametrize(
    "argv",
    [
        ["pending", "no-such-run"],
        ["result", "no-such-run"],
        ["reject", "no-such-run", "call_x", "--yes"],
    ],
)
async def test_unknown_workflow_is_one_line(starter, argv):
    code, out, err = await starter(*argv)
    assert (code, out) == (1, "")
    assert "workflow not found for ID: no-such-run" in one_error_line(err)


async def test_unknown_agent_is_refused_before_connecting(capsys):
    code = await amain(["--address", f"127.0.0.1:{free_port()}", "start", "nobody", "hi"])
    assert code == 1
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith("error: unknown agent 'nobody' (known: ") and "hr_agent" in line


async def test_no_server_is_one_line(capsys):
    address = f"127.0.0.1:{free_port()}"
    code = await amain(["--address", address, "pending", "some-run"])
    assert code == 1
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith(f"error: cannot reach a Temporal server at {address}")


async def test_approve_needs_call_ids_or_all(capsys):
    assert await amain(["approve", "some-run"]) == 1
    assert "--all" in one_error_line(capsys.readouterr().err)


async def test_a_taken_workflow_id_is_one_line(dev_server_env, task_queue, starter):
    workflow_id = f"taken-{task_queue}"
    code, out, _ = await starter("start", "hr_agent", PROMPT, "--id", workflow_id)
    assert (code, out.strip()) == (0, workflow_id)
    code, _, err = await starter("start", "hr_agent", PROMPT, "--id", workflow_id)
    assert code == 1
    assert one_error_line(err) == f"error: a workflow with ID '{workflow_id}' already exists"
    await dev_server_env.client.get_workflow_handle(workflow_id).terminate("test done")


@pytest.mark.parametrize(
    "argv",
    [["approve", "some-run", "call_1"], ["approve", "some-run", "--all"], ["reject", "r", "c"]],
)
async def test_deciding_without_digest_needs_a_terminal_or_yes(capsys, argv):
    assert await amain(argv) == 1  # refused before connecting
    assert one_error_line(capsys.readouterr().err) == (
        "error: no terminal to confirm the calls on: pass the --digest `pending ID` shows for "
        "each call, or --yes to decide the calls as they are now"
    )


async def test_one_digest_per_call_id(capsys):
    assert await amain(["approve", "some-run", "call_1", "call_2", "--digest", "d1"]) == 1
    assert "one --digest per CALL_ID" in one_error_line(capsys.readouterr().err)
