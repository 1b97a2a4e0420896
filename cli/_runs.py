"""Talking to Temporal about one agent run: find it, read what waits, decide, await the end."""

from __future__ import annotations

import argparse
import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.service import RPCError, RPCStatusCode

from agent_continuations.agent_runs import decide_run
from agent_continuations.cli._errors import CliError
from agent_continuations.connection import connect, connect_config
from agent_continuations.plugin import AgentPlugin
from agent_continuations.shared import AgentRunOutput, DecideInput, JsonDict
from agent_continuations.workflows import AgentWorkflow

# A query or update waits for a worker to answer; without one it would hang until the RPC's
# own deadline, so give up after this long and say why. Longer than the 10 s the server keeps
# offering a run's tasks to a worker that died before it turns to the others.
WORKER_TIMEOUT = timedelta(seconds=20)
POLL_INTERVAL = 0.5
PROGRESS_EVERY = 3.0

Progress = Callable[[str], None]


async def connect_client(
    address: str | None, namespace: str | None, plugin: AgentPlugin | None = None
) -> Client:
    """A client for the configured server, with the agent plugin (see `connection.connect`).

    Raises:
        CliError: No server answers at the address.
    """
    try:
        return await connect(address, namespace, plugin)
    except RuntimeError as error:
        target = connect_config(address, namespace)["target_host"]
        found = re.search(r'message: "([^"]+)"', str(error))
        reason = found.group(1) if found else str(error)
        raise CliError(
            f"cannot reach a Temporal server at {target} ({reason}); start one with "
            "`temporal server start-dev` or run `agent-starter demo`"
        ) from None


async def client_for(args: argparse.Namespace) -> Client:
    """A client for the server the command's `--address` and `--namespace` name."""
    return await connect_client(args.address, args.namespace, AgentPlugin())


@dataclass
class Run:
    """An agent run's workflow handle and its description when it was found."""

    handle: WorkflowHandle[Any, AgentRunOutput]
    description: WorkflowExecutionDescription

    @classmethod
    async def find(cls, client: Client, workflow_id: str) -> Run:
        """The run with this workflow ID.

        Raises:
            CliError: No such workflow in the client's namespace.
        """
        handle = client.get_workflow_handle_for(AgentWorkflow.run, workflow_id)
        try:
            description = await handle.describe()
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
            raise CliError(f"{error.message} (namespace {client.namespace!r})") from None
        return cls(handle, description)

    @property
    def id(self) -> str:
        return self.handle.id

    @property
    def status(self) -> str:
        """The workflow's status when last described, e.g. `RUNNING` or `COMPLETED`."""
        status = self.description.status
        return status.name if status else "UNKNOWN"

    @property
    def running(self) -> bool:
        return self.description.status == WorkflowExecutionStatus.RUNNING

    def _no_worker(self) -> CliError:
        return CliError(
            f"no worker answered within {WORKER_TIMEOUT.seconds} s: is `agent-worker` "
            f"running on task queue {self.description.task_queue!r}?"
        )

    async def pending(self) -> list[JsonDict]:
        """The `pending_approvals` query: every call in the tree waiting for a decision."""
        try:
            return await self.handle.query(
                AgentWorkflow.pending_approvals, rpc_timeout=WORKER_TIMEOUT
            )
        except RPCError as error:
            if error.status in (RPCStatusCode.CANCELLED, RPCStatusCode.DEADLINE_EXCEEDED):
                raise self._no_worker() from None
            raise

    async def decide(self, decision: DecideInput) -> str:
        """Send a decision through the `decide` update; returns what the workflow decided.

        Raises:
            CliError: The workflow's validator refused the decision, or no worker answered.
        """
        try:
            return await decide_run(self.handle, decision, WORKER_TIMEOUT)
        except WorkflowUpdateFailedError as error:
            reason = getattr(error.cause, "message", None) or error.cause
            raise CliError(f"refused: {reason}") from None
        except WorkflowUpdateRPCTimeoutOrCancelledError:
            raise self._no_worker() from None

    async def wait_for_pause(self, progress: Progress) -> list[JsonDict]:
        """Poll until calls wait for a decision (returns them) or the run ends (returns [])."""
        loop = asyncio.get_running_loop()
        started = last_report = loop.time()
        while True:
            self.description = await self.handle.describe()
            if not self.running:
                return []
            waiting = await self.pending()
            if waiting:
                return waiting
            if loop.time() - last_report >= PROGRESS_EVERY:
                last_report = loop.time()
                progress(f"  ... still running ({last_report - started:.0f} s)")
            await asyncio.sleep(POLL_INTERVAL)

    async def output(self) -> AgentRunOutput:
        """Wait for the run to end and return its output.

        Raises:
            CliError: The workflow failed, was terminated, cancelled or timed out.
        """
        try:
            return await self.handle.result()
        except WorkflowFailureError as error:
            raise CliError(f"workflow {self.id!r} did not complete: {error.cause}") from None
