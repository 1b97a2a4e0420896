"""Workflows: deterministic orchestration of agents."""

from workflows._agent_workflow import AgentWorkflow
from workflows._decisions import decision_signal_input
from workflows._state import AgentState, ToolCallState

__all__ = ["AgentState", "AgentWorkflow", "ToolCallState", "decision_signal_input"]
