"""Checking a person's decision against the waiting calls of an agent tree (pure, deterministic)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import pydantic

from agent_continuations.agent_definitions import (
    Agent,
    ApproverKeys,
    InvalidArgumentsError,
    Tool,
    decision_message,
)
from agent_continuations.shared import ApprovalDecision, JsonDict, validation_problems
from agent_continuations.workflows._tree import LevelTree, WaitingEntry


def decision_signal_input(entry: JsonDict) -> JsonDict:
    """What a person sends with `approve` or `reject` for a waiting call (a `pending_approvals`
    entry): its ID and digest."""
    return WaitingEntry.model_validate(entry).signal_input()


@dataclass(frozen=True)
class CheckedDecision:
    """A decision matched to the waiting call it is for, with the digest of that call."""

    entry: WaitingEntry
    approved: bool
    arguments: dict[str, Any] | None


def resolve_call(root: Agent, paths: list[str]) -> tuple[Agent, Tool | None]:
    """The tool at the end of `paths` (tool names from `root` down through sub-agents), and
    the agent it belongs to. The tool is None for a sub-agent's call of a tool one of its MCP
    servers may have: only the sub-agent's run has listed them.

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
    if found is None and not (agent.mcp_servers and agent is not root):
        raise LookupError(f"agent {agent.name!r} has no tool {paths[-1]!r}")
    return agent, found


def check_decision(
    continuation: LevelTree,
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
    entry = continuation.find_waiting(decision.tool_call_id, decision.path_ids)
    if tuple(entry.path_ids) in already_decided:
        raise LookupError(f"call {entry.call_id!r} was already decided")
    if decision.digest is not None and decision.digest != entry.digest:
        raise ValueError(
            f"call {entry.call_id!r} is not the call decided on: its digest is "
            f"{entry.digest}, not {decision.digest} (it would run "
            f"{entry.tool_name} with {entry.arguments}); look at it again"
        )
    arguments = None
    if decision.arguments is not None:
        if not approved:
            raise ValueError("arguments can only be edited when approving")
        _, tool = resolve_call(agent, entry.paths)
        if tool is None:
            raise ValueError(
                f"{entry.tool_name} is an MCP tool of a sub-agent: its arguments can only be "
                "approved or rejected as they are"
            )
        if not tool.editable:
            raise ValueError(f"{tool.name} does not allow its arguments to be edited")
        try:
            arguments = tool.validate_arguments(decision.arguments)
        except pydantic.ValidationError as error:
            problems = validation_problems(error)
            raise ValueError(f"edited arguments do not fit {tool.name}: {problems}") from None
        except InvalidArgumentsError as error:
            raise ValueError(f"edited arguments do not fit {tool.name}: {error}") from None
        except Exception as error:  # a validator of the tool's own types may raise anything
            raise ValueError(
                f"edited arguments of {tool.name} cannot be checked: {error}"
            ) from None
    return CheckedDecision(entry=entry, approved=approved, arguments=arguments)


def check_signature(
    keys: ApproverKeys,
    approvers: Sequence[str],
    decision: ApprovalDecision,
    checked: CheckedDecision,
    root: str,
) -> None:
    """For a call with `approvers` (see `Agent.approvers_of`), the decision must be signed by
    one of them over what it decides (see `decision_message`): the root workflow `root`, the
    call, its digest, the verdict and the edited arguments. Other calls' decisions pass.

    Raises:
        ValueError: It is not signed, or not by one of the approvers, or not over this.
    """
    if not approvers:
        return
    approver, signature = decision.approver, decision.signature
    if approver is None or approver not in approvers or not signature:
        raise ValueError(
            f"{checked.entry.tool_name} is decided only by {', '.join(approvers)}, with a "
            "signed decision (agent-starter approve/reject --key FILE --approver NAME)"
        )
    message = decision_message(
        root, checked.entry.call_id, checked.entry.digest, checked.approved, checked.arguments
    )
    if not keys.verify(approver, signature, message):
        raise ValueError(
            f"the signature is not {decision.approver}'s over this decision on call "
            f"{checked.entry.call_id!r} of workflow {root!r}"
        )
