"""Workflows: deterministic orchestration of agents."""

from workflows._agent_workflow import AgentWorkflow
from workflows._decisions import decision_signal_input
from workflows._search_attributes import (
    AGENT_STATUSES,
    SEARCH_ATTRIBUTE_KEYS,
    SEARCH_ATTRIBUTE_TYPES,
    AgentSearchValues,
    AgentStatus,
)
from workflows._state import AgentState, ToolCallState

__all__ = [
    "AGENT_STATUSES",
    "SEARCH_ATTRIBUTE_KEYS",
    "SEARCH_ATTRIBUTE_TYPES",
    "AgentSearchValues",
    "AgentState",
    "AgentStatus",
    "AgentWorkflow",
    "ToolCallState",
    "decision_signal_input",
]
