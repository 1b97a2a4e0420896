"""Whole runs whose model is a loopback chat-completions server that fails in scripted ways."""

from __future__ import annotations

from temporalio.common import RetryPolicy
from temporalio.testing import WorkflowEnvironment

from agent_continuations.agent_definitions import ActivityOptions, Agent, tool
from agent_continuations.workflows._activity_options import MODEL_CALL_DEFAULTS
from chat_server import ChatServer, Completion, HttpError
from helpers import running_worker, start_agent, tool_results

MODEL = "test-model"


@tool
def add(a: int, b: int) -> int:
    """Add two numbers.

    Args:
        a: The first number.
        b: The second number.
    """
    return a + b


AGENT = Agent(name="model-errors-test", instructions="Answer briefly.", tools=[add])
AGENTS = [AGENT]


async def test_rate_limits_are_retried_until_the_model_answers(
    time_skipping_env: WorkflowEnvironment, task_queue: str
) -> None:
    rate_limited = HttpError(429, "rate limited", {"retry-after": "1"})
    client = time_skipping_env.client
    with ChatServer(rate_limited, rate_limited, Completion("Done.")) as server:
        async with running_worker(
            client, task_queue, model_activities=server.model_activities(), agents=AGENTS
        ):
            handle = await start_agent(client, task_queue, AGENT.name, "Hi", model=MODEL)
            output = await handle.result()
    assert output.end_reason == "completed", output.error
    assert output.result == "Done."
    assert len(server.requests) == 3
    assert all(r.body["model"] == MODEL for r in server.requests)


async def test_bad_request_ends_the_run_after_one_attempt(
    time_skipping_env: WorkflowEnvironment, task_queue: str
) -> None:
    client = time_skipping_env.client
    bad_request = HttpError(400, "messages[1].content is invalid")
    with ChatServer(bad_request, then=Completion("must not be reached")) as server:
        async with running_worker(
            client, task_queue, model_activities=server.model_activities(), agents=AGENTS
        ):
            handle = await start_agent(client, task_queue, AGENT.name, "Hi", model=MODEL)
            output = await handle.result()
    assert output.end_reason == "error"
    assert output.error is not None
    assert "400" in output.error and "messages[1].content is invalid" in output.error
    assert len(server.requests) == 1


async def test_server_errors_stop_after_the_retry_policys_attempts(
    time_skipping_env: WorkflowEnvironment, task_queue: str
) -> None:
    # The server asks for a short delay: with the policy's own backoff (1 s doubling to 1 min)
    # all attempts need ~4 min, past the run's 2 min execution timeout (skipped time counts
    # too), and the server stops retrying after 7.
    failing = HttpError(500, "internal meltdown", {"retry-after-ms": "10"})
    client = time_skipping_env.client
    with ChatServer(then=failing) as server:
        async with running_worker(
            client, task_queue, model_activities=server.model_activities(), agents=AGENTS
        ):
            handle = await start_agent(client, task_queue, AGENT.name, "Hi", model=MODEL)
            output = await handle.result()
    assert output.end_reason == "error"
    assert output.error is not None and "500" in output.error and "meltdown" in output.error
    assert MODEL_CALL_DEFAULTS.retry_policy is not None
    assert len(server.requests) == MODEL_CALL_DEFAULTS.retry_policy.maximum_attempts


async def test_tool_round_trip_through_the_server(
    time_skipping_env: WorkflowEnvironment, task_queue: str
) -> None:
    call = {"id": "call_add", "name": "add", "arguments": {"a": 2, "b": 3}}
    client = time_skipping_env.client
    with ChatServer(Completion(tool_calls=[call]), Completion("2 + 3 = 5")) as server:
        async with running_worker(
            client, task_queue, model_activities=server.model_activities(), agents=AGENTS
        ):
            handle = await start_agent(client, task_queue, AGENT.name, "2+3?", model=MODEL)
            output = await handle.result()
    assert output.end_reason == "completed", output.error
    assert tool_results(output) == {"add": "5"}
    first, second = (r.body for r in server.requests)
    assert first["messages"] == [
        {"role": "developer", "content": AGENT.instructions},
        {"role": "user", "content": "2+3?"},
    ]
    assert first["tools"] == AGENT.openai_tools()
    assert second["messages"][-1] == {"role": "tool", "tool_call_id": "call_add", "content": "5"}
    assert second["messages"][-2]["tool_calls"][0]["id"] == "call_add"


async def test_an_agent_s_own_model_retry_policy_applies(
    time_skipping_env: WorkflowEnvironment, task_queue: str
) -> None:
    failing = HttpError(500, "internal meltdown", {"retry-after-ms": "10"})
    options = ActivityOptions(retry_policy=RetryPolicy(maximum_attempts=2))
    agent = Agent(
        name="model-errors-own-policy", instructions="Hi.", model_activity_options=options
    )
    client = time_skipping_env.client
    with ChatServer(then=failing) as server:
        async with running_worker(
            client, task_queue, model_activities=server.model_activities(), agents=[agent]
        ):
            handle = await start_agent(client, task_queue, agent.name, "Hi", model=MODEL)
            output = await handle.result()
    assert output.end_reason == "error"
    assert len(server.requests) == 2
