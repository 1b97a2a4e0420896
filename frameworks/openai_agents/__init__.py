"""Agents written with the OpenAI Agents SDK (the `[openai-agents]` extra) run here as this
project's agents, and their paused runs (`RunState` JSON) move in and out."""

from agent_continuations.frameworks.openai_agents._agents import convert_agent
from agent_continuations.frameworks.openai_agents._errors import (
    RunStateError,
    UnsupportedAgentError,
)

__all__ = ["RunStateError", "UnsupportedAgentError", "convert_agent"]
