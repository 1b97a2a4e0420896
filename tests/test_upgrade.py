"""Deploying new workflow code while runs wait for people: worker v1 and v2 of one Worker
Deployment as processes on the dev server; runs stay on v1 until `upgrade` moves them."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from agent_continuations.cli import amain
from agent_continuations.cli._format import DEPLOYMENT_VERSION_KEY
from agent_continuations.shared import ApprovalDecision, JsonDict
from agent_continuations.workflows import AgentWorkflow
from helpers import start_agent, tool_results, wait_for_pending, worker_process
from test_example_agents import PROMPT
from v2_worker import CODE_MEMO

TESTS = Path(__file__).resolve().parent
TEMPORAL = Path(sys.executable).parent / "temporal"
V2_PROGRAM = [sys.executable, str(TESTS / "v2_worker.py")]
DEPLOYMENT = "agents"
# Tree tokens sealed with a key: `apply_upgrade` goes down the tree sealed, as in production.
WORKER_ENV = {"AGENT_MODEL": "scripted", "AGENT_WORKER_SECRETS": "k1:a secret for the test workers"}
AUTHORIZED = "Account stzhang was created and authorized at security level 2."


async def deployment_command(address: str, *argv: str) -> JsonDict:
    """`temporal worker deployment ARGV` as the README gives it, its JSON output."""
    process = await asyncio.create_subprocess_exec(
        str(TEMPORAL), "worker", "deployment", *argv, "--address", address, "-o", "json",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    if process.returncode:
        raise RuntimeError(err.decode())
    return json.loads(out) if out.strip() else {}


async def make_current(address: str, build_id: str, deployment: str = DEPLOYMENT) -> None:
    """Make the version current; the server knows it only once its worker has polled."""
    flags = ["--deployment-name", deployment, "--build-id", build_id, "--yes"]
    for _ in range(100):
        try:
            await deployment_command(address, "set-current-version", *flags)
            return
        except RuntimeError:
            await asyncio.sleep(0.2)
    await deployment_command(address, "set-current-version", *flags)


async def drainage(address: str, build_id: str) -> str:
    flags = ["--deployment-name", DEPLOYMENT, "--build-id", build_id]
    described = await deployment_command(address, "describe-version", *flags)
    return str((described.get("drainageInfo") or {}).get("drainageStatus"))


async def version_of(handle: WorkflowHandle[Any, Any]) -> tuple[str, str | None]:
    """The version the run's latest run is on, and the memo the v2 code writes."""
    description = await handle.describe()
    version = description.raw_description.workflow_execution_info.versioning_info
    memo = await description.memo_value(CODE_MEMO, None)
    return version.deployment_version.build_id, memo


async def wait_until_on(
    client: Client, handle: WorkflowHandle[Any, Any], build_id: str
) -> list[JsonDict]:
    """Wait until every running level of the run's tree (the root and its sub-agent) runs on
    `build_id` and the run waits for a person again; what waits."""
    running = f'WorkflowId STARTS_WITH "{handle.id}" AND ExecutionStatus = "Running"'
    for _ in range(150):
        levels = [e async for e in client.list_workflows(running)]
        versions = [e.typed_search_attributes.get(DEPLOYMENT_VERSION_KEY) for e in levels]
        if versions == [f"{DEPLOYMENT}:{build_id}"] * 2:
            return await wait_for_pending(handle)
        await asyncio.sleep(0.2)
    raise AssertionError(f"{handle.id} never moved to {build_id}: {versions}")


async def tool_runs(client: Client, workflow_id: str, tool: str) -> int:
    """How many times `tool` was scheduled in every run of every level of the tree."""
    runs = [e async for e in client.list_workflows(f'WorkflowId STARTS_WITH "{workflow_id}"')]
    count = 0
    for run in runs:
        history = await client.get_workflow_handle(run.id, run_id=run.run_id).fetch_history()
        count += sum(
            1
            for event in history.events
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
            and f": {tool} (".encode() in event.user_metadata.summary.data
        )
    return count


def test_the_v2_code_fails_the_replay_of_v1_histories():
    code = (
        "import asyncio, pathlib, v2_worker; v2_worker.install(); import test_replay; "
        "print(asyncio.run(test_replay.replay_failure(pathlib.Path('histories/hr_approved.json'))))"
    )
    replayed = subprocess.run(
        [sys.executable, "-c", code], cwd=TESTS, capture_output=True, text=True, check=True
    )
    assert "Nondeterminism" in replayed.stdout, replayed.stdout + replayed.stderr


