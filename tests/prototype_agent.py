"""A minimal stand-in for the public prototype's `ContinuationAgent.request`, for tests only.

Written from the rules in `docs/continuation-format.md`, not from the prototype's code. It keeps
the prototype's leaf quirk on purpose: applying `approval_info` sets the leaf level's
`processed` flag to true whatever the entry says, so a top-level rejection runs the call.

One reading of the rules to note: suspension conditions are checked just before a model call,
that is at the top of a loop turn that has no approved or rejected calls left to handle. When
no calls are pending this is the prototype's "top of every loop"; checking with calls pending
would suspend with tool calls that have no answer in the messages.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from openai.types.chat import ChatCompletionMessage

from agent_continuations.agent_definitions import Agent, Tool
from agent_continuations.continuations import flatten_approval_info, tool_message
from agent_continuations.shared import JsonDict

Model = Callable[[list[JsonDict]], JsonDict]
SuspendCondition = Callable[[], bool]


def scripted_model(agent: str, script: Sequence[Mapping[str, Any]]) -> Model:
    """A model replaying `script`: reply N answers the conversation with N assistant messages.

    Tool-call IDs are `call_<agent>_<turn>_<i>`; messages have the SDK's dump shape.
    """

    def model(messages: list[JsonDict]) -> JsonDict:
        turn = sum(1 for m in messages if m["role"] == "assistant")
        reply = script[turn]
        tool_calls = [
            {
                "id": f"call_{agent}_{turn}_{i}",
                "type": "function",
                "function": {"name": call["name"], "arguments": json.dumps(call["arguments"])},
            }
            for i, call in enumerate(reply.get("tool_calls", []))
        ]
        message = {"role": "assistant", "content": reply.get("content"), "tool_calls": tool_calls}
        if not tool_calls:
            message["tool_calls"] = None
        return ChatCompletionMessage.model_validate(message).model_dump()

    return model


def apply_approval_info(continuation: JsonDict, approval_info: Sequence[JsonDict]) -> None:
    """Set the `processed` flags along each entry's `path_ids`, with the prototype's quirk."""
    for entry in approval_info:
        level = continuation
        path_ids = entry["path_ids"]
        for depth, call_id in enumerate(path_ids):
            is_leaf = depth == len(path_ids) - 1
            processed = level.setdefault("processed", [])
            flag = next((p for p in processed if p["id"] == call_id), None)
            if flag is None:
                flag = {"id": call_id}
                processed.append(flag)
            flag["approved"] = True if is_leaf else entry["approved"]
            if is_leaf:
                break
            call = next((c for c in level.get("resume_request") or [] if c["id"] == call_id), None)
            if call is None or "continuation" not in call:
                raise ValueError(f"no waiting sub-agent call {call_id!r} on path {path_ids}")
            level = call["continuation"]


def _entries_below(approval_info: Sequence[JsonDict], call_id: str) -> list[JsonDict]:
    return [
        {**e, "paths": e["paths"][1:], "path_ids": e["path_ids"][1:]}
        for e in approval_info
        if e["path_ids"][0] == call_id
    ]


@dataclass
class PrototypeAgent:
    """An agent following the prototype's `request` rules.

    Attributes:
        name: The agent's name; a parent calls it by the tool `<name>_tool`.
        instruction: The `developer` message.
        model: Returns the next assistant message for the messages so far.
        tools: Plain tools; `Tool.requires_approval` marks those needing a person.
        sub_agents: Agents offered as tools taking `{"prompt": string}`.
        suspend_conditions: Named checks; any true before a model call suspends the agent.
    """

    name: str
    instruction: str
    model: Model
    tools: list[Tool] = field(default_factory=list)
    sub_agents: list[PrototypeAgent] = field(default_factory=list)
    suspend_conditions: dict[str, SuspendCondition] = field(default_factory=dict)

    @property
    def tool_name(self) -> str:
        """The tool name a parent calls this agent by."""
        return f"{self.name}_tool"

    def request(self, input: JsonDict) -> JsonDict:
        """Start a run from `{"prompt"}` or resume one from `{"continuation", "approval_info"}`.

        Raises:
            ValueError: On resume, a call of `resume_request` is neither approved nor rejected.
        """
        if "prompt" in input:
            messages = [
                {"role": "developer", "content": self.instruction},
                {"role": "user", "content": input["prompt"]},
            ]
            return self._loop(messages, [], [], [])
        continuation = copy.deepcopy(input["continuation"])
        approval_info = input.get("approval_info") or []
        apply_approval_info(continuation, approval_info)
        flags = {p["id"]: p.get("approved") for p in continuation.get("processed") or []}
        waiting = continuation.get("resume_request") or []
        approved = [c for c in waiting if flags.get(c["id"]) is True]
        rejected = [c for c in waiting if flags.get(c["id"]) is False]
        if len(approved) + len(rejected) != len(waiting):
            raise ValueError("every call in resume_request must be approved or rejected")
        return self._loop(continuation["messages"], approved, rejected, approval_info)

    def _loop(
        self,
        messages: list[JsonDict],
        approved: list[JsonDict],
        rejected: list[JsonDict],
        approval_info: Sequence[JsonDict],
    ) -> JsonDict:
        while True:
            unapproved: list[JsonDict] = []
            if not approved and not rejected:
                fired = [name for name, check in self.suspend_conditions.items() if check()]
                if fired:
                    return {
                        "continuation": {"messages": messages},
                        "suspend_list": fired,
                        "end_reason": "suspended",
                    }
                reply = self.model(messages)
                messages.append(reply)
                calls = reply.get("tool_calls") or []
                if not calls:
                    return {
                        "result": reply.get("content"),
                        "messages": messages,
                        "end_reason": "completed",
                    }
                approved = [c for c in calls if not self._needs_approval(c)]
                unapproved = [c for c in calls if self._needs_approval(c)]
            for call in approved:
                self._run(call, messages, unapproved, rejected, approval_info)
            approved = []
            if unapproved:
                continuation = {
                    "messages": messages,
                    "resume_request": unapproved,
                    "processed": [{"id": c["id"], "approved": False} for c in unapproved],
                }
                return {
                    "continuation": continuation,
                    "approval_info": flatten_approval_info(continuation),
                    "end_reason": "approval_required",
                }
            if rejected:
                return {
                    "messages": messages,
                    "rejected_tool_calls": rejected,
                    "end_reason": "rejected_tool_calls",
                }

    def _needs_approval(self, call: JsonDict) -> bool:
        tool = self._tool(call["function"]["name"])
        return tool is not None and tool.requires_approval(
            json.loads(call["function"]["arguments"])
        )

    def _tool(self, name: str) -> Tool | None:
        return next((t for t in self.tools if t.name == name), None)

    def _run(
        self,
        call: JsonDict,
        messages: list[JsonDict],
        unapproved: list[JsonDict],
        rejected: list[JsonDict],
        approval_info: Sequence[JsonDict],
    ) -> None:
        name = call["function"]["name"]
        arguments = json.loads(call["function"]["arguments"])
        sub_agent = next((a for a in self.sub_agents if a.tool_name == name), None)
        if sub_agent is None:
            tool = self._tool(name)
            if tool is None:
                raise ValueError(f"agent {self.name!r} has no tool {name!r}")
            messages.append(tool_message(call["id"], str(tool.function(**arguments))))
            return
        if "continuation" in call:
            output = sub_agent.request(
                {
                    "continuation": call["continuation"],
                    "approval_info": _entries_below(approval_info, call["id"]),
                }
            )
        else:
            output = sub_agent.request({"prompt": arguments["prompt"]})
        if "continuation" in output:
            unapproved.append({**call, "continuation": output["continuation"]})
        elif output["end_reason"] == "rejected_tool_calls":
            rejected.append(call)
        else:
            messages.append(tool_message(call["id"], output["result"]))


def from_definition(
    agent: Agent,
    scripts: Mapping[str, Sequence[Mapping[str, Any]]],
    suspend_conditions: Mapping[str, dict[str, SuspendCondition]] | None = None,
) -> PrototypeAgent:
    """The prototype agent for one of our agent definitions, its sub-agents included.

    Args:
        agent: The definition: name, instructions, tools and sub-agents are taken from it.
        scripts: The scripted replies per agent name.
        suspend_conditions: Suspension conditions per agent name.
    """
    conditions = suspend_conditions or {}
    return PrototypeAgent(
        name=agent.name,
        instruction=agent.instructions,
        model=scripted_model(agent.name, scripts[agent.name]),
        tools=list(agent.tools),
        sub_agents=[from_definition(sub, scripts, conditions) for sub in agent.sub_agents],
        suspend_conditions=dict(conditions.get(agent.name, {})),
    )
