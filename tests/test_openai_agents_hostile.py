"""A RunState file is untrusted: whatever value any of its keys holds, `resume` answers with a
one-line refusal or a checked continuation, never a traceback."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterator
from typing import Any

import pytest

import sdk_agents
from agent_continuations.agent_definitions import AgentCatalog, module_agents
from agent_continuations.continuations import ContinuationImportError, import_continuation
from agent_continuations.frameworks.openai_agents import RunStateError, continuation_from_run_state

CATALOG = AgentCatalog(module_agents("sdk_agents", sdk_agents))
REPLACEMENTS: list[Any] = [None, 7, "x", [], {}, [{}], {"type": "function_call"}]


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _paths(inner, (*path, index))


def _replaced(state: dict[str, Any], path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    changed = copy.deepcopy(state)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return changed


@pytest.fixture(scope="module")
def paused() -> dict[str, Any]:
    state, _ = asyncio.run(sdk_agents.paused_in_sdk())
    return state.to_json()


def test_every_key_of_a_run_state_may_hold_anything(paused: dict[str, Any]):
    outcomes = {"refused": 0, "resumable": 0}
    for path in _paths(paused):
        for new in REPLACEMENTS:
            data = _replaced(paused, path, new)
            try:
                import_continuation(continuation_from_run_state(data, CATALOG), CATALOG)  # type: ignore[arg-type]
            except (RunStateError, ContinuationImportError) as error:
                assert "\n" not in str(error) and str(error)
                outcomes["refused"] += 1
            else:
                outcomes["resumable"] += 1
    # Many keys have no counterpart here (usage, trace...) and stay resumable; the ones that
    # make the conversation are refused when wrong.
    assert outcomes["refused"] > 100 and outcomes["resumable"] > 100
