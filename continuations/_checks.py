"""The rules of a continuation that its schema cannot say: each call waits once, each flag and
each decision names exactly one waiting call, and every call of a level's turn is accounted for.

The checks run on a parsed (so well-shaped) output; each failure is one line naming the place.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from agent_continuations.continuations._errors import ContinuationFormatError
from agent_continuations.continuations._tree import Level, calls_by_path
from agent_continuations.shared import JsonDict

Decisions = dict[tuple[str, ...], bool | None]


def where(path_ids: Iterable[str]) -> str:
    """The prefix naming a level in a message: `at call_a > call_b: `, nothing for the root."""
    path = " > ".join(path_ids)
    return f"at {path}: " if path else ""


def _repeated(ids: list[str]) -> str | None:
    seen: set[str] = set()
    for call_id in ids:
        if call_id in seen:
            return call_id
        seen.add(call_id)
    return None


def call_arguments(call: JsonDict) -> Any:
    """A waiting call's arguments as JSON, or None when they are not JSON (the run then tells
    the model so).

    Raises:
        ContinuationFormatError: The arguments nest too deeply to be read at all.
    """
    try:
        return json.loads(call["function"]["arguments"] or "{}")
    except RecursionError:
        raise ContinuationFormatError(
            f"the arguments of call {call['id']!r} are nested too deeply to read"
        ) from None
    except ValueError:  # not JSON, or an integer too long to convert
        return None


def _check_turn(level: JsonDict, at: str) -> None:
    """Every call of the last assistant message is answered or waits in `resume_request`."""
    waiting = [call["id"] for call in level.get("resume_request") or []]
    if not waiting:
        return
    assistant = [m for m in level["messages"] if m.get("role") == "assistant"]
    last = assistant[-1] if assistant else {}
    made = [tc["id"] for tc in last.get("tool_calls") or []]
    answered = {m.get("tool_call_id") for m in level["messages"] if m.get("role") == "tool"}
    for call_id in waiting:
        if call_id not in made:
            raise ContinuationFormatError(
                f"{at}resume_request call {call_id!r} is not a call of the last assistant message"
            )
    for call_id in made:
        if call_id not in answered and call_id not in waiting:
            raise ContinuationFormatError(
                f"{at}call {call_id!r} has no result and is not in resume_request"
            )


def check_level(level: Level, _nested: dict[int, None]) -> None:
    """Check one level (a `fold_levels` visitor): no call waits twice, each `processed` flag
    is the only one for a waiting call, and the turn's calls are all accounted for.

    Raises:
        ContinuationFormatError: The first rule broken, and where.
    """
    at = where(level.path_ids)
    waiting = [call["id"] for _, call in level.calls()]
    twice = _repeated(waiting)
    if twice is not None:
        raise ContinuationFormatError(f"{at}resume_request lists call {twice!r} more than once")
    flagged = [entry["id"] for entry in level.data.get("processed") or []]
    twice = _repeated(flagged)
    if twice is not None:
        raise ContinuationFormatError(f"{at}processed lists call {twice!r} more than once")
    for call_id in flagged:
        if call_id not in waiting:
            raise ContinuationFormatError(
                f"{at}processed names call {call_id!r}, which does not wait in resume_request"
            )
    for _, call in level.calls():
        call_arguments(call)
    _check_turn(level.data, at)


def approval_decisions(continuation: JsonDict, approval_info: list[JsonDict]) -> Decisions:
    """Each `approval_info` entry's decision, keyed by its path, after checking the path waits
    and has no other entry.

    Raises:
        ContinuationFormatError: An entry repeats a path, names a call that does not wait, or
            carries a `tool_call` that differs from the waiting call.
    """
    calls = calls_by_path(continuation)
    decided: Decisions = {}
    seen: set[tuple[str, ...]] = set()
    for index, entry in enumerate(approval_info):
        path = tuple(entry["path_ids"])
        if path in seen:
            raise ContinuationFormatError(
                f"approval_info[{index}] repeats the entry for {' > '.join(path)}: give each "
                "call one decision"
            )
        seen.add(path)
        for depth in range(1, len(path) + 1):
            if path[:depth] not in calls:
                raise ContinuationFormatError(
                    f"approval_info[{index}] names call {path[depth - 1]!r}, which is not "
                    "waiting in the continuation"
                )
        call = calls[path]
        leaf = entry.get("tool_call")
        if leaf is not None and {k: v for k, v in call.items() if k != "continuation"} != leaf:
            raise ContinuationFormatError(
                f"approval_info[{index}].tool_call differs from call {call['id']!r} in the "
                "continuation"
            )
        if not call.get("continuation"):  # entries for suspended sub-agents decide nothing
            decided[path] = entry["approved"]
    return decided
