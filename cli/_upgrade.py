"""`upgrade`: move runs that wait onto the current version of their Worker Deployment."""

from __future__ import annotations

import argparse
import sys

from temporalio.api.deployment.v1 import WorkerDeploymentVersion
from temporalio.api.workflowservice.v1 import DescribeWorkerDeploymentRequest
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.service import RPCError, RPCStatusCode

from agent_continuations.cli._errors import CliError
from agent_continuations.cli._inbox import executions, runs_query
from agent_continuations.cli._runs import WORKER_TIMEOUT, client_for
from agent_continuations.workflows import AgentWorkflow

SET_CURRENT = "temporal worker deployment set-current-version --deployment-name {} --build-id ID"


async def _current_version(client: Client, deployment: str) -> str:
    """The deployment's current version, as `<deployment>.<build ID>`.

    Raises:
        CliError: The deployment is unknown or has no current version.
    """
    request = DescribeWorkerDeploymentRequest(
        namespace=client.namespace, deployment_name=deployment
    )
    try:
        response = await client.workflow_service.describe_worker_deployment(request)
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
        raise CliError(f"no Worker Deployment {deployment!r}: {error.message}") from None
    current: WorkerDeploymentVersion = (
        response.worker_deployment_info.routing_config.current_deployment_version
    )
    if not current.build_id:
        raise CliError(
            f"deployment {deployment!r} has no current version: set one with "
            f"`{SET_CURRENT.format(deployment)}`"
        )
    return f"{current.deployment_name}.{current.build_id}"


async def upgrade_run(client: Client, workflow_id: str) -> str:
    """Ask the run to move onto its deployment's current version; what it answered.

    Raises:
        CliError: The run cannot move: it has ended, is unversioned or on the current version
            already, refused, or no worker answered.
    """
    handle = client.get_workflow_handle_for(AgentWorkflow.run, workflow_id)
    try:
        description = await handle.describe(rpc_timeout=WORKER_TIMEOUT)
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
        raise CliError(f"{error.message} (namespace {client.namespace!r})") from None
    if description.status != WorkflowExecutionStatus.RUNNING:
        status = description.status.name if description.status else "UNKNOWN"
        raise CliError(f"{workflow_id} has ended ({status}): nothing to upgrade")
    running_on = description.raw_description.workflow_execution_info.versioning_info
    if not running_on.deployment_version.deployment_name:
        raise CliError(
            f"{workflow_id} runs on unversioned workers: nothing to upgrade (run workers with "
            "--deployment and --build-id)"
        )
    deployment = running_on.deployment_version.deployment_name
    version = f"{deployment}.{running_on.deployment_version.build_id}"
    current = await _current_version(client, deployment)
    if version == current:
        raise CliError(f"{workflow_id} is on the current version {current} already")
    try:
        answer = await handle.execute_update(AgentWorkflow.upgrade, rpc_timeout=WORKER_TIMEOUT)
    except WorkflowUpdateFailedError as error:
        reason = getattr(error.cause, "message", None) or error.cause
        raise CliError(f"{workflow_id}: refused: {reason}") from None
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        raise CliError(
            f"{workflow_id}: no worker of version {version} answered within "
            f"{WORKER_TIMEOUT.seconds} s"
        ) from None
    return f"{workflow_id} {answer} ({version} -> {current})"


async def upgrade(args: argparse.Namespace) -> int:
    """`upgrade ID | --all [--agent A] [--status S]`: move runs onto the current version."""
    if (args.workflow_id is None) != args.all:
        raise CliError("give either a run's workflow ID or --all")
    if args.workflow_id is not None and (args.agent or args.status):
        raise CliError("--agent and --status choose the runs of `upgrade --all`")
    client = await client_for(args)
    if args.workflow_id is not None:
        print(await upgrade_run(client, args.workflow_id))
        return 0
    found = await executions(client, f'{runs_query(args)} AND ExecutionStatus = "Running"')
    moved = 0
    for execution in found:
        try:
            print(await upgrade_run(client, execution.id))
            moved += 1
        except CliError as error:
            print(f"not upgraded: {error}", file=sys.stderr)
    print(f"{moved} of {len(found)} running run(s) asked to upgrade.")
    return 0
