"""Long conversations: each message enters history once, and large payloads go to the store."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.converter import StorageDriverClaim, StorageDriverStoreContext
from temporalio.testing import WorkflowEnvironment

from agent_continuations.activities import ConversationCache, ConversationPage
from agent_continuations.agent_definitions import Agent, tool
from agent_continuations.plugin import agent_data_converter
from agent_continuations.shared import AgentRunOutput, ApprovalDecision, RunOptions
from agent_continuations.storage import (
    PAYLOAD_STORE_ENV,
    LocalStorageDriver,
    PayloadStoreError,
    PostgresStorageDriver,
    payload_storage,
)
from agent_continuations.testing import scripted_model_activities
from agent_continuations.workflows import AgentWorkflow
from benchmarks.history_bytes import chain_history
from helpers import one_error_line, running_worker, start_agent, task_failures, wait_for_pending

KB = 1000
MB = 1000 * 1000
# An event this small is a reference: large payloads are in the store, not in history.
REFERENCE_EVENT_BYTES = 64 * 1024 + 4 * KB


@tool
def lookup(query: str) -> str:
    """Look something up: a 1 KB document."""
    return query.ljust(KB, ".")


@tool
def fetch_report(megabytes: int) -> str:
    """Fetch a report of the given size."""
    return "r" * (megabytes * MB)


@tool(needs_approval=True)
def publish(title: str) -> str:
    """Publish, once a person approves."""
    return f"published {title}"


AGENTS = [
    Agent(name="researcher", instructions="Look things up.", tools=[lookup]),
    Agent(name="reporter", instructions="Fetch reports.", tools=[fetch_report, publish]),
]


def tool_contents(output: AgentRunOutput) -> list[str]:
    """What each tool call returned, in order."""
    return [m["content"] for m in output.messages if m["role"] == "tool"]


def lookups(turns: int) -> Any:
    """One `lookup` per turn until `turns` are answered."""

    def reply(messages: list[dict[str, Any]]) -> dict[str, Any]:
        done = sum(1 for m in messages if m["role"] == "tool")
        if done < turns:
            return {"tool_calls": [{"name": "lookup", "arguments": {"query": f"q{done}"}}]}
        return {"content": f"looked up {done}"}

    return reply


async def test_history_grows_linearly_with_turns(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, {"researcher": lookups(40)}, agents=AGENTS):
        handle = await start_agent(client, task_queue, "researcher", "go")
        output = await handle.result()
    assert output.result == "looked up 40"
    history = await chain_history(client, handle.id, handle.first_execution_run_id)
    early, late = history.bytes_per_turn(5, 10), history.bytes_per_turn(35, 40)
    assert late <= 1.2 * early, (early, late)
    # The conversation (~40 KB at the end) is in no single event: each message is recorded once.
    assert history.bytes < 40 * 2 * KB + 40 * 2.5 * KB, history.bytes


def reports(sizes: list[int], publish_after: bool = False, reply_megabytes: int = 3) -> Any:
    """Fetch a report of each size in turn (checking the model got the last one whole), then
    answer with a reply of `reply_megabytes` (3 MB by default)."""

    def reply(messages: list[dict[str, Any]]) -> dict[str, Any]:
        results = [m["content"] for m in messages if m["role"] == "tool"]
        if results and results[-1].startswith("r"):
            assert len(results[-1]) == sizes[len(results) - 1] * MB
        if len(results) < len(sizes):
            megabytes = sizes[len(results)]
            return {"tool_calls": [{"name": "fetch_report", "arguments": {"megabytes": megabytes}}]}
        if publish_after and len(results) == len(sizes):
            return {"tool_calls": [{"name": "publish", "arguments": {"title": "q3"}}]}
        return {"content": "s" * (reply_megabytes * MB) or "done"}

    return reply


async def test_five_megabyte_result_and_three_megabyte_reply(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, {"reporter": reports([5])}, agents=AGENTS):
        handle = await start_agent(client, task_queue, "reporter", "go")
        output = await handle.result()
    assert output.end_reason == "completed"
    assert len(output.result or "") == 3 * MB
    assert [len(r) for r in tool_contents(output)] == [5 * MB]
    history = await chain_history(client, handle.id, handle.first_execution_run_id)
    assert history.largest_event < REFERENCE_EVENT_BYTES, history.largest_event


async def test_a_worker_that_never_saw_the_run_serves_its_model_call(
    dev_server_env: WorkflowEnvironment, task_queue
):
    """The run waits for approval on one worker; a new worker, with an empty cache, makes the
    next model call and reads the whole conversation (11 MB) from the workflow."""
    client = dev_server_env.client
    scripts = {"reporter": reports([5, 6], publish_after=True)}
    async with running_worker(client, task_queue, scripts, agents=AGENTS):
        handle = await start_agent(client, task_queue, "reporter", "go")
        [waiting] = await wait_for_pending(handle, 1)
    cache = ConversationCache()
    fresh = scripted_model_activities(scripts, conversation_cache=cache)
    async with running_worker(client, task_queue, model_activities=fresh, agents=AGENTS):
        await handle.signal(
            AgentWorkflow.approve, ApprovalDecision(tool_call_id=waiting["tool_call"]["id"])
        )
        output = await handle.result()
    assert output.end_reason == "completed"
    assert tool_contents(output)[-1] == "published q3"
    assert cache.reads_from_start == 1


async def test_conversation_carried_over_continue_as_new_is_a_reference(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    client = time_skipping_env.client
    scripts = {"reporter": reports([2] * 10)}  # 20 MB of tool results
    async with running_worker(client, task_queue, scripts, agents=AGENTS):
        handle = await start_agent(
            client,
            task_queue,
            "reporter",
            "go",
            options=RunOptions(history_event_limit=101),
        )
        output = await handle.result()
    assert output.end_reason == "completed"
    assert sum(map(len, tool_contents(output))) == 20 * MB
    history = await chain_history(client, handle.id, handle.first_execution_run_id)
    assert history.runs > 1
    assert history.largest_event < REFERENCE_EVENT_BYTES, history.largest_event


async def _client_with_its_own_store(env: WorkflowEnvironment, dsn: str) -> Client:
    """A client of `env`'s server whose large payloads go to PostgreSQL through a driver of
    its own, as a process on another machine would have."""
    return Client(
        env.client.service_client,
        namespace=env.client.namespace,
        data_converter=agent_data_converter(storage=payload_storage(PostgresStorageDriver(dsn))),
    )


async def test_a_run_on_the_shared_postgresql_store(
    time_skipping_env: WorkflowEnvironment, task_queue, postgres_dsn: str
):
    """The worker and the starter share only the database: a 5 MB tool result and a 3 MB
    reply pass through it, and the starter reads the run's result from it."""
    worker_client = await _client_with_its_own_store(time_skipping_env, postgres_dsn)
    starter_client = await _client_with_its_own_store(time_skipping_env, postgres_dsn)
    async with running_worker(worker_client, task_queue, {"reporter": reports([5])}, agents=AGENTS):
        handle = await start_agent(starter_client, task_queue, "reporter", "go")
        output = await handle.result()
    assert output.end_reason == "completed"
    assert [len(r) for r in tool_contents(output)] == [5 * MB]
    history = await chain_history(starter_client, handle.id, handle.first_execution_run_id)
    assert history.largest_event < REFERENCE_EVENT_BYTES, history.largest_event
    connection = await asyncpg.connect(postgres_dsn)
    try:
        largest = await connection.fetchval("SELECT max(size) FROM agent_payloads")
    finally:
        await connection.close()
    assert largest > 5 * MB


