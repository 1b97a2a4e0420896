"""The Pydantic AI agents an agent module (`--agents`) defines, as ours."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pydantic_ai

from agent_continuations.agent_definitions import Agent
from agent_continuations.frameworks.pydantic_ai._agents import PydanticAIAgent, from_pydantic_ai


def _converted(agents: Iterable[Agent]) -> set[int]:
    """The Pydantic AI agents that `agents` (and their sub-agents) were made from."""
    sources: set[int] = set()
    for agent in agents:
        if isinstance(agent, PydanticAIAgent):
            sources.add(id(agent.source))
        sources |= _converted(agent.sub_agents)
    return sources


def pydantic_ai_agents(values: Iterable[tuple[str, Any]], ours: Sequence[Agent]) -> list[Agent]:
    """Ours made, with `from_pydantic_ai`'s defaults, of each `pydantic_ai.Agent` among
    `values` (name, value) that none of `ours` was made from; named by their `name`, else by
    the variable.

    Raises:
        PydanticAIAgentError: One cannot run here; one line naming it and the feature.
    """
    done = _converted(ours)
    found: dict[int, Agent] = {}
    for variable, value in values:
        if isinstance(value, pydantic_ai.Agent) and id(value) not in done | found.keys():
            found[id(value)] = from_pydantic_ai(value, name=value.name or variable or None)
    return list(found.values())
