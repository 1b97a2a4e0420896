"""A paused OpenAI Agents SDK run (`RunState.to_json()`) as a continuation of ours.

Each RunState level (the root, and each agent-as-tool call's `agent_run_state`) becomes a
continuation level: its input and generated items as chat-completions messages, its calls
waiting for approval (same call IDs) in `resume_request`, the decisions already taken in the
RunState in `approval_info`. The whole RunState is kept under `EXTENSION_KEY`, which the
prototype and our import ignore, so what has no counterpart here (usage, trace, reasoning items,
the tool-use tracker) is not lost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agents.run_state import CURRENT_SCHEMA_VERSION, SUPPORTED_SCHEMA_VERSIONS

from agent_continuations.frameworks.openai_agents._errors import RunStateError
from agent_continuations.frameworks.openai_agents._items import MessageBuilder, unanswered_calls
from agent_continuations.shared import JsonDict

SCHEMA_VERSION_KEY = "$schemaVersion"
EXTENSION_KEY = "openai_agents_run_state"


def check_schema_version(state: JsonDict) -> None:
    """Refuse a RunState in a schema version the installed SDK does not read."""
    version = state.get(SCHEMA_VERSION_KEY)
    if not isinstance(version, str) or version not in SUPPORTED_SCHEMA_VERSIONS:
        known = sorted(SUPPORTED_SCHEMA_VERSIONS, key=lambda v: tuple(map(int, v.split("."))))
        raise RunStateError(
            f"RunState schema version {version!r} is not one the installed openai-agents reads "
            f"({known[0]} to {CURRENT_SCHEMA_VERSION})"
        )


def _object(value: Any, what: str) -> JsonDict:
    if not isinstance(value, dict):
        raise RunStateError(f"{what} must be an object")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise RunStateError(f"{what} must be a list")
    return value


def _agent_name(state: JsonDict) -> str:
    name = _object(state.get("current_agent"), "current_agent").get("name")
    if not isinstance(name, str):
        raise RunStateError("current_agent.name must be a string")
    return name


def _decision(state: JsonDict, agent: str, call: JsonDict) -> bool | None:
    """The decision the RunState's context holds for a call: True, False or None (open)."""
    context = _object(state.get("context") or {}, "context")
    name, call_id = call["function"]["name"], call["id"]
    records = []
    for entry in _list(context.get("function_tool_approvals"), "function_tool_approvals"):
        entry = _object(entry, "a function tool approval")
        owner = _object(entry.get("agent") or {}, "an approval's agent").get("name", agent)
        if entry.get("tool_key") == name and owner == agent:
            records.append(_object(entry.get("decision"), "an approval decision"))
    legacy = _object(context.get("approvals") or {}, "context.approvals").get(name)
    if legacy is not None:
        records.append(_object(legacy, "an approval record"))
    for record in records:
        for verdict, key in ((True, "approved"), (False, "rejected")):
            given = record.get(key)
            if given is True or (isinstance(given, list) and call_id in given):
                return verdict
    return None


def _nested_states(state: JsonDict) -> dict[str, JsonDict]:
    """The agent-as-tool calls' own RunStates, by call ID."""
    processed = _object(state.get("last_processed_response") or {}, "last_processed_response")
    nested = {}
    for function in _list(processed.get("functions"), "last_processed_response.functions"):
        function = _object(function, "a processed function")
        inner = function.get("agent_run_state")
        call_id = _object(function.get("tool_call"), "a processed function's tool_call").get(
            "call_id"
        )
        if inner is not None and isinstance(call_id, str):
            nested[call_id] = _object(inner, "agent_run_state")
    return nested


def _interrupted_calls(state: JsonDict) -> set[str]:
    """The IDs of the calls the run stopped to ask a person about."""
    step = _object(state.get("current_step") or {}, "current_step")
    data = _object(step.get("data") or {}, "current_step.data")
    ids = set()
    for item in _list(data.get("interruptions"), "current_step.data.interruptions"):
        raw = _object(_object(item, "an interruption").get("raw_item"), "an interruption's item")
        if isinstance(raw.get("call_id"), str):
            ids.add(raw["call_id"])
    return ids


class _Reader:
    """Reads a RunState tree into continuation levels and the leaves waiting for a person."""

    def __init__(self, instructions: Callable[[str], str]) -> None:
        self._instructions = instructions
        self.approval_info: list[JsonDict] = []
        self.agents: dict[str, str] = {}

    def level(self, state: JsonDict, paths: list[str], path_ids: list[str]) -> JsonDict:
        check_schema_version(state)
        agent = _agent_name(state)
        self.agents["/".join(path_ids)] = agent
        builder = MessageBuilder(self._instructions(agent))
        original = state.get("original_input")
        if isinstance(original, str):
            builder.messages.append({"role": "user", "content": original})
        else:
            for item in _list(original, "original_input"):
                builder.add_input(item)
        for item in _list(state.get("generated_items"), "generated_items"):
            builder.add_run_item(item)
        level: JsonDict = {"messages": builder.messages}
        waiting = unanswered_calls(builder.messages)
        if not waiting:
            return level
        nested, interrupted = _nested_states(state), _interrupted_calls(state)
        level["resume_request"], level["processed"] = [], []
        for call in waiting:
            here_paths = [*paths, call["function"]["name"]]
            here_ids = [*path_ids, call["id"]]
            entry = dict(call)
            if call["id"] in nested:
                entry["continuation"] = self.level(nested[call["id"]], here_paths, here_ids)
            elif call["id"] in interrupted:
                self.approval_info.append(
                    {
                        "paths": here_paths,
                        "path_ids": here_ids,
                        "tool_call": call,
                        "approved": _decision(state, agent, call),
                    }
                )
            # Not yet run in the SDK: it runs here, or waits if its tool needs approval. An
            # agent tool whose own state the RunState does not keep (schema 1.0 does not)
            # starts its agent anew, as the SDK does when it resumes such a RunState.
            level["resume_request"].append(entry)
            level["processed"].append({"id": call["id"], "approved": False})
        return level


def run_state_to_continuation(state: Any, instructions: Callable[[str], str]) -> JsonDict:
    """The continuation (an `approval_required` output of ours) of a paused SDK run.

    Args:
        state: The decoded `RunState.to_json()`.
        instructions: An agent's instructions by name, for the `developer` message that starts
            each level (a RunState does not carry them).

    Raises:
        RunStateError: Not a RunState the installed SDK reads, or one with nothing waiting, or
            with items that have no counterpart here; one line.
    """
    state = _object(state, "a RunState")
    reader = _Reader(instructions)
    continuation = reader.level(state, [], [])
    if not _interrupted_calls(state) or not continuation.get("resume_request"):
        raise RunStateError("the RunState has no tool call waiting for approval")
    return {
        "end_reason": "approval_required",
        "continuation": continuation,
        "approval_info": reader.approval_info,
        "agents": reader.agents,
        EXTENSION_KEY: state,
    }
