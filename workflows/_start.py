"""Where a level's run starts: its input, its agent, and its state from its prompt or an
imported resume point."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pydantic
from temporalio import workflow

from agent_continuations.agent_definitions import Agent, AgentCatalog, UnknownAgentError
from agent_continuations.shared import (
    AgentWorkflowInput,
    DecisionRecord,
    ResumeCall,
    ResumePoint,
    validation_problems,
)
from agent_continuations.workflows._calls import call_kind
from agent_continuations.workflows._input_seal import InputSeals
from agent_continuations.workflows._state import AgentState, ToolCallState


def parse_input(
    input: Any,
) -> tuple[AgentWorkflowInput, AgentState | None, str | None]:
    """The run's input and the state it carries over, or what is wrong with them.

    Returns:
        The input (an empty one if malformed), the carried state if any, and the problem.
    """
    try:
        parsed = AgentWorkflowInput.model_validate(input)
        if parsed.carried_state is None:
            return parsed, None, None
        return parsed, AgentState.model_validate(parsed.carried_state), None
    except pydantic.ValidationError as error:
        problem = f"invalid workflow input: {validation_problems(error)}"
        return AgentWorkflowInput(agent=""), None, problem


# The memo entry of a run that dropped the decision records of its unsealed resume input.
UNSEALED_INPUT_MEMO = "unsealed_input"


@dataclass(frozen=True)
class CheckedInput:
    """A run's input as far as its seal vouches for it (see `check_seal`).

    Attributes:
        input: The input, without the decision records of an unsealed resume point.
        carried: The state carried over, if sealed.
        problem: Why the run cannot start: the carried state is not sealed.
        dropped_records: How many decision records of an unsealed resume point were dropped.
    """

    input: AgentWorkflowInput
    carried: AgentState | None
    problem: str | None = None
    dropped_records: int = 0


def check_seal(
    input: AgentWorkflowInput, carried: AgentState | None, seals: InputSeals
) -> CheckedInput:
    """What of the state an input carries counts: all of it when the input is sealed for this
    workflow, or the worker checks no seals; else a carried state is refused, and a resume
    point's decision records are dropped (its calls' verdicts count, as a signal's would)."""
    carries = input.carried_state is not None or input.resume is not None
    if not carries or not seals.checks() or seals.vouched(input, input_receiver(input)):
        return CheckedInput(input, carried)
    if input.carried_state is not None:
        problem = (
            "the carried-over state is not sealed by this tree's workers: a run continues only "
            "from the state its own tree hands on"
        )
        return CheckedInput(input.model_copy(update={"carried_state": None}), None, problem)
    assert input.resume is not None
    resume, dropped = _without_records(input.resume)
    return CheckedInput(input.model_copy(update={"resume": resume}), None, None, dropped)


def input_receiver(input: AgentWorkflowInput) -> str:
    """Whom a sealed input is for: this workflow, and for a carried state this chain of runs
    (so a state from an earlier chain, read in its history, cannot start the ID again)."""
    info = workflow.info()
    if input.carried_state is None:
        return info.workflow_id
    return f"{info.workflow_id}@{info.first_execution_run_id}"


def unsealed_records_note(dropped: int) -> str:
    """What a run notes when it dropped the decision records of an unsealed resume input."""
    return (
        f"dropped {dropped} earlier decision record(s) of the resume input: it is not sealed "
        "(a starter seals it when it has CONTINUATION_SEAL_KEY, as the workers do)"
    )


def _without_records(resume: ResumePoint) -> tuple[ResumePoint, int]:
    dropped = len(resume.decisions)
    calls = []
    for call in resume.calls:
        if call.sub_agent is not None:
            nested, count = _without_records(call.sub_agent)
            call, dropped = call.model_copy(update={"sub_agent": nested}), dropped + count
        calls.append(call)
    return resume.model_copy(update={"decisions": [], "calls": calls}), dropped


def find_agent(agents: AgentCatalog, name: str) -> tuple[Agent | None, str | None]:
    """The agent a run names, or the problem when the worker has none by that name."""
    try:
        return agents.get(name), None
    except UnknownAgentError:
        return None, f"unknown agent {name!r}"


def no_model_problem(agent: str) -> str:
    """Why a run of `agent` cannot start: no model is named anywhere."""
    return (
        f"agent {agent!r} has no model: name one with the run's --model, the agent's model= "
        "or the worker's AGENT_MODEL"
    )


def start_state(
    input: AgentWorkflowInput, agent: Agent | None, default_model: str | None, now: datetime
) -> AgentState:
    """The level's state from its prompt, or from the resume point of an import.

    Args:
        input: The run's input.
        agent: The level's agent; None when the input names none.
        default_model: The worker's model for agents that name none; the run's comes first.
        now: The workflow's time, recorded on decisions the import carried.
    """
    instructions = agent.instructions if agent else ""
    first = [
        {"role": "developer", "content": instructions},
        {"role": "user", "content": input.prompt or ""},
    ]
    start = input.resume or ResumePoint(messages=first)
    state = AgentState(
        agent=input.agent,
        model=input.model or (agent and agent.model) or default_model or "",
        messages=list(start.messages),
        decisions=list(start.decisions),
    )
    if agent is not None and not agent.mcp_servers:
        resume_calls(state, input, agent, now)
    return state


def resume_calls(state: AgentState, input: AgentWorkflowInput, agent: Agent, now: datetime) -> None:
    """Put the imported turn's unanswered calls in a fresh level's state; an agent with MCP
    servers does it once the run has listed their tools, so that their calls are known."""
    if input.resume is None:
        return
    approvers = input.options.approvers
    state.turn_calls = [resumed_call(agent, c, now, approvers) for c in input.resume.calls]
    state.decisions += [c.decision for c in state.turn_calls if c.decision]


def resumed_call(
    agent: Agent, call: ResumeCall, decided_at: datetime, run_approvers: Sequence[str] = ()
) -> ToolCallState:
    """The state of an imported unanswered call, with its decision if the import carried one
    (for a tool with approvers it waits for theirs: a file or an input cannot approve it)."""
    state = ToolCallState(
        tool_call=call.tool_call,
        kind=call_kind(agent, call.tool_call),
        sub_agent_resume=call.sub_agent,
    )
    if state.kind != "tool" or call.decision == "run":
        return state
    state.status = "waiting_approval"
    tool = agent.find_tool(state.name)
    if tool is not None and agent.approvers_of(tool, run_approvers):
        return state  # only its approvers' signed decisions count, never an imported one
    if call.decision != "open":
        state.decision = DecisionRecord(
            tool_call_id=state.id,
            paths=[state.name],
            path_ids=[state.id],
            approved=call.decision == "approve",
            approver=call.approver,
            reason=call.reason or "decided in the imported continuation",
            decided_at=decided_at,
        )
    return state
