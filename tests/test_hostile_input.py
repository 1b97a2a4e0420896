"""No signal, update or model reply can wedge a run: each is refused or answered, and no
workflow task ever fails."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from temporalio import activity
from temporalio.client import WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from agent_continuations.activities import (
    MAX_RESULT_ENV,
    ModelActivities,
    ModelCallInput,
    ModelCallOutput,
)
from agent_continuations.agent_definitions import Agent, tool
from agent_continuations.shared import ApprovalDecision, RunOptions
from agent_continuations.workflows import AgentWorkflow
from chat_server import ChatServer, Completion, RawMessage
from helpers import (
    query_until,
    running_worker,
    signals_sent,
    start_agent,
    task_failures,
    tool_call,
    tool_results,
    wait_for_pending,
)

MODEL = "test-model"
FUZZ = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@tool
def echo(text: str = "") -> str:
    """Say it back."""
    return text


@tool(needs_approval=True)
def wire(amount: int) -> str:
    """Wire money."""
    return f"wired {amount}"


hostile = Agent(name="hostile_echo", instructions="Echo.", tools=[echo, wire])
hostile_boss = Agent(name="hostile_boss", instructions="Delegate.", sub_agents=[hostile])

# JSON values, from plain to odd: what a person or a buggy client may send.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
known_keys = st.sampled_from(
    [
        "tool_call_id",
        "path_ids",
        "approved",
        "arguments",
        "digest",
        "token",
        "decision",
        "request",
        "continuation",
        "messages",
        "resume_request",
        "budget",
        "reason",
    ]
)
payloads = json_values | st.dictionaries(known_keys, json_values, max_size=4)
signal_names = st.sampled_from(
    [
        "approve",
        "reject",
        "resume",
        "park",
        "report_sub_agent_state",
        "apply_decision",
        "apply_resume",
        "no_such_signal",
    ]
)


# The openai client warns while it dumps a reply that does not fit its own models.
@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")
@pytest.mark.parametrize(
    ("message", "problem"),
    [
        (
            {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function"}]},
            "tool_calls[0] has no function",
        ),
        (
            {"role": "assistant", "content": None, "tool_calls": "echo"},
            "tool_calls is str, not a list",
        ),
        (
            {"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": 7}}]},
            "tool_calls[0] has no function name",
        ),
        ({"role": "assistant", "content": {"text": "hi"}}, "content is dict, not text"),
    ],
)
async def test_a_malformed_reply_ends_the_run_with_the_reason(
    time_skipping_env: WorkflowEnvironment, task_queue: str, message: Any, problem: str
):
    client = time_skipping_env.client
    with ChatServer(RawMessage(message)) as server:
        async with running_worker(
            client, task_queue, model_activities=server.model_activities(), agents=AGENTS
        ):
            handle = await start_agent(client, task_queue, "hostile_echo", "hi", model=MODEL)
            output = await handle.result()
    assert output.end_reason == "error"
    assert output.error == f"the model's reply is malformed: {problem}"
    assert await task_failures(client, handle.id) == []


async def test_repeated_and_missing_call_ids_get_their_own_identity(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    client = time_skipping_env.client
    repeated = RawMessage(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_0",
                    "type": "function",
                    "function": {"name": "wire", "arguments": '{"amount": 1}'},
                },
                {
                    "id": "call_0",
                    "type": "function",
                    "function": {"name": "wire", "arguments": '{"amount": 2}'},
                },
                {"type": "function", "function": {"name": "echo", "arguments": '{"text": "x"}'}},
            ],
        }
    )
    # The next turn reuses call_0, as some providers do every turn.
    again = Completion(tool_calls=[{"id": "call_0", "name": "wire", "arguments": {"amount": 3}}])
    with ChatServer(repeated, again, Completion("done")) as server:
        async with running_worker(
            client, task_queue, model_activities=server.model_activities(), agents=AGENTS
        ):
            handle = await start_agent(client, task_queue, "hostile_echo", "hi", model=MODEL)
            first = await wait_for_pending(handle, count=2)
            assert sorted(e["path_ids"][-1] for e in first) == ["call_0", "call_0_2"]
            for entry in first:
                await handle.signal(
                    AgentWorkflow.approve, ApprovalDecision(tool_call_id=entry["path_ids"][-1])
                )
            [second] = await wait_for_pending(handle, count=1)
            while second in first:  # the first turn's calls may still be listed for a moment
                [second] = await wait_for_pending(handle, count=1)
            assert json.loads(second["tool_call"]["function"]["arguments"]) == {"amount": 3}
            assert second["path_ids"] == ["call_0_3"]  # call_0 answered the first turn
            await handle.signal(AgentWorkflow.approve, ApprovalDecision(tool_call_id="call_0_3"))
            output = await handle.result()
    assert output.end_reason == "completed"
    answered = [m["content"] for m in output.messages if m["role"] == "tool"]
    assert answered == ["wired 1", "wired 2", "x", "wired 3"]
    assert len(output.decisions) == 3


class FuzzedModel(ModelActivities):
    """A model whose first reply is whatever the test gives it, then plain text."""

    def __init__(self, first: dict[str, Any]) -> None:
        super().__init__()
        self.first = first

    @activity.defn(name="call_model")
    async def call_model(self, input: ModelCallInput) -> ModelCallOutput:
        messages = await self.conversation(input)
        turns = sum(1 for m in messages if m.get("role") == "assistant")
        return ModelCallOutput(message=self.first if turns == 0 else {"content": "done"})


tool_calls_value = (
    st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "id": st.sampled_from(["call_a", "call_a", "", "call_b"]) | json_values,
                "type": json_values,
                "function": st.fixed_dictionaries(
                    {},
                    optional={
                        "name": st.sampled_from(["echo", "wire_nope", "hostile_echo_tool"])
                        | json_values,
                        "arguments": st.sampled_from(['{"text": "t"}', "{", "[]", ""])
                        | json_values,
                    },
                )
                | json_values,
            },
        )
        | json_values,
        max_size=3,
    )
    | json_values
)
replies = st.fixed_dictionaries(
    {}, optional={"role": json_values, "content": json_values, "tool_calls": tool_calls_value}
)


@FUZZ
@given(reply=replies)
async def test_no_model_reply_fails_a_workflow_task(
    time_skipping_env: WorkflowEnvironment, task_queue: str, reply: dict[str, Any]
):
    client = time_skipping_env.client
    async with running_worker(
        client, task_queue, model_activities=FuzzedModel(reply), agents=AGENTS
    ):
        handle = await start_agent(client, task_queue, "hostile_echo", "hi")
        output = await handle.result()
    assert output.end_reason in ("completed", "error")
    assert await task_failures(client, handle.id) == []


SUB_SCRIPTS = {
    "hostile_boss": [
        {"tool_calls": [tool_call("hostile_echo_tool", prompt="wire 5")]},
        {"content": "boss done"},
    ],
    "hostile_echo": [{"tool_calls": [tool_call("wire", amount=5)]}, {"content": "wired"}],
}


@FUZZ
@given(messages=st.lists(st.tuples(signal_names, st.booleans(), payloads), max_size=12))
async def test_no_signal_fails_a_workflow_task_or_moves_the_run(
    time_skipping_env: WorkflowEnvironment,
    task_queue: str,
    messages: list[tuple[str, bool, Any]],
):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, SUB_SCRIPTS, agents=AGENTS):
        handle = await start_agent(client, task_queue, "hostile_boss", "go")
        [entry] = await wait_for_pending(handle)
        [call] = (await handle.query(AgentWorkflow.get_state)).turn_calls
        child = client.get_workflow_handle(call.child_workflow_id or "")
        for name, to_child, payload in messages:
            await (child if to_child else handle).signal(name, payload)
        for target in (handle, child):
            with pytest.raises(WorkflowUpdateFailedError):
                await target.execute_update(
                    AgentWorkflow.decide, messages[0][2] if messages else None
                )
        assert await handle.query(AgentWorkflow.pending_approvals) in ([entry], [])
        pending = await handle.query(AgentWorkflow.pending_approvals)
        if pending:  # a random approve may have named the call: that is a person's right
            await handle.signal(AgentWorkflow.reject, ApprovalDecision(path_ids=entry["path_ids"]))
        output = await handle.result()
        assert output.end_reason in ("completed", "rejected_tool_calls")
        assert await task_failures(client, handle.id, child.id) == []


async def test_junk_signals_make_a_waiting_run_continue_as_new(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    client = time_skipping_env.client
    scripts = {"hostile_echo": [{"tool_calls": [tool_call("wire", amount=7)]}, {"content": "ok"}]}
    async with running_worker(client, task_queue, scripts, agents=AGENTS):
        handle = await start_agent(
            client, task_queue, "hostile_echo", "wire", options=RunOptions(history_event_limit=150)
        )
        [entry] = await wait_for_pending(handle)
        junk = {"tool_call_id": "x" * 1000}
        for _ in range(200):
            await handle.signal(AgentWorkflow.approve, junk)
        latest = client.get_workflow_handle(handle.id)
        async with asyncio.timeout(30):  # the run continues as new instead of growing
            while (await latest.describe()).run_id == handle.first_execution_run_id:
                await asyncio.sleep(0.1)
        assert await wait_for_pending(latest) == [entry]
        await latest.signal(AgentWorkflow.approve, ApprovalDecision(path_ids=entry["path_ids"]))
        output = await handle.result()  # follows the runs continue-as-new made
    assert output.end_reason == "completed"
    assert tool_results(output) == {"wire": "wired 7"}
    assert await task_failures(client, handle.id) == []


@tool
def huge_document() -> str:
    """Fetch a document over the payload limit."""
    return "x" * 5_000_000


AGENTS = [hostile_boss, Agent(name="hostile_huge", instructions="Read.", tools=[huge_document])]


async def test_a_tool_result_over_the_limit_is_an_error_the_model_reads(
    time_skipping_env: WorkflowEnvironment, task_queue: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv(MAX_RESULT_ENV, "2000000")
    client = time_skipping_env.client
    scripts = {"hostile_huge": [{"tool_calls": [tool_call("huge_document")]}, {"content": "ok"}]}
    async with running_worker(client, task_queue, scripts, agents=AGENTS):
        handle = await start_agent(client, task_queue, "hostile_huge", "read")
        output = await handle.result()
    assert output.end_reason == "completed"
    assert tool_results(output)["huge_document"] == (
        "Error: tool huge_document failed: the result of tool 'huge_document' is 5.0 MB, "
        "over the 2.0 MB maximum of a payload"
    )
    assert await task_failures(client, handle.id) == []


async def test_a_model_reply_over_the_limit_ends_the_run(
    time_skipping_env: WorkflowEnvironment, task_queue: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv(MAX_RESULT_ENV, "2000000")
    client = time_skipping_env.client
    with ChatServer(Completion("y" * 3_000_000)) as server:
        async with running_worker(
            client, task_queue, model_activities=server.model_activities(), agents=AGENTS
        ):
            handle = await start_agent(client, task_queue, "hostile_echo", "hi", model=MODEL)
            output = await handle.result()
    assert output.end_reason == "error"
    assert output.error == "the model's reply is 3.0 MB, over the 2.0 MB maximum of a payload"
    assert len(server.requests) == 1  # not retried: it would be as large again


@pytest.mark.parametrize(
    ("workflow_input", "problem"),
    [
        ({"agent": 5}, "invalid workflow input: agent: Input should be a valid string"),
        ("not an object", "invalid workflow input: input: Input should be a valid dictionary"),
        (
            {"agent": "hostile_echo", "prompt": "hi", "options": {"max_turns": 0}},
            "invalid workflow input: options.max_turns: Input should be greater than 0",
        ),
        ({"agent": "nobody", "prompt": "hi"}, "unknown agent 'nobody'"),
    ],
)
async def test_a_malformed_workflow_input_ends_the_run_with_the_problem(
    time_skipping_env: WorkflowEnvironment, task_queue: str, workflow_input: Any, problem: str
):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, agents=AGENTS):
        handle = await client.start_workflow(
            "AgentWorkflow", workflow_input, id=f"bad-input-{uuid.uuid4()}", task_queue=task_queue
        )
        output = await handle.result()
    assert output["end_reason"] == "error"
    assert output["error"].startswith(problem)
    assert await task_failures(client, handle.id) == []


async def test_a_repeated_sub_agent_call_id_starts_both_sub_agents(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    client = time_skipping_env.client
    twice = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_0",
                "type": "function",
                "function": {"name": "hostile_echo_tool", "arguments": json.dumps({"prompt": p})},
            }
            for p in ("first", "second")
        ],
    }
    async with running_worker(
        client, task_queue, model_activities=FuzzedModel(twice), agents=AGENTS
    ):
        handle = await start_agent(client, task_queue, "hostile_boss", "go")
        output = await handle.result()
    assert output.end_reason == "completed"
    answers = [m for m in output.messages if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in answers] == ["call_0", "call_0_2"]
    assert [m["content"] for m in answers] == ["done", "done"]  # each sub-agent ran to its end
    assert await task_failures(client, handle.id) == []


async def test_junk_signals_to_a_root_whose_sub_agent_waits_continue_it_as_new(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, SUB_SCRIPTS, agents=AGENTS):
        handle = await start_agent(
            client, task_queue, "hostile_boss", "go", options=RunOptions(history_event_limit=150)
        )
        [entry] = await wait_for_pending(handle)
        [call] = (await handle.query(AgentWorkflow.get_state)).turn_calls
        for _ in range(200):
            await handle.signal(AgentWorkflow.approve, {"tool_call_id": "x" * 1000})
        latest = client.get_workflow_handle(handle.id)
        async with asyncio.timeout(30):  # the root continues as new; its sub-agent runs on
            while (await latest.describe()).run_id == handle.first_execution_run_id:
                await asyncio.sleep(0.1)
        assert await wait_for_pending(latest) == [entry]
        child = client.get_workflow_handle(call.child_workflow_id or "")
        # The same sub-agent, still running across its parent's continue-as-new.
        assert (await child.describe()).status == WorkflowExecutionStatus.RUNNING
        await latest.signal(AgentWorkflow.approve, ApprovalDecision(path_ids=entry["path_ids"]))
        output = await handle.result()
    assert output.end_reason == "completed"
    assert tool_results(output) == {"hostile_echo_tool": "wired"}
    [decision] = output.decisions
    assert decision.path_ids == entry["path_ids"]
    assert await task_failures(client, handle.id, child.id) == []
    # Told its parent continued as new, the sub-agent sent its result by signal as well.
    assert (await signals_sent(client, child.id)).count("report_sub_agent_result") == 1


async def test_a_sub_agent_reusing_a_decided_call_id_waits_for_its_own_decision(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    client = time_skipping_env.client
    wire_again = [
        Completion(tool_calls=[{"id": "call_0", "name": "wire", "arguments": {"amount": n}}])
        for n in (1, 2)
    ]
    delegate = Completion(tool_calls=[tool_call("hostile_echo_tool", prompt="wire twice")])
    replies = [delegate, *wire_again, Completion("wired"), Completion("boss done")]
    with ChatServer(*replies) as server:
        async with running_worker(
            client, task_queue, model_activities=server.model_activities(), agents=AGENTS
        ):
            handle = await start_agent(client, task_queue, "hostile_boss", "go", model=MODEL)
            [first] = await wait_for_pending(handle)
            await handle.signal(AgentWorkflow.approve, ApprovalDecision(path_ids=first["path_ids"]))
            [second] = await query_until(
                handle,
                AgentWorkflow.pending_approvals,
                lambda pending: bool(pending) and pending != [first],
            )
            assert second["path_ids"][-1] == "call_0_2"  # not the decided call_0 again
            assert json.loads(second["tool_call"]["function"]["arguments"]) == {"amount": 2}
            await handle.signal(
                AgentWorkflow.approve, ApprovalDecision(path_ids=second["path_ids"])
            )
            output = await handle.result()
    assert output.end_reason == "completed"
    assert [d.path_ids[-1] for d in output.decisions] == ["call_0", "call_0_2"]
    assert await task_failures(client, handle.id) == []
