"""An SDK agent's `ModelSettings` as ours: the chat-completions request they make."""

from __future__ import annotations

import dataclasses
from typing import Any

from agents import Model
from agents import ModelSettings as SdkModelSettings
from agents.models import get_default_model_settings
from pydantic import ValidationError

from agent_continuations.frameworks.openai_agents._errors import UnsupportedAgentError
from agent_continuations.shared import ModelSettings, validation_problems

_OURS = ("temperature", "top_p", "max_tokens", "tool_choice", "parallel_tool_calls")
# Chat-completions request keys with no field of ours: sent in the request body as they are.
_BODY = ("frequency_penalty", "presence_penalty", "metadata", "store", "verbosity")


def _body(agent: str, settings: SdkModelSettings) -> dict[str, Any]:
    body = {key: getattr(settings, key) for key in _BODY if getattr(settings, key) is not None}
    if settings.top_logprobs is not None:
        body.update(logprobs=True, top_logprobs=settings.top_logprobs)
    if settings.reasoning is not None and settings.reasoning.effort is not None:
        body["reasoning_effort"] = settings.reasoning.effort
    extra = settings.extra_body
    if extra is not None and not isinstance(extra, dict):
        raise UnsupportedAgentError(f"agent {agent!r}: extra_body must be a JSON object")
    return {**body, **(extra or {})}


def model_settings(
    agent: str, model: str | Model | None, settings: SdkModelSettings, reset_tool_choice: bool
) -> ModelSettings:
    """Our settings for an SDK agent's: ours by name, the rest of the chat-completions request
    in `extra_body`; an agent without a model drops the SDK's defaults for its default model.

    Raises:
        UnsupportedAgentError: A setting has no counterpart in a chat-completions request here.
    """
    if model is None and settings == get_default_model_settings():
        settings = SdkModelSettings()
    handled = {*_OURS, *_BODY, "top_logprobs", "reasoning", "extra_body"}
    for field in dataclasses.fields(settings):
        if field.name not in handled and getattr(settings, field.name) is not None:
            raise UnsupportedAgentError(
                f"agent {agent!r} uses model setting {field.name}, which has no counterpart here"
            )
    ours: dict[str, Any] = {key: getattr(settings, key) for key in _OURS}
    if not isinstance(ours["tool_choice"], str | None):
        raise UnsupportedAgentError(f"agent {agent!r} uses an MCP tool_choice")
    body = _body(agent, settings)
    try:
        return ModelSettings(
            **ours,
            extra_body=body or None,
            reset_tool_choice=None if reset_tool_choice else False,
        )
    except ValidationError as error:
        problems = validation_problems(error)
        raise UnsupportedAgentError(f"agent {agent!r}: model settings: {problems}") from None
