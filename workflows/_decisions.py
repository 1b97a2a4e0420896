"""Checking a person's decision against the waiting calls of an agent tree (pure, deterministic)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import pydantic

from agent_continuations.agent_definitions import Agent, Tool
from agent_continuations.continuations import find_waiting_call
from agent_continuations.shared import ApprovalDecision, JsonDict, validation_problems

DIGEST_LENGTH = 16


def call_digest(tool_call: JsonDict) -> str:
    """A short digest of a call's tool name and arguments: what a person approves."""
    function = tool_call.get("function") or {}
    text = json.dumps([function.get("name"), function.get("arguments")], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:DIGEST_LENGTH]


def decision_signal_input(entry: JsonDict) -> JsonDict:
    """What a person sends with `approve` or `reject` for a waiting call (a `pending_approvals`
    entry): its ID and digest."""
    return {"tool_call_id": entry["path_ids"][-1], "digest": call_digest(entry["tool_call"])}


@dataclass(frozen=True)
class CheckedDecision:
    """A decision matched to the waiting call it is for, with the digest of that call."""

    entry: JsonDict
    approved: bool
    arguments: dict[str, Any] | None
    digest: str

    @property
    def path_ids(self) -> list[str]:
        return list(self.entry["path_ids"])


def resolve_tool(root: Agent, paths: list[str]) -> Tool:
    """The tool at the end of `paths` (tool names from `root` down through sub-agents).

    Raises:
        LookupError: A name on the path is not a sub-agent or tool of the agent before it.
    """
    agent = root
    for name in paths[:-1]:
        sub = agent.find_sub_agent(name)
        if sub is None:
            raise LookupError(f"agent {agent.name!r} has no sub-agent tool {name!r}")
        agent = sub
    found = agent.find_tool(paths[-1])
    if found is None:
        raise LookupError(f"agent {agent.name!r} has no tool {paths[-1]!r}")
    return found


def check_decision(
    continuation: JsonDict,
    agent: Agent,
    decision: ApprovalDecision,
    approved: bool,
    already_decided: Collection[tuple[str, ...]],
) -> CheckedDecision:
    """Match a decision to a waiting call and validate any edited arguments.

    Raises:
        LookupError: No such waiting call, or it was already decided.
        ValueError: The call is not the one the decision's digest names; edited arguments on a
            rejection, for a tool that forbids edits, or not fitting the schema.
    """
    entry = find_waiting_call(continuation, decision.tool_call_id, decision.path_ids)
    if tuple(entry["path_ids"]) in already_decided:
        raise LookupError(f"call {entry['path_ids'][-1]!r} was already decided")
    digest = call_digest(entry["tool_call"])
    if decision.digest is not None and decision.digest != digest:
        raise ValueError(
            f"call {entry['path_ids'][-1]!r} is not the call decided on: its digest is "
            f"{digest}, not {decision.digest} (it would run "
            f"{entry['tool_call']['function']['name']} with "
            f"{entry['tool_call']['function']['arguments']}); look at it again"
        )
    arguments = None
    if decision.arguments is not None:
        if not approved:
            raise ValueError("arguments can only be edited when approving")
        tool = resolve_tool(agent, entry["paths"])
        if not tool.editable:
            raise ValueError(f"{tool.name} does not allow its arguments to be edited")
        try:
            arguments = tool.validate_arguments(decision.arguments)
        except pydantic.ValidationError as error:
            problems = validation_problems(error)
            raise ValueError(f"edited arguments do not fit {tool.name}: {problems}") from None
        except Exception as error:  # a validator of the tool's own types may raise anything
            raise ValueError(
                f"edited arguments of {tool.name} cannot be checked: {error}"
            ) from None
    return CheckedDecision(entry=entry, approved=approved, arguments=arguments, digest=digest)
