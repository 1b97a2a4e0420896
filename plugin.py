"""`AgentPlugin`: the agent runtime as one Temporal plugin, for clients, workers and replayers.

client = await Client.connect("localhost:7233", plugins=[AgentPlugin(agents=[hr_agent])])
worker = Worker(client, task_queue="agents")  # gets the workflow and activities too
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from temporalio.converter import DataConverter, ExternalStorage
from temporalio.plugin import SimplePlugin
from temporalio.worker import ReplayerConfig, WorkerConfig, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from agent_continuations.activities import McpActivities, ModelActivities, ToolActivities
from agent_continuations.agent_definitions import (
    Agent,
    AgentCatalog,
    ApproverKeys,
    WorkerSecrets,
    as_agent,
    serve_catalog,
)
from agent_continuations.agent_definitions._catalog import REPLAYER
from agent_continuations.storage import AgentDataConverter, AgentPayloadConverter, payload_storage
from agent_continuations.workflows import AgentWorkflow

PLUGIN_NAME = "agent-continuations"

# Modules the workflow sandbox takes from the worker's process instead of importing afresh for
# every run: `AgentWorkflow` runs outside the sandbox, but the worker's other workflows (a
# user's own, starting agents as child workflows) import the package. Each is deterministic to
# use from workflow code; the reason it must be shared:
PACKAGE = __name__.rpartition(".")[0]
PASSTHROUGH_MODULES = {
    # The package keeps no module state: each run's state is in its own instances. Executing
    # it again for every run cost about 20 ms of the worker's CPU and 0.4 MB per run.
    PACKAGE: "the agent runtime: its workflow code keeps no module state",
    "pydantic": "the data converter's models and validation, also used by the workflow",
    # Its Rust core imports its exception classes when it raises one (a bad signature): they
    # must be the worker's, or the extension aborts the process.
    "cryptography": "Ed25519 verification of approvers' signatures",
}


def agent_data_converter(
    existing: DataConverter | None = None, storage: ExternalStorage | None = None
) -> DataConverter:
    """`existing` (or the default) converter with pydantic payloads and external storage for
    large ones, as an `AgentDataConverter`: a reference no store can read is input the
    workflow's handlers refuse, not a wedged run. Its codec and failure converter stay.

    Args:
        existing: The client's converter.
        storage: Where large payloads go; the existing converter's, else `payload_storage()`.
    """
    existing = existing or DataConverter.default
    return AgentDataConverter(
        payload_converter_class=AgentPayloadConverter,
        payload_codec=existing.payload_codec,
        failure_converter_class=existing.failure_converter_class,
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


def _agent(value: Any) -> Agent:
    agent = as_agent(value)
    if agent is None:
        raise TypeError(f"AgentPlugin runs agents, not {type(value).__name__} objects")
    return agent


class AgentPlugin(SimplePlugin):
    """Runs agents on a worker: `AgentWorkflow`, the `call_model` and `run_tool` activities,
    the pydantic data converter and the sandbox settings they need.

    Give it to `Client.connect(..., plugins=[...])` (workers made from that client get it too),
    or to a `Worker` or `Replayer` whose client already uses the pydantic data converter. A
    client that only starts and decides runs needs no agents.

    Args:
        agents: The agents the worker runs; their sub-agents come with them. OpenAI Agents
            SDK `agents.Agent` objects are converted (see `frameworks.openai_agents`).
        default_model: The model of agents that name none, unless a run names one.
        secrets: The workers' secrets that tree tokens, sub-agent IDs and approval proofs
            derive from (every worker of a deployment needs the same); none by default.
        approver_keys: The public keys of the approvers the agents' tools name.
        seal_key: The continuation seal key (`CONTINUATION_SEAL_KEY`): with it, or with
            `secrets`, a resume input's decision records count only when the starter sealed it.
        model_activities: The model activities to use, e.g. pointed at another server or with
            the scripted model of `agent_continuations.testing`.
        storage: Where payloads too large for history go; see `agent_data_converter`.

    Raises:
        ValueError: Two different agents have the same name, a tool names an approver
            without a key, or an SDK agent uses a feature with no counterpart here.
        TypeError: Something other than an agent is given.
    """

    def __init__(
        self,
        agents: Sequence[Agent | Any] = (),
        *,
        default_model: str | None = None,
        secrets: WorkerSecrets | None = None,
        approver_keys: ApproverKeys | None = None,
        seal_key: bytes | None = None,
        model_activities: ModelActivities | None = None,
        storage: ExternalStorage | None = None,
    ) -> None:
        keys = approver_keys or ApproverKeys()
        self.agents = AgentCatalog(map(_agent, agents), default_model, secrets, keys, seal_key)
        models = (model_activities or ModelActivities()).for_agents(self.agents)
        mcp = McpActivities(self.agents)
        super().__init__(
            PLUGIN_NAME,
            data_converter=lambda existing: agent_data_converter(existing, storage),
            workflows=[AgentWorkflow],
            activities=[
                models.call_model,
                ToolActivities(self.agents, models.conversation_cache).run_tool,
                mcp.list_mcp_tools,
                mcp.call_mcp_tool,
            ],
            workflow_runner=_sandbox_with_passthrough,
            run_context=mcp.running,  # the MCP servers a worker started stop with it
        )

    def configure_replayer(self, config: ReplayerConfig) -> ReplayerConfig:
        """Add the runtime to a replayer, whose workflows find this plugin's agents."""
        serve_catalog(REPLAYER, self.agents)
        return super().configure_replayer(config)

    def configure_worker(self, config: WorkerConfig) -> WorkerConfig:
        """Add the runtime to a worker, whose workflows find this plugin's agents; refuse a
        client that cannot carry its payloads.

        Raises:
            ValueError: The worker's client lacks `agent_data_converter`'s converters.
        """
        client = config.get("client")
        converter = client.data_converter if client is not None else None
        if converter is not None and (
            not isinstance(converter, AgentDataConverter)
            or not issubclass(converter.payload_converter_class, AgentPayloadConverter)
            or converter.external_storage is None
        ):
            raise ValueError(
                f"{type(self).__name__} needs a client with pydantic payloads and external "
                "storage whose unreadable references its workflows refuse: "
                f"connect it with plugins=[{type(self).__name__}()]"
            )
        if len(self.agents):  # a plugin without agents (a client's) leaves the queue's alone
            serve_catalog(config["task_queue"], self.agents)
        return super().configure_worker(config)