async def test_a_twenty_megabyte_conversation_exports_and_resumes(
    dev_server_env: WorkflowEnvironment, task_queue, starter, tmp_path: Path
):
    file = tmp_path / "big.json"
    scripts = {"reporter": reports([5, 5, 5, 5], publish_after=True)}
    async with running_worker(dev_server_env.client, task_queue, scripts, agents=AGENTS):
        code, out, _ = await starter("start", "reporter", "go")
        workflow_id = out.strip()
        await wait_for_pending(dev_server_env.client.get_workflow_handle(workflow_id))
        code, _, err = await starter("export", workflow_id, "--move", "-o", str(file))
        assert code == 0, err
        assert file.stat().st_size > 20 * MB
        exported = json.loads(file.read_text())
        exported["approval_info"][0]["approved"] = True
        file.write_text(json.dumps(exported))
        resumed = f"{workflow_id}-resumed"
        code, out, err = await starter("resume", str(file), "--id", resumed)
        assert (code, out) == (0, f"{resumed}\n"), err
        code, out, err = await starter("result", resumed, "--json")
    finished = json.loads(out)
    assert finished["end_reason"] == "completed", err
    contents = [m["content"] for m in finished["messages"] if m["role"] == "tool"]
    assert [len(c) for c in contents[:4]] == [5 * MB] * 4
    assert contents[4] == "published q3"


