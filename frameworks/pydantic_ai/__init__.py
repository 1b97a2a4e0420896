"""Pydantic AI agents run as agents of this project (the `[pydantic-ai]` extra).

`from_pydantic_ai(agent, ...)` makes one of our agents of a `pydantic_ai.Agent`; a module given
to `--agents` may also define `pydantic_ai.Agent` objects, which are converted with the
defaults. `pydantic_ai_continuation` reads a paused Pydantic AI run (its message history, or
`{"messages", "deferred_tool_requests"}`) as a continuation to resume here;
`to_pydantic_ai` writes a waiting run's continuation as that object, for `agent.run(
message_history=..., deferred_tool_results=...)` to go on.
"""

from agent_continuations.frameworks.pydantic_ai._agents import (
    PydanticAIAgent,
    PydanticAIAgentError,
    from_pydantic_ai,
)
from agent_continuations.frameworks.pydantic_ai._files import (
    PydanticAIFileError,
    pydantic_ai_continuation,
    to_pydantic_ai,
)
from agent_continuations.frameworks.pydantic_ai._loading import pydantic_ai_agents

__all__ = [
    "PydanticAIAgent",
    "PydanticAIAgentError",
    "PydanticAIFileError",
    "from_pydantic_ai",
    "pydantic_ai_agents",
    "pydantic_ai_continuation",
    "to_pydantic_ai",
]
