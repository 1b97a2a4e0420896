"""Test doubles: the offline `scripted` model, a chat-completions server inside an HTTP
transport.

The `openai` client talks to it exactly as to a real server, so the scripted path and the
real path share every line after the transport. A script is a list of replies per agent
(reply N answers the agent's Nth model turn) or a function of the request's messages.

    models = scripted_model_activities({"hr_agent": [...]})
    AgentPlugin(agents=[hr_agent], default_model=SCRIPTED_MODEL, model_activities=models)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx2
import openai

from agent_continuations.activities import AGENT_HEADER, ModelActivities
from agent_continuations.shared import chat_completion

SCRIPTED_MODEL = "scripted"
ScriptedReply = dict[str, Any]
Script = Sequence[ScriptedReply] | Callable[[list[dict[str, Any]]], ScriptedReply]


def _call_id(messages: list[dict[str, Any]], index: int) -> str:
    """A tool-call ID that is stable for the same conversation (so retries agree)."""
    digest = hashlib.sha256(json.dumps([messages, index], sort_keys=True).encode()).hexdigest()
    return f"call_{digest[:24]}"


def _completion(reply: ScriptedReply, messages: list[dict[str, Any]], model: str) -> dict[str, Any]:
    tool_calls = [
        {
            "id": call.get("id") or _call_id(messages, i),
            "type": "function",
            "function": {"name": call["name"], "arguments": json.dumps(call.get("arguments", {}))},
        }
        for i, call in enumerate(reply.get("tool_calls", []))
    ]
    message: dict[str, Any] = {"role": "assistant", "content": reply.get("content")}
    if tool_calls:
        message["tool_calls"] = tool_calls
    prompt_tokens = sum(len(str(m.get("content") or "")) for m in messages) // 4
    completion_tokens = len(json.dumps(message)) // 4
    completion_id = f"chatcmpl-{_call_id(messages, -1)[5:]}"
    return chat_completion(completion_id, model, message, prompt_tokens, completion_tokens)


def _error(status: int, message: str) -> httpx2.Response:
    return httpx2.Response(
        status, json={"error": {"message": message, "type": "invalid_request_error"}}
    )


class ScriptedModelTransport(httpx2.AsyncBaseTransport):
    """Answers `POST /chat/completions` from per-agent scripts, selected by a request header."""

    def __init__(self, scripts: Mapping[str, Script]) -> None:
        self._scripts = scripts

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if not request.url.path.endswith("/chat/completions"):
            return _error(
                404, f"the scripted model only serves chat completions, not {request.url.path}"
            )
        body = json.loads(await request.aread())
        messages: list[dict[str, Any]] = body["messages"]
        agent = request.headers.get(AGENT_HEADER, "")
        script = self._scripts.get(agent)
        if script is None:
            return _error(400, f"the scripted model has no script for agent {agent!r}")
        if callable(script):
            reply = script(messages)
        else:
            turn = sum(1 for m in messages if m.get("role") == "assistant")
            if turn >= len(script):
                return _error(
                    400, f"the script of agent {agent!r} has no reply for turn {turn + 1}"
                )
            reply = script[turn]
        return httpx2.Response(
            200, json=_completion(reply, messages, body.get("model", "scripted"))
        )


def scripted_model_client(scripts: Mapping[str, Script]) -> openai.AsyncOpenAI:
    """An `openai` client whose server is the scripted model playing `scripts`."""
    return openai.AsyncOpenAI(
        api_key=SCRIPTED_MODEL,
        base_url="http://scripted.model/v1",
        max_retries=0,
        http_client=httpx2.AsyncClient(transport=ScriptedModelTransport(scripts)),
    )


def scripted_model_activities(scripts: Mapping[str, Script], **options: Any) -> ModelActivities:
    """Model activities on which the model `scripted` plays `scripts`; other models go to the
    configured server. `options` are `ModelActivities`'s other arguments."""
    return ModelActivities(
        model_clients={SCRIPTED_MODEL: scripted_model_client(scripts)}, **options
    )
