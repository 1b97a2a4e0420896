"""`AgentPlugin`: the agent runtime as one Temporal plugin, for clients, workers and replayers.

    client = await Client.connect("localhost:7233", plugins=[AgentPlugin()])
    worker = Worker(client, task_queue="agents")  # gets the workflow and activities too

Register agents (`agent_definitions.register`) in the worker's process before it starts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.converter import DataConverter, ExternalStorage
from temporalio.plugin import SimplePlugin
from temporalio.worker import WorkerConfig, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from agent_continuations.activities import ModelActivities, Script, run_tool
from agent_continuations.storage import payload_storage
from agent_continuations.workflows import AgentWorkflow

PLUGIN_NAME = "agent-continuations"

# Modules the workflow sandbox takes from the worker's process instead of importing afresh for
# every run. Each is deterministic to use from workflow code; the reason it must be shared:
PACKAGE = __name__.rpartition(".")[0]
PASSTHROUGH_MODULES = {
    f"{PACKAGE}.agent_definitions": "agents defined at start-up must be visible",
    f"{PACKAGE}.shared": "pydantic models of the workflow's input, output and messages",
    f"{PACKAGE}.continuations": "pure functions and models of the continuation format",
    f"{PACKAGE}.activities": "activities the workflow schedules; they import openai and httpx2",
    "pydantic": "the data converter's models and validation, also used by the workflow",
    # Pure helpers of `AgentWorkflow` with no module state: imported once per worker instead of
    # once per run (0.2 MB and some CPU each time, measured with benchmarks/waiting_agents.py).
    f"{PACKAGE}.workflows._tree": "pydantic models of a level's continuation tree",
    f"{PACKAGE}.workflows._state": "pydantic models of a level's state",
    f"{PACKAGE}.workflows._calls": "pure functions over a reply's tool calls",
    f"{PACKAGE}.workflows._continuation": "pure functions building a level's continuation",
    f"{PACKAGE}.workflows._decisions": "pure functions over decisions",
    f"{PACKAGE}.workflows._details": "pure functions writing the current details",
    f"{PACKAGE}.workflows._policy_check": "pure functions over suspension policies",
    f"{PACKAGE}.workflows._search_attributes": "search attribute keys and pure functions",
}


def agent_data_converter(
    existing: DataConverter | None = None, storage: ExternalStorage | None = None
) -> DataConverter:
    """`existing` (or the default) converter with pydantic payloads and external storage for
    large ones; its codec and failure converter stay.

    Args:
        existing: The client's converter.
        storage: Where large payloads go; the existing converter's, else `payload_storage()`.
    """
    existing = existing or DataConverter.default
    return dataclasses.replace(
        existing,
        payload_converter_class=PydanticPayloadConverter,
        external_storage=storage or existing.external_storage or payload_storage(),
    )


def _sandbox_with_passthrough(existing: WorkflowRunner | None) -> WorkflowRunner:
    """The worker's sandbox, passing through `PASSTHROUGH_MODULES`; other runners stay."""
    runner = existing or SandboxedWorkflowRunner()
    if not isinstance(runner, SandboxedWorkflowRunner):
        return runner
    restrictions = (runner.restrictions or SandboxRestrictions.default).with_passthrough_modules(
        *PASSTHROUGH_MODULES
    )
    return dataclasses.replace(runner, restrictions=restrictions)


class AgentPlugin(SimplePlugin):
    """Runs agents on a worker: `AgentWorkflow`, the `call_model` and `run_tool` activities,
    the pydantic data converter and the sandbox settings they need.

    Give it to `Client.connect(..., plugins=[...])` (workers made from that client get it too),
    or to a `Worker` or `Replayer` whose client already uses the pydantic data converter.

    Args:
        scripts: Replies of the offline `scripted` model per agent name.
        model_activities: Model activities to use instead, e.g. pointed at another server.
        storage: Where payloads too large for history go; see `agent_data_converter`.
    """

    def __init__(
        self,
        scripts: Mapping[str, Script] | None = None,
        model_activities: ModelActivities | None = None,
        storage: ExternalStorage | None = None,
    ) -> None:
        models = model_activities or ModelActivities(scripts=scripts)
        super().__init__(
            PLUGIN_NAME,
            data_converter=lambda existing: agent_data_converter(existing, storage),
            workflows=[AgentWorkflow],
            activities=[models.call_model, run_tool],
            workflow_runner=_sandbox_with_passthrough,
        )

    def configure_worker(self, config: WorkerConfig) -> WorkerConfig:
        """Add the runtime to a worker, refusing a client that cannot carry its payloads.

        Raises:
            ValueError: The worker's client lacks pydantic payloads or external storage.
        """
        client = config.get("client")
        converter = client.data_converter if client is not None else None
        if converter is not None and (
            not issubclass(converter.payload_converter_class, PydanticPayloadConverter)
            or converter.external_storage is None
        ):
            raise ValueError(
                f"{type(self).__name__} needs a client with pydantic payloads and external "
                "storage: "
                f"connect it with plugins=[{type(self).__name__}()]"
            )
        return super().configure_worker(config)
