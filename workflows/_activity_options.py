"""The options each model and tool activity is scheduled with: the run's timeouts, over the
tool's or agent's own options, over the defaults."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

from agent_continuations.agent_definitions import ActivityOptions

MODEL_CALL_DEFAULTS = ActivityOptions(
    start_to_close_timeout=timedelta(minutes=5),
    heartbeat_timeout=timedelta(seconds=30),
    retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1), maximum_attempts=10),
)
TOOL_CALL_DEFAULTS = ActivityOptions(
    start_to_close_timeout=timedelta(minutes=5),
    heartbeat_timeout=timedelta(seconds=30),
    retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30), maximum_attempts=3),
)


def _seconds(value: float | None) -> timedelta | None:
    return None if value is None else timedelta(seconds=value)


def effective_options(
    own: ActivityOptions,
    defaults: ActivityOptions,
    run_timeout_seconds: float | None,
    run_heartbeat_seconds: float | None,
) -> ActivityOptions:
    """The options an activity runs with: each one the run's, else `own`, else `defaults`."""
    return ActivityOptions(
        start_to_close_timeout=_seconds(run_timeout_seconds)
        or own.start_to_close_timeout
        or defaults.start_to_close_timeout,
        heartbeat_timeout=_seconds(run_heartbeat_seconds)
        or own.heartbeat_timeout
        or defaults.heartbeat_timeout,
        retry_policy=own.retry_policy or defaults.retry_policy,
        task_queue=own.task_queue or defaults.task_queue,
    )
