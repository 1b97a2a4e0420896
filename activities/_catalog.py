"""Looking agents up from inside an activity."""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from agent_continuations.agent_definitions import Agent, AgentCatalog, UnknownAgentError


def catalog_agent(agents: AgentCatalog, name: str) -> Agent:
    """The agent called `name` in the worker's catalog.

    Raises:
        ApplicationError: Non-retryable: this worker has no such agent, and retrying on the
            same worker cannot change that.
    """
    try:
        return agents.get(name)
    except UnknownAgentError as error:
        raise ApplicationError(str(error), type="UnknownAgent", non_retryable=True) from None


def check_task_queue(pinned: str | None, what: str) -> None:
    """Refuse to run `what` (e.g. "tool 'x' runs") here when it is pinned to another queue.

    Raises:
        ApplicationError: Non-retryable: this activity runs on another task queue.
    """
    here = activity.info().task_queue
    if pinned is not None and pinned != here:
        raise ApplicationError(
            f"{what} only on task queue {pinned!r}, not {here!r}",
            type="WrongTaskQueue",
            non_retryable=True,
        )
