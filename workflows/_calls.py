"""Pure helpers for one tool call: its kind, arguments, and the texts the model reads."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

import pydantic

from agent_continuations.agent_definitions import Agent, InvalidArgumentsError
from agent_continuations.shared import DecisionRecord, JsonDict, validation_problems
from agent_continuations.workflows._state import CallKind, ToolCallState


def call_kind(agent: Agent, tool_call: JsonDict) -> CallKind:
    """Whether a call names a plain tool, a sub-agent, or nothing this agent has."""
    name = tool_call["function"]["name"]
    if agent.find_tool(name):
        return "tool"
    return "sub_agent" if agent.find_sub_agent(name) else "invalid"


def sub_agent_prompt(agent: Agent, name: str) -> str:
    """The argument carrying the request in calls of the sub-agent offered as `name`."""
    sub_agent = agent.find_sub_agent(name)
    return sub_agent.prompt_parameter if sub_agent else "prompt"


def parse_arguments(agent: Agent, call: ToolCallState) -> JsonDict:
    """The call's arguments, validated against the tool's schema.

    Raises:
        ValueError: Unknown tool, arguments not JSON, or not fitting the schema.
    """
    if call.kind == "invalid":
        raise ValueError(f"there is no tool named {call.name!r}")
    arguments = call.arguments()
    tool = agent.find_tool(call.name)
    if tool is None:
        key = sub_agent_prompt(agent, call.name)
        if not isinstance(arguments.get(key), str):
            raise ValueError(f'{call.name} takes {{"{key}": string}}')
        return arguments
    try:
        return tool.validate_arguments(arguments)
    except pydantic.ValidationError as error:
        problems = validation_problems(error)
        raise ValueError(f"arguments of {call.name} do not fit its schema: {problems}") from None
    except InvalidArgumentsError as error:
        raise ValueError(f"arguments of {call.name} do not fit its schema: {error}") from None
    except Exception as error:  # a validator of the tool's own types may raise anything
        raise ValueError(f"arguments of {call.name} cannot be checked: {error}") from None


def rejection_text(decision: DecisionRecord) -> str:
    """What the model reads for a rejected call."""
    who = f" by {decision.approver}" if decision.approver else ""
    why = f": {decision.reason}" if decision.reason else ""
    return f"Rejected{who}{why}. The call did not run."


def edited_note(arguments: JsonDict) -> str:
    """What the model reads before the result of a call whose arguments a person edited."""
    return (
        "Note: a person edited the arguments before approving; the call ran "
        f"with {json.dumps(arguments)}.\n"
    )


def nest_decision(call: ToolCallState, record: DecisionRecord) -> DecisionRecord:
    """A sub-agent's decision record, with paths from the calling level."""
    return record.model_copy(
        update={"paths": [call.name, *record.paths], "path_ids": [call.id, *record.path_ids]}
    )


def cause_message(error: BaseException) -> str:
    """The innermost cause's message of an activity or child workflow failure."""
    while error.__cause__ is not None:
        error = error.__cause__
    # A failure's own message, without the `Type: ` prefix its str() adds.
    return getattr(error, "message", None) or str(error)


MAX_TOOL_CALLS_PER_REPLY = 100


def used_call_ids(messages: list[JsonDict]) -> set[str]:
    """The IDs of the tool calls the conversation's assistant messages made."""
    return {
        call["id"]
        for message in messages
        if message.get("role") == "assistant"
        for call in message.get("tool_calls") or []
    }


def checked_reply(message: Any, turn: int, used: Collection[str]) -> JsonDict:
    """The model's assistant message, checked before it touches state.

    Tool-call IDs are made unique within the message and the conversation (some providers
    repeat or omit them, or start again at `call_0` every turn), so every call can be decided
    and answered on its own, and a decision on an earlier call never stands for a later one;
    calls with an acceptable ID keep it.

    Args:
        message: The message as the model activity returned it.
        turn: The model turn it answers, for IDs given to calls without one.
        used: The IDs earlier turns of the conversation gave their calls.

    Raises:
        ValueError: The reply cannot be used; the message says what is wrong with it.
    """
    if not isinstance(message, dict):
        raise ValueError(f"the reply is {type(message).__name__}, not a message object")
    content = message.get("content")
    if content is not None and not isinstance(content, str | list):
        raise ValueError(f"content is {type(content).__name__}, not text")
    tool_calls = message.get("tool_calls")
    if tool_calls is None:
        return {**message, "role": "assistant"}
    if not isinstance(tool_calls, list):
        raise ValueError(f"tool_calls is {type(tool_calls).__name__}, not a list")
    if len(tool_calls) > MAX_TOOL_CALLS_PER_REPLY:
        raise ValueError(
            f"{len(tool_calls)} tool calls in one reply, over the {MAX_TOOL_CALLS_PER_REPLY} "
            "a turn may make"
        )
    seen = set(used)
    calls = []
    for index, call in enumerate(tool_calls):
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict):
            raise ValueError(f"tool_calls[{index}] has no function")
        name = function.get("name")
        if not isinstance(name, str) or not name:
            raise ValueError(f"tool_calls[{index}] has no function name")
        arguments = function.get("arguments")
        if arguments is None:
            arguments = "{}"
        elif not isinstance(arguments, str):
            try:  # some servers send an object, not its JSON text
                arguments = json.dumps(arguments)
            except (TypeError, ValueError, RecursionError):
                raise ValueError(f"tool_calls[{index}] has arguments that are not JSON") from None
        call_id = call.get("id")
        if not isinstance(call_id, str) or not call_id:
            call_id = f"call_t{turn}_{index}"
        unique, copy = call_id, 1
        while unique in seen:
            copy += 1
            unique = f"{call_id}_{copy}"
        seen.add(unique)
        calls.append(
            {
                **call,
                "id": unique,
                "type": "function",
                "function": {**function, "name": name, "arguments": arguments},
            }
        )
    return {**message, "role": "assistant", "tool_calls": calls or None}
