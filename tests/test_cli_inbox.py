"""`pending` without an ID and `list`: every run that waits, at any depth, from the CLI."""

from __future__ import annotations

import asyncio
import json
import shlex
from typing import Any

from temporalio.worker import Worker

import test_suspension
from agent_continuations import examples
from agent_continuations.agent_definitions import WorkerSecrets
from agent_continuations.cli import amain
from agent_continuations.plugin import AgentPlugin
from agent_continuations.testing import SCRIPTED_MODEL, scripted_model_activities
from continuation_cases import DIRECTOR_PROMPT, director_agent
from continuation_cases import SCRIPTS as DIRECTOR_SCRIPTS
from helpers import one_error_line, running_worker, start_agent, wait_for_pending
from test_example_agents import PROMPT

AGENTS = [director_agent, test_suspension.slow_shipper]
SCRIPTS = {**DIRECTOR_SCRIPTS, **test_suspension.SCRIPTS}
# One run waits at each depth: at the root, in a sub-agent, in a sub-agent's sub-agent.
RUNS = {
    "slow_shipper": ("ship A1", ["ship"]),
    "hr_agent": (PROMPT, ["account_agent_tool", "authorize_account"]),
    "director_agent": (
        DIRECTOR_PROMPT,
        ["hr_agent_tool", "account_agent_tool", "authorize_account"],
    ),
}


async def _started(starter) -> dict[str, str]:
    """Start one run per agent of `RUNS`; their workflow IDs by agent."""
    ids = {}
    for agent, (prompt, _) in RUNS.items():
        code, out, _ = await starter("start", agent, prompt)
        assert code == 0, out
        ids[agent] = out.strip()
    return ids


async def _inbox(starter, ids: dict[str, str], *flags: str) -> dict[str, list[dict[str, Any]]]:
    """`pending --json` once every run of `ids` shows there: the entries of those runs."""
    async with asyncio.timeout(30):
        while True:
            code, out, _ = await starter("pending", "--json", *flags)
            assert code == 0
            mine: dict[str, list[dict[str, Any]]] = {}
            for entry in json.loads(out):
                if entry["workflow_id"] in ids.values():
                    mine.setdefault(entry["workflow_id"], []).append(entry)
            if len(mine) == len(ids):
                return mine
            await asyncio.sleep(0.2)


async def test_pending_lists_every_waiting_call_in_every_run(dev_server_env, task_queue, starter):
    async with running_worker(dev_server_env.client, task_queue, SCRIPTS, agents=AGENTS):
        ids = await _started(starter)
        inbox = await _inbox(starter, ids)
        for agent, workflow_id in ids.items():
            [entry] = inbox[workflow_id]
            assert entry["agent"] == agent
            assert entry["paths"] == RUNS[agent][1]
            assert entry["waiting_since"]
            call_id = entry["path_ids"][-1]
            assert entry["approve_command"] == (
                f"agent-starter approve {workflow_id} {call_id} --digest {entry['digest']}"
            )

        code, out, _ = await starter("pending")
        shipper = inbox[ids["slow_shipper"]][0]
        assert f"{ids['slow_shipper']} (slow_shipper), waiting since " in out
        assert "  ship\n" in out and 'arguments: {"order": "A1"}' in out
        assert f"    approve:   {shipper['approve_command']}\n" in out
        assert "  hr_agent_tool > account_agent_tool > authorize_account\n" in out

        only = {"slow_shipper": ids["slow_shipper"]}
        assert (await _inbox(starter, only, "--agent", "slow_shipper")).keys() == {
            ids["slow_shipper"]
        }
        code, out, _ = await starter("pending", "--json", "--agent", "slow_shipper")
        assert {e["agent"] for e in json.loads(out)} == {"slow_shipper"}
        code, out, _ = await starter("pending", "--json", "--tool", "authorize_account")
        found = {e["workflow_id"] for e in json.loads(out)}
        assert {ids["hr_agent"], ids["director_agent"]} <= found
        assert ids["slow_shipper"] not in found

        # The command shown approves the call: the run leaves the list.
        for workflow_id, [entry] in inbox.items():
            _, *argv = shlex.split(entry["approve_command"])
            code, out, _ = await starter(*argv)
            assert (code, out.split()[0]) == (0, "approved")
            code, out, _ = await starter("result", workflow_id)
            assert out.startswith("end_reason: completed")
        code, out, _ = await starter("pending", "--json")
        assert not {e["workflow_id"] for e in json.loads(out)} & set(ids.values())


