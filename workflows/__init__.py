"""Workflows: deterministic orchestration of agents."""

from agent_continuations.workflows._agent_workflow import AgentWorkflow
from agent_continuations.workflows._decisions import decision_signal_input
from agent_continuations.workflows._input_seal import sealed_with_key
from agent_continuations.workflows._search_attributes import (
    AGENT_STATUSES,
    SEARCH_ATTRIBUTE_KEYS,
    SEARCH_ATTRIBUTE_TYPES,
    AgentSearchValues,
    AgentStatus,
)
from agent_continuations.workflows._state import AgentState, ToolCallState

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
    "sealed_with_key",
]
