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

from agent_continuations import examples
from agent_continuations.agent_definitions import Agent, tool
from agent_continuations.plugin import PASSTHROUGH_MODULES, AgentPlugin, agent_data_converter
from agent_continuations.shared import ApprovalDecision
from agent_continuations.storage import LocalStorageDriver, payload_storage
from agent_continuations.testing import SCRIPTED_MODEL, scripted_model_activities
from agent_continuations.workflows import AgentWorkflow
from helpers import start_agent, tool_call, wait_for_pending

ROOT = Path(__file__).resolve().parent.parent


@tool(needs_approval=True)
def delete_account(user: str) -> str:
    """Delete an account."""
    return f"{user} deleted"


AGENTS = [Agent(name="plugin_janitor", instructions="Clean up.", tools=[delete_account])]
SCRIPTS = {
    "plugin_janitor": [
        {"tool_calls": [tool_call("delete_account", user="bob")]},
        {"content": "bob is gone"},
    ]
}


def _plugin(agents: list[Agent] = AGENTS) -> AgentPlugin:
    models = scripted_model_activities(SCRIPTS)
    return AgentPlugin(agents, default_model=SCRIPTED_MODEL, model_activities=models)


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
    async with Worker(time_skipping_env.client, task_queue=task_queue, plugins=[_plugin()]):
        assert await _approve_and_finish(time_skipping_env.client, task_queue) == "bob is gone"


async def test_a_client_with_the_plugin_gives_it_to_its_workers(
    dev_server_env: WorkflowEnvironment, address: str, task_queue: str
):
    # No data converter given: the plugin brings the pydantic one.
    client = await Client.connect(address, plugins=[_plugin()])
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
    # The whole package: the sandbox executes none of it again per run.
    assert set(PASSTHROUGH_MODULES) >= {"agent_continuations", "pydantic", "cryptography"}


def test_the_package_root_names_what_a_user_imports():
    code = textwrap.dedent(
        """
        import agent_continuations as package
        from agent_continuations.agent_definitions import catalog_for
        print(len(package.__all__), len(catalog_for("any-queue")))
        missing = [name for name in package.__all__ if not hasattr(package, name)]
        print(missing, "ScriptedModelTransport" in package.__all__)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd="/", capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    count, agents = map(int, done.stdout.splitlines()[0].split())
    assert 20 <= count <= 40 and agents == 0  # importing it serves no agent
    assert done.stdout.splitlines()[1] == "[] False"


def test_two_different_agents_of_one_name_are_refused():
    twin = Agent(name="plugin_janitor", instructions="Other.", tools=[delete_account])
    with pytest.raises(ValueError, match="two different agents are named 'plugin_janitor'"):
        AgentPlugin([*AGENTS, twin])


async def test_a_worker_runs_only_the_agents_it_is_given(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    client = time_skipping_env.client
    async with Worker(client, task_queue=task_queue, plugins=[_plugin([examples.hr_agent])]):
        handle = await start_agent(client, task_queue, "plugin_janitor", "remove bob")
        output = await handle.result()
    assert output.end_reason == "error"
    assert output.error == "unknown agent 'plugin_janitor'"


async def test_an_agent_with_no_model_anywhere_ends_with_one_line(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    plugin = AgentPlugin(AGENTS, model_activities=scripted_model_activities(SCRIPTS))
    async with Worker(time_skipping_env.client, task_queue=task_queue, plugins=[plugin]):
        handle = await start_agent(time_skipping_env.client, task_queue, "plugin_janitor", "go")
        output = await handle.result()
    assert output.end_reason == "error"
    assert output.error == (
        "agent 'plugin_janitor' has no model: name one with the run's --model, the agent's "
        "model= or the worker's AGENT_MODEL"
    )
