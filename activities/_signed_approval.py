"""The approver's signed decision that a call of a tool with approvers carries to `run_tool`,
which checks it itself: holding the workers' secret is not enough to run such a call."""

from __future__ import annotations

import json

from pydantic import BaseModel, Field

from agent_continuations.agent_definitions import Agent, ApproverKeys, Tool, decision_message
from agent_continuations.shared import JsonDict, call_digest


class SignedApproval(BaseModel):
    """An approver's signed decision to run a call, as the root received it.

    Attributes:
        approver: Who signed.
        signature: Their Ed25519 signature (base64) over `decision_message`.
        root_workflow_id: The tree's root, which the signature names.
        tool_call: The call as the approver saw it (its digest is what they signed).
        edited_arguments: The arguments they approved it with, if they edited them.
    """

    approver: str
    signature: str
    root_workflow_id: str
    tool_call: JsonDict
    edited_arguments: JsonDict | None = Field(None)


def _original_arguments(tool_call: JsonDict) -> object:
    try:
        return json.loads((tool_call.get("function") or {}).get("arguments") or "{}")
    except (TypeError, ValueError):
        return None


def signature_problem(
    keys: ApproverKeys,
    agent: Agent,
    tool: Tool,
    signed: SignedApproval | None,
    scheduled_by: str,
    arguments: JsonDict,
) -> str | None:
    """Why this call may not run on the strength of `signed`, or None when it may.

    A tool whose code names approvers (its own or its agent's) needs a signed approval; one
    given is checked whatever the tool: signed by one of the tool's approvers (when it names
    any), for a call of this tool with exactly these arguments, by a workflow of the tree
    the signature names (`scheduled_by` is the root or below it).
    """
    approvers = agent.approvers_of(tool)
    if signed is None:
        if approvers:
            return f"tool {tool.name!r} runs only with a decision signed by {', '.join(approvers)}"
        return None
    root = signed.root_workflow_id
    call = signed.tool_call
    edited = signed.edited_arguments
    approved_arguments = edited if edited is not None else _original_arguments(call)
    if approvers and signed.approver not in approvers:
        return f"{signed.approver!r} is not among the approvers of tool {tool.name!r}"
    if scheduled_by != root and not scheduled_by.startswith(f"{root}/"):
        return f"the signed decision is for the tree of {root!r}, not {scheduled_by!r}"
    if (call.get("function") or {}).get("name") != tool.name or approved_arguments != arguments:
        return "the signed decision is for another call or other arguments"
    message = decision_message(
        root, str(call.get("id")), call_digest(call), True, signed.edited_arguments
    )
    if not keys.verify(signed.approver, signed.signature, message):
        return f"the signature is not {signed.approver}'s over this call"
    return None
