"""Defining agents and tools, and the registry the worker runs them from."""

from agent_continuations.agent_definitions._agent import (
    SCRIPTED_MODEL,
    Agent,
    RejectPolicy,
    UnknownAgentError,
    agents_registered_by,
    get_agent,
    register,
    registered_agents,
)
from agent_continuations.agent_definitions._loading import (
    AGENT_MODULES_ENV,
    DEFAULT_AGENT_MODULES,
    AgentModuleError,
    LoadedAgents,
    agent_module_names,
    load_agent_modules,
)
from agent_continuations.agent_definitions._suspension import (
    Budget,
    CustomPolicy,
    EveryNTurns,
    LoopStatus,
    MaxDuration,
    MaxTurns,
    SuspensionPolicy,
    TokenBudget,
)
from agent_continuations.agent_definitions._tool import ApprovalPredicate, Tool, tool
from agent_continuations.agent_definitions._tool_context import (
    NotInToolCallError,
    ToolCallContext,
    current_tool_call,
    tool_call_context,
)

__all__ = [
    "AGENT_MODULES_ENV",
    "DEFAULT_AGENT_MODULES",
    "SCRIPTED_MODEL",
    "Agent",
    "AgentModuleError",
    "ApprovalPredicate",
    "Budget",
    "CustomPolicy",
    "EveryNTurns",
    "LoadedAgents",
    "LoopStatus",
    "MaxDuration",
    "MaxTurns",
    "NotInToolCallError",
    "RejectPolicy",
    "SuspensionPolicy",
    "TokenBudget",
    "Tool",
    "ToolCallContext",
    "UnknownAgentError",
    "agent_module_names",
    "agents_registered_by",
    "current_tool_call",
    "get_agent",
    "load_agent_modules",
    "register",
    "registered_agents",
    "tool",
    "tool_call_context",
]
