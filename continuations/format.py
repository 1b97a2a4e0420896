"""Typed models of the portable continuation format, and parsing with one-line errors.

The shapes are those of the public prototype (see `docs/continuation-format.md`): the four outputs
of one `request`, told apart by `end_reason`. Keys the models do not name (the OpenAI SDK's
null extras such as `refusal`, or the `agent` key of our own continuation levels) are kept,
so `dump_agent_output(parse_agent_output(x)) == x` for any valid `x`.

This project's additions travel as extra top-level keys of the output object, which the
prototype ignores: `format_version`, `agents`, `decisions`, `usage` and `seal`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from agent_continuations.continuations._errors import ContinuationFormatError
from agent_continuations.shared import DecisionRecord, JsonDict

FORMAT_VERSION = "1"
SEAL_ALGORITHM = "HMAC-SHA256"


class _Wire(BaseModel):
    """Base of the format's objects: strict types, unknown keys kept as they came."""

    model_config = ConfigDict(extra="allow", strict=True)

    # Fields with a default that must be written even when the caller did not set them,
    # because dumps leave out unset fields (so absent keys stay absent on a round trip).
    _always_dumped: ClassVar[tuple[str, ...]] = ()

    def model_post_init(self, context: Any, /) -> None:
        self.__pydantic_fields_set__.update(self._always_dumped)


class FunctionCall(_Wire):
    """The function part of a tool call."""

    name: str
    arguments: str = Field(
        description="The arguments as a JSON string, exactly as the model produced them."
    )


class ToolCall(_Wire):
    """An assistant's tool call; a waiting sub-agent's call nests its continuation."""

    _always_dumped = ("type",)

    id: str
    type: Literal["function"] = "function"
    function: FunctionCall
    continuation: Continuation | None = Field(
        None,
        description="Only in `resume_request`: the continuation of the sub-agent this call runs.",
    )


class Message(_Wire):
    """A chat-completions message (`developer`, `user`, `assistant`, `tool`, ...)."""

    role: Literal["developer", "system", "user", "assistant", "tool", "function"]
    content: str | list[JsonDict] | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None

    @field_validator("content", mode="before")
    @classmethod
    def _text_or_parts(cls, value: Any) -> Any:
        # Checked up front so a wrong value gets one error, not one per member of the union.
        parts = isinstance(value, list) and all(isinstance(part, dict) for part in value)
        if value is not None and not isinstance(value, str) and not parts:
            raise ValueError("must be a string, a list of content part objects, or null")
        return value

    @model_validator(mode="after")
    def _tool_message_names_its_call(self) -> Message:
        if self.role == "tool" and not self.tool_call_id:
            raise ValueError("a tool message needs a tool_call_id")
        return self


class ProcessedEntry(_Wire):
    """The decision flag of one call of a level's `resume_request`."""

    id: str
    approved: bool


class Continuation(_Wire):
    """One agent level's resumable state: its messages and the calls waiting for decisions."""

    messages: list[Message]
    resume_request: list[ToolCall] | None = None
    processed: list[ProcessedEntry] | None = None


class ApprovalInfoEntry(_Wire):
    """One waiting leaf of the tree, flattened for a person or a UI."""

    paths: list[str] = Field(description="Tool names from the root to the leaf.")
    path_ids: list[str] = Field(description="The matching tool-call IDs.")
    tool_call: ToolCall | None = Field(
        None, description="The waiting leaf call; absent for a suspended nested level."
    )
    approved: bool | None = Field(
        description="The decision; null (ours) leaves it open, to be given later by signal."
    )

    @model_validator(mode="after")
    def _paths_match(self) -> ApprovalInfoEntry:
        if not self.path_ids or len(self.paths) != len(self.path_ids):
            raise ValueError("paths and path_ids must be non-empty and of the same length")
        return self


class Decision(_Wire):
    """A decision taken on a tool call (ours): what, who, when and why.

    The wire form of `payloads.DecisionRecord`; `decided_at` stays the string it came as, so a
    round trip does not rewrite it.
    """

    tool_call_id: str
    paths: list[str]
    path_ids: list[str]
    approved: bool
    approver: str | None = None
    reason: str | None = None
    decided_at: str = Field(description="ISO 8601 date and time.")
    edited_arguments: JsonDict | None = None
    original_arguments: JsonDict | None = None

    @field_validator("decided_at")
    @classmethod
    def _iso_datetime(cls, value: str) -> str:
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"not an ISO 8601 date and time: {value!r}") from None
        return value

    def to_record(self) -> DecisionRecord:
        """The decision as the runtime's `DecisionRecord`."""
        return DecisionRecord.model_validate(self.model_dump(mode="json"), strict=False)


class TokenCounts(_Wire):
    """Tokens counted by the model API."""

    prompt_tokens: int = Field(ge=0)
    completion_tokens: int = Field(ge=0)
    total_tokens: int = Field(ge=0)


class TreeUsage(_Wire):
    """The tokens an agent tree used (ours), in all and per level."""

    total: TokenCounts = Field(description="The sum over the levels.")
    levels: dict[str, TokenCounts] = Field(
        description="Per level, keyed as in `agents`: the level's own tokens and those of its "
        "sub-agents that ended."
    )


