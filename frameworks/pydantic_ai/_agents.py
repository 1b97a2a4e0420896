"""A `pydantic_ai.Agent` as one of our agents, refused in one line where it has a feature that
cannot run durably here."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pydantic_ai
from pydantic_ai import DeferredToolRequests
from pydantic_ai.models import Model
from pydantic_ai.toolsets import FunctionToolset

from agent_continuations.agent_definitions import Agent, Tool
from agent_continuations.frameworks.pydantic_ai._model import StructuredOutput, model_client
from agent_continuations.frameworks.pydantic_ai._tools import DepsFactory, convert_tool
from agent_continuations.shared import ModelSettings

# Pydantic AI model settings with a field of ours of the same meaning, and those sent to an
# OpenAI-compatible server as they are (in `extra_body`).
_SETTINGS = {
    "temperature": "temperature",
    "top_p": "top_p",
    "max_tokens": "max_tokens",
    "seed": "seed",
    "parallel_tool_calls": "parallel_tool_calls",
    "stop_sequences": "stop",
}
_EXTRA_BODY_SETTINGS = ("presence_penalty", "frequency_penalty", "logit_bias")


@dataclass
class PydanticAIAgent(Agent):
    """One of our agents made from a `pydantic_ai.Agent` by `from_pydantic_ai`.

    Attributes:
        source: The Pydantic AI agent.
        system_prompt: Its static system prompts; `instructions` holds them followed by its
            instructions, which a Pydantic AI run adds to every request itself.
    """

    source: Any = field(default=None, repr=False, compare=False)
    system_prompt: str = ""


class PydanticAIAgentError(ValueError):
    """A Pydantic AI agent has a feature that cannot run durably here; one line names both."""


def _static_texts(agent: pydantic_ai.Agent[Any, Any], name: str) -> tuple[str, str]:
    """Its static system prompts and its static instructions, each joined."""
    if agent._system_prompt_functions or agent._system_prompt_dynamic_functions:
        raise PydanticAIAgentError(
            f"pydantic_ai agent {name!r}: a system prompt function (@agent.system_prompt) is "
            "evaluated per run and cannot be replayed here: give it as a string"
        )
    instructions = [p.instruction for p in agent._instructions if isinstance(p.instruction, str)]
    if len(instructions) != len(agent._instructions):
        raise PydanticAIAgentError(
            f"pydantic_ai agent {name!r}: instructions given by a function are evaluated per "
            "run and cannot be replayed here: give them as a string"
        )
    return "\n\n".join(agent._system_prompts), "\n\n".join(instructions)


def _model_settings(agent: pydantic_ai.Agent[Any, Any], name: str) -> ModelSettings:
    settings = agent.model_settings or {}
    if callable(settings):
        raise PydanticAIAgentError(
            f"pydantic_ai agent {name!r}: model settings given by a function cannot be "
            "replayed here: give them as a dict"
        )
    ours: dict[str, Any] = {}
    extra: dict[str, Any] = dict(settings.get("extra_body") or {})  # type: ignore[call-overload]
    for key, value in settings.items():
        if key in _SETTINGS:
            ours[_SETTINGS[key]] = value
        elif key in _EXTRA_BODY_SETTINGS:
            extra[key] = value
        elif key != "extra_body":
            raise PydanticAIAgentError(
                f"pydantic_ai agent {name!r}: model setting {key!r} has no counterpart here"
            )
    return ModelSettings(**ours, extra_body=extra or None)


def _structured_output(
    agent: pydantic_ai.Agent[Any, Any], name: str, has_model: bool
) -> StructuredOutput | None:
    spec = agent.output_type
    kinds = list(spec) if isinstance(spec, Sequence) and not isinstance(spec, str) else [spec]
    kinds = [kind for kind in kinds if kind is not DeferredToolRequests]
    if kinds in ([], [str]):
        return None
    if len(kinds) > 1 or not isinstance(kinds[0], type):
        raise PydanticAIAgentError(
            f"pydantic_ai agent {name!r}: output_type {spec!r} is not supported here: give one "
            "type (a BaseModel, dataclass, TypedDict or plain type), with DeferredToolRequests "
            "if you like"
        )
    if not has_model:
        raise PydanticAIAgentError(
            f"pydantic_ai agent {name!r}: output_type {kinds[0].__name__} needs the agent's own "
            "model (Agent(model=...)), which checks the output here"
        )
    return StructuredOutput.of(kinds[0], agent._max_output_retries or 0)


def _toolsets(agent: pydantic_ai.Agent[Any, Any], name: str) -> list[FunctionToolset[Any]]:
    if agent._dynamic_toolsets:
        raise PydanticAIAgentError(
            f"pydantic_ai agent {name!r}: a toolset function (@agent.toolset) builds its tools "
            "per run and cannot be replayed here"
        )
    toolsets: list[FunctionToolset[Any]] = [agent._function_toolset]
    for toolset in agent._user_toolsets:
        if type(toolset) is not FunctionToolset:
            raise PydanticAIAgentError(
                f"pydantic_ai agent {name!r}: toolset {type(toolset).__name__} is not supported "
                "here (only FunctionToolset)"
            )
        if toolset._instructions:
            raise PydanticAIAgentError(
                f"pydantic_ai agent {name!r}: a FunctionToolset with instructions is not "
                "supported here"
            )
        toolsets.append(toolset)
    return toolsets


@functools.cache
def _default_capabilities() -> frozenset[type]:
    """The capabilities every Pydantic AI agent gets without asking."""
    return frozenset(type(c) for c in pydantic_ai.Agent(None)._root_capability.capabilities)


def _check_capabilities(agent: pydantic_ai.Agent[Any, Any], name: str) -> None:
    for capability in agent._root_capability.capabilities:
        if type(capability) not in _default_capabilities():
            raise PydanticAIAgentError(
                f"pydantic_ai agent {name!r}: capability {type(capability).__name__} cannot "
                "run here"
            )
    if agent._output_validators:
        raise PydanticAIAgentError(
            f"pydantic_ai agent {name!r}: output validators (@agent.output_validator) cannot "
            "run here"
        )


def _tools(
    agent: pydantic_ai.Agent[Any, Any], name: str, model: Any, deps: DepsFactory | None
) -> list[Tool]:
    tools = []
    for toolset in _toolsets(agent, name):
        for tool in toolset.tools.values():
            try:
                timeout = toolset.timeout or agent._tool_timeout
                tools.append(convert_tool(tool, model, deps, name, timeout))
            except ValueError as error:
                raise PydanticAIAgentError(f"pydantic_ai {error}") from None
    return tools


def from_pydantic_ai(
    agent: pydantic_ai.Agent[Any, Any],
    *,
    name: str | None = None,
    deps: Callable[[], Any] | None = None,
    sub_agents: Sequence[Agent] = (),
    description: str | None = None,
    **options: Any,
) -> PydanticAIAgent:
    """One of our agents that runs `agent` durably: each model call and tool call an
    activity, its approvals decided by people here.

    Args:
        agent: The Pydantic AI agent.
        name: Its name here; the agent's `name` by default.
        deps: Called on the worker before each tool call; its value (awaited if awaitable)
            is the tool's `ctx.deps`. Required when the agent declares a `deps_type`. A
            tool's `ctx` also carries its `tool_name`, `tool_call_id`, `tool_call_approved`
            and the agent's own model, not the run's messages or usage.
        sub_agents: Agents offered to this one as tools taking `{"prompt": string}`, each run
            as a child workflow whose approvals are decided at the root (e.g. other
            `from_pydantic_ai(...)` agents).
        description: What the agent does, shown to a parent agent's model; the agent's
            `description` by default.
        options: Further `Agent` arguments: `tool_name`, `on_reject` (`tell_model` by default:
            the model reads a rejection, as Pydantic AI's `ToolDenied`), `approval_timeout`,
            `max_turns`, `suspension_policies`, `approvers`, `model_activity_options`.

    Raises:
        PydanticAIAgentError: The agent uses a feature that cannot run durably here; the
            message is one line naming the agent and the feature.
    """
    options.setdefault("on_reject", "tell_model")  # as Pydantic AI: the model reads a denial
    label = name or agent.name
    if not label:
        raise PydanticAIAgentError(
            "a pydantic_ai agent without a name: give it Agent(name=...) or "
            "from_pydantic_ai(agent, name=...)"
        )
    if agent._deps_type not in (object, type(None)) and deps is None:
        raise PydanticAIAgentError(
            f"pydantic_ai agent {label!r}: deps_type {getattr(agent._deps_type, '__name__', '')}"
            " needs a factory: from_pydantic_ai(agent, deps=make_deps)"
        )
    _check_capabilities(agent, label)
    system_prompt, instructions = _static_texts(agent, label)
    settings = _model_settings(agent, label)
    model = agent.model
    output = _structured_output(agent, label, model is not None)
    text = agent.description if isinstance(agent.description, str) else None
    return PydanticAIAgent(
        name=label,
        instructions="\n\n".join(t for t in (system_prompt, instructions) if t),
        model=(model.model_name if isinstance(model, Model) else model) or None,
        tools=_tools(agent, label, model if isinstance(model, Model) else None, deps),
        sub_agents=list(sub_agents),
        description=description or text or "",
        model_settings=settings,
        model_client=model_client(model, output) if model is not None else None,
        source=agent,
        system_prompt=system_prompt,
        **options,
    )
