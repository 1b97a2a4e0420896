"""From the runtime's continuation tree to the portable file form (the exporter's core)."""

from __future__ import annotations

from typing import Any

from continuations._tree import flatten_approval_info
from continuations.format import FORMAT_VERSION, agent_path_key
from models import AgentRunOutput, JsonDict

# Keys the runtime keeps on each level; in the file they travel as top-level keys instead.
RUNTIME_KEYS = ("agent", "suspend_list", "decisions")


def _strip_level(
    level: JsonDict,
    paths: list[str],
    path_ids: list[str],
    agents: dict[str, str],
    decisions: list[JsonDict],
) -> JsonDict:
    """A copy of one level in file form; collects its agent name and decisions on the way."""
    if "agent" in level:
        agents[agent_path_key(path_ids)] = level["agent"]
    for record in level.get("decisions") or []:
        decisions.append(
            {
                **record,
                "paths": [*paths, *record["paths"]],
                "path_ids": [*path_ids, *record["path_ids"]],
            }
        )
    clean = {k: v for k, v in level.items() if k not in RUNTIME_KEYS}
    if level.get("resume_request"):
        clean["resume_request"] = [
            _strip_call(call, paths, path_ids, agents, decisions)
            for call in level["resume_request"]
        ]
    return clean


def _strip_call(
    call: JsonDict,
    paths: list[str],
    path_ids: list[str],
    agents: dict[str, str],
    decisions: list[JsonDict],
) -> JsonDict:
    nested = call.get("continuation")
    if not nested:
        return call
    here = ([*paths, call["function"]["name"]], [*path_ids, call["id"]])
    return {**call, "continuation": _strip_level(nested, *here, agents, decisions)}


def to_output(continuation: JsonDict) -> JsonDict:
    """The file form of a runtime continuation: an `approval_required` or `suspended` output.

    A level with unanswered calls gives `approval_required` (with `approval_info`); a suspended
    root gives `suspended`; a root between turns gives `suspended` with an empty `suspend_list`
    (resuming it asks the model for its next turn). Agent names and decisions travel as the
    top-level `agents` and `decisions` keys, beside `format_version`.
    """
    agents: dict[str, str] = {}
    decisions: list[JsonDict] = []
    clean = _strip_level(continuation, [], [], agents, decisions)
    output: dict[str, Any]
    if clean.get("resume_request"):
        output = {
            "continuation": clean,
            "approval_info": flatten_approval_info(clean),
            "end_reason": "approval_required",
        }
    else:
        output = {
            "continuation": clean,
            "suspend_list": list(continuation.get("suspend_list") or []),
            "end_reason": "suspended",
        }
    output.update(format_version=FORMAT_VERSION, agents=agents, decisions=decisions)
    return output


def run_output_to_json(output: AgentRunOutput) -> JsonDict:
    """A run's result as the format's JSON object (`completed`, `rejected_tool_calls`, ...).

    Ended runs keep the prototype's keys plus `decisions`; a run that exited suspended is its
    continuation's file form, as `to_output` gives it.
    """
    if output.continuation is not None:
        exported = to_output(output.continuation)
        if output.suspend_list is not None and exported["end_reason"] == "suspended":
            exported["suspend_list"] = output.suspend_list
        return exported
    return output.model_dump(mode="json", exclude_none=True)
