"""`call_model` against a real loopback chat-completions server: replies, and errors mapped."""

from __future__ import annotations

import email.utils
import socket
import time
from datetime import timedelta

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from agent_continuations.activities import ModelActivities, ModelCallInput
from agent_continuations.agent_definitions import Agent, AgentCatalog, tool
from chat_server import ChatServer, Completion, HttpError


@tool
def look_up_order(order_id: int, note: str = "") -> str:
    """Look up an order.

    Args:
        order_id: The order's number.
        note: Why it is looked up.
    """
    return f"order {order_id}"


AGENT = Agent(name="model-activity-test", instructions="Be brief.", tools=[look_up_order])
PLAIN_AGENT = Agent(name="model-activity-test-plain", instructions="Be brief.")
AGENTS = [AGENT, PLAIN_AGENT]


def _bound(activities: ModelActivities) -> ModelActivities:
    return activities.for_agents(AgentCatalog(AGENTS))


MESSAGES = [{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "Hi"}]


def _input(agent: Agent = AGENT, model: str = "test-model") -> ModelCallInput:
    return ModelCallInput(agent=agent.name, model=model, messages=MESSAGES)


async def _failure(server: ChatServer) -> ApplicationError:
    """The error one activity attempt raises, checking it sent exactly one request."""
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(_bound(server.model_activities()).call_model, _input())
    assert len(server.requests) == 1, "the openai client must not retry on its own"
    return caught.value


async def test_completion_returns_message_and_usage() -> None:
    with ChatServer(Completion("Hello there.", total_tokens=17)) as server:
        output = await ActivityEnvironment().run(
            _bound(server.model_activities()).call_model, _input()
        )
    assert output.message["role"] == "assistant"
    assert output.message["content"] == "Hello there."
    assert output.total_tokens == 17
    [request] = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer test"
    assert request.body["model"] == "test-model"
    assert request.body["messages"] == MESSAGES


async def test_request_carries_the_agents_tools() -> None:
    with ChatServer(Completion("ok")) as server:
        await _bound(server.model_activities()).call_model(_input())
    body = server.requests[0].body
    assert body["tools"] == AGENT.openai_tools()
    [schema] = body["tools"]
    assert schema["function"]["name"] == "look_up_order"
    assert schema["function"]["parameters"]["required"] == ["order_id"]
    assert body["parallel_tool_calls"] is True


async def test_agent_without_tools_sends_no_tools() -> None:
    with ChatServer(Completion("ok")) as server:
        await _bound(server.model_activities()).call_model(_input(PLAIN_AGENT))
    body = server.requests[0].body
    assert "tools" not in body and "parallel_tool_calls" not in body


async def test_tool_calls_come_back_in_the_message() -> None:
    calls = [
        {"id": "call_a", "name": "look_up_order", "arguments": {"order_id": 1}},
        {"id": "call_b", "name": "look_up_order", "arguments": {"order_id": 2}},
    ]
    with ChatServer(Completion(tool_calls=calls)) as server:
        output = await _bound(server.model_activities()).call_model(_input())
    tool_calls = output.message["tool_calls"]
    assert [tc["id"] for tc in tool_calls] == ["call_a", "call_b"]
    assert tool_calls[1]["function"] == {"name": "look_up_order", "arguments": '{"order_id": 2}'}
    assert output.message["content"] is None


async def test_429_retry_after_seconds_sets_next_retry_delay() -> None:
    with ChatServer(HttpError(429, "slow down", {"retry-after": "7"})) as server:
        error = await _failure(server)
    assert not error.non_retryable
    assert error.next_retry_delay == timedelta(seconds=7)
    assert "429" in error.message and "slow down" in error.message


async def test_retry_after_ms_wins_over_seconds() -> None:
    headers = {"retry-after-ms": "1500", "retry-after": "9"}
    with ChatServer(HttpError(429, headers=headers)) as server:
        error = await _failure(server)
    assert error.next_retry_delay == timedelta(milliseconds=1500)


async def test_negative_retry_after_ms_means_no_wait() -> None:
    with ChatServer(HttpError(503, headers={"retry-after-ms": "-250"})) as server:
        error = await _failure(server)
    assert error.next_retry_delay == timedelta(0)


async def test_retry_after_http_date() -> None:
    when = email.utils.formatdate(time.time() + 60, usegmt=True)
    with ChatServer(HttpError(503, headers={"retry-after": when})) as server:
        error = await _failure(server)
    assert error.next_retry_delay is not None
    assert timedelta(seconds=55) < error.next_retry_delay <= timedelta(seconds=61)


async def test_malformed_retry_after_is_still_a_retryable_provider_error() -> None:
    with ChatServer(HttpError(429, "busy", {"retry-after": "soon"})) as server:
        error = await _failure(server)
    assert not error.non_retryable
    assert error.next_retry_delay is None
    assert "429" in error.message


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503])
async def test_transient_statuses_are_retryable(status: int) -> None:
    with ChatServer(HttpError(status, "try later")) as server:
        error = await _failure(server)
    assert not error.non_retryable
    assert error.type == f"ModelAPIError{status}"
    assert error.next_retry_delay is None


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
async def test_client_errors_are_not_retryable(status: int) -> None:
    message = f"the request was wrong ({status})"
    with ChatServer(HttpError(status, message, {"retry-after": "3"})) as server:
        error = await _failure(server)
    assert error.non_retryable
    assert error.next_retry_delay is None
    assert str(status) in error.message and message in error.message


async def test_connection_refused_is_retryable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    activities = _bound(ModelActivities(base_url=f"http://127.0.0.1:{port}/v1", api_key="x"))
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(activities.call_model, _input())
    assert not caught.value.non_retryable
    assert caught.value.type == "ModelAPIConnectionError"


async def test_missing_api_key_is_not_retryable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with ChatServer(Completion("never sent")) as server:
        activities = _bound(ModelActivities(base_url=server.url))
        with pytest.raises(ApplicationError) as caught:
            await activities.call_model(_input())
    assert caught.value.non_retryable
    assert "OPENAI_API_KEY" in caught.value.message
    assert server.requests == []
