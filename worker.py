"""Runs a worker for your agents: the agent workflow and the model and tool activities.

Usage: python worker.py [--agents MODULE ...] [--address HOST:PORT] [--namespace NS]
                        [--task-queue QUEUE] [--max-cached-workflows N]
                        [--max-concurrent-workflow-tasks N] [--max-concurrent-activities N]
                        [--deployment NAME --build-id ID]

`--agents` (repeatable, or `AGENT_MODULES=mod1,mod2`) names the modules whose `Agent` objects
it runs (module-level ones, or the module's `AGENTS` list); the package's examples by default.
Agents that name no model use `AGENT_MODEL` unless a run names one; a module's `SCRIPTS` play
on the offline model `scripted`. Tools pinned to a task queue (`@tool(task_queue=...)`) run
only on a worker started with `--task-queue` that queue.

The last three flags (or `AGENT_WORKER_MAX_CACHED_WORKFLOWS`,
`AGENT_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS`, `AGENT_WORKER_MAX_CONCURRENT_ACTIVITIES`) set the
Temporal `Worker` parameters of the same names, positive integers (at least 2 workflow tasks);
unset, the SDK's defaults.

`--deployment` and `--build-id` (or `AGENT_WORKER_DEPLOYMENT`, `AGENT_WORKER_BUILD_ID`), both or
neither, run the worker as that Worker Deployment Version: each run stays on the version that
started it until `agent-starter upgrade` moves it (see the README's "Deploying a new version").
Without them the worker is unversioned.

Large payloads go to the store `AGENT_PAYLOAD_STORE` names (a directory, by default
`~/.local/share/agent-continuations/payloads`, or a `postgresql://` URL): the worker checks it
at start. `AGENT_MAX_RESULT_BYTES` caps a tool result or model reply (64 MB at most).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Mapping
from typing import TypedDict, cast

from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.worker import Worker, WorkerDeploymentConfig

from agent_continuations.activities import max_result_bytes
from agent_continuations.agent_definitions import (
    WORKER_SECRETS_ENV,
    AgentModuleError,
    ApproverKeys,
    LoadedAgents,
    WorkerSecrets,
    agent_module_names,
    load_agent_modules,
)
from agent_continuations.connection import (
    add_agents_flag,
    connect,
    connect_config,
    default_task_queue,
    exit_process,
)
from agent_continuations.continuations import seal_key_from_env
from agent_continuations.plugin import AgentPlugin
from agent_continuations.storage import PAYLOAD_STORE_ENV, PayloadStoreError, check_payload_store
from agent_continuations.testing import scripted_model_activities

# `Worker` parameters a flag or environment variable may set, with their least value; unset ones
# keep the SDK's default. A worker that caches workflows (this one always does) with one
# workflow task slot polls no sticky queue beside the shared one and stalls: the SDK asks for two.
WORKER_OPTIONS = {
    "max_cached_workflows": 1,
    "max_concurrent_workflow_tasks": 2,
    "max_concurrent_activities": 1,
}
ENV_PREFIX = "AGENT_WORKER_"
# A run stays on the version that started it until `agent-starter upgrade` moves it.
PINNED_BY_DEFAULT = VersioningBehavior.PINNED
MODEL_ENV = "AGENT_MODEL"


class WorkerOptions(TypedDict, total=False):
    """The `Worker` keyword arguments of `WORKER_OPTIONS` that are set."""

    max_cached_workflows: int
    max_concurrent_workflow_tasks: int
    max_concurrent_activities: int


def option_flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def option_env(name: str) -> str:
    return ENV_PREFIX + name.upper()


def add_worker_option_flags(parser: argparse.ArgumentParser) -> None:
    """The `--max-...` flags of `WORKER_OPTIONS`, read as text and checked by `worker_options`."""
    for name in WORKER_OPTIONS:
        parser.add_argument(
            option_flag(name),
            dest=name,
            metavar="N",
            help=f"the Worker's {name} (default: {option_env(name)} or the SDK's default)",
        )


def worker_options(
    args: argparse.Namespace, environ: Mapping[str, str] = os.environ
) -> WorkerOptions:
    """The `Worker` keyword arguments the flags, else the environment, set.

    Raises:
        ValueError: A value is not a positive integer; the message names where it came from.
    """
    options: dict[str, int] = {}
    for name, least in WORKER_OPTIONS.items():
        source, text = option_flag(name), getattr(args, name, None)
        if text is None:  # an empty variable counts as unset
            source, text = option_env(name), environ.get(option_env(name)) or None
        if text is None:
            continue
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < least:
            wanted = "a positive integer" if least == 1 else f"an integer of at least {least}"
            raise ValueError(f"{source} must be {wanted}, not {text!r}")
        options[name] = value
    return cast(WorkerOptions, options)


def deployment_config(
    args: argparse.Namespace, environ: Mapping[str, str] = os.environ
) -> WorkerDeploymentConfig | None:
    """The Worker Deployment Version `--deployment` and `--build-id` (else the environment)
    name; None, for an unversioned worker, when neither is set.

    Raises:
        ValueError: Only one is set, or the deployment name holds a dot.
    """
    name = args.deployment or environ.get(option_env("deployment")) or None
    build_id = args.build_id or environ.get(option_env("build_id")) or None
    if name is None and build_id is None:
        return None
    if name is None or build_id is None:
        raise ValueError(
            f"--deployment ({option_env('deployment')}) and --build-id "
            f"({option_env('build_id')}) go together: set both or neither"
        )
    if "." in name:  # the server writes a version as `<deployment>.<build ID>`
        raise ValueError(f"the deployment name may not hold a dot: {name!r}")
    return WorkerDeploymentConfig(
        version=WorkerDeploymentVersion(deployment_name=name, build_id=build_id),
        use_worker_versioning=True,
        default_versioning_behavior=PINNED_BY_DEFAULT,
    )


def build_parser() -> argparse.ArgumentParser:
    """The worker's command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_agents_flag(parser)
    parser.add_argument(
        "--address", help="Temporal frontend (default: TEMPORAL_ADDRESS or localhost:7233)"
    )
    parser.add_argument("--namespace", help="namespace (default: TEMPORAL_NAMESPACE or default)")
    parser.add_argument("--task-queue", default=default_task_queue(), help="task queue to poll")
    add_worker_option_flags(parser)
    parser.add_argument(
        "--deployment",
        metavar="NAME",
        help=f"Worker Deployment to run a version of (default: {option_env('deployment')})",
    )
    parser.add_argument(
        "--build-id",
        metavar="ID",
        help=f"this worker's Build ID in --deployment (default: {option_env('build_id')})",
    )
    return parser


