"""Chat-completions messages (ours) to Pydantic AI's `ModelMessage`s and back."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelRequestPart,
    ModelResponse,
    RetryFeedbackPart,
    RetryPromptPart,
    SystemPromptPart,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)

from agent_continuations.shared import JsonDict


class MessageConversionError(ValueError):
    """A message has no counterpart on the other side; the text says which and why."""


def _text(content: Any) -> str:
    """A chat message's content as text: content parts are joined."""
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return content or ""


def _arguments(text: str) -> str | dict[str, Any]:
    """A call's arguments as Pydantic AI keeps them: the object when the text is one."""
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return text
    return value if isinstance(value, dict) else text


def chat_to_model_messages(
    messages: list[JsonDict], return_metadata: Mapping[str, Any] | None = None
) -> list[ModelMessage]:
    """Our conversation as Pydantic AI's message history.

    Args:
        messages: Chat-completions messages (`developer`, `user`, `assistant`, `tool`).
        return_metadata: Metadata to put on the return of a call, by tool-call ID.
    """
    names: dict[str, str] = {}
    history: list[ModelMessage] = []
    parts: list[ModelRequestPart] = []
    for message in messages:
        role = message.get("role")
        if role == "assistant":
            if parts:
                history.append(ModelRequest(parts=parts))
                parts = []
            response: list[Any] = []
            if text := _text(message.get("content")):
                response.append(TextPart(content=text))
            for call in message.get("tool_calls") or []:
                function = call["function"]
                names[call["id"]] = function["name"]
                response.append(
                    ToolCallPart(
                        tool_name=function["name"],
                        args=_arguments(function.get("arguments") or ""),
                        tool_call_id=call["id"],
                    )
                )
            history.append(ModelResponse(parts=response))
        elif role in ("developer", "system"):
            parts.append(SystemPromptPart(content=_text(message.get("content"))))
        elif role == "user":
            parts.append(UserPromptPart(content=_text(message.get("content"))))
        elif role == "tool":
            call_id = message.get("tool_call_id") or ""
            parts.append(
                ToolReturnPart(
                    tool_name=names.get(call_id, ""),
                    content=_text(message.get("content")),
                    tool_call_id=call_id,
                    metadata=(return_metadata or {}).get(call_id),
                )
            )
        else:
            raise MessageConversionError(f"a message of role {role!r} has no Pydantic AI form")
    if parts:
        history.append(ModelRequest(parts=parts))
    return history


def _request_messages(request: ModelRequest) -> list[JsonDict]:
    messages: list[JsonDict] = []
    for part in request.parts:
        if isinstance(part, SystemPromptPart):
            messages.append({"role": "developer", "content": part.content})
        elif isinstance(part, UserPromptPart):
            items = [part.content] if isinstance(part.content, str) else list(part.content)
            texts = [item for item in items if isinstance(item, str)]
            if len(texts) != len(items):
                raise MessageConversionError(
                    "a user prompt with files or images has no counterpart here"
                )
            messages.append({"role": "user", "content": "".join(texts)})
        elif isinstance(part, ToolReturnPart):
            messages.append(
                {
                    "role": "tool",
                    "tool_call_id": part.tool_call_id,
                    "content": part.model_response_str(),
                }
            )
        elif isinstance(part, RetryPromptPart | RetryFeedbackPart):
            text = part.model_response()
            call_id = getattr(part, "tool_call_id", None)
            if getattr(part, "tool_name", None) and call_id:
                messages.append({"role": "tool", "tool_call_id": call_id, "content": text})
            else:
                messages.append({"role": "user", "content": text})
        else:
            raise MessageConversionError(
                f"a request part {part.part_kind!r} has no counterpart here"
            )
    return messages


def response_message(response: ModelResponse) -> JsonDict:
    """A model response as our assistant message (thinking left out)."""
    texts: list[str] = []
    calls: list[JsonDict] = []
    for part in response.parts:
        if isinstance(part, TextPart):
            texts.append(part.content)
        elif isinstance(part, ToolCallPart):
            calls.append(
                {
                    "id": part.tool_call_id,
                    "type": "function",
                    "function": {"name": part.tool_name, "arguments": part.args_as_json_str()},
                }
            )
        elif not isinstance(part, ThinkingPart):  # thinking is the model's own, not the talk
            raise MessageConversionError(
                f"a response part {part.part_kind!r} has no counterpart here"
            )
    message: JsonDict = {"role": "assistant", "content": "".join(texts) or None}
    if calls:
        message["tool_calls"] = calls
    return message


def model_messages_to_chat(history: list[ModelMessage]) -> list[JsonDict]:
    """Pydantic AI's message history as our conversation; each request's `instructions`
    are left to the caller.

    Raises:
        MessageConversionError: A part (a file, a built-in tool's call) has no counterpart.
    """
    messages: list[JsonDict] = []
    for message in history:
        if isinstance(message, ModelRequest):
            messages.extend(_request_messages(message))
        else:
            messages.append(response_message(message))
    return messages
