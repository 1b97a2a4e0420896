"""Defining agents and tools, and collecting the ones a worker runs."""

from agent_continuations.agent_definitions._activity_options import ActivityOptions
from agent_continuations.agent_definitions._agent import Agent, RejectPolicy
from agent_continuations.agent_definitions._approvers import (
    APPROVER_KEYS_ENV,
    ApproverKeyError,
    ApproverKeys,
    decision_message,
    sign_decision,
)
from agent_continuations.agent_definitions._catalog import (
    AgentCatalog,
    UnknownAgentError,
    catalog_for,
    serve_catalog,
)
from agent_continuations.agent_definitions._loading import (
    AGENT_MODULES_ENV,
    DEFAULT_AGENT_MODULES,
    AgentModuleError,
    LoadedAgents,
    agent_module_names,
    as_agent,
    load_agent_modules,
    module_agents,
)
from agent_continuations.agent_definitions._mcp_servers import (
    ApprovalRule,
    HttpServer,
    McpServer,
    McpTool,
    McpToolSpec,
    StdioServer,
    listing_digest,
)
from agent_continuations.agent_definitions._secrets import WORKER_SECRETS_ENV, WorkerSecrets
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
from agent_continuations.agent_definitions._tool import (
    ApprovalPredicate,
    InvalidArgumentsError,
    Tool,
    tool,
)
from agent_continuations.agent_definitions._tool_context import (
    ApprovalNeeded,
    NotInToolCallError,
    ToolCallContext,
    current_tool_call,
    tool_call_context,
)

__all__ = [
    "APPROVER_KEYS_ENV",
    "ApproverKeyError",
    "ApproverKeys",
    "decision_message",
    "sign_decision",
    "AGENT_MODULES_ENV",
    "DEFAULT_AGENT_MODULES",
    "ActivityOptions",
    "Agent",
    "AgentCatalog",
    "AgentModuleError",
    "ApprovalNeeded",
    "ApprovalPredicate",
    "ApprovalRule",
    "HttpServer",
    "InvalidArgumentsError",
    "McpServer",
    "McpTool",
    "McpToolSpec",
    "StdioServer",
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
    "WORKER_SECRETS_ENV",
    "WorkerSecrets",
    "agent_module_names",
    "as_agent",
    "catalog_for",
    "current_tool_call",
    "listing_digest",
    "load_agent_modules",
    "module_agents",
    "serve_catalog",
    "tool",
    "tool_call_context",
]
