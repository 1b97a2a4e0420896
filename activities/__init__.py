"""Activities: every piece of I/O an agent does (model calls and tool calls)."""

from agent_continuations.activities._conversation import (
    CONVERSATION_QUERY,
    AddedMessage,
    ConversationCache,
    ConversationPage,
    ConversationPageInput,
    ConversationRef,
    DigestChain,
    conversation_page,
    message_bytes,
)
from agent_continuations.activities._mcp_call import (
    McpActivities,
    McpCallInput,
    McpListInput,
    McpListOutput,
)
from agent_continuations.activities._model_call import (
    AGENT_HEADER,
    ModelActivities,
    ModelCallInput,
    ModelCallOutput,
    provider_error,
)
from agent_continuations.activities._recordable import MAX_RESULT_ENV, max_result_bytes
from agent_continuations.activities._signed_approval import SignedApproval
from agent_continuations.activities._tool_call import (
    APPROVAL_NEEDED,
    ToolActivities,
    ToolCallInput,
    ToolCallOutput,
)

__all__ = [
    "AGENT_HEADER",
    "APPROVAL_NEEDED",
    "AddedMessage",
    "CONVERSATION_QUERY",
    "ConversationCache",
    "ConversationPage",
    "ConversationPageInput",
    "ConversationRef",
    "DigestChain",
    "MAX_RESULT_ENV",
    "McpActivities",
    "McpCallInput",
    "McpListInput",
    "McpListOutput",
    "conversation_page",
    "message_bytes",
    "max_result_bytes",
    "ModelActivities",
    "ModelCallInput",
    "ModelCallOutput",
    "SignedApproval",
    "ToolActivities",
    "ToolCallInput",
    "ToolCallOutput",
    "provider_error",
]