class Seal(_Wire):
    """An integrity seal (ours) over the output, except the `approved` flags a person sets."""

    alg: Literal["HMAC-SHA256"]
    value: str = Field(pattern=r"^[0-9a-f]{64}$", description="The HMAC as lowercase hex.")


def _end_reason_required(schema: dict[str, Any]) -> None:
    # The models default `end_reason` for convenience; in the file it is always there.
    schema["properties"]["end_reason"].pop("default", None)
    schema["required"] = ["end_reason", *schema.get("required", [])]


class _Output(_Wire):
    """Fields every output may carry: this project's additions."""

    model_config = ConfigDict(json_schema_extra=_end_reason_required)
    _always_dumped = ("end_reason",)

    format_version: str | None = Field(None, description="Absent in the prototype's outputs.")
    agents: dict[str, str] | None = Field(
        None,
        description=(
            "Agent name per level: the key is the level's path_ids from the root joined by "
            "'/', the empty string for the root."
        ),
    )
    decisions: list[Decision] | None = None
    usage: TreeUsage | None = None
    seal: Seal | None = None

    @field_validator("format_version")
    @classmethod
    def _known_version(cls, value: str | None) -> str | None:
        if value is not None and value != FORMAT_VERSION:
            raise ValueError(f"unsupported version {value!r} (this code reads {FORMAT_VERSION!r})")
        return value


class CompletedOutput(_Output):
    """The run finished with a final answer."""

    end_reason: Literal["completed"] = "completed"
    result: str | None
    messages: list[Message]


class ApprovalRequiredOutput(_Output):
    """The run waits for decisions on the calls listed in `approval_info`."""

    end_reason: Literal["approval_required"] = "approval_required"
    continuation: Continuation
    approval_info: list[ApprovalInfoEntry]

    @model_validator(mode="after")
    def _something_waits(self) -> ApprovalRequiredOutput:
        if not self.continuation.resume_request:
            raise ValueError("continuation.resume_request must list at least one waiting call")
        return self


class SuspendedOutput(_Output):
    """A suspension condition fired before the next model call."""

    end_reason: Literal["suspended"] = "suspended"
    continuation: Continuation
    suspend_list: list[str] = Field(description="Names of the conditions that fired.")


class RejectedToolCallsOutput(_Output):
    """A person rejected tool calls, which ended the run."""

    end_reason: Literal["rejected_tool_calls"] = "rejected_tool_calls"
    messages: list[Message]
    rejected_tool_calls: list[ToolCall]


_OUTPUTS = (CompletedOutput, ApprovalRequiredOutput, SuspendedOutput, RejectedToolCallsOutput)
AgentOutput = Annotated[
    CompletedOutput | ApprovalRequiredOutput | SuspendedOutput | RejectedToolCallsOutput,
    Field(discriminator="end_reason"),
]
AGENT_OUTPUT_ADAPTER: TypeAdapter[AgentOutput] = TypeAdapter(AgentOutput)
_END_REASONS = tuple(output.model_fields["end_reason"].default for output in _OUTPUTS)


def json_path(loc: Sequence[int | str]) -> str:
    """Where a value sits, as keys and indexes from the top: `continuation.messages[2]`."""
    where = ""
    for part in loc:
        if isinstance(part, str) and part.isidentifier():
            where += f".{part}" if where else part
        else:
            where += f"[{part!r}]"
    return where


def _one_line(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    loc = list(first["loc"])
    if loc and loc[0] in _END_REASONS:
        loc = loc[1:]  # the discriminator's tag, not a key of the input
    message = str(first["msg"]).removeprefix("Value error, ")
    message = message[:1].lower() + message[1:]
    if first["type"] == "union_tag_not_found":
        message = f"missing end_reason (one of {', '.join(_END_REASONS)})"
    elif first["type"] == "union_tag_invalid":
        message = (
            f"unknown value {first['input']['end_reason']!r} (one of {', '.join(_END_REASONS)})"
        )
        loc = ["end_reason"]
    where = json_path(loc)
    more = error.error_count() - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"{where}: {message}{suffix}" if where else f"{message}{suffix}"


def parse_agent_output(data: Any) -> AgentOutput:
    """Parse one agent output (any of the four `end_reason`s) from its JSON object.

    Args:
        data: The output as decoded JSON.

    Returns:
        The typed output; unknown keys are kept.

    Raises:
        ContinuationFormatError: The shape is wrong; the message names the first problem and
            where it is, e.g. `continuation.resume_request[0].function.name: field required`.
    """
    if not isinstance(data, dict):
        raise ContinuationFormatError(f"expected a JSON object, got {type(data).__name__}")
    try:
        return AGENT_OUTPUT_ADAPTER.validate_python(data)
    except ValidationError as error:
        raise ContinuationFormatError(_one_line(error)) from None


def dump_agent_output(output: AgentOutput) -> JsonDict:
    """The output as a JSON object: keys absent when parsed stay absent, nulls stay null."""
    return output.model_dump(mode="json", exclude_unset=True)


def agent_path_key(path_ids: Sequence[str]) -> str:
    """The `agents` key of a level: its path_ids from the root joined by '/', '' for the root."""
    return "/".join(path_ids)


ToolCall.model_rebuild()
