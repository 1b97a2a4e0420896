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


async def run_state_from_continuation(output: JsonDict) -> JsonDict:
    """The RunState JSON (`RunState.to_json()`'s) of a run of SDK agents waiting for approval,
    for `RunState.from_json(agent, ...)`; see `_export.continuation_to_run_state`.

    Args:
        output: The run's continuation, whose root agent was converted from an SDK agent in
            this process (its module given to `--agents`).

    Raises:
        RunStateError: The SDK is not installed, the root is not an SDK agent, or the run cannot
            be written as a RunState; one line saying why.
    """
    try:
        from agent_continuations.frameworks.openai_agents._agents import sdk_agent_named
        from agent_continuations.frameworks.openai_agents._export import (
            continuation_to_run_state,
        )
    except ImportError:
        raise RunStateError(
            f"writing an OpenAI Agents SDK RunState needs: {INSTALL_HINT}"
        ) from None
    name = (output.get("agents") or {}).get("")
    sdk_root = sdk_agent_named(name) if isinstance(name, str) else None
    if sdk_root is None:
        raise RunStateError(
            f"the run's agent {name!r} is not an OpenAI Agents SDK agent of the loaded modules "
            "(give its module with --agents)"
        )
    return await continuation_to_run_state(output, sdk_root)


__all__ = [
    "INSTALL_HINT",
    "RunStateError",
    "UnsupportedAgentError",
    "continuation_from_run_state",
    "convert_agent",
    "is_run_state",
    "run_state_from_continuation",
]
