"""`agent-starter demo`: the onboarding example end to end, pausing for a person's approval."""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
from urllib.parse import quote

from temporalio.client import Client
from temporalio.worker import Worker

from agent_continuations.agent_definitions import (
    DEFAULT_AGENT_MODULES,
    AgentCatalog,
    load_agent_modules,
)
from agent_continuations.cli._commands import ask, default_approver, start_and_find
from agent_continuations.cli._dev_server import demo_server, ui_url
from agent_continuations.cli._format import approve_command, format_output, format_pending
from agent_continuations.cli._runs import connect_client
from agent_continuations.connection import connect_config
from agent_continuations.plugin import AgentPlugin
from agent_continuations.shared import AgentRunOutput, DecideInput, JsonDict
from agent_continuations.testing import SCRIPTED_MODEL, scripted_model_activities
from agent_continuations.workflows import decision_signal_input

AGENT = "hr_agent"
PROMPT = "Onboard our new colleague stzhang, their email is stzhang@example.com, username: stzhang."
DEFAULT_TARGET = "localhost:7233"


def signal_hints(workflow_id: str, entry: JsonDict, target: str, namespace: str) -> list[str]:
    """How a person decides `entry` from the Web UI or a shell."""
    signal_input = json.dumps(decision_signal_input(entry))
    command = ["temporal", "workflow", "signal", "--workflow-id", workflow_id, "--name", "approve"]
    command += ["--input", signal_input]
    if target != DEFAULT_TARGET:
        command += ["--address", target]
    if namespace != "default":
        command += ["--namespace", namespace]
    ui = ui_url(target)
    link = f"{ui}/namespaces/{quote(namespace)}/workflows/{quote(workflow_id, safe='')}"
    return [
        f"Web UI: {link}" if ui else "Web UI: open this workflow in your Temporal Web UI.",
        f"To decide in the Web UI, send this workflow the signal `approve` (or `reject`) "
        f"with the input {signal_input}",
        f"or from a shell:  {shlex.join(command)}",
        f"             or:  {approve_command(workflow_id, entry)}",
    ]


async def _verdict(decision: str | None) -> bool:
    if decision:
        print(f"Deciding {decision} (--decision {decision}).")
        return decision == "approve"
    if sys.stdin.isatty():
        return await ask("Approve this call?")
    print("No terminal to ask on: approving.")
    return True


async def run_demo(
    client: Client,
    task_queue: str,
    target: str,
    decision: str | None,
    keep: bool = False,
    agents: AgentCatalog | None = None,
) -> AgentRunOutput:
    """Run `hr_agent` on the onboarding prompt, show each pause, decide it, show the result.

    Args:
        client: A client for the server a worker polls `task_queue` on.
        task_queue: Where the run's workflow and activities go.
        target: The server's address, for the Web UI link and the shell commands shown.
        decision: `approve` or `reject` to decide without asking; None to ask on a terminal
            (approving when there is none).
        keep: Do not decide: wait for a person to decide from the Web UI or a shell.
        agents: The agents, for the run's page in the Web UI to show their tree.
    """
    run = await start_and_find(client, AGENT, PROMPT, task_queue, agents=agents)
    print(f"Started {AGENT} as workflow {run.id} on task queue {task_queue}.")
    print(f"Prompt: {PROMPT}")
    print("Waiting for the agents to reach a call that needs approval...")
    while waiting := await run.wait_for_pause(print):
        print(f"\nThe run is paused: {len(waiting)} call(s) wait for a decision.")
        print(format_pending(waiting))
        for entry in waiting:
            print("\n" + "\n".join(signal_hints(run.id, entry, target, client.namespace)))
        if keep:
            print("\nWaiting for someone to decide (Ctrl-C stops the worker)...")
            break
        approved = await _verdict(decision)
        approver = default_approver()
        for entry in waiting:
            verdict = DecideInput(
                path_ids=entry["path_ids"],
                approved=approved,
                approver=approver,
                digest=entry["digest"],
            )
            print(await run.decide(verdict))
        print("Waiting for the run to finish...")
    output = await run.output()
    print(f"\nThe run has ended.\n{format_output(output)}")
    return output


async def demo(args: argparse.Namespace) -> int:
    """`demo`: run the onboarding example on the configured server, or on a dev server."""
    target = connect_config(args.address, args.namespace)["target_host"]
    async with demo_server(target, args.keep_server, print) as server:
        if args.keep_server and server:
            print(
                f"--keep-server: the dev server stays up after the demo (data in "
                f"{server.data_dir}); stop it with `kill {server.process.pid}`."
            )
        # The demo runs the examples on the scripted model, whatever --agents loaded.
        examples = load_agent_modules(DEFAULT_AGENT_MODULES)
        plugin = AgentPlugin(
            examples.agents,
            default_model=SCRIPTED_MODEL,
            model_activities=scripted_model_activities(examples.scripts),
        )
        client = await connect_client(args.address, args.namespace, plugin)
        async with Worker(client, task_queue=args.task_queue):
            await run_demo(
                client, args.task_queue, target, args.decision, args.keep_server, plugin.agents
            )
            if args.keep_server:
                print(f"\nThe worker keeps polling task queue {args.task_queue}: Ctrl-C stops it.")
                await asyncio.Event().wait()
    return 0
