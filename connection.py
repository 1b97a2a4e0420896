"""Connecting to Temporal, and naming agent modules, the same way from the worker, the
starter and the demo."""

from __future__ import annotations

import argparse
import os
import sys

from temporalio.client import Client
from temporalio.envconfig import ClientConfig

from agent_continuations.agent_definitions import AGENT_MODULES_ENV
from agent_continuations.plugin import AgentPlugin

DEFAULT_TASK_QUEUE = "agent-continuations"


def default_task_queue() -> str:
    """`TEMPORAL_TASK_QUEUE`, or the queue the worker and starter agree on."""
    return os.environ.get("TEMPORAL_TASK_QUEUE") or DEFAULT_TASK_QUEUE


def add_agents_flag(parser: argparse.ArgumentParser) -> None:
    """The `--agents MODULE` flag, shared by the worker and the starter."""
    parser.add_argument(
        "--agents",
        action="append",
        metavar="MODULE",
        help=f"a module that defines agents; repeatable (default: {AGENT_MODULES_ENV} or "
        "the examples)",
    )


def connect_config(address: str | None = None, namespace: str | None = None) -> dict:
    """Connection settings: the SDK's env-config profile and `TEMPORAL_*` variables, then flags."""
    config = dict(ClientConfig.load_client_connect_config())
    config.setdefault("target_host", "localhost:7233")
    if address:
        config["target_host"] = address
    if namespace:
        config["namespace"] = namespace
    return config


async def connect(
    address: str | None = None, namespace: str | None = None, plugin: AgentPlugin | None = None
) -> Client:
    """A client with the agent plugin: workers made from it run agents.

    Args:
        address: The frontend's `host:port`; see `connect_config`.
        namespace: The namespace; see `connect_config`.
        plugin: The plugin, e.g. with scripts for the offline model; a plain one by default.
    """
    config = connect_config(address, namespace)
    return await Client.connect(**config, plugins=[plugin or AgentPlugin()])


def exit_process(code: int) -> None:
    """Flush output and exit with `code`, skipping interpreter teardown.

    The SDK's Rust threads can abort a finalizing interpreter ("PyGILState_Release ... must be
    current", temporalio/sdk-python#300), which would turn a clean exit code into 134.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
