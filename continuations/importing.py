"""From a continuation file (the prototype's or ours) to the state a run resumes from.

Everything is checked before anything starts: the shape, the seal, the agents and tool names,
and that every decision names a call that waits. A decision in `approval_info` is the decision
for its leaf call at any depth (`true` runs it, `false` rejects it, `null` or no entry leaves it
open for a later signal); a leaf call whose `processed` flag is already true just runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from agent_definitions import Agent, UnknownAgentError, get_agent, registered_agents
from continuations._tree import Level, calls_by_path, fold_levels
from continuations.format import (
    ContinuationFormatError,
    agent_path_key,
    dump_agent_output,
    parse_agent_output,
)
from continuations.seal import SealError, SealStatus, verify_seal
from payloads import ImportedDecision, JsonDict, ResumeCall, ResumePoint

Decisions = dict[tuple[str, ...], bool | None]


class ContinuationImportError(ValueError):
    """A continuation cannot be resumed; the message names the problem."""


@dataclass(frozen=True)
class ImportedContinuation:
    """A checked continuation: the root agent, the state to resume from, and its seal status."""

    agent: str
    resume: ResumePoint
    seal: SealStatus


def _as_output(data: Any) -> JsonDict:
    """The prototype's resume input `{"continuation", "approval_info"}` as an output object."""
    if not isinstance(data, dict):
        raise ContinuationImportError(f"expected a JSON object, got {type(data).__name__}")
    if "end_reason" in data or not isinstance(data.get("continuation"), dict):
        return data
    waiting = bool(data["continuation"].get("resume_request"))
    end_reason = "approval_required" if waiting else "suspended"
    defaults: JsonDict = {"approval_info": []} if waiting else {"suspend_list": []}
    return {**defaults, **data, "end_reason": end_reason}


def _decisions(continuation: JsonDict, approval_info: list[JsonDict]) -> Decisions:
    """Each `approval_info` entry's decision, keyed by its path, after checking the path waits."""
    calls = calls_by_path(continuation)
    decided: Decisions = {}
    for index, entry in enumerate(approval_info):
        path = tuple(entry["path_ids"])
        for depth in range(1, len(path) + 1):
            if path[:depth] not in calls:
                raise ContinuationImportError(
                    f"approval_info[{index}] names call {path[depth - 1]!r}, which is not "
                    "waiting in the continuation"
                )
        call = calls[path]
        leaf = entry.get("tool_call")
        if leaf is not None and {k: v for k, v in call.items() if k != "continuation"} != leaf:
            raise ContinuationImportError(
                f"approval_info[{index}].tool_call differs from call {call['id']!r} in the "
                "continuation"
            )
        if not call.get("continuation"):  # entries for suspended sub-agents decide nothing
            decided[path] = entry["approved"]
    return decided


def _called_names(level: JsonDict) -> set[str]:
    names = {
        tc["function"]["name"]
        for m in level["messages"]
        if m.get("role") == "assistant"
        for tc in m.get("tool_calls") or []
    }
    return names | {c["function"]["name"] for c in level.get("resume_request") or []}


def _tool_names(agent: Agent) -> set[str]:
    return {t.name for t in agent.tools} | {a.tool_name for a in agent.sub_agents}


def _root_agent(continuation: JsonDict, named: str | None) -> Agent:
    """The named agent, or the one registered agent whose tools cover every call at the root."""
    if named:
        try:
            return get_agent(named)
        except UnknownAgentError as error:
            raise ContinuationImportError(str(error)) from None
    called = _called_names(continuation)
    fits = [a for a in map(get_agent, registered_agents()) if called <= _tool_names(a)]
    first = continuation["messages"][0] if continuation["messages"] else {}
    same_instructions = [a for a in fits if a.instructions == first.get("content")]
    if len(same_instructions) == 1 or len(fits) == 1:
        return (same_instructions or fits)[0]
    calls = ", ".join(sorted(called)) or "no tools"
    if not fits:
        raise ContinuationImportError(f"no registered agent has the tools it calls ({calls})")
    names = ", ".join(a.name for a in fits)
    raise ContinuationImportError(f"several agents fit ({names}): name the agent to resume")


def _check_turn(level: JsonDict, where: str) -> None:
    """Every call of the last assistant message is answered or waits in `resume_request`."""
    waiting = {call["id"]: call for call in level.get("resume_request") or []}
    if not waiting:
        return
    assistant = [m for m in level["messages"] if m.get("role") == "assistant"]
    last = assistant[-1] if assistant else {}
    made = {tc["id"] for tc in last.get("tool_calls") or []}
    answered = {m.get("tool_call_id") for m in level["messages"] if m.get("role") == "tool"}
    for call_id in waiting:
        if call_id not in made:
            raise ContinuationImportError(
                f"{where}resume_request call {call_id!r} is not a call of the last assistant "
                "message"
            )
    for call_id in made - answered - set(waiting):
        raise ContinuationImportError(
            f"{where}call {call_id!r} has no result and is not in resume_request"
        )


