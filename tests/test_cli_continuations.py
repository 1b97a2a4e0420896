"""The starter's `export`, `resume` and `continue` commands against the dev server."""

from __future__ import annotations

import getpass
import io
import json
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from agent_continuations.agent_runs import IMPORT_MEMO
from agent_continuations.cli import amain
from helpers import one_error_line, running_worker, wait_for_pending
from test_example_agents import PROMPT


async def _memo(env: WorkflowEnvironment, workflow_id: str) -> Any:
    description = await env.client.get_workflow_handle(workflow_id).describe()
    return (await description.memo())[IMPORT_MEMO]


async def test_export_then_resume_a_decided_file(
    dev_server_env, task_queue, starter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("CONTINUATION_SEAL_KEY", "cli-test-key")
    file = tmp_path / "run.json"
    async with running_worker(dev_server_env.client, task_queue):
        code, out, _ = await starter("start", "hr_agent", PROMPT)
        workflow_id = out.strip()
        await wait_for_pending(dev_server_env.client.get_workflow_handle(workflow_id))

        code, _, err = await starter("export", workflow_id, "-o", str(file))
        assert code == 0
        assert err == f"exported approval_required continuation to {file} (sealed)\n"
        exported = json.loads(file.read_text())
        assert exported["seal"]["alg"] == "HMAC-SHA256"
        assert exported["agents"][""] == "hr_agent"

        exported["approval_info"][0]["approved"] = True
        file.write_text(json.dumps(exported))
        moved = f"{workflow_id}-moved"
        code, out, _ = await starter("resume", str(file), "--id", moved, "--approver", "carol")
        assert (code, out) == (0, f"{moved}\n")
        code, out, _ = await starter("result", moved, "--json")
        finished = json.loads(out)
        assert finished["end_reason"] == "completed"
        [decision] = finished["decisions"]
        assert (decision["approver"], decision["reason"]) == (
            "carol",
            "decided in the imported continuation run.json",
        )
        assert await _memo(dev_server_env, moved) == {
            "sealed": True,
            "allow_unsealed": False,
            "resumed_by": "carol",
            "source": "run.json",
            "dropped_decisions": 0,
        }
        code, _, err = await starter("resume", str(file), "--id", workflow_id)  # still waits
        assert code == 1
        assert f"a workflow with ID '{workflow_id}' already exists" in one_error_line(err)

        # With the key set, a file without its seal runs only when that is asked for, and
        # the run says so; the resumer is the OS user unless --approver says otherwise.
        seal = exported.pop("seal")
        file.write_text(json.dumps(exported))
        code, _, err = await starter("resume", str(file), "--id", f"{workflow_id}-unsealed")
        assert code == 1 and "unsealed, and a seal is required" in one_error_line(err)
        unsealed = f"{workflow_id}-allowed"
        code, out, _ = await starter("resume", str(file), "--id", unsealed, "--allow-unsealed")
        assert (code, out) == (0, f"{unsealed}\n")
        code, out, _ = await starter("result", unsealed, "--json")
        [decision] = json.loads(out)["decisions"]
        assert decision["approver"] == getpass.getuser()
        memo = await _memo(dev_server_env, unsealed)
        assert (memo["sealed"], memo["allow_unsealed"]) == (False, True)
        exported["seal"] = None  # a null seal is no seal either
        file.write_text(json.dumps(exported))
        code, _, err = await starter("resume", str(file), "--id", f"{workflow_id}-null")
        assert code == 1 and "unsealed, and a seal is required" in one_error_line(err)
        exported["seal"] = seal

        exported["continuation"]["resume_request"][0]["continuation"]["resume_request"][0][
            "function"
        ]["arguments"] = '{"username": "stzhang", "security_level": 5}'
        file.write_text(json.dumps(exported))
        code, _, err = await starter("resume", str(file), "--id", f"{workflow_id}-forged")
        assert code == 1
        assert "seal does not match" in one_error_line(err)


async def test_export_without_key_says_unsealed_and_bad_files_are_one_line(
    dev_server_env, task_queue, starter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("CONTINUATION_SEAL_KEY", raising=False)
    async with running_worker(dev_server_env.client, task_queue):
        code, out, _ = await starter("start", "hr_agent", PROMPT)
        workflow_id = out.strip()
        await wait_for_pending(dev_server_env.client.get_workflow_handle(workflow_id))
        code, out, err = await starter("export", workflow_id)
        assert code == 0
        assert json.loads(out)["end_reason"] == "approval_required"
        assert "unsealed: set CONTINUATION_SEAL_KEY to seal exports" in err

    not_json = tmp_path / "not.json"
    not_json.write_text("{oops")
    code, _, err = await starter("resume", str(not_json))
    assert code == 1 and f"{not_json}: not JSON" in one_error_line(err)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"continuation": {"messages": []}, "end_reason": "nope"}))
    code, _, err = await starter("resume", str(wrong))
    assert code == 1 and "unknown value 'nope'" in one_error_line(err)
    code, _, err = await starter("export", "no-such-run")
    assert code == 1 and "no-such-run" in one_error_line(err)


