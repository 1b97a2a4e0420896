"""An OpenAI Agents SDK `Agent` as our `Agent`, refusing at load what cannot run durably here."""

from __future__ import annotations

from typing import Any

from agents import Agent as SdkAgent
from agents import FunctionTool
from agents.agent_tool_input import AgentAsToolInput

from agent_continuations.agent_definitions import Agent
from agent_continuations.frameworks.openai_agents._errors import UnsupportedAgentError
from agent_continuations.frameworks.openai_agents._output import output_check, response_format
from agent_continuations.frameworks.openai_agents._settings import model_settings
from agent_continuations.frameworks.openai_agents._tools import function_tool

# Converted agents by the SDK agent's identity (the SDK agent kept alive beside ours), so an
# agent used at module level and as another's tool is one agent here.
_converted: dict[int, tuple[SdkAgent[Any], Agent]] = {}
# The tool name and description each converted agent is offered under, by our agent's identity.
_offered: dict[int, tuple[str, str]] = {}
_DEFAULT_AS_TOOL_PROPERTIES = set(AgentAsToolInput.model_fields)


def _refuse(sdk: SdkAgent[Any], feature: str) -> UnsupportedAgentError:
    return UnsupportedAgentError(
        f"agent {sdk.name!r} uses {feature}, which has no durable counterpart here"
    )


def _check_features(sdk: SdkAgent[Any]) -> None:
    """Refuse, with one line naming the agent and the feature, what cannot run durably."""
    if sdk.instructions is not None and not isinstance(sdk.instructions, str):
        raise _refuse(sdk, "callable instructions (give a string)")
    used = {
        "handoffs": bool(sdk.handoffs),
        "input guardrails": bool(sdk.input_guardrails),
        "output guardrails": bool(sdk.output_guardrails),
        "MCP servers": bool(sdk.mcp_servers),
        "a prompt object": sdk.prompt is not None,
        "lifecycle hooks": sdk.hooks is not None,
        f"tool_use_behavior={sdk.tool_use_behavior!r}": sdk.tool_use_behavior != "run_llm_again",
    }
    for feature, present in used.items():
        if present:
            raise _refuse(sdk, feature)
    if sdk.model is not None and not isinstance(sdk.model, str):
        raise _refuse(sdk, f"a {type(sdk.model).__name__} model object (name the model instead)")


def _sub_agent(sdk: SdkAgent[Any], tool: FunctionTool) -> Agent:
    """The agent that `agent.as_tool(...)` offers, offered here under the tool's name."""
    if tool.needs_approval is not False:
        raise _refuse(sdk, f"needs_approval on agent tool {tool.name!r}")
    properties = set(tool.params_json_schema.get("properties", {}))
    if properties != _DEFAULT_AS_TOOL_PROPERTIES:
        raise _refuse(sdk, f"structured parameters on agent tool {tool.name!r}")
    if tool.is_enabled is not True:
        raise _refuse(sdk, f"is_enabled on agent tool {tool.name!r}")
    sub_agent = convert_agent(tool._agent_instance)  # type: ignore[attr-defined]
    offered = _offered.setdefault(id(sub_agent), (tool.name, tool.description))
    if offered != (tool.name, tool.description):
        raise _refuse(sdk, f"agent {sub_agent.name!r} as two different tools")
    sub_agent.tool_name, sub_agent.description = offered
    sub_agent.prompt_parameter = "input"  # the SDK's `AgentAsToolInput`
    return sub_agent


def convert_agent(sdk: SdkAgent[Any]) -> Agent:
    """Our agent running an SDK agent: the same name, instructions, model, settings, tools,
    sub-agents (`as_tool`) and output type; converted once per SDK agent.

    Raises:
        UnsupportedAgentError: The agent uses handoffs, guardrails, hosted or MCP tools,
            computer use, callable instructions or another feature with no counterpart here.
    """
    known = _converted.get(id(sdk))
    if known is not None and known[0] is sdk:
        return known[1]
    _check_features(sdk)
    tools, sub_agents = [], []
    for tool in sdk.tools:
        if isinstance(tool, FunctionTool) and getattr(tool, "_is_agent_tool", False):
            sub_agents.append(_sub_agent(sdk, tool))
        elif isinstance(tool, FunctionTool):
            tools.append(function_tool(sdk.name, tool))
        else:
            raise _refuse(sdk, f"a {type(tool).__name__} (only function and agent tools run)")
    settings = model_settings(sdk.name, sdk.model, sdk.model_settings, sdk.reset_tool_choice)
    extra = response_format(sdk.output_type)
    if extra:
        settings = settings.model_copy(
            update={"extra_body": {**(settings.extra_body or {}), **extra}}
        )
    agent = Agent(
        name=sdk.name,
        instructions=sdk.instructions if isinstance(sdk.instructions, str) else "",
        model=sdk.model if isinstance(sdk.model, str) else None,
        tools=tools,
        sub_agents=sub_agents,
        description=sdk.handoff_description or "",
        on_reject="tell_model",
        model_settings=settings,
        output_check=output_check(sdk.output_type),
    )
    _converted[id(sdk)] = (sdk, agent)
    return agent


def sdk_agent_named(name: str) -> SdkAgent[Any] | None:
    """The SDK agent that our agent `name` was converted from in this process, if any."""
    return next((sdk for sdk, ours in _converted.values() if ours.name == name), None)
