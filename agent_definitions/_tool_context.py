"""What a running tool may know about its own call (its idempotency key, attempt number,
whether it was approved), and how it asks for approval while it runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class ToolCallContext:
    """The tool call being run, as the tool function sees it through `current_tool_call()`.

    Attributes:
        idempotency_key: The same on every attempt of this call and different for any other
            call: `<workflow ID>/<model turn>/<tool call ID>`. Pass it to outside systems
            (an `Idempotency-Key` header, a unique database key) so a call that runs again
            after a crash does not act twice.
        attempt: 1 on the first attempt; more when Temporal retries the call, e.g. after the
            worker running it died.
        agent: The name of the agent whose model asked for the call.
        tool: The tool's name.
        approved: A person approved this call (it needed approval, or it raised
            `ApprovalNeeded` when it ran before).
    """

    idempotency_key: str
    attempt: int
    agent: str
    tool: str
    approved: bool = False


class ApprovalNeeded(Exception):
    """Raised by a running tool whose call needs a person's approval after all: the call waits
    for a decision and, approved, runs again with `current_tool_call().approved` true."""


class NotInToolCallError(LookupError):
    """`current_tool_call()` was called outside a tool call."""


_current: ContextVar[ToolCallContext | None] = ContextVar("current_tool_call", default=None)


def current_tool_call() -> ToolCallContext:
    """The tool call running now; call it from inside a tool function (sync or async).

    Returns:
        The call's idempotency key, attempt number, agent and tool.

    Raises:
        NotInToolCallError: Not called from a tool that the `run_tool` activity runs (nor
            inside `tool_call_context`).
    """
    context = _current.get()
    if context is None:
        raise NotInToolCallError(
            "current_tool_call() works only inside a tool function while the run_tool "
            "activity runs it (in a test of your tool, wrap the call in tool_call_context(...))"
        )
    return context


@contextmanager
def tool_call_context(context: ToolCallContext) -> Iterator[ToolCallContext]:
    """Make `context` what `current_tool_call()` returns for the duration of the block.

    `run_tool` sets it around every tool call; tests of a tool that reads it can set it too.
    Threads started with `asyncio.to_thread` inside the block see it as well.
    """
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
