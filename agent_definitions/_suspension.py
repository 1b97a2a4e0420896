"""Suspension policies: deterministic checks, at the top of each agent loop, that pause a run.

A policy sees only `LoopStatus`, built from workflow state, so it behaves the same on every
replay and after continue-as-new. Measures count from the last (re)start of the level, so a
resumed run gets a fresh budget.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol


@dataclass(frozen=True)
class LoopStatus:
    """What a policy may look at, measured since this agent level last started or resumed."""

    turns: int
    tokens: int
    elapsed: timedelta
    total_turns: int
    message_count: int


@dataclass(frozen=True)
class Budget:
    """New limits given with a `resume` signal; None keeps a policy's own limit."""

    turns: int | None = None
    tokens: int | None = None
    duration: timedelta | None = None


class SuspensionPolicy(Protocol):
    """A named condition that suspends the agent before its next model call."""

    @property
    def name(self) -> str: ...

    def should_suspend(self, status: LoopStatus, budget: Budget) -> bool:
        """Whether to suspend now."""
        ...


@dataclass(frozen=True)
class EveryNTurns:
    """Suspend after every `turns` model turns."""

    turns: int

    @property
    def name(self) -> str:
        return f"every_{self.turns}_turns"

    def should_suspend(self, status: LoopStatus, budget: Budget) -> bool:
        return status.turns >= (budget.turns or self.turns)


@dataclass(frozen=True)
class MaxTurns:
    """Every agent's turn budget (`Agent.max_turns`): suspend as `max_turns` after `turns`."""

    turns: int

    @property
    def name(self) -> str:
        return "max_turns"

    def should_suspend(self, status: LoopStatus, budget: Budget) -> bool:
        return status.turns >= (budget.turns or self.turns)


@dataclass(frozen=True)
class MaxDuration:
    """Suspend once the level has run longer than `duration` of workflow time."""

    duration: timedelta

    @property
    def name(self) -> str:
        return f"longer_than_{int(self.duration.total_seconds())}s"

    def should_suspend(self, status: LoopStatus, budget: Budget) -> bool:
        return status.elapsed > (budget.duration or self.duration)


@dataclass(frozen=True)
class TokenBudget:
    """Suspend once the model calls used more than `tokens` tokens (from the API's usage)."""

    tokens: int

    @property
    def name(self) -> str:
        return f"over_{self.tokens}_tokens"

    def should_suspend(self, status: LoopStatus, budget: Budget) -> bool:
        return status.tokens > (budget.tokens or self.tokens)


@dataclass(frozen=True)
class CustomPolicy:
    """A policy from a deterministic function of the loop status (no I/O, no clocks)."""

    name: str
    check: Callable[[LoopStatus], bool]

    def should_suspend(self, status: LoopStatus, budget: Budget) -> bool:
        return self.check(status)
