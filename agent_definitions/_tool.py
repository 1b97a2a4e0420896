"""Tools: plain Python functions offered to a model, with a JSON schema from their signature."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, get_type_hints

import pydantic
from temporalio.common import RetryPolicy

from agent_continuations.agent_definitions._activity_options import ActivityOptions

ApprovalPredicate = Callable[[Mapping[str, Any]], bool]


class InvalidArgumentsError(ValueError):
    """A tool's arguments do not fit its schema; the message says how."""


def _docstring_parts(func: Callable[..., Any]) -> tuple[str, dict[str, str]]:
    """Split a Google-style docstring into its summary and per-argument descriptions."""
    doc = inspect.getdoc(func) or ""
    summary_lines: list[str] = []
    arg_docs: dict[str, str] = {}
    section = "summary"
    current: str | None = None
    for line in doc.splitlines():
        stripped = line.strip()
        if re.fullmatch(r"[A-Z][A-Za-z ]*:", stripped):
            section = stripped[:-1].lower()
            current = None
            continue
        if section == "summary":
            summary_lines.append(stripped)
        elif section in ("args", "arguments", "parameters"):
            match = re.match(r"(\w+)(?:\s*\(.*?\))?:\s*(.*)", stripped)
            if match and not line.startswith(" " * 8):
                current = match.group(1)
                arg_docs[current] = match.group(2)
            elif current and stripped:
                arg_docs[current] += " " + stripped
    return " ".join(line for line in summary_lines if line).strip(), arg_docs


def _arguments_model(func: Callable[..., Any]) -> type[pydantic.BaseModel]:
    """Build the pydantic model that validates a function's keyword arguments."""
    hints = get_type_hints(func, include_extras=True)  # keeps Annotated constraints
    _, arg_docs = _docstring_parts(func)
    fields: dict[str, Any] = {}
    for name, param in inspect.signature(func).parameters.items():
        annotation = hints.get(name, Any)
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[name] = (annotation, pydantic.Field(default, description=arg_docs.get(name)))
    return pydantic.create_model(
        f"{func.__name__}_arguments",
        __config__=pydantic.ConfigDict(extra="forbid"),
        **fields,
    )


@dataclass(frozen=True)
class Tool:
    """A function the model may call.

    Attributes:
        name: The name the model sees.
        description: What the tool does, for the model.
        function: The Python function (sync or async) that runs in an activity.
        arguments_model: Validates the model's arguments; its JSON schema is sent to the model.
        needs_approval: True, False, or a deterministic predicate over the arguments.
        approval_timeout: How long to wait for a decision before rejecting as "timed out".
        editable: Whether a person approving a call may change its arguments.
        activity_options: Timeouts, retry policy and task queue of the tool's activity.
        approvers: Who alone may decide its calls, each with a signed decision (see
            `agent_definitions._approvers`); anyone, as any decision, when empty.
    """

    name: str
    description: str
    function: Callable[..., Any]
    arguments_model: type[pydantic.BaseModel]
    needs_approval: bool | ApprovalPredicate = False
    approval_timeout: timedelta | None = None
    editable: bool = True
    activity_options: ActivityOptions = ActivityOptions()
    approvers: tuple[str, ...] = ()

    def parameters_schema(self) -> dict[str, Any]:
        """The JSON schema of the tool's parameters, as sent to the model."""
        schema = self.arguments_model.model_json_schema()
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        return schema

    def openai_schema(self) -> dict[str, Any]:
        """The tool in the chat-completions `tools` format."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters_schema(),
            },
        }

    def validate_arguments(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Validate arguments against the schema.

        Returns:
            The arguments with defaults filled in, as JSON values (they travel through history).

        Raises:
            pydantic.ValidationError, InvalidArgumentsError: The arguments do not fit the schema.
        """
        return self.arguments_model.model_validate(dict(arguments)).model_dump(mode="json")

    def requires_approval(self, arguments: Mapping[str, Any]) -> bool:
        """Whether a call with these arguments must wait for a person's decision.

        A predicate that raises counts as asking a person: a bug must not let a call through.
        """
        if callable(self.needs_approval):
            try:
                return bool(self.needs_approval(arguments))
            except Exception:
                return True
        return self.needs_approval


def tool(
    function: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    needs_approval: bool | ApprovalPredicate = False,
    approval_timeout: timedelta | None = None,
    editable: bool = True,
    start_to_close_timeout: timedelta | None = None,
    heartbeat_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    task_queue: str | None = None,
    approvers: Sequence[str] = (),
) -> Any:
    """Turn a function into a `Tool`, usable bare (`@tool`) or with options (`@tool(...)`).

    Args:
        function: The function to wrap.
        name: The tool's name; the function's name by default.
        needs_approval: True to always ask a person, or a predicate over the arguments.
        approval_timeout: Reject the call as "timed out" when no decision comes in time.
        editable: False refuses approvals that change the call's arguments.
        start_to_close_timeout: The longest one attempt of the tool may run.
        heartbeat_timeout: An attempt whose worker is silent this long is retried.
        retry_policy: How Temporal retries the tool's activity.
        task_queue: Run the tool only on workers polling this queue
            (`agent-worker --agents MODULE --task-queue QUEUE` where its credentials are).
        approvers: Names of the people who alone may decide its calls, each by a decision
            signed with their Ed25519 key (`agent-starter approve ... --key FILE`); implies
            `needs_approval=True`. The workers hold their public keys (`AGENT_APPROVER_KEYS`).

    Returns:
        A `Tool`, or a decorator producing one.

    Raises:
        ValueError: A timeout is not positive, or the task queue is empty.
    """
    options = ActivityOptions(start_to_close_timeout, heartbeat_timeout, retry_policy, task_queue)

    def wrap(func: Callable[..., Any]) -> Tool:
        summary, _ = _docstring_parts(func)
        return Tool(
            name=name or func.__name__,
            description=summary,
            function=func,
            arguments_model=_arguments_model(func),
            approval_timeout=approval_timeout,
            editable=editable,
            activity_options=options,
            needs_approval=needs_approval or bool(approvers),
            approvers=tuple(approvers),
        )

    return wrap(function) if function is not None else wrap
