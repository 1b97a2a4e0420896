"""What clients and people exchange with `AgentWorkflow`: its input and output, the payloads
of its signals and updates, and the resume point an import or continue-as-new starts from."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import datetime
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
    model_validator,
)

JsonDict = dict[str, Any]
EndReason = Literal["completed", "rejected_tool_calls", "error", "approval_required", "suspended"]
# How an imported unanswered call goes on: wait for a person, as decided, or just run.
ImportedDecision = Literal["open", "approve", "reject", "run"]

DIGEST_LENGTH = 16


def chat_completion(
    completion_id: str, model: str, message: JsonDict, prompt_tokens: int, completion_tokens: int
) -> JsonDict:
    """The chat-completions response body of a model served in-process (the scripted model,
    another framework's model): one choice, `message`, and its token usage."""
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def call_digest(tool_call: JsonDict) -> str:
    """A short digest of a call's tool name and arguments: what a person approves."""
    function = tool_call.get("function") or {}
    text = json.dumps([function.get("name"), function.get("arguments")], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:DIGEST_LENGTH]


# Bounds of the run options: larger values cannot be scheduled or are surely mistakes.
MAX_SECONDS = 30 * 24 * 3600
MAX_HISTORY_EVENTS = 40_000  # Temporal ends a run at 51,200 events
MAX_TURNS = 1_000_000

# Payloads over the payload store's threshold are kept outside history (see `storage`), so
# Temporal's 2 MiB limit does not apply; this bounds what a run holds in memory and stores.
MAX_PAYLOAD_BYTES = 64 * 1024 * 1024


def payload_problem(what: str, value: BaseModel) -> str | None:
    """Why `value` cannot be recorded, or None when it fits in `MAX_PAYLOAD_BYTES`.

    Args:
        what: Names the payload in the message, e.g. "the conversation".
        value: The activity, child workflow or continue-as-new input, or a result.
    """
    return size_problem(what, len(value.__pydantic_serializer__.to_json(value)))


def size_problem(what: str, size: int, limit: int = MAX_PAYLOAD_BYTES) -> str | None:
    """Why a payload of `size` bytes cannot be recorded, or None when it is within `limit`."""
    if size <= limit:
        return None
    return f"{what} is {size / 1e6:.1f} MB, over the {limit / 1e6:.1f} MB maximum of a payload"


def validation_problems(error: ValidationError) -> str:
    """A pydantic error as one line: `field: problem; field: problem`."""
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'input'}: {e['msg']}".removesuffix(".")
        for e in error.errors()
    )


InstructionsRole = Literal["developer", "system"]


class ModelSettings(BaseModel):
    """Sampling and tool settings of a model call, named as in the OpenAI Agents SDK.

    Every field is optional: unset (None) leaves the server's default, and a run's settings
    override an agent's field by field (see `merged_over`).
    """

    model_config = ConfigDict(extra="forbid")

    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, ge=0, le=1)
    max_tokens: int | None = Field(None, gt=0)
    tool_choice: str | JsonDict | None = Field(
        None,
        description="`auto`, `required`, `none`, a tool's name, or the API's object form; "
        "sent only when the agent has tools.",
    )
    parallel_tool_calls: bool | None = Field(
        None, description="Sent only when the agent has tools (True unless set)."
    )
    seed: int | None = None
    stop: str | list[str] | None = None
    extra_body: JsonDict | None = Field(
        None, description="Extra keys merged into the request body, for server-specific options."
    )
    instructions_role: InstructionsRole | None = Field(
        None,
        description="The role the instructions are sent with (`developer` unless set); the "
        "stored messages and continuations keep `developer`.",
    )
    reset_tool_choice: bool | None = Field(
        None,
        description="After a turn with tool calls, send a forced `tool_choice` as `auto`, so a "
        "forced tool cannot loop (on unless set to false).",
    )

    def merged_over(self, base: ModelSettings | None) -> ModelSettings:
        """These settings over `base`: each field set here wins, the others come from `base`."""
        if base is None:
            return self
        return ModelSettings.model_validate(
            {**base.model_dump(exclude_none=True), **self.model_dump(exclude_none=True)}
        )


