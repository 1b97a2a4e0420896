"""Connecting to Temporal the same way from the worker, the starter and the demo."""

from __future__ import annotations

import os
import sys

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.envconfig import ClientConfig

from models import DEFAULT_TASK_QUEUE


def default_task_queue() -> str:
    """`TEMPORAL_TASK_QUEUE`, or the queue the worker and starter agree on."""
    return os.environ.get("TEMPORAL_TASK_QUEUE") or DEFAULT_TASK_QUEUE


def connect_config(address: str | None = None, namespace: str | None = None) -> dict:
    """Connection settings: the SDK's env-config profile and `TEMPORAL_*` variables, then flags."""
    config = dict(ClientConfig.load_client_connect_config())
    config.setdefault("target_host", "localhost:7233")
    if address:
        config["target_host"] = address
    if namespace:
        config["namespace"] = namespace
    return config


async def connect(address: str | None = None, namespace: str | None = None) -> Client:
    """A client using the pydantic data converter, as every part of this project does."""
    config = connect_config(address, namespace)
    return await Client.connect(**config, data_converter=pydantic_data_converter)


def exit_process(code: int) -> None:
    """Flush output and exit with `code`, skipping interpreter teardown.

    The SDK's Rust threads can abort a finalizing interpreter ("PyGILState_Release ... must be
    current", temporalio/sdk-python#300), which would turn a clean exit code into 134.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
