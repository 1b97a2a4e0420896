"""Data types shared by workflows, activities, the worker and the starter."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

JsonDict = dict[str, Any]
EndReason = Literal["completed", "rejected_tool_calls", "error"]
CallStatus = Literal["pending", "waiting_approval", "running", "done", "rejected", "skipped"]
CallKind = Literal["tool", "sub_agent", "invalid"]

DEFAULT_TASK_QUEUE = "agent-continuations"


def validation_problems(error: ValidationError) -> str:
    """A pydantic error as one line: `field: problem; field: problem`."""
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'input'}: {e['msg']}".removesuffix(".")
        for e in error.errors()
    )


class AgentWorkflowInput(BaseModel):
    """Input of `AgentWorkflow`: which agent to run, on what, and with which model."""

    agent: str
    prompt: str
    model: str | None = Field(None, description="Overrides the agent's model for the whole tree.")
    sub_agent_call_id: str | None = Field(
        None, description="Set on a sub-agent's run: the parent's tool-call ID it answers."
    )


class ApprovalDecision(BaseModel):
    """Payload of the `approve` and `reject` signals, as a person types it in the Web UI.

    Either `tool_call_id` (the waiting call's ID) or `path_ids` (tool-call IDs from the root
    to the call, as in `pending_approvals`) names the call.
    """

    model_config = ConfigDict(extra="forbid")

    tool_call_id: str | None = None
    path_ids: list[str] | None = None
    reason: str | None = None
    approver: str | None = None
    arguments: JsonDict | None = Field(None, description="Run the call with these arguments.")

    @model_validator(mode="after")
    def _names_a_call(self) -> ApprovalDecision:
        if not self.tool_call_id and not self.path_ids:
            raise ValueError("give tool_call_id or path_ids")
        return self


class DecideInput(ApprovalDecision):
    """Input of the `decide` update: a decision with its verdict."""

    approved: bool

    @model_validator(mode="after")
    def _arguments_only_on_approval(self) -> DecideInput:
        if self.arguments is not None and not self.approved:
            raise ValueError("arguments can only be edited when approving")
        return self


class DecisionRecord(BaseModel):
    """A decision taken on a tool call: what, who, when and why."""

    tool_call_id: str
    paths: list[str]
    path_ids: list[str]
    approved: bool
    approver: str | None = None
    reason: str | None = None
    decided_at: datetime
    edited_arguments: JsonDict | None = None


class ToolCallState(BaseModel):
    """One tool call of the model's current turn and how far it has got."""

    tool_call: JsonDict = Field(description="The assistant's tool call, as the API returned it.")
    kind: CallKind
    status: CallStatus = "pending"
    decision: DecisionRecord | None = None
    result: str | None = None
    child_workflow_id: str | None = None
    child_continuation: JsonDict | None = Field(
        None, description="The waiting sub-agent's continuation, as it last reported it."
    )

    @property
    def id(self) -> str:
        return str(self.tool_call["id"])

    @property
    def name(self) -> str:
        return str(self.tool_call["function"]["name"])


class AgentState(BaseModel):
    """Everything one agent level needs to resume: its messages and its current turn's calls."""

    agent: str
    model: str
    messages: list[JsonDict]
    turn_calls: list[ToolCallState] = Field(default_factory=list)
    decisions: list[DecisionRecord] = Field(default_factory=list)
    model_turns: int = 0
    total_tokens: int = 0


class SubAgentReport(BaseModel):
    """Signal from a sub-agent to its parent: its continuation while it waits, else None."""

    tool_call_id: str
    continuation: JsonDict | None


class AgentRunOutput(BaseModel):
    """The result of a run, in the prototype's output shape (`end_reason` decides the keys)."""

    end_reason: EndReason
    result: str | None = None
    messages: list[JsonDict]
    rejected_tool_calls: list[JsonDict] | None = None
    error: str | None = None
    decisions: list[DecisionRecord] = Field(default_factory=list)

    def to_json_dict(self) -> JsonDict:
        """The output as the prototype's JSON object, plus `decisions` when any were taken."""
        return self.model_dump(mode="json", exclude_none=True, exclude_defaults=False)


class ModelCallInput(BaseModel):
    """Input of the `call_model` activity. Tools are looked up from the agent's name."""

    agent: str
    model: str
    messages: list[JsonDict]


class ModelCallOutput(BaseModel):
    """The assistant message the model returned, and the tokens it used."""

    message: JsonDict
    total_tokens: int = 0


class ToolCallInput(BaseModel):
    """Input of the `run_tool` activity."""

    agent: str
    tool: str
    arguments: JsonDict


class ToolCallOutput(BaseModel):
    """A tool's result as the text the model will read."""

    content: str
