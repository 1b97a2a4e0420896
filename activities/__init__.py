"""Activities: every piece of I/O an agent does (model calls and tool calls)."""

from activities._model_call import ModelActivities, ModelCallInput, ModelCallOutput, provider_error
from activities._scripted_model import Script, ScriptedModelTransport
from activities._tool_call import ToolCallInput, ToolCallOutput, run_tool

__all__ = [
    "ModelActivities",
    "ModelCallInput",
    "ModelCallOutput",
    "Script",
    "ScriptedModelTransport",
    "ToolCallInput",
    "ToolCallOutput",
    "provider_error",
    "run_tool",
]
