"""Agents written with the OpenAI Agents SDK (the `[openai-agents]` extra) run here as this
project's agents, and their paused runs (`RunState` JSON) move in and out.

This module imports the SDK only when called, so the rest of the project works without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agent_continuations.agent_definitions import AgentCatalog, UnknownAgentError
from agent_continuations.frameworks.openai_agents._errors import (
    RunStateError,
    UnsupportedAgentError,
)
from agent_continuations.shared import JsonDict

if TYPE_CHECKING:
    from agent_continuations.agent_definitions import Agent

INSTALL_HINT = "pip install 'agent-continuations-temporal[openai-agents]'"


def convert_agent(sdk_agent: Any) -> Agent:
    """Our agent running an OpenAI Agents SDK `agents.Agent` (see `_agents.convert_agent`).

    Raises:
        UnsupportedAgentError: It uses a feature with no durable counterpart here.
    """
    from agent_continuations.frameworks.openai_agents._agents import convert_agent as convert

    return convert(sdk_agent)


def is_run_state(data: Any) -> bool:
    """Whether decoded JSON is an SDK `RunState` (it carries `$schemaVersion`)."""
    return isinstance(data, dict) and "$schemaVersion" in data


def continuation_from_run_state(data: JsonDict, agents: AgentCatalog) -> JsonDict:
    """The continuation of ours that a paused SDK run (`RunState.to_json()`) resumes as.

    Args:
        data: The decoded RunState JSON.
        agents: The worker's agents; every agent of the RunState must be one of them.

    Raises:
        RunStateError: The SDK is not installed, or the RunState cannot be resumed here; one
            line saying why.
    """
    try:
        from agent_continuations.frameworks.openai_agents._import import (
            run_state_to_continuation,
        )
    except ImportError:
        raise RunStateError(
            f"reading an OpenAI Agents SDK RunState needs: {INSTALL_HINT}"
        ) from None

    def instructions(name: str) -> str:
        try:
            return agents.get(name).instructions
        except UnknownAgentError as error:
            raise RunStateError(f"the RunState's {error}") from None

    return run_state_to_continuation(data, instructions)


__all__ = [
    "INSTALL_HINT",
    "RunStateError",
    "UnsupportedAgentError",
    "continuation_from_run_state",
    "convert_agent",
    "is_run_state",
]
