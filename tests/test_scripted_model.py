"""The scripted model: an offline chat-completions server behind the real `openai` client."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx2
import openai
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from agent_continuations.activities import AGENT_HEADER, ModelCallInput
from agent_continuations.agent_definitions import Agent, AgentCatalog
from agent_continuations.testing import (
    SCRIPTED_MODEL,
    Script,
    ScriptedModelTransport,
    scripted_model_activities,
)
from helpers import tool_call

AGENT = Agent(name="scripted-model-test", instructions="Follow the script.")
AGENTS = [AGENT]
USER = [{"role": "user", "content": "Go."}]
TWO_TURNS: list[dict[str, Any]] = [
    {"tool_calls": [tool_call("lookup", key="a"), tool_call("lookup", key="b")]},
    {"content": "All done."},
]


def _client(scripts: Mapping[str, Script]) -> openai.AsyncOpenAI:
    transport = ScriptedModelTransport(scripts)
    return openai.AsyncOpenAI(
        api_key="unused",
        base_url="http://scripted.model/v1",
        max_retries=0,
        http_client=httpx2.AsyncClient(transport=transport),
    )


async def _reply(
    client: openai.AsyncOpenAI, messages: list[dict[str, Any]], agent: str = AGENT.name
) -> openai.types.chat.ChatCompletionMessage:
    completion = await client.chat.completions.create(
        model=SCRIPTED_MODEL,
        messages=messages,  # type: ignore[arg-type]
        extra_headers={AGENT_HEADER: agent},
    )
    assert completion.usage is not None and completion.usage.total_tokens > 0
    return completion.choices[0].message


def _answered(messages: list[dict[str, Any]], reply: Any) -> list[dict[str, Any]]:
    """The conversation after `reply` and a result for each of its tool calls."""
    results = [
        {"role": "tool", "tool_call_id": tc.id, "content": "ok"} for tc in reply.tool_calls or []
    ]
    return [*messages, reply.model_dump(mode="json", exclude_none=True), *results]


async def test_replies_follow_the_turns() -> None:
    client = _client({AGENT.name: TWO_TURNS})
    first = await _reply(client, USER)
    assert first.content is None
    functions = [tc["function"] for tc in first.model_dump()["tool_calls"]]
    calls = [(f["name"], json.loads(f["arguments"])) for f in functions]
    assert calls == [("lookup", {"key": "a"}), ("lookup", {"key": "b"})]
    second = await _reply(client, _answered(USER, first))
    assert second.content == "All done." and not second.tool_calls


async def test_callable_script_sees_the_messages() -> None:
    seen: list[list[dict[str, Any]]] = []

    def echo(messages: list[dict[str, Any]]) -> dict[str, Any]:
        seen.append(messages)
        return {"content": f"you said {messages[-1]['content']!r}"}

    reply = await _reply(_client({AGENT.name: echo}), USER)
    assert reply.content == "you said 'Go.'"
    assert seen == [USER]


async def test_tool_call_ids_are_stable_for_the_same_conversation() -> None:
    client = _client({AGENT.name: TWO_TURNS})
    first = await _reply(client, USER)
    again = await _reply(client, USER)
    other = await _reply(client, [{"role": "user", "content": "Something else."}])
    ids = [tc.id for tc in first.tool_calls or []]
    assert len(set(ids)) == 2
    assert [tc.id for tc in again.tool_calls or []] == ids
    assert set(ids).isdisjoint(tc.id for tc in other.tool_calls or [])


async def test_scripted_ids_are_kept() -> None:
    script = [{"tool_calls": [{"id": "call_fixed", "name": "lookup", "arguments": {}}]}]
    reply = await _reply(_client({AGENT.name: script}), USER)
    assert [tc.id for tc in reply.tool_calls or []] == ["call_fixed"]


async def test_exhausted_script_is_a_400() -> None:
    client = _client({AGENT.name: TWO_TURNS[:1]})
    first = await _reply(client, USER)
    with pytest.raises(openai.BadRequestError, match="no reply for turn 2"):
        await _reply(client, _answered(USER, first))


@pytest.mark.parametrize(
    ("scripts", "expected"),
    [
        ({AGENT.name: []}, "has no reply for turn 1"),
        ({"another-agent": TWO_TURNS}, f"no script for agent {AGENT.name!r}"),
    ],
    ids=["exhausted", "no-script"],
)
async def test_script_errors_are_not_retryable_through_the_activity(
    scripts: Mapping[str, Script], expected: str
) -> None:
    activities = scripted_model_activities(scripts).for_agents(AgentCatalog(AGENTS))
    call = ModelCallInput(agent=AGENT.name, model=SCRIPTED_MODEL, messages=USER)
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(activities.call_model, call)
    assert caught.value.non_retryable
    assert "400" in caught.value.message and expected in caught.value.message


async def test_activity_returns_the_scripted_message() -> None:
    activities = scripted_model_activities({AGENT.name: TWO_TURNS}).for_agents(AgentCatalog(AGENTS))
    call = ModelCallInput(agent=AGENT.name, model=SCRIPTED_MODEL, messages=USER)
    output = await ActivityEnvironment().run(activities.call_model, call)
    assert [tc["function"]["name"] for tc in output.message["tool_calls"]] == ["lookup", "lookup"]
    assert output.total_tokens > 0


async def test_only_chat_completions_are_served() -> None:
    with pytest.raises(openai.NotFoundError, match="only serves chat completions"):
        await _client({}).models.list()
