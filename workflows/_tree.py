"""The continuation tree of an agent level in runtime form, typed (pure models).

The JSON is the format's level (`messages`, `resume_request`, `processed`, see
`continuations.format`) plus the runtime's keys `agent`, `suspend_list`, `decisions` and
`usage`. Messages and tool calls stay the dicts the model gave: the format's `Message` and
`ToolCall` models would reorder their keys, and the JSON must stay the same to the byte.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, SerializerFunctionWrapHandler, model_serializer, model_validator

from agent_continuations.continuations import ProcessedEntry, find_waiting_call
from agent_continuations.continuations import flatten_approval_info as _flatten
from agent_continuations.shared import DecisionRecord, JsonDict, TokenUsage, call_digest


class WaitingEntry(BaseModel):
    """An `approval_info` entry of a call that waits: where it is and the call itself."""

    paths: list[str]
    path_ids: list[str]
    tool_call: JsonDict
    approved: bool = False

    @property
    def call_id(self) -> str:
        return self.path_ids[-1]

    @property
    def tool_name(self) -> str:
        return str(self.tool_call["function"]["name"])

    @property
    def arguments(self) -> str:
        """The arguments as the model wrote them (JSON text)."""
        return str(self.tool_call["function"]["arguments"])

    @property
    def digest(self) -> str:
        return call_digest(self.tool_call)

    def signal_input(self) -> JsonDict:
        """What a person sends with `approve` or `reject` for this call: its ID and digest."""
        return {"tool_call_id": self.call_id, "digest": self.digest}


class WaitingCall(BaseModel):
    """An unanswered call of a level; a sub-agent's call nests the sub-agent's level."""

    tool_call: JsonDict
    continuation: LevelTree | None = None

    @model_serializer(mode="wrap")
    def _to_wire(self, handler: SerializerFunctionWrapHandler) -> JsonDict:
        data = handler(self)
        if data["continuation"] is None:
            return dict(data["tool_call"])
        return {**data["tool_call"], "continuation": data["continuation"]}


def _from_wire(call: Any) -> Any:
    if not isinstance(call, dict):
        return call
    tool_call = {k: v for k, v in call.items() if k != "continuation"}
    return {"tool_call": tool_call, "continuation": call.get("continuation")}


class LevelTree(BaseModel):
    """One level's continuation, with its waiting sub-agents' levels nested."""

    agent: str | None = None
    messages: list[JsonDict]
    resume_request: list[WaitingCall] | None = None
    processed: list[ProcessedEntry] | None = None
    suspend_list: list[str] | None = None
    decisions: list[DecisionRecord] | None = None
    usage: TokenUsage | None = None

    @model_validator(mode="before")
    @classmethod
    def _calls_from_wire(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("resume_request"), list):
            return {**data, "resume_request": [_from_wire(c) for c in data["resume_request"]]}
        return data

    @model_serializer(mode="wrap")
    def _without_absent(self, handler: SerializerFunctionWrapHandler) -> JsonDict:
        return {k: v for k, v in handler(self).items() if v is not None}

    def to_json(self) -> JsonDict:
        """The tree as JSON, as it travels in outputs, reports and carried state."""
        return self.model_dump(mode="json")

    def approval_info(self) -> list[JsonDict]:
        """The tree's `approval_info` entries (see `continuations.flatten_approval_info`)."""
        return _flatten(self.to_json())

    def waiting(self) -> list[WaitingEntry]:
        """The calls of the tree that wait for a decision (not processed)."""
        entries = self.approval_info()
        return [
            WaitingEntry.model_validate(e)
            for e in entries
            if "tool_call" in e and not e["approved"]
        ]

    def suspended_sub_agents(self) -> list[list[str]]:
        """The tool-name paths of the nested levels that are suspended."""
        return [e["paths"] for e in self.approval_info() if "tool_call" not in e]

    def needs_attention(self) -> bool:
        """Whether anything in the tree waits for a person or is suspended."""
        return bool(self.suspend_list or self.suspended_sub_agents() or self.waiting())

    def waits_only_for(self, path_ids: list[str]) -> bool:
        """Whether the one thing in the tree a person must see to is the call at `path_ids`,
        so that once it is decided the tree needs no attention."""
        if self.suspend_list or self.suspended_sub_agents():
            return False
        waiting = self.waiting()
        return len(waiting) == 1 and waiting[0].path_ids == path_ids

    def find_waiting(self, tool_call_id: str | None, path_ids: list[str] | None) -> WaitingEntry:
        """The waiting call named by its leaf ID or its `path_ids`.

        Raises:
            LookupError: No waiting call matches, or a bare ID matches several.
        """
        entry = find_waiting_call(self.to_json(), tool_call_id, path_ids)
        return WaitingEntry.model_validate(entry)

    def tree_usage(self) -> TokenUsage:
        """The tokens of every level of the tree."""
        own = self.usage or TokenUsage()
        nested = [c.continuation for c in self.resume_request or [] if c.continuation]
        return sum((level.tree_usage() for level in nested), own)


WaitingCall.model_rebuild()