def _needs_approval(agent: Agent, call: JsonDict) -> bool:
    tool = agent.find_tool(call["function"]["name"])
    try:
        arguments = json.loads(call["function"]["arguments"] or "{}")
    except json.JSONDecodeError:
        return False  # the run will answer the model that its arguments are not JSON
    return tool is not None and isinstance(arguments, dict) and tool.requires_approval(arguments)


def _agent_at(root: Agent, level: Level) -> Agent:
    """The agent of a level: the sub-agents named by its path's tool names, from the root."""
    agent = root
    for depth, name in enumerate(level.paths):
        sub_agent = agent.find_sub_agent(name)
        if sub_agent is None:
            where = f"at {' > '.join(level.path_ids[:depth])}: " if depth else ""
            if agent.find_tool(name) is None:
                raise ContinuationImportError(f"{where}agent {agent.name!r} has no tool {name!r}")
            raise ContinuationImportError(
                f"{where}call {level.path_ids[depth]!r} nests a continuation, but {name!r} is "
                "a tool, not a sub-agent"
            )
        agent = sub_agent
    return agent


def _resume_point(
    level: Level,
    nested: dict[int, ResumePoint],
    root: Agent,
    decided: Decisions,
    agents: dict[str, str],
) -> ResumePoint:
    """The state one level resumes from, with its sub-agents' already built in `nested`."""
    agent = _agent_at(root, level)
    where = f"at {' > '.join(level.path_ids)}: " if level.path_ids else ""
    expected = agents.get(agent_path_key(level.path_ids))
    if expected is not None and expected != agent.name:
        raise ContinuationImportError(
            f"{where}agents says {expected!r}, but the calls lead to agent {agent.name!r}"
        )
    unknown = _called_names(level.data) - _tool_names(agent)
    if unknown:
        raise ContinuationImportError(
            f"{where}agent {agent.name!r} has no tool {sorted(unknown)[0]!r}"
        )
    _check_turn(level.data, where)
    flags = {p["id"]: p["approved"] for p in level.data.get("processed") or []}
    calls = []
    for position, call in level.calls():
        here = (*level.path_ids, call["id"])
        plain = {k: v for k, v in call.items() if k != "continuation"}
        if agent.find_sub_agent(call["function"]["name"]) is not None:
            resume = nested.get(position)
            calls.append(ResumeCall(tool_call=plain, decision="run", sub_agent=resume))
            continue
        decision: ImportedDecision = "open"
        if flags.get(call["id"]):
            # Processed means approved (the prototype's meaning) or needing no approval.
            decision = "approve" if _needs_approval(agent, call) else "run"
        if here in decided:
            approved = decided[here]
            decision = "open" if approved is None else "approve" if approved else "reject"
        calls.append(ResumeCall(tool_call=plain, decision=decision))
    return ResumePoint(messages=level.data["messages"], calls=calls)


def import_continuation(
    data: Any, agent: str | None = None, key: bytes | None = None
) -> ImportedContinuation:
    """Check a continuation file's content and turn it into the state to resume from.

    Args:
        data: The decoded JSON: an `approval_required` or `suspended` output (the prototype's
            or ours), or the prototype's resume input `{"continuation", "approval_info"}`.
        agent: The root agent's name; by default the file's `agents`, else the one registered
            agent whose tools fit.
        key: The seal key; a sealed file is refused without it or if it does not match.

    Raises:
        ContinuationImportError: The file cannot be resumed; the message says why.
    """
    raw = _as_output(data)
    try:
        parsed = parse_agent_output(raw)
        seal = verify_seal(raw, key)
    except (ContinuationFormatError, SealError) as error:
        raise ContinuationImportError(str(error)) from None
    output = dump_agent_output(parsed)
    if output["end_reason"] not in ("approval_required", "suspended"):
        raise ContinuationImportError(
            f"the run has ended ({output['end_reason']}): there is nothing to resume"
        )
    continuation = output["continuation"]
    agents = output.get("agents") or {}
    root = _root_agent(continuation, agent or agents.get(""))
    decided = _decisions(continuation, output.get("approval_info") or [])
    resume = fold_levels(
        continuation, lambda level, nested: _resume_point(level, nested, root, decided, agents)
    )
    history = [d.to_record() for d in parsed.decisions or []]
    resume.decisions = history
    return ImportedContinuation(agent=root.name, resume=resume, seal=seal)