@pytest.mark.parametrize("page", [{"start": -1, "end": 2}, "all", {"start": 0}, None])
async def test_a_malformed_conversation_query_is_refused_and_the_run_goes_on(
    time_skipping_env: WorkflowEnvironment, task_queue, page: Any
):
    client = time_skipping_env.client
    async with running_worker(
        client, task_queue, {"reporter": reports([1], publish_after=True)}, agents=AGENTS
    ):
        handle = await start_agent(client, task_queue, "reporter", "go")
        [waiting] = await wait_for_pending(handle)
        with pytest.raises(WorkflowQueryFailedError):
            await handle.query("get_conversation", page)
        whole: list[dict[str, Any]] = []
        while not whole or page.messages:  # pages until past the last message
            page = await handle.query(
                "get_conversation",
                {"start": len(whole), "end": 10**9},
                result_type=ConversationPage,
            )
            whole += page.messages
        assert [m["role"] for m in whole][-2:] == ["tool", "assistant"]
        summary = await handle.query(AgentWorkflow.get_summary)
        state = await handle.query(AgentWorkflow.get_state)
        assert summary.messages == [] and state.messages == whole
        assert summary.turn_calls == state.turn_calls
        decision = ApprovalDecision(tool_call_id=waiting["tool_call"]["id"])
        await handle.signal(AgentWorkflow.approve, decision)
        assert (await handle.result()).end_reason == "completed"
    assert await task_failures(client, handle.id) == []


async def test_a_starter_without_the_worker_s_store_says_so_in_one_line(
    dev_server_env: WorkflowEnvironment,
    task_queue,
    starter,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    async with running_worker(
        dev_server_env.client, task_queue, {"reporter": reports([1])}, agents=AGENTS
    ):
        code, out, _ = await starter("start", "reporter", "go", "--wait")
    assert code == 0
    workflow_id = out.splitlines()[0]
    monkeypatch.setenv(PAYLOAD_STORE_ENV, str(tmp_path / "another-store"))
    code, out, err = await starter("result", workflow_id)
    assert code == 1
    line = one_error_line(err)
    prefix = "error: payload store (AGENT_PAYLOAD_STORE): unreadable storage reference: payload "
    assert line.startswith(prefix), line
    assert "share this payload directory" in line


class RefusingStore(LocalStorageDriver):
    """A store that refuses payloads over 1.5 MB, as a full or size-capped store would."""

    async def store(
        self, context: StorageDriverStoreContext, payloads: Sequence[Payload]
    ) -> list[StorageDriverClaim]:
        if any(p.ByteSize() > 1.5 * MB for p in payloads):
            raise PayloadStoreError("the store is full")
        return await super().store(context, payloads)


async def test_a_store_that_refuses_a_tool_result_is_an_error_the_model_reads(
    time_skipping_env: WorkflowEnvironment, task_queue, tmp_path: Path
):
    client = Client(
        time_skipping_env.client.service_client,
        namespace=time_skipping_env.client.namespace,
        data_converter=agent_data_converter(storage=payload_storage(RefusingStore(tmp_path))),
    )
    scripts = {"reporter": reports([2, 1], reply_megabytes=0)}
    async with running_worker(client, task_queue, scripts, agents=AGENTS):
        handle = await start_agent(client, task_queue, "reporter", "go")
        output = await handle.result()
    assert output.end_reason == "completed"
    refused, kept = tool_contents(output)
    assert (
        refused.startswith("Error: tool fetch_report failed: ") and "the store is full" in refused
    )
    assert len(kept) == 1 * MB
    assert await task_failures(client, handle.id) == []