async def test_export_move_ends_the_run_with_its_continuation(
    dev_server_env, task_queue, starter, tmp_path: Path
):
    file = tmp_path / "moved.json"
    async with running_worker(dev_server_env.client, task_queue):
        code, out, _ = await starter("start", "hr_agent", PROMPT)
        workflow_id = out.strip()
        handle = dev_server_env.client.get_workflow_handle(workflow_id)
        [entry] = await wait_for_pending(handle)
        code, _, err = await starter("export", workflow_id, "-o", str(file), "--move")
        assert code == 0, err
        assert f"moved: run {workflow_id} has ended" in err
        moved = json.loads(file.read_text())
        # The run has ended with the same continuation, and its sub-agent with it.
        code, out, _ = await starter("result", workflow_id, "--json")
        assert json.loads(out) == moved
        [waiting] = moved["approval_info"]
        assert waiting["path_ids"] == entry["path_ids"] and waiting["approved"] is None
        code, out, err = await starter("pending", workflow_id)
        assert "No call waits for a decision" in out
        code, _, err = await starter("export", workflow_id, "--move")  # nothing left to move
        assert code == 0 and "moved:" not in err
        # Resumed untouched, the same call waits again; approved, the run completes.
        code, out, _ = await starter("resume", str(file), "--id", f"{workflow_id}-2")
        resumed = dev_server_env.client.get_workflow_handle(f"{workflow_id}-2")
        [again] = await wait_for_pending(resumed)
        assert again["path_ids"] == entry["path_ids"]
        code, out, _ = await starter("approve", f"{workflow_id}-2", "--all", "--yes")
        code, out, _ = await starter("result", f"{workflow_id}-2")
        assert out.startswith("end_reason: completed")


class Terminal(io.StringIO):
    """A stdin that is a terminal, with a person's answers."""

    def isatty(self) -> bool:
        return True


async def test_approve_decides_the_call_the_person_saw(
    dev_server_env, task_queue, starter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("CONTINUATION_SEAL_KEY", raising=False)
    file = tmp_path / "run.json"
    async with running_worker(dev_server_env.client, task_queue):
        code, out, _ = await starter("start", "hr_agent", PROMPT)
        workflow_id = out.strip()
        [seen] = await wait_for_pending(dev_server_env.client.get_workflow_handle(workflow_id))
        code, out, _ = await starter("pending", workflow_id)
        [shown] = [line.split(maxsplit=1)[1] for line in out.splitlines() if "approve:" in line]
        # Meanwhile the call changes under the same workflow ID: level 2 becomes level 5.
        code, _, err = await starter("export", workflow_id, "-o", str(file), "--move")
        assert code == 0, err
        file.write_text(file.read_text().replace('security_level\\": 2', 'security_level\\": 5'))
        code, out, err = await starter("resume", str(file), "--id", workflow_id)
        assert code == 0, err
        [now] = await wait_for_pending(dev_server_env.client.get_workflow_handle(workflow_id))
        assert now["path_ids"] == seen["path_ids"] and now["digest"] != seen["digest"]

        # What the person saw is refused; unseen, the change is shown and asked about.
        _, *argv = shlex.split(shown)
        code, out, err = await starter(*argv)
        assert (code, out) == (1, "")
        assert f"not the call decided on: its digest is {now['digest']}" in one_error_line(err)
        call = seen["path_ids"][-1]
        code, _, err = await starter("approve", workflow_id, call)
        assert code == 1 and "pass the --digest" in one_error_line(err)
        with monkeypatch.context() as patch:
            patch.setattr(sys, "stdin", Terminal("n\n"))
            code, out, err = await starter("approve", workflow_id, call)
        assert code == 1 and one_error_line(err) == "error: nothing decided"
        assert '"security_level": 5' in out and out.endswith("Approve as shown? [y]es / [n]o: ")
        code, out, _ = await starter("approve", workflow_id, call, "--yes")
        assert code == 0
        assert out.startswith(f"1 call(s) to approve in {workflow_id}:\n")
        assert '"security_level": 5' in out and f"digest:    {now['digest']}" in out
        code, out, _ = await starter("result", workflow_id, "--json")
        [decision] = json.loads(out)["decisions"]
        assert decision["approved"] and decision["tool_call_id"] == call


@pytest.mark.parametrize(
    ("flags", "problem"),
    [
        (["--turns", "0"], "error: --turns must be at least 1, not 0"),
        (["--tokens", "-5"], "error: --tokens must be at least 1, not -5"),
        (["--seconds", "0"], "error: --seconds must be above 0 and at most 2592000, not 0"),
        (["--seconds", "nan"], "error: --seconds must be above 0 and at most 2592000, not nan"),
    ],
)
async def test_continue_refuses_an_empty_budget_in_one_line(flags, problem, capsys):
    # Checked before connecting: nothing listens at port 1.
    code = await amain(["--address", "127.0.0.1:1", "continue", "some-run", *flags])
    assert code == 1
    assert one_error_line(capsys.readouterr().err) == problem