async def approve(handle: WorkflowHandle[Any, Any], entry: JsonDict) -> None:
    decision = ApprovalDecision(tool_call_id=entry["path_ids"][-1], digest=entry["digest"])
    await handle.signal(AgentWorkflow.approve, decision)


async def test_waiting_runs_move_to_the_new_version_and_the_old_one_drains(
    versioning_dev_server_env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str]
):
    client = versioning_dev_server_env.client
    address = client.service_client.config.target_host
    task_queue = f"tq-{uuid.uuid4()}"
    flags = ["--address", address, "--task-queue", task_queue, "--deployment", DEPLOYMENT]

    async def starter(*argv: str) -> tuple[int, str, str]:
        code = await amain(["--address", address, "--task-queue", task_queue, *argv])
        out, err = capsys.readouterr()
        return code, out, err

    with worker_process([*flags, "--build-id", "v1"], TESTS, WORKER_ENV) as (v1, line):
        assert "(agents.v1)" in line
        await make_current(address, "v1")
        runs = [await start_agent(client, task_queue, "hr_agent", PROMPT) for _ in range(3)]
        entries = [(await wait_for_pending(run))[0] for run in runs]
        assert all(len(entry["path_ids"]) == 2 for entry in entries)  # inside the sub-agent

        v2_flags = [*flags, "--build-id", "v2"]
        with worker_process(v2_flags, TESTS, WORKER_ENV, program=V2_PROGRAM) as (_, line):
            assert "(agents.v2)" in line
            await make_current(address, "v2")
            code, out, _ = await starter("list")
            assert code == 0
            assert all("agents.v1  authorize_account" in row for row in out.splitlines()[1:])

            # Run 1 is pinned: approved, it completes on v1, which replays its history.
            await approve(runs[0], entries[0])
            output = await runs[0].result()
            assert tool_results(output)["account_agent_tool"] == AUTHORIZED
            assert await version_of(runs[0]) == ("v1", None)

            # Run 2 is upgraded: every level continues as new on v2, waiting as before.
            code, out, err = await starter("upgrade", runs[1].id)
            assert code == 0, err
            assert out.strip() == (
                f"{runs[1].id} moves to the current version now (agents.v1 -> agents.v2)"
            )
            assert await wait_until_on(client, runs[1], "v2") == [entries[1]]
            code, out, _ = await starter("list")
            [row] = [row for row in out.splitlines() if row.startswith(runs[1].id)]
            assert "awaiting_approval  RUNNING    agents.v2  authorize_account since" in row
            await approve(runs[1], entries[1])
            output = await runs[1].result()
            assert await version_of(runs[1]) == ("v2", "v2")
            assert tool_results(output)["account_agent_tool"] == AUTHORIZED
            [decision] = output.decisions
            assert decision.approved and decision.tool_call_id == entries[1]["path_ids"][-1]
            assert await tool_runs(client, runs[1].id, "authorize_account") == 1

            # A new run starts on v2.
            new_run = await start_agent(client, task_queue, "hr_agent", PROMPT)
            [new_entry] = await wait_for_pending(new_run)
            assert (await version_of(new_run))[0] == "v2"

            # `upgrade --all` moves run 3; the decision sent at once is not lost.
            code, out, err = await starter("upgrade", "--all", "--agent", "hr_agent")
            assert code == 0, err
            assert f"{runs[2].id} moves to the current version now" in out
            assert f"{new_run.id} is on the current version agents.v2 already" in err
            await approve(runs[2], entries[2])
            output = await runs[2].result()
            assert await version_of(runs[2]) == ("v2", "v2")
            [decision] = output.decisions
            assert decision.approved and decision.tool_call_id == entries[2]["path_ids"][-1]
            assert await tool_runs(client, runs[2].id, "authorize_account") == 1

            # No run is left on v1: it drains, and its worker may stop.
            for _ in range(150):
                if await drainage(address, "v1") == "drained":
                    break
                await asyncio.sleep(0.2)
            assert await drainage(address, "v1") == "drained"
            v1.terminate()
            v1.wait()
            await approve(new_run, new_entry)
            assert (await new_run.result()).end_reason == "completed"
            running = f'TaskQueue = "{task_queue}" AND ExecutionStatus = "Running"'
            for _ in range(50):  # the visibility store catches up a moment later
                if (await client.count_workflows(running)).count == 0:
                    break
                await asyncio.sleep(0.2)
            assert (await client.count_workflows(running)).count == 0
