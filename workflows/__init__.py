"""Workflows: deterministic orchestration of agents."""

from workflows.agent_workflow import AgentWorkflow

__all__ = ["AgentWorkflow"]
