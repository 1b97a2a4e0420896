"""`AgentPlugin` is all a plain Temporal client and worker need to run agents."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from agent_continuations.agent_definitions import Agent, register, tool
from agent_continuations.plugin import PASSTHROUGH_MODULES, AgentPlugin, agent_data_converter
from agent_continuations.shared import ApprovalDecision
from agent_continuations.storage import LocalStorageDriver, payload_storage
from agent_continuations.workflows import AgentWorkflow
from helpers import start_agent, tool_call, wait_for_pending

ROOT = Path(__file__).resolve().parent.parent


@tool(needs_approval=True)
def delete_account(user: str) -> str:
    """Delete an account."""
    return f"{user} deleted"


register(Agent(name="plugin_janitor", instructions="Clean up.", tools=[delete_account]))
SCRIPTS = {
    "plugin_janitor": [
        {"tool_calls": [tool_call("delete_account", user="bob")]},
        {"content": "bob is gone"},
    ]
}


async def _approve_and_finish(client: Client, task_queue: str) -> str:
    handle = await start_agent(client, task_queue, "plugin_janitor", "remove bob")
    [entry] = await wait_for_pending(handle)
    await handle.signal(AgentWorkflow.approve, ApprovalDecision(path_ids=entry["path_ids"]))
    output = await handle.result()
    assert output.end_reason == "completed"
    return output.result or ""


async def test_a_plain_worker_with_only_the_plugin_runs_agents(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    plugin = AgentPlugin(scripts=SCRIPTS)
    async with Worker(time_skipping_env.client, task_queue=task_queue, plugins=[plugin]):
        assert await _approve_and_finish(time_skipping_env.client, task_queue) == "bob is gone"


async def test_a_client_with_the_plugin_gives_it_to_its_workers(
    dev_server_env: WorkflowEnvironment, address: str, task_queue: str
):
    # No data converter given: the plugin brings the pydantic one.
    client = await Client.connect(address, plugins=[AgentPlugin(scripts=SCRIPTS)])
    async with Worker(client, task_queue=task_queue):
        assert await _approve_and_finish(client, task_queue) == "bob is gone"


@pytest.mark.parametrize(
    "converter",
    [DataConverter.default, pydantic_data_converter],
    ids=["default", "pydantic-without-external-storage"],
)
async def test_a_worker_refuses_the_plugin_on_a_client_that_cannot_carry_its_payloads(
    address: str, task_queue: str, converter: DataConverter
):
    client = await Client.connect(address, data_converter=converter)
    with pytest.raises(ValueError, match="needs a client with pydantic payloads and external"):
        Worker(client, task_queue=task_queue, plugins=[AgentPlugin()])


def test_the_converter_keeps_a_client_s_own_external_storage(tmp_path: Path):
    own = payload_storage(LocalStorageDriver(tmp_path / "own"))
    existing = dataclasses.replace(DataConverter.default, external_storage=own)
    assert agent_data_converter(existing).external_storage is own
    given = payload_storage(LocalStorageDriver(tmp_path / "given"))
    assert agent_data_converter(existing, given).external_storage is given
    default = agent_data_converter().external_storage
    assert default is not None and isinstance(default.drivers[0], LocalStorageDriver)


def test_the_passthrough_list_says_why_for_each_module():
    assert all(reason.strip() for reason in PASSTHROUGH_MODULES.values())
    assert set(PASSTHROUGH_MODULES) >= {
        "agent_continuations.agent_definitions",
        "agent_continuations.shared",
        "pydantic",
    }


def test_importing_the_library_registers_no_agent():
    # A fresh interpreter: this test process has imported the examples already.
    code = textwrap.dedent(
        """
        from agent_continuations import activities, agent_runs, cli, connection, continuations
        from agent_continuations import plugin, shared, starter, worker, workflows
        from agent_continuations.agent_definitions import registered_agents
        print(registered_agents())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[]\n"
