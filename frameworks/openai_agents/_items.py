"""Responses-API items (a RunState's input and run items) as chat-completions messages, and back."""

from __future__ import annotations

import json
from typing import Any

from agent_continuations.frameworks.openai_agents._errors import RunStateError
from agent_continuations.shared import JsonDict

# Run items without a message of their own: a call's approval marker repeats its call item, and
# reasoning has no counterpart in chat-completions messages (the RunState keeps it).
_SKIPPED_ITEMS = ("tool_approval_item", "reasoning_item")


def _text(content: Any) -> str | list[JsonDict]:
    """A responses message's content as chat-completions content."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise RunStateError(f"a message's content must be text or parts, not {content!r:.60}")
    parts = [part for part in content if isinstance(part, dict)]
    texts = [p.get("text") for p in parts if p.get("type") in ("input_text", "output_text")]
    if len(texts) == len(content) and all(isinstance(t, str) for t in texts):
        return "".join(texts)  # type: ignore[arg-type]
    refusals = [p.get("refusal") for p in parts if p.get("type") == "refusal"]
    if refusals and len(refusals) == len(content):
        return "".join(str(r) for r in refusals)
    raise RunStateError("a message has content parts other than text (images, files, audio)")


def _tool_call(raw: JsonDict) -> JsonDict:
    if raw.get("type") != "function_call":
        raise RunStateError(
            f"a {raw.get('type')!r} call has no counterpart here (only function tools move)"
        )
    if not all(isinstance(raw.get(k), str) for k in ("call_id", "name", "arguments")):
        raise RunStateError("a function call needs string call_id, name and arguments")
    return {
        "id": raw["call_id"],
        "type": "function",
        "function": {"name": raw["name"], "arguments": raw["arguments"]},
    }


def _output_text(output: Any) -> str:
    if isinstance(output, str):
        return output
    if isinstance(output, list):
        return str(_text(output))
    return json.dumps(output)


class MessageBuilder:
    """Chat-completions messages from responses items, in order: one assistant message per run
    of consecutive assistant items (one model response's text and calls)."""

    def __init__(self, instructions: str) -> None:
        self.messages: list[JsonDict] = [{"role": "developer", "content": instructions}]

    def _assistant(self) -> JsonDict:
        last = self.messages[-1]
        if last["role"] != "assistant":
            last = {"role": "assistant", "content": None}
            self.messages.append(last)
        return last

    def add_input(self, item: Any) -> None:
        """One item of a run's input: a message, a function call or its output."""
        if not isinstance(item, dict):
            raise RunStateError(f"an input item must be an object, not {item!r:.60}")
        kind = item.get("type", "message")
        if kind == "message" and item.get("role") in ("user", "system", "developer"):
            self.messages.append({"role": item["role"], "content": _text(item.get("content"))})
        elif kind == "message" and item.get("role") == "assistant":
            self._assistant()["content"] = _text(item.get("content"))
        elif kind == "function_call":
            self._assistant().setdefault("tool_calls", []).append(_tool_call(item))
        elif kind == "function_call_output":
            self.add_output(item)
        else:
            raise RunStateError(f"an input item of type {kind!r} has no counterpart here")

    def add_output(self, raw: JsonDict) -> None:
        """A tool's output, as the tool message answering its call."""
        if not isinstance(raw.get("call_id"), str):
            raise RunStateError("a function call output needs a string call_id")
        content = _output_text(raw.get("output"))
        self.messages.append({"role": "tool", "tool_call_id": raw["call_id"], "content": content})

    def add_run_item(self, item: Any) -> None:
        """One of a run's generated items."""
        if not isinstance(item, dict) or not isinstance(item.get("raw_item"), dict):
            raise RunStateError("a generated item must be an object with a raw_item")
        kind, raw = item.get("type"), item["raw_item"]
        if kind == "message_output_item":
            assistant = self._assistant()
            text = _text(raw.get("content"))
            before = assistant["content"]
            assistant["content"] = text if before is None else f"{before}{text}"
        elif kind == "tool_call_item":
            self._assistant().setdefault("tool_calls", []).append(_tool_call(raw))
        elif kind == "tool_call_output_item":
            self.add_output(raw)
        elif kind not in _SKIPPED_ITEMS:
            raise RunStateError(f"a generated item of type {kind!r} has no counterpart here")


def unanswered_calls(messages: list[JsonDict]) -> list[JsonDict]:
    """The calls of the last assistant message that no tool message answers."""
    last = next((m for m in reversed(messages) if m["role"] == "assistant"), None)
    if last is None:
        return []
    answered = {m["tool_call_id"] for m in messages if m["role"] == "tool"}
    return [call for call in last.get("tool_calls") or [] if call["id"] not in answered]
