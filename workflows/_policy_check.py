"""Evaluating an agent's suspension policies against its level's state (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from agent_continuations.agent_definitions import (
    Agent,
    Budget,
    LoopStatus,
    MaxTurns,
    SuspensionPolicy,
)
from agent_continuations.workflows._state import AgentState


class FiredPolicy(NamedTuple):
    """A policy that says to suspend; `error` is what it raised, if it did."""

    name: str
    error: Exception | None = None


def fired_policies(
    agent: Agent, state: AgentState, max_turns: int | None, now: datetime
) -> list[FiredPolicy]:
    """The agent's policies that say to suspend now, measured from the last start.

    A policy that raises suspends the level too, so a person can look.

    Args:
        agent: The level's agent, with its policies and turn budget.
        state: The level's state.
        max_turns: The run's turn budget, overriding the agent's.
        now: The workflow's time.
    """
    policy = state.policy
    started = policy.started_at or now
    status = LoopStatus(
        turns=state.model_turns - policy.turns_at_start,
        tokens=state.total_tokens - policy.tokens_at_start,
        elapsed=now - started,
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
    fired = [_check(p, status, budget) for p in policies]
    return [f for f in fired if f is not None]


def _check(policy: SuspensionPolicy, status: LoopStatus, budget: Budget) -> FiredPolicy | None:
    try:
        return FiredPolicy(policy.name) if policy.should_suspend(status, budget) else None
    except Exception as error:
        return FiredPolicy(policy.name, error)
