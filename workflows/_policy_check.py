"""Evaluating an agent's suspension policies against its level's state (pure)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

from agent_continuations.agent_definitions import (
    Agent,
    Budget,
    LoopStatus,
    MaxTurns,
    SuspensionPolicy,
)
from agent_continuations.workflows._state import AgentState


def fired_policies(agent: Agent, state: AgentState, max_turns: int | None) -> list[str]:
    """Names of the agent's policies that say to suspend now, measured from the last start.

    Args:
        agent: The level's agent, with its policies and turn budget.
        state: The level's state.
        max_turns: The run's turn budget, overriding the agent's.
    """
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
    policies = [*agent.suspension_policies, MaxTurns(max_turns or agent.max_turns)]
    return [p.name for p in policies if _fires(p, status, budget)]


def _fires(policy: SuspensionPolicy, status: LoopStatus, budget: Budget) -> bool:
    """Whether a policy fires; one that raises suspends the level, so a person can look."""
    try:
        return policy.should_suspend(status, budget)
    except Exception as error:
        workflow.logger.warning("suspension policy %s raised: %s", policy.name, error)
        return True
