"""The portable continuation format: building, flattening and finding waiting calls."""

from continuations._tree import (
    build_continuation,
    find_waiting_call,
    flatten_approval_info,
    tool_message,
    waiting_calls,
)

__all__ = [
    "build_continuation",
    "find_waiting_call",
    "flatten_approval_info",
    "tool_message",
    "waiting_calls",
]
