"""The last check of an activity's result: Temporal can record it and the workflow can read it
back. A result that fails would fail the same way on every retry, so it is not retried."""

from __future__ import annotations

from typing import TypeVar

import pydantic
from temporalio.exceptions import ApplicationError

from payloads import size_problem

R = TypeVar("R", bound=pydantic.BaseModel)


def recordable(output: R, what: str) -> R:
    """`output`, once it fits in a payload and decodes again as the workflow will decode it.

    Args:
        output: The activity's result.
        what: Names it in the message, e.g. "the model's reply".

    Raises:
        ApplicationError: Non-retryable: the result is over the payload limit, or cannot be
            written or read back.
    """
    try:
        data = output.__pydantic_serializer__.to_json(output)
        problem = size_problem(what, len(data))
        if problem is None:
            type(output).model_validate_json(data)
    except (ValueError, RecursionError) as error:
        raise ApplicationError(
            f"{what} cannot be recorded: {error}", type="UnreadableResult", non_retryable=True
        ) from None
    if problem:
        raise ApplicationError(problem, type="PayloadTooLarge", non_retryable=True)
    return output
