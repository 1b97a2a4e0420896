"""Temporal's limit on one payload: what would pass it ends the run or the call with a reason,
instead of failing every workflow task."""

from __future__ import annotations

import pydantic

# Temporal refuses a payload over 2 MiB by default; keep a margin for the envelope.
PAYLOAD_LIMIT_BYTES = 2 * 1024 * 1024 - 64 * 1024


def payload_problem(what: str, value: pydantic.BaseModel) -> str | None:
    """Why `value` cannot be recorded in history, or None when it fits.

    Args:
        what: Names the payload in the message, e.g. "the conversation".
        value: The activity, child workflow or continue-as-new input, or a result.
    """
    size = len(value.__pydantic_serializer__.to_json(value))
    if size <= PAYLOAD_LIMIT_BYTES:
        return None
    return (
        f"{what} is {size / 1e6:.1f} MB, over the {PAYLOAD_LIMIT_BYTES / 1e6:.1f} MB a "
        "Temporal payload may carry"
    )
