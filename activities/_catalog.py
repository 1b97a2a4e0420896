"""Looking agents up from inside an activity."""

from __future__ import annotations

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
