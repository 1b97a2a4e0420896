"""Where a level's run starts: its input, its agent, and its state from its prompt or an
imported resume point."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pydantic

from agent_continuations.agent_definitions import Agent, AgentCatalog, UnknownAgentError
from agent_continuations.shared import (
    AgentWorkflowInput,
    DecisionRecord,
    ResumeCall,
    ResumePoint,
    validation_problems,
)
from agent_continuations.workflows._calls import call_kind
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