def worker_plugin(loaded: LoadedAgents, environ: Mapping[str, str] = os.environ) -> AgentPlugin:
    """The plugin for the loaded agents: their model, else `AGENT_MODEL`; the secrets of
    `AGENT_WORKER_SECRETS`; the approvers' keys of `AGENT_APPROVER_KEYS`; the seal key of
    `CONTINUATION_SEAL_KEY`; the modules' `SCRIPTS` play on the model `scripted`.

    Raises:
        ValueError: Two different agents have the same name, the secrets are malformed, or an
            approver's key is missing or unreadable.
    """
    scripted = scripted_model_activities(loaded.scripts) if loaded.scripts else None
    default_model = environ.get(MODEL_ENV) or None
    return AgentPlugin(
        loaded.agents,
        default_model=default_model,
        secrets=WorkerSecrets.from_env(environ),
        approver_keys=ApproverKeys.from_env(environ),
        seal_key=seal_key_from_env(environ),
        model_activities=scripted,
    )


async def main() -> None:
    args = build_parser().parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        options = worker_options(args)
        deployment = deployment_config(args)
    except ValueError as error:
        raise SystemExit(f"error: {error}") from None
    try:
        max_result_bytes()  # checked now, not at the first tool result
    except ValueError as error:
        raise SystemExit(f"error: {error}") from None
    try:
        loaded = load_agent_modules(agent_module_names(args.agents))
    except AgentModuleError as error:
        raise SystemExit(f"error: {error}") from None
    try:
        plugin = worker_plugin(loaded)
    except ValueError as error:
        raise SystemExit(f"error: {error}") from None
    try:
        client = await connect(args.address, args.namespace, plugin)
    except RuntimeError as error:
        target = connect_config(args.address, args.namespace)["target_host"]
        raise SystemExit(f"error: cannot reach Temporal at {target}: {error}") from None
    try:
        await check_payload_store(client.data_converter.external_storage)
    except PayloadStoreError as error:
        raise SystemExit(f"error: {error} (set {PAYLOAD_STORE_ENV})") from None
    if not plugin.agents.secrets:
        logging.warning(
            "%s is unset: tree tokens and sub-agent IDs are drawn from the run ID, and any "
            "workflow on this task queue may run tools that need approval",
            WORKER_SECRETS_ENV,
        )
    version = deployment.version.to_canonical_string() if deployment else "unversioned"
    logging.info(
        "worker polling task queue %r for agents %s (%s)%s",
        args.task_queue,
        ", ".join(plugin.agents.names()),
        version,
        "".join(f", {name}={value}" for name, value in options.items()),
    )
    worker = Worker(client, task_queue=args.task_queue, deployment_config=deployment, **options)
    # SIGTERM (how process managers stop a worker) shuts it down as Ctrl-C does: the server
    # hears it, so its runs go to other workers at once instead of after a sticky timeout.
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    await worker.run()


def run_cli() -> None:
    """Entry point of `python worker.py` and the `agent-worker` command."""
    code = 0
    try:
        asyncio.run(main())
    except (KeyboardInterrupt, asyncio.CancelledError):
        pass
    except SystemExit as error:
        if isinstance(error.code, str):
            print(error.code, file=sys.stderr)
        code = error.code if isinstance(error.code, int) else 1
    exit_process(code)


if __name__ == "__main__":
    run_cli()
