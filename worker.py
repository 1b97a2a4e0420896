"""Runs a worker for every registered agent: the agent workflow and the model and tool activities.

Usage: python worker.py [--address HOST:PORT] [--namespace NS] [--task-queue QUEUE]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Mapping

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

import agent_definitions.examples  # noqa: F401  (registers the example agents)
from activities import ModelActivities, Script, run_tool
from connection import connect, connect_config, default_task_queue, exit_process
from workflows import AgentWorkflow

# Modules holding the agent registry and shared types must be the worker's own copies, not
# sandbox re-imports, so agents registered at start-up are visible to workflows.
PASSTHROUGH_MODULES = ("agent_definitions", "models", "continuations", "activities", "pydantic")


def sandbox_runner() -> SandboxedWorkflowRunner:
    """The workflow sandbox, passing through the modules that must be shared (see above)."""
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES)
    )


def build_worker(
    client: Client,
    task_queue: str,
    scripts: Mapping[str, Script] | None = None,
    model_activities: ModelActivities | None = None,
    fail_on_bugs: bool = False,
) -> Worker:
    """A worker running `AgentWorkflow`, `call_model` and `run_tool` on `task_queue`.

    Args:
        client: A client created with the pydantic data converter.
        task_queue: The queue to poll.
        scripts: Scripts for the scripted model (the examples' by default).
        model_activities: Use these model activities instead (e.g. pointed at a test server).
        fail_on_bugs: Fail a workflow whose code raises, instead of retrying its task until a
            fixed worker is deployed (Temporal's default, right in production); tests use it
            to fail fast.
    """
    models = model_activities or ModelActivities(scripts=scripts)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[AgentWorkflow],
        activities=[models.call_model, run_tool],
        workflow_runner=sandbox_runner(),
        workflow_failure_exception_types=[Exception] if fail_on_bugs else [],
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--address", help="Temporal frontend (default: TEMPORAL_ADDRESS or localhost:7233)"
    )
    parser.add_argument("--namespace", help="namespace (default: TEMPORAL_NAMESPACE or default)")
    parser.add_argument("--task-queue", default=default_task_queue(), help="task queue to poll")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        client = await connect(args.address, args.namespace)
    except RuntimeError as error:
        target = connect_config(args.address, args.namespace)["target_host"]
        raise SystemExit(f"error: cannot reach Temporal at {target}: {error}") from None
    logging.info("worker polling task queue %r", args.task_queue)
    await build_worker(client, args.task_queue).run()


def run_cli() -> None:
    """Entry point of `python worker.py` and the `agent-worker` command."""
    code = 0
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    except SystemExit as error:
        if isinstance(error.code, str):
            print(error.code, file=sys.stderr)
        code = error.code if isinstance(error.code, int) else 1
    exit_process(code)


if __name__ == "__main__":
    run_cli()
