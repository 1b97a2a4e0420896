"""Agent continuations on Temporal: durable LLM agents that pause for people.

Define agents with `Agent`, `tool` and `ModelSettings`; run them on a worker with
`AgentPlugin(agents=[...])` (or `agent-worker --agents MODULE`); start, decide, export and
resume runs with the client functions below (or `agent-starter`). Test doubles are in
`agent_continuations.testing`; everything not named here is private.
"""

from agent_continuations.agent_definitions import (
    ActivityOptions,
    Agent,
    ApprovalNeeded,
    Budget,
    CustomPolicy,
    EveryNTurns,
    HttpServer,
    LoopStatus,
    MaxDuration,
    MaxTurns,
    StdioServer,
    SuspensionPolicy,
    TokenBudget,
    Tool,
    ToolCallContext,
    current_tool_call,
    tool,
)
from agent_continuations.agent_runs import (
    ExportError,
    decide_run,
    export_run,
    resume_run,
    start_run,
)
from agent_continuations.continuations import ContinuationImportError
from agent_continuations.plugin import AgentPlugin
from agent_continuations.shared import (
    AgentRunOutput,
    DecideInput,
    ModelSettings,
    ResumeSignalInput,
    RunOptions,
)
from agent_continuations.workflows import AgentWorkflow

__all__ = [
    "ActivityOptions",
    "Agent",
    "AgentPlugin",
    "AgentRunOutput",
    "AgentWorkflow",
    "ApprovalNeeded",
    "Budget",
    "ContinuationImportError",
    "CustomPolicy",
    "DecideInput",
    "EveryNTurns",
    "ExportError",
    "HttpServer",
    "LoopStatus",
    "MaxDuration",
    "MaxTurns",
    "ModelSettings",
    "ResumeSignalInput",
    "RunOptions",
    "StdioServer",
    "SuspensionPolicy",
    "TokenBudget",
    "Tool",
    "ToolCallContext",
    "current_tool_call",
    "decide_run",
    "export_run",
    "resume_run",
    "start_run",
    "tool",
]
