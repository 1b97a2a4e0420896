"""Defining agents and tools, and the registry the worker runs them from."""

from agent_definitions._agent import (
    SCRIPTED_MODEL,
    Agent,
    RejectPolicy,
    UnknownAgentError,
    get_agent,
    register,
    registered_agents,
)
from agent_definitions._policies import (
    Budget,
    CustomPolicy,
    EveryNTurns,
    LoopStatus,
    MaxDuration,
    SuspensionPolicy,
    TokenBudget,
)
from agent_definitions._tool import ApprovalPredicate, Tool, tool

__all__ = [
    "SCRIPTED_MODEL",
    "Agent",
    "ApprovalPredicate",
    "Budget",
    "CustomPolicy",
    "EveryNTurns",
    "LoopStatus",
    "MaxDuration",
    "RejectPolicy",
    "SuspensionPolicy",
    "TokenBudget",
    "Tool",
    "UnknownAgentError",
    "get_agent",
    "register",
    "registered_agents",
    "tool",
]
