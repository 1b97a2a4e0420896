"""Runs a worker for your agents: the agent workflow and the model and tool activities.

Usage: python worker.py [--agents MODULE ...] [--address HOST:PORT] [--namespace NS]
                        [--task-queue QUEUE]

`--agents` (repeatable, or `AGENT_MODULES=mod1,mod2`) names the modules that register agents;
the examples by default.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from temporalio.worker import Worker

from agent_definitions import AgentModuleError, agent_module_names, load_agent_modules
from connection import add_agents_flag, connect, connect_config, default_task_queue, exit_process
from plugin import AgentPlugin


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_agents_flag(parser)
    parser.add_argument(
        "--address", help="Temporal frontend (default: TEMPORAL_ADDRESS or localhost:7233)"
    )
    parser.add_argument("--namespace", help="namespace (default: TEMPORAL_NAMESPACE or default)")
    parser.add_argument("--task-queue", default=default_task_queue(), help="task queue to poll")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        loaded = load_agent_modules(agent_module_names(args.agents))
    except AgentModuleError as error:
        raise SystemExit(f"error: {error}") from None
    try:
        client = await connect(args.address, args.namespace, AgentPlugin(scripts=loaded.scripts))
    except RuntimeError as error:
        target = connect_config(args.address, args.namespace)["target_host"]
        raise SystemExit(f"error: cannot reach Temporal at {target}: {error}") from None
    logging.info(
        "worker polling task queue %r for agents %s", args.task_queue, ", ".join(loaded.agents)
    )
    await Worker(client, task_queue=args.task_queue).run()


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
