"""The last check of an activity's result: Temporal can record it and the workflow can read it
back. A result that fails would fail the same way on every retry, so it is not retried."""

from __future__ import annotations

import os
from typing import TypeVar

import pydantic
from temporalio.exceptions import ApplicationError

from agent_continuations.shared import MAX_PAYLOAD_BYTES, size_problem

R = TypeVar("R", bound=pydantic.BaseModel)
MAX_RESULT_ENV = "AGENT_MAX_RESULT_BYTES"


def max_result_bytes() -> int:
    """The largest tool result or model reply a worker accepts: `AGENT_MAX_RESULT_BYTES`,
    at most (and by default) `MAX_PAYLOAD_BYTES`.

    Raises:
        ValueError: The variable is set but not a positive number of bytes.
    """
    configured = os.environ.get(MAX_RESULT_ENV)
    if not configured:
        return MAX_PAYLOAD_BYTES
    if not (configured.isdigit() and int(configured) > 0):
        raise ValueError(f"{MAX_RESULT_ENV} must be a positive number of bytes, not {configured!r}")
    return min(int(configured), MAX_PAYLOAD_BYTES)


def recordable(output: R, what: str) -> R:
    """`output`, once it is within `max_result_bytes()` and decodes again as the workflow
    will decode it.

    Args:
        output: The activity's result.
        what: Names it in the message, e.g. "the model's reply".

    Raises:
        ApplicationError: Non-retryable: the result is over the maximum, or cannot be
            written or read back.
    """
    try:
        data = output.__pydantic_serializer__.to_json(output)
        problem = size_problem(what, len(data), max_result_bytes())
        if problem is None:
            type(output).model_validate_json(data)
    except (ValueError, RecursionError) as error:
        raise ApplicationError(
            f"{what} cannot be recorded: {error}", type="UnreadableResult", non_retryable=True
        ) from None
    if problem:
        raise ApplicationError(problem, type="PayloadTooLarge", non_retryable=True)
    return output
