"""Optional OpenTelemetry spans for model and tool calls (install the `[otel]` extra).

Spans use the OpenTelemetry GenAI attribute names. Nothing is recorded unless the process
configures a tracer provider; with `temporalio.contrib.opentelemetry.OpenTelemetryPlugin` on
the client, each span is a child of the workflow's trace.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

try:
    from opentelemetry import trace
except ImportError:  # the `[otel]` extra is not installed
    trace = None  # type: ignore[assignment]

TRACER_NAME = "agent-continuations"
Attributes = Mapping[str, str | int | float | bool]


class SpanAttributes(Protocol):
    """What a traced block may add to its span."""

    def set_attributes(self, attributes: Attributes) -> None: ...


class _NoSpan:
    def set_attributes(self, attributes: Attributes) -> None:
        """Nothing to record: OpenTelemetry is not installed."""


@contextmanager
def traced(name: str, attributes: Attributes) -> Iterator[SpanAttributes]:
    """A span called `name` around the block, when OpenTelemetry is installed.

    Yields:
        The span, to add attributes known only at the end (e.g. tokens).
    """
    if trace is None:
        yield _NoSpan()
        return
    tracer: Any = trace.get_tracer(TRACER_NAME)
    with tracer.start_as_current_span(name, attributes=attributes) as span:
        yield span