class TokenUsage(BaseModel):
    """Tokens model calls used, as the API counts them."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
        )


class WithoutDefaults(BaseModel):
    """A model whose JSON leaves out the fields at their defaults: a workflow input that a
    person reads in the Web UI shows what was given, not every option. Only fields that were
    given are compared with their defaults (comparing them all took 4% of a worker's CPU)."""

    @model_serializer(mode="wrap")
    def _without_defaults(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if not isinstance(data, dict):
            return data
        fields, given = type(self).model_fields, self.model_fields_set
        return {
            key: value
            for key, value in data.items()
            if key not in fields
            or (
                key in given
                and getattr(self, key) != fields[key].get_default(call_default_factory=True)
            )
        }


class RunOptions(WithoutDefaults):
    """Options of a run, shared by every level of its agent tree."""

    exit_on_suspend: bool = Field(
        False, description="Complete with the continuation instead of waiting for `resume`."
    )
    search_attributes: bool = Field(
        False,
        description="The root keeps the search attributes `AgentStatus`, `AgentName`, "
        "`AgentWaitingTools` and `AgentWaitingSince` current. Set it only where the namespace "
        "has them: upserting one the server lacks fails every workflow task.",
    )
    history_event_limit: int = Field(
        2000,
        gt=100,
        le=MAX_HISTORY_EVENTS,
        description="Continue-as-new past this many events: at a turn boundary, or while "
        "every open call waits for a person.",
    )
    approvers: list[str] = Field(
        default_factory=list,
        description="Who alone may decide the calls that need approval, where neither the tool "
        "nor its agent names approvers; each decision signed (see `Agent.approvers`).",
    )
    max_turns: int | None = Field(
        None,
        gt=0,
        le=MAX_TURNS,
        description="Overrides every agent's `max_turns` for the whole tree.",
    )
    model_settings: ModelSettings = Field(
        default_factory=ModelSettings,
        description="Override each agent's model settings, field by field, for the whole tree.",
    )
    model_timeout_seconds: float | None = Field(
        None,
        gt=0,
        le=MAX_SECONDS,
        description="Start-to-close timeout of one model call attempt; unset, the agent's own "
        "(`model_activity_options`), else 300 s.",
    )
    model_heartbeat_seconds: float | None = Field(
        None,
        gt=0,
        le=MAX_SECONDS,
        description="A model call whose worker is silent this long is retried; unset, the "
        "agent's own, else 30 s.",
    )
    tool_timeout_seconds: float | None = Field(
        None,
        gt=0,
        le=MAX_SECONDS,
        description="Start-to-close timeout of one tool call attempt; unset, the tool's own, "
        "else 300 s.",
    )
    tool_heartbeat_seconds: float | None = Field(
        None,
        gt=0,
        le=MAX_SECONDS,
        description="A tool call whose worker is silent this long is retried; unset, the "
        "tool's own, else 30 s.",
    )


class BudgetInput(BaseModel):
    """New limits for a resumed level's suspension policies; unset keeps a policy's own."""

    model_config = ConfigDict(extra="forbid")

    turns: int | None = Field(None, gt=0)
    tokens: int | None = Field(None, gt=0)
    duration_seconds: float | None = Field(None, gt=0)


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
    original_arguments: JsonDict | None = Field(
        None, description="What the model asked for, when a person edited the arguments."
    )


class ResumeCall(BaseModel):
    """An unanswered call of an imported turn: its decision, and a sub-agent's saved state."""

    tool_call: JsonDict
    decision: ImportedDecision = "open"
    sub_agent: ResumePoint | None = None
    approver: str | None = Field(None, description="Who resumed with this decision.")
    reason: str | None = Field(None, description="Why, as the decision's record says.")


class ResumePoint(BaseModel):
    """The state an agent level starts from when resumed from an imported continuation
    (continue-as-new carries the level's whole state instead)."""

    messages: list[JsonDict]
    calls: list[ResumeCall] = Field(
        default_factory=list, description="Unanswered calls of the last assistant message."
    )
    decisions: list[DecisionRecord] = Field(default_factory=list)


class AgentWorkflowInput(WithoutDefaults):
    """Input of `AgentWorkflow`: which agent to run, on what, and with which model."""

    agent: str
    prompt: str | None = Field(None, description="The user's request; None when resuming.")
    model: str | None = Field(None, description="Overrides the agent's model for the whole tree.")
    sub_agent_call_id: str | None = Field(
        None, description="Set on a sub-agent's run: the parent's tool-call ID it answers."
    )
    tree_protocol: int = Field(
        0,
        description="Set on a sub-agent's run by its parent: the version of the messages "
        "between them (`workflows._reports.TREE_PROTOCOL`); 0 for sub-agents started before.",
    )
    tree_token: str | None = Field(
        None,
        description="The secret the tree's internal messages carry: set on sub-agents' runs, "
        "and carried over continue-as-new.",
    )
    tree_key: str | None = Field(
        None,
        description="The ID of the workers' secret the tree's token and IDs derive from: set "
        "on sub-agents' runs and carried over continue-as-new (the secret never is).",
    )
    resume: ResumePoint | None = Field(None, description="Start from this saved state.")
    carried_state: JsonDict | None = Field(
        None, description="Internal: the level's whole state, carried over continue-as-new."
    )
    options: RunOptions = Field(default_factory=RunOptions)
    input_seal: str | None = Field(
        None,
        description="Vouches for the state this input carries: set by the tree for its "
        "continued and sub-agents' runs (workers' secret), or by a starter holding the seal key.",
    )


class AgentRunOutput(BaseModel):
    """The result of a run, in the prototype's output shape (`end_reason` decides the keys).

    `approval_required` and `suspended` come only with `RunOptions.exit_on_suspend`; their
    `continuation` is in the runtime's form: `continuations.to_output` makes the file form.
    """

    end_reason: EndReason
    result: str | None = None
    messages: list[JsonDict] = Field(default_factory=list)
    rejected_tool_calls: list[JsonDict] | None = None
    error: str | None = None
    continuation: JsonDict | None = None
    suspend_list: list[str] | None = None
    decisions: list[DecisionRecord] = Field(default_factory=list)
    usage: TokenUsage = Field(
        default_factory=TokenUsage, description="Tokens of this level's own model calls."
    )
    tree_usage: TokenUsage = Field(
        default_factory=TokenUsage,
        description="Tokens of the whole tree: this level's and every sub-agent's that ended.",
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
    digest: str | None = Field(
        None,
        description="The call's digest from `pending_approvals`: the decision is refused if the "
        "call's tool name or arguments differ from what was shown.",
    )
    signature: str | None = Field(
        None,
        description="For a tool with approvers: the `approver`'s Ed25519 signature (base64) "
        "over the decision, as `agent-starter approve --key` or `sign` makes it.",
    )

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


class ResumeSignalInput(BaseModel):
    """Payload of the `resume` signal: which suspended level (all by default) and a new budget."""

    model_config = ConfigDict(extra="forbid")

    path_ids: list[str] | None = Field(
        None, description="Tool-call IDs from the root to a suspended sub-agent; [] for the root."
    )
    budget: BudgetInput | None = None
