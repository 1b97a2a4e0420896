"""The one walk over a nested continuation tree, and what the runtime reads from a tree.

A tree is a level (`messages`, `resume_request`, `processed`) whose sub-agent calls in
`resume_request` may nest the sub-agent's level as `continuation`. The runtime form of a tree
is the format's, plus keys for this project kept on each level: `agent`, `suspend_list` (when
the level is suspended) and `decisions`. `to_output` (in `continuations.export`) turns it into
the file form. The walk tolerates malformed input, because the seal is checked before parsing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from agent_continuations.shared import JsonDict

T = TypeVar("T")


def tool_message(tool_call_id: str, content: str) -> JsonDict:
    """A chat-completions tool result message."""
    return {"role": "tool", "tool_call_id": tool_call_id, "content": content}


@dataclass(frozen=True)
class Level:
    """One level of a tree, where it sits: tool names and tool-call IDs from the root."""

    data: JsonDict
    paths: list[str]
    path_ids: list[str]

    def calls(self) -> list[tuple[int, JsonDict]]:
        """The level's `resume_request` calls (the objects among them), with their positions."""
        calls = self.data.get("resume_request")
        if not isinstance(calls, list):
            return []
        return [(i, c) for i, c in enumerate(calls) if isinstance(c, dict)]

    def nested(self, call: JsonDict) -> Level | None:
        """The sub-agent level `call` nests, if any."""
        inner = call.get("continuation")
        if not inner or not isinstance(inner, dict):
            return None
        return Level(inner, [*self.paths, _name(call)], [*self.path_ids, str(call.get("id"))])


def _name(call: JsonDict) -> str:
    function = call.get("function")
    return str(function.get("name")) if isinstance(function, dict) else ""


def fold_levels(tree: Any, visit: Callable[[Level, dict[int, T]], T]) -> T:
    """Fold a tree bottom-up: `visit(level, nested)` gets the folded value of each nested
    level, keyed by its call's position in `resume_request`.

    Raises:
        TypeError: `tree` is not a JSON object.
    """
    if not isinstance(tree, dict):
        raise TypeError(f"a continuation must be a JSON object, not {type(tree).__name__}")

    def fold(level: Level) -> T:
        nested = {}
        for position, call in level.calls():
            inner = level.nested(call)
            if inner is not None:
                nested[position] = fold(inner)
        return visit(level, nested)

    return fold(Level(tree, [], []))


def _approval_entries(level: Level, nested: dict[int, list[JsonDict]]) -> list[JsonDict]:
    if not level.calls():
        if level.paths and level.data.get("messages"):
            # A nested level that is suspended rather than waiting for approval.
            return [{"paths": level.paths, "path_ids": level.path_ids, "approved": True}]
        return []
    processed = level.data.get("processed") or []
    flags = {p.get("id"): bool(p.get("approved")) for p in processed if isinstance(p, dict)}
    entries: list[JsonDict] = []
    for position, call in level.calls():
        call_id = str(call.get("id"))
        if position in nested:
            entries += nested[position]
            continue
        entries.append(
            {
                "paths": [*level.paths, _name(call)],
                "path_ids": [*level.path_ids, call_id],
                "tool_call": {k: v for k, v in call.items() if k != "continuation"},
                "approved": flags.get(call_id, False),
            }
        )
    return entries


def flatten_approval_info(continuation: JsonDict) -> list[JsonDict]:
    """The `approval_info` list: one entry per leaf of `resume_request`, at any depth.

    A leaf's `approved` is its level's `processed` flag (false in every prototype output); a
    nested level without `resume_request` is a suspended sub-agent, listed as approved.
    """
    return fold_levels(continuation, _approval_entries)


def calls_by_path(continuation: JsonDict) -> dict[tuple[str, ...], JsonDict]:
    """Every `resume_request` call of the tree, keyed by its `path_ids`."""

    def index(level: Level, nested: dict[int, dict[tuple[str, ...], JsonDict]]) -> Any:
        found = {(*level.path_ids, str(c.get("id"))): c for _, c in level.calls()}
        for inner in nested.values():
            found.update(inner)
        return found

    return fold_levels(continuation, index)


def waiting_calls(continuation: JsonDict) -> list[JsonDict]:
    """The `approval_info` entries of calls that still wait for a decision."""
    return [
        e for e in flatten_approval_info(continuation) if "tool_call" in e and not e["approved"]
    ]


def needs_attention(continuation: JsonDict) -> bool:
    """Whether anything in the tree waits for a person or is suspended."""
    if continuation.get("suspend_list"):
        return True
    return any(
        "tool_call" not in e or not e["approved"] for e in flatten_approval_info(continuation)
    )


def find_waiting_call(
    continuation: JsonDict, tool_call_id: str | None, path_ids: list[str] | None
) -> JsonDict:
    """The waiting entry named by a leaf tool-call ID or by its full `path_ids`.

    Raises:
        LookupError: No waiting call matches, or a bare ID matches several.
    """
    entries = waiting_calls(continuation)
    if path_ids:
        matches = [e for e in entries if e["path_ids"] == list(path_ids)]
        named: Any = path_ids
    else:
        matches = [e for e in entries if e["path_ids"][-1] == tool_call_id]
        named = tool_call_id
    if not matches:
        waiting = ", ".join(e["path_ids"][-1] for e in entries) or "none"
        raise LookupError(f"no call {named!r} is waiting for a decision (waiting: {waiting})")
    if len(matches) > 1:
        raise LookupError(f"tool call ID {named!r} is ambiguous here: give path_ids")
    return matches[0]
