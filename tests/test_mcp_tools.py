"""An agent's MCP tools on the tests' own server (`mcp_test_server.py`, over stdio): results,
errors, approvals and their rules, slow calls, a server that crashes or cannot start."""

from __future__ import annotations

import json
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.common import RetryPolicy
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from agent_continuations.activities import MAX_RESULT_ENV
from agent_continuations.agent_definitions import ActivityOptions, Agent, StdioServer, tool
from agent_continuations.plugin import AgentPlugin
from agent_continuations.shared import ApprovalDecision, DecideInput, RunOptions
from agent_continuations.testing import SCRIPTED_MODEL
from agent_continuations.workflows import AgentWorkflow
from chat_server import ChatServer, Completion
from helpers import (
    TEST_SECRETS,
    running_worker,
    start_agent,
    tool_call,
    tool_results,
    wait_for_pending,
)
from intruder_workflow import IntruderWorkflow
from mcp_agents import server_agent, server_on

DONE = {"content": "done"}


def log_lines(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def script(*replies: dict[str, Any], agent: str = "mcp_agent") -> dict[str, list[dict[str, Any]]]:
    return {agent: list(replies)}


async def run_agent(
    env: WorkflowEnvironment, task_queue: str, agents: list[Agent], scripts: dict[str, Any]
) -> Any:
    """Run the first agent to its end: its handle, output and last state."""
    client = env.client
    async with running_worker(client, task_queue, scripts, agents=agents):
        handle = await start_agent(client, task_queue, agents[0].name, "go")
        output = await handle.result()
        return handle, output, await handle.query(AgentWorkflow.get_state)


async def test_results_and_errors_reach_the_model(
    dev_server_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    calls = script(
        {
            "tool_calls": [
                tool_call("echo", text="hi"),
                tool_call("stats", numbers=[1, 2]),
                tool_call("picture"),
                tool_call("fail", message="the disk is full"),
                tool_call("broken", message="no such table"),
            ]
        },
        {"tool_calls": [tool_call("stats", numbers="many")]},
        DONE,
    )
    handle, output, state = await run_agent(dev_server_env, task_queue, [server_agent(log)], calls)
    assert output.end_reason == "completed"
    results = tool_results(output)
    assert results["echo"] == "echo: hi"
    assert results["picture"] == "a red dot\n[image: image/png, 8 bytes, not shown]"
    assert results["fail"] == "Error: tool fail failed: Error executing tool fail: the disk is full"
    assert results["broken"].startswith("Error: tool broken failed: MCP server 'test' answered")
    assert "no such table" in results["broken"]
    tool_messages = [m["content"] for m in output.messages if m.get("role") == "tool"]
    assert any('"sum": 3.0' in m and '"max": 2.0' in m for m in tool_messages)
    assert tool_messages[-1] == (
        "Error: arguments of stats do not fit its schema: numbers: 'many' is not of type 'array'"
    )
    # The request's `_meta` carried the call's idempotency key: workflow, turn and call ID.
    [echo_call] = [
        c
        for m in output.messages
        for c in m.get("tool_calls") or []
        if c["function"]["name"] == "echo"
    ]
    [line] = [line for line in log_lines(log) if line.startswith("echo:hi")]
    assert line.split()[1] == f"{handle.id}/1/{echo_call['id']}"


async def test_a_stdio_server_serves_every_call_and_run_of_a_worker(
    dev_server_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    agents = [server_agent(log)]
    calls = script({"tool_calls": [tool_call("echo", text="a"), tool_call("echo", text="b")]}, DONE)
    client = dev_server_env.client
    async with running_worker(client, task_queue, calls, agents=agents):
        for _ in range(2):
            output = await (await start_agent(client, task_queue, "mcp_agent", "go")).result()
            assert output.end_reason == "completed"
    pids = {line.split()[-1] for line in log_lines(log)}
    assert len(log_lines(log)) == 4 and len(pids) == 1


async def test_a_tool_not_marked_read_only_waits_for_a_person(
    dev_server_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    client = dev_server_env.client
    calls = script({"tool_calls": [tool_call("record", text="minutes")]}, DONE)
    async with running_worker(client, task_queue, calls, agents=[server_agent(log)]):
        handle = await start_agent(client, task_queue, "mcp_agent", "go")
        [entry] = await wait_for_pending(handle)
        assert entry["paths"] == ["record"]
        assert log_lines(log) == []
        # An edit is checked against the schema the server listed.
        bad = DecideInput(path_ids=entry["path_ids"], approved=True, arguments={"text": 5})
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(AgentWorkflow.decide, bad)
        assert "edited arguments do not fit record: text: 5 is not of type 'string'" in str(
            refused.value.cause
        )
        good = DecideInput(path_ids=entry["path_ids"], approved=True, arguments={"text": "notes"})
        await handle.execute_update(AgentWorkflow.decide, good)
        output = await handle.result()
    assert output.end_reason == "completed"
    assert tool_results(output)["record"].endswith("recorded notes")
    assert [line.split()[0] for line in log_lines(log)] == ["record:notes"]


async def test_rules_override_the_annotations(
    dev_server_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    client = dev_server_env.client
    rules = {"record": lambda args: "secret" in args["text"], "ec*": True}
    agent = server_agent(log, approvals=rules)
    calls = script(
        {
            "tool_calls": [
                tool_call("record", text="plain"),
                tool_call("record", text="a secret"),
                tool_call("echo", text="hello"),
                tool_call("stats", numbers=[1]),
            ]
        },
        DONE,
    )
    async with running_worker(client, task_queue, calls, agents=[agent]):
        handle = await start_agent(client, task_queue, "mcp_agent", "go")
        pending = await wait_for_pending(handle, 2)
        waiting = sorted(e["tool_call"]["function"]["arguments"] for e in pending)
        assert waiting == ['{"text": "a secret"}', '{"text": "hello"}']
        for entry in pending:
            decision = ApprovalDecision(tool_call_id=entry["path_ids"][0], reason="no")
            await handle.signal(AgentWorkflow.reject, decision)
        output = await handle.result()
    assert output.end_reason == "rejected_tool_calls"
    ran = sorted(line.split()[0] for line in log_lines(log))
    assert ran == ["record:plain"]


async def test_a_slow_call_heartbeats_and_a_timeout_reaches_the_model(
    dev_server_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    heartbeats = ActivityOptions(heartbeat_timeout=timedelta(seconds=1))
    short = ActivityOptions(
        start_to_close_timeout=timedelta(seconds=1), retry_policy=RetryPolicy(maximum_attempts=1)
    )
    agent = Agent(
        name="mcp_agent",
        instructions="Wait.",
        mcp_servers=[
            server_on(log, name="patient", activity_options=heartbeats),
            server_on(log, name="hasty", prefix="hasty_", activity_options=short),
        ],
    )
    calls = script(
        {"tool_calls": [tool_call("slow", seconds=3), tool_call("hasty_slow", seconds=3)]}, DONE
    )
    _, output, _ = await run_agent(dev_server_env, task_queue, [agent], calls)
    results = tool_results(output)
    assert results["slow"] == "waited 3.0s"
    assert results["hasty_slow"].startswith("Error: tool hasty_slow failed: ")
    assert "timeout" in results["hasty_slow"].lower()


async def test_a_server_that_crashes_mid_call_is_started_again(
    dev_server_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    calls = script({"tool_calls": [tool_call("crash_once")]}, DONE)
    handle, output, state = await run_agent(dev_server_env, task_queue, [server_agent(log)], calls)
    assert tool_results(output) == {"crash_once": "survived"}
    first, second = [line.split() for line in log_lines(log)]
    assert first[1] == second[1] and first[1].startswith(handle.id)  # the same call, again
    assert first[2] != second[2]  # on a new server process


async def test_a_server_that_cannot_start_again_fails_the_call_with_its_stderr(
    dev_server_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    agent = server_agent(log, env={"MCP_TEST_START_ONCE": str(tmp_path / "started")})
    calls = script({"tool_calls": [tool_call("crash_once")]}, DONE)
    _, output, _ = await run_agent(dev_server_env, task_queue, [agent], calls)
    assert output.end_reason == "completed"
    result = tool_results(output)["crash_once"]
    assert result.startswith("Error: tool crash_once failed: MCP server 'test' did not start")
    assert result.endswith("test server: the license was already used; cannot start")


async def test_a_server_that_cannot_start_ends_the_run_with_its_stderr(
    dev_server_env: WorkflowEnvironment, task_queue: str
) -> None:
    complaint = "import sys; print('MISSING_TOKEN is not set', file=sys.stderr); sys.exit(1)"
    server = StdioServer(name="broken", command=sys.executable, args=["-c", complaint])
    agent = Agent(name="mcp_agent", instructions="x", mcp_servers=[server])
    _, output, _ = await run_agent(dev_server_env, task_queue, [agent], script(DONE))
    assert output.end_reason == "error"
    assert output.error.startswith("cannot list the tools of MCP server 'broken': ")
    assert output.error.endswith("MISSING_TOKEN is not set")


@tool
def echo(text: str) -> str:
    """A function tool with the name of one of the server's tools."""
    return text


async def test_a_name_clash_ends_the_run_unless_the_server_has_a_prefix(
    dev_server_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    clash = Agent(name="mcp_agent", instructions="x", tools=[echo], mcp_servers=[server_on(log)])
    _, output, _ = await run_agent(dev_server_env, task_queue, [clash], script(DONE))
    assert output.end_reason == "error"
    assert "duplicate tool names: ['echo']" in output.error and "prefix" in output.error
    prefixed = Agent(
        name="mcp_agent",
        instructions="x",
        tools=[echo],
        mcp_servers=[server_on(log, prefix="t_", blocked_tools=["crash*", "slow"])],
    )
    calls = script(
        {"tool_calls": [tool_call("echo", text="mine"), tool_call("t_echo", text="its")]}, DONE
    )
    _, output, state = await run_agent(dev_server_env, task_queue, [prefixed], calls)
    assert tool_results(output) == {"echo": "mine", "t_echo": "echo: its"}
    listed = {t.name for t in (state.mcp_tools or {})["test"]}
    assert "echo" in listed and not listed & {"crash_once", "slow", "two words"}


async def test_the_listing_is_kept_across_continue_as_new_and_replays(
    dev_server_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    client = dev_server_env.client
    turns = 40

    def echo_until_done(messages: list[dict[str, Any]]) -> dict[str, Any]:
        done = sum(1 for m in messages if m["role"] == "tool")
        return tool_call_reply("echo", text=str(done)) if done < turns else DONE

    agents = [server_agent(log)]
    async with running_worker(client, task_queue, {"mcp_agent": echo_until_done}, agents=agents):
        handle = await start_agent(
            client,
            task_queue,
            "mcp_agent",
            "go",
            options=RunOptions(history_event_limit=101, max_turns=turns + 1),
        )
        output = await handle.result()
    assert output.end_reason == "completed"
    assert len(log_lines(log)) == turns
    histories = []
    run_id: str | None = handle.first_execution_run_id
    while run_id:
        histories.append(await client.get_workflow_handle(handle.id, run_id=run_id).fetch_history())
        attributes = histories[-1].events[-1].workflow_execution_continued_as_new_event_attributes
        run_id = attributes.new_execution_run_id or None
    assert len(histories) > 1, "the run should have continued as new"
    listings = [
        event
        for history in histories
        for event in history.events
        if event.activity_task_scheduled_event_attributes.activity_type.name == "list_mcp_tools"
    ]
    assert len(listings) == 1  # listed once; the later runs took the list from their state
    # A replay takes the tools from the history, even where the worker's server now offers
    # fewer: the run's tools do not change under it.
    fewer = [server_agent(log, blocked_tools=["echo"])]
    plugin = AgentPlugin(fewer, default_model=SCRIPTED_MODEL, secrets=TEST_SECRETS)
    replayer = Replayer(workflows=[], plugins=[plugin])
    for history in histories:
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        assert result.replay_failure is None, result.replay_failure


def tool_call_reply(name: str, **arguments: Any) -> dict[str, Any]:
    return {"tool_calls": [tool_call(name, **arguments)]}


async def test_an_mcp_call_that_needs_approval_runs_only_with_the_runs_proof(
    dev_server_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    client = dev_server_env.client
    intruders = f"intruders-{uuid.uuid4()}"

    async def intrude(tool: str, arguments: dict[str, Any]) -> str:
        call = {"agent": "mcp_agent", "server": "test", "tool": tool, "arguments": arguments}
        request = {"activity": "call_mcp_tool", "task_queue": task_queue, "input": call}
        return await client.execute_workflow(
            IntruderWorkflow.run, request, id=f"intruder-{uuid.uuid4()}", task_queue=intruders
        )

    async with (
        running_worker(client, task_queue, {}, agents=[server_agent(log)]),
        Worker(client, task_queue=intruders, workflows=[IntruderWorkflow]),
    ):
        refused = await intrude("record", {"text": "forged"})
        ran = await intrude("echo", {"text": "harmless"})
    assert refused == (
        "refused: ApprovalProofMissing: tool 'record' needs approval: this call carries no "
        "proof that the agent run scheduling it approved it"
    )
    assert ran == "ran: {'content': 'echo: harmless'}"
    assert [line.split()[0] for line in log_lines(log)] == ["echo:harmless"]


async def test_a_sub_agents_mcp_call_is_decided_at_the_root(
    dev_server_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    client = dev_server_env.client
    child = server_agent(log, name="scribe")
    parent = Agent(name="boss", instructions="Delegate.", sub_agents=[child])
    scripts = {
        "boss": [tool_call_reply("scribe_tool", prompt="write it down"), DONE],
        "scribe": [tool_call_reply("record", text="from below"), DONE],
    }
    async with running_worker(client, task_queue, scripts, agents=[parent]):
        handle = await start_agent(client, task_queue, "boss", "go")
        [entry] = await wait_for_pending(handle)
        assert entry["paths"] == ["scribe_tool", "record"]
        # The root has not listed the sub-agent's tools: it passes decisions down unchanged.
        edited = DecideInput(path_ids=entry["path_ids"], approved=True, arguments={"text": "x"})
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(AgentWorkflow.decide, edited)
        assert "is an MCP tool of a sub-agent" in str(refused.value.cause)
        decision = DecideInput(path_ids=entry["path_ids"], approved=True, digest=entry["digest"])
        await handle.execute_update(AgentWorkflow.decide, decision)
        output = await handle.result()
    assert output.end_reason == "completed"
    assert [line.split()[0] for line in log_lines(log)] == ["record:from"]


async def test_a_result_over_the_limit_is_an_error_the_model_reads(
    dev_server_env: WorkflowEnvironment,
    task_queue: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(MAX_RESULT_ENV, "2000000")
    calls = script({"tool_calls": [tool_call("big", size=3_000_000)]}, DONE)
    _, output, _ = await run_agent(
        dev_server_env, task_queue, [server_agent(tmp_path / "l")], calls
    )
    assert output.end_reason == "completed"
    assert tool_results(output)["big"] == (
        "Error: tool big failed: the result of tool 'big' is 3.0 MB, over the 2.0 MB maximum "
        "of a payload"
    )


async def test_the_model_is_offered_the_listed_tools_which_enter_history_once(
    dev_server_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    client = dev_server_env.client
    agent = server_agent(tmp_path / "server.log", prefix="t_", allowed_tools=["echo", "record"])
    echo_twice = Completion(tool_calls=[{"name": "t_echo", "arguments": {"text": "x"}}])
    with ChatServer(echo_twice, echo_twice, Completion("done")) as chat:
        async with running_worker(
            client, task_queue, agents=[agent], model_activities=chat.model_activities()
        ):
            handle = await start_agent(client, task_queue, "mcp_agent", "go", model="chat")
            assert (await handle.result()).end_reason == "completed"
            history = await handle.fetch_history()
    offered = [sorted(t["function"]["name"] for t in r.body["tools"]) for r in chat.requests]
    assert offered == [["t_echo", "t_record"]] * 3
    [echo_schema] = [t for t in chat.requests[0].body["tools"] if t["function"]["name"] == "t_echo"]
    assert echo_schema["function"]["parameters"]["properties"]["text"]["type"] == "string"
    schema_text = json.dumps(echo_schema["function"]["parameters"]["properties"])
    inputs = [
        event.activity_task_scheduled_event_attributes.input.payloads[0].data.decode()
        for event in history.events
        if event.activity_task_scheduled_event_attributes.activity_type.name == "call_model"
    ]
    assert len(inputs) == 3 and not any(schema_text in data for data in inputs)
