"""Agents of the big-payload and continuation benchmarks, with their scripted models."""

from __future__ import annotations

from typing import Any

from agent_continuations.agent_definitions import Agent, tool

KB = 1000


@tool
def read_document(kilobytes: int) -> str:
    """Read a document of the given size."""
    return "d" * (kilobytes * KB)


@tool
def note(text: str) -> str:
    """Take a note."""
    return f"noted: {text}"


@tool(needs_approval=True)
def sign_off(item: str) -> str:
    """Sign something off, once a person approves."""
    return f"signed off {item}"


reader = Agent(name="bench_reader", instructions="Read documents.", tools=[read_document])
leaf = Agent(name="bench_leaf", instructions="Note, then sign off.", tools=[note, sign_off])
middle = Agent(
    name="bench_middle", instructions="Note, then ask the leaf.", tools=[note], sub_agents=[leaf]
)
top = Agent(
    name="bench_top", instructions="Note, then ask the middle.", tools=[note], sub_agents=[middle]
)
AGENTS = [reader, top]


def reads(sizes_kb: list[int]) -> Any:
    """A model that reads a document of each size in turn, then answers."""

    def reply(messages: list[dict[str, Any]]) -> dict[str, Any]:
        done = sum(1 for m in messages if m["role"] == "tool")
        if done < len(sizes_kb):
            call = {"name": "read_document", "arguments": {"kilobytes": sizes_kb[done]}}
            return {"tool_calls": [call]}
        return {"content": f"read {done} documents"}

    return reply


def notes_then(notes: int, last: dict[str, Any]) -> Any:
    """A model that takes `notes` notes, then makes the call `last`."""

    def reply(messages: list[dict[str, Any]]) -> dict[str, Any]:
        done = sum(1 for m in messages if m["role"] == "tool")
        if done < notes:
            return {"tool_calls": [{"name": "note", "arguments": {"text": f"note {done}"}}]}
        if done == notes:
            return {"tool_calls": [last]}
        return {"content": "done"}

    return reply


def tree_scripts(notes_per_level: int) -> dict[str, Any]:
    """Scripts of a 3-level tree: each level takes notes, the leaf then waits for approval."""
    ask = {"prompt": "go on"}
    return {
        "bench_top": notes_then(notes_per_level, {"name": "bench_middle_tool", "arguments": ask}),
        "bench_middle": notes_then(notes_per_level, {"name": "bench_leaf_tool", "arguments": ask}),
        "bench_leaf": notes_then(notes_per_level, {"name": "sign_off", "arguments": {"item": "x"}}),
    }
