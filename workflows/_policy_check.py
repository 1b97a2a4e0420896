"""Evaluating an agent's suspension policies against its level's state (pure)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

from agent_definitions import Agent, Budget, LoopStatus
from workflows._state import AgentState


def fired_policies(agent: Agent, state: AgentState) -> list[str]:
    """Names of the agent's policies that say to suspend now, measured from the last start."""
    policy = state.policy
    started = policy.started_at or workflow.now()
    status = LoopStatus(
        turns=state.model_turns - policy.turns_at_start,
        tokens=state.total_tokens - policy.tokens_at_start,
        elapsed=workflow.now() - started,
        total_turns=state.model_turns,
        message_count=len(state.messages),
    )
    seconds = policy.budget.duration_seconds
    budget = Budget(
        turns=policy.budget.turns,
        tokens=policy.budget.tokens,
        duration=timedelta(seconds=seconds) if seconds else None,
    )
    return [p.name for p in agent.suspension_policies if p.should_suspend(status, budget)]
