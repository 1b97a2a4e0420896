"""A run whose MCP call waits for a person moves out as a continuation and resumes on another
worker, whose own server process runs the call once it is approved."""

from __future__ import annotations

import json
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from agent_continuations.agent_definitions import AgentCatalog
from agent_continuations.agent_runs import export_run, resume_run
from agent_continuations.shared import ApprovalDecision
from agent_continuations.workflows import AgentWorkflow
from helpers import (
    query_until,
    running_worker,
    start_agent,
    tool_call,
    tool_results,
    wait_for_pending,
)
from mcp_agents import server_agent


async def test_a_waiting_mcp_call_resumes_on_another_worker(
    dev_server_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    client = dev_server_env.client
    log = tmp_path / "server.log"
    agent = server_agent(log)
    scripts = {
        "mcp_agent": [
            {"tool_calls": [tool_call("echo", text="first"), tool_call("record", text="minutes")]},
            {"content": "recorded"},
        ]
    }
    async with running_worker(client, task_queue, scripts, agents=[agent]):
        original = await start_agent(client, task_queue, "mcp_agent", "go")
        [waiting] = await wait_for_pending(original)
        # Moved out once the echo has its result (a `move_out` racing with an activity's
        # completion can be refused by the server with WorkflowNotReady).
        await query_until(
            original,
            AgentWorkflow.get_state,
            lambda s: any(c.name == "echo" and c.status == "done" for c in s.turn_calls),
        )
        exported = json.loads(json.dumps(await export_run(client, original.id, move=True)))
    assert (await original.result()).end_reason == "approval_required"
    [first_server] = {line.split()[-1] for line in log.read_text().splitlines()}

    other_queue = f"{task_queue}-elsewhere"
    async with running_worker(client, other_queue, scripts, agents=[agent]):
        resumed = await resume_run(client, exported, AgentCatalog([agent]), task_queue=other_queue)
        [entry] = await wait_for_pending(resumed)
        assert entry["paths"] == ["record"]
        assert entry["tool_call"] == waiting["tool_call"]
        await resumed.signal(
            AgentWorkflow.approve,
            ApprovalDecision(tool_call_id=entry["path_ids"][0], digest=entry["digest"]),
        )
        output = await resumed.result()
    assert output.end_reason == "completed"
    assert tool_results(output) == {"echo": "echo: first", "record": "recorded minutes"}
    lines = [line.split() for line in log.read_text().splitlines()]
    assert [line[0] for line in lines] == ["echo:first", "record:minutes"]
    assert lines[1][2] != first_server  # the other worker's own server process ran it
