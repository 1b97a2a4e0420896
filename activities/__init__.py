"""Activities: every piece of I/O an agent does (model calls and tool calls)."""

from activities.model import ModelActivities, provider_error
from activities.scripted_model import Script, ScriptedModelTransport
from activities.tools import run_tool

__all__ = ["ModelActivities", "Script", "ScriptedModelTransport", "provider_error", "run_tool"]
