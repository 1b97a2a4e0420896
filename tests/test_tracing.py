"""OpenTelemetry spans for model and tool calls, in the workflow's trace (the `[otel]` extra)."""

from __future__ import annotations

from collections.abc import Iterator

import opentelemetry.trace
import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client
from temporalio.contrib.opentelemetry import OpenTelemetryPlugin, create_tracer_provider
from temporalio.worker import Worker

from agent_continuations import examples
from agent_continuations.plugin import AgentPlugin
from agent_continuations.shared import ApprovalDecision
from agent_continuations.testing import SCRIPTED_MODEL, scripted_model_activities
from agent_continuations.workflows import AgentWorkflow
from helpers import start_agent, wait_for_pending
from test_example_agents import PROMPT


@pytest.fixture(scope="module")
def spans() -> Iterator[InMemorySpanExporter]:
    """Spans of this process, kept in memory (the global provider can be set only once)."""
    exporter = InMemorySpanExporter()
    provider = create_tracer_provider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    opentelemetry.trace.set_tracer_provider(provider)
    yield exporter


async def test_model_and_tool_calls_are_spans_in_the_runs_trace(
    spans: InMemorySpanExporter, dev_server_env, address: str, task_queue: str
):
    agents = AgentPlugin(
        [examples.hr_agent],
        default_model=SCRIPTED_MODEL,
        model_activities=scripted_model_activities(examples.SCRIPTS),
    )
    plugins = [agents, OpenTelemetryPlugin(add_temporal_spans=True)]
    client = await Client.connect(address, plugins=plugins)
    async with Worker(client, task_queue=task_queue):
        handle = await start_agent(client, task_queue, "hr_agent", PROMPT)
        [entry] = await wait_for_pending(handle)
        await handle.signal(AgentWorkflow.approve, ApprovalDecision(path_ids=entry["path_ids"]))
        assert (await handle.result()).end_reason == "completed"
    finished = spans.get_finished_spans()
    chats = [s for s in finished if s.name == "chat scripted"]
    tools = {s.attributes["gen_ai.tool.name"]: s for s in finished if s.name.startswith("execute")}
    # Two model turns of hr_agent and three of its sub-agent account_agent.
    agents = sorted(str(s.attributes["gen_ai.agent.name"]) for s in chats)
    assert agents == ["account_agent"] * 3 + ["hr_agent"] * 2
    assert all(s.attributes["gen_ai.usage.input_tokens"] > 0 for s in chats)
    assert set(tools) == {"send_email_tool", "create_account", "authorize_account"}
    assert tools["authorize_account"].attributes["gen_ai.agent.name"] == "account_agent"
    key = str(tools["authorize_account"].attributes["agent_continuations.idempotency_key"])
    assert key.startswith(f"{handle.id}/")
    # Every span, the sub-agent's included, belongs to the trace the run started.
    [start] = [s for s in finished if s.name == "StartWorkflow:AgentWorkflow"]
    trace_id = start.context.trace_id
    assert {s.context.trace_id for s in [*chats, *tools.values()]} == {trace_id}
