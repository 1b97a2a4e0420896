"""Temporal activity options of one tool's calls, or of one agent's model calls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio.common import RetryPolicy


@dataclass(frozen=True)
class ActivityOptions:
    """How the workflow schedules a tool's (or an agent's model) activity; None keeps the
    default. A run's timeouts (`RunOptions`) override these.

    Attributes:
        start_to_close_timeout: The longest one attempt may run.
        heartbeat_timeout: An attempt whose worker is silent this long is retried.
        retry_policy: Temporal's retry policy for the calls.
        task_queue: Run the calls only on workers polling this queue (say, where the tool's
            credentials are), not on the agent's own.

    Raises:
        ValueError: A timeout is not positive, or the task queue is empty.
    """

    start_to_close_timeout: timedelta | None = None
    heartbeat_timeout: timedelta | None = None
    retry_policy: RetryPolicy | None = None
    task_queue: str | None = None

    def __post_init__(self) -> None:
        for name in ("start_to_close_timeout", "heartbeat_timeout"):
            value = getattr(self, name)
            if value is not None and value <= timedelta(0):
                raise ValueError(f"{name} must be positive, not {value}")
        if self.task_queue is not None and not self.task_queue.strip():
            raise ValueError("task_queue must not be empty")
