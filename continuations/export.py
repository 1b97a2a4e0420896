"""From the runtime's continuation tree to the portable file form (the exporter's core)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agent_continuations.continuations._tree import Level, flatten_approval_info, fold_levels
from agent_continuations.continuations.format import FORMAT_VERSION, agent_path_key
from agent_continuations.shared import AgentRunOutput, JsonDict, TokenUsage

# Keys the runtime keeps on each level; in the file they travel as top-level keys instead.
RUNTIME_KEYS = ("agent", "suspend_list", "decisions", "usage")


@dataclass
class _FileLevel:
    """A level in file form, with the agent names and decisions collected from its subtree."""

    data: JsonDict
    agents: dict[str, str]
    decisions: list[JsonDict]
    usage: dict[str, JsonDict]


def _file_level(level: Level, nested: dict[int, _FileLevel]) -> _FileLevel:
    agents: dict[str, str] = {}
    usage: dict[str, JsonDict] = {}
    if "agent" in level.data:
        agents[agent_path_key(level.path_ids)] = level.data["agent"]
    if "usage" in level.data:
        usage[agent_path_key(level.path_ids)] = level.data["usage"]
    decisions = [
        {
            **record,
            "paths": [*level.paths, *record["paths"]],
            "path_ids": [*level.path_ids, *record["path_ids"]],
        }
        for record in level.data.get("decisions") or []
    ]
    data = {k: v for k, v in level.data.items() if k not in RUNTIME_KEYS}
    if nested:
        data["resume_request"] = [
            {**call, "continuation": nested[i].data} if i in nested else call
            for i, call in level.calls()
        ]
    for inner in nested.values():
        agents.update(inner.agents)
        decisions += inner.decisions
        usage.update(inner.usage)
    return _FileLevel(data, agents, decisions, usage)


def tree_usage(levels: dict[str, JsonDict]) -> JsonDict:
    """The file's `usage` key: each level's tokens, and their sum."""
    counts = [TokenUsage.model_validate(u) for u in levels.values()]
    total = sum(counts, TokenUsage())
    return {"total": total.model_dump(mode="json"), "levels": levels}


def _open_as_null(entries: list[JsonDict], decisions: list[JsonDict]) -> list[JsonDict]:
    """The entries with `approved: null` for each call that waits and nobody has decided yet.

    In the runtime form such a call is unprocessed (`false`), which an importer would read as
    a rejection; `null` keeps it open. A rejection not yet acted on stays `false`.
    """
    decided = {tuple(record["path_ids"]) for record in decisions}
    return [
        {**entry, "approved": None}
        if "tool_call" in entry
        and not entry["approved"]
        and tuple(entry["path_ids"]) not in decided
        else entry
        for entry in entries
    ]


def to_output(continuation: JsonDict) -> JsonDict:
    """The file form of a runtime continuation: an `approval_required` or `suspended` output.

    A level with unanswered calls gives `approval_required` (with `approval_info`, where a call
    that waits for a decision has `approved: null`, so resuming the file keeps it open); a
    suspended root gives `suspended`; a root between turns gives `suspended` with an empty
    `suspend_list` (resuming it asks the model for its next turn). Agent names and decisions
    travel as the top-level `agents` and `decisions` keys, beside `format_version`; the
    tokens used as `usage`.
    """
    stripped = fold_levels(continuation, _file_level)
    clean = stripped.data
    output: dict[str, Any]
    if clean.get("resume_request"):
        output = {
            "continuation": clean,
            "approval_info": _open_as_null(flatten_approval_info(clean), stripped.decisions),
            "end_reason": "approval_required",
        }
    else:
        output = {
            "continuation": clean,
            "suspend_list": list(continuation.get("suspend_list") or []),
            "end_reason": "suspended",
        }
    output.update(
        format_version=FORMAT_VERSION, agents=stripped.agents, decisions=stripped.decisions
    )
    if stripped.usage:
        output["usage"] = tree_usage(stripped.usage)
    return output


def run_output_to_json(output: AgentRunOutput) -> JsonDict:
    """A run's result as the format's JSON object (`completed`, `rejected_tool_calls`, ...).

    Ended runs keep the prototype's keys plus `decisions` and `usage` (the whole tree's tokens);
    a run that exited suspended is its continuation's file form, as `to_output` gives it.
    """
    if output.continuation is not None:
        exported = to_output(output.continuation)
        if output.suspend_list is not None and exported["end_reason"] == "suspended":
            exported["suspend_list"] = output.suspend_list
        return exported
    ended = output.model_dump(mode="json", exclude_none=True, exclude={"usage", "tree_usage"})
    if output.tree_usage.total_tokens:
        ended["usage"] = tree_usage({"": output.tree_usage.model_dump(mode="json")})
    return ended