async def test_list_shows_each_runs_status(dev_server_env, task_queue, starter):
    async with running_worker(dev_server_env.client, task_queue, SCRIPTS, agents=AGENTS):
        ids = await _started(starter)
        inbox = await _inbox(starter, ids)
        code, out, _ = await starter("list", "--json")
        runs = {r["workflow_id"]: r for r in json.loads(out)}
        for agent, workflow_id in ids.items():
            run = runs[workflow_id]
            assert (run["agent"], run["status"], run["execution_status"]) == (
                agent,
                "awaiting_approval",
                "RUNNING",
            )
            assert run["waiting_tools"] == [RUNS[agent][1][-1]]
            assert run["failing_task_attempt"] is None
        assert not any("/" in workflow_id for workflow_id in runs)  # no sub-agent is listed

        [entry] = inbox[ids["slow_shipper"]]
        await starter("reject", ids["slow_shipper"], entry["path_ids"][-1], "--yes")
        await starter("result", ids["slow_shipper"])
        code, out, _ = await starter("list", "--status", "awaiting_approval", "--json")
        waiting = {r["workflow_id"] for r in json.loads(out)}
        assert {ids["hr_agent"], ids["director_agent"]} <= waiting
        assert ids["slow_shipper"] not in waiting
        code, out, _ = await starter("list", "--status", "rejected", "--agent", "slow_shipper")
        header, *rows = out.splitlines()
        assert header.split() == [
            "WORKFLOW",
            "ID",
            "AGENT",
            "STATUS",
            "EXECUTION",
            "VERSION",
            "WAITING",
        ]
        assert any(
            row.split()[:4] == [ids["slow_shipper"], "slow_shipper", "rejected", "COMPLETED"]
            for row in rows
        )
        for workflow_id in (ids["hr_agent"], ids["director_agent"]):
            await dev_server_env.client.get_workflow_handle(workflow_id).terminate("test over")


async def test_filters_go_with_the_list_only(starter):
    code, out, err = await starter("pending", "some-run", "--agent", "hr_agent")
    assert (code, out) == (1, "")
    assert one_error_line(err) == (
        "error: --agent and --tool filter the runs of `pending` without an ID"
    )
    code, out, err = await starter("pending", "--agent", 'hr"agent')
    assert (code, out) == (1, "")
    assert "--agent takes a name without quotes" in one_error_line(err)


async def test_a_server_without_them_warns_on_start_and_cannot_list(
    time_skipping_env, task_queue, capsys
):
    address = time_skipping_env.client.service_client.config.target_host
    argv = ["--address", address, "--task-queue", task_queue]
    async with running_worker(time_skipping_env.client, task_queue):
        assert await amain([*argv, "start", "hr_agent", PROMPT]) == 0
        out, err = capsys.readouterr()
        assert out.strip() and err.startswith("warning: namespace 'default' lacks the search ")
        await time_skipping_env.client.get_workflow_handle(out.strip()).terminate("test over")
    assert await amain([*argv, "pending"]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith("error: the server cannot list agent runs (")
    assert "temporal operator search-attribute create" in line


async def test_list_says_when_a_runs_workflow_task_keeps_failing(
    dev_server_env, task_queue, starter
):
    client = dev_server_env.client
    first = WorkerSecrets({"k1": "the key the run started with"})
    async with running_worker(client, task_queue, secrets=first):
        handle = await start_agent(client, task_queue, "hr_agent", PROMPT)
        await wait_for_pending(handle)
    # A worker that lacks the run's key cannot run its tasks: each one fails, and is retried.
    plugin = AgentPlugin(
        [examples.hr_agent],
        default_model=SCRIPTED_MODEL,
        secrets=WorkerSecrets({"k2": "a key the run never had"}),
        model_activities=scripted_model_activities(examples.SCRIPTS),
    )
    async with Worker(client, task_queue=task_queue, plugins=[plugin]):
        await handle.signal("nudge")  # a signal makes the run a new workflow task
        deadline = asyncio.get_running_loop().time() + 30
        while True:
            code, out, _ = await starter("list", "--agent", "hr_agent", "--json")
            [run] = [r for r in json.loads(out) if r["workflow_id"] == handle.id]
            if run["failing_task_attempt"] or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.5)
        assert run["status"] == "awaiting_approval" and run["failing_task_attempt"] >= 2
        code, out, _ = await starter("list", "--agent", "hr_agent")
        [row] = [line for line in out.splitlines() if line.startswith(handle.id)]
        assert "(its workflow task fails: attempt" in row
    await handle.terminate("test done")
