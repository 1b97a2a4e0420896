"""`agent-starter watch ID`: a run's tree as it goes, read from queries (no history events)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from temporalio.client import Client

from agent_continuations.cli._format import format_output, format_pending
from agent_continuations.cli._runs import WORKER_TIMEOUT, Run, client_for
from agent_continuations.workflows import AgentState, AgentWorkflow, ToolCallState

CALL_WORDS = {
    "pending": "starting",
    "waiting_approval": "waits for a decision",
    "running": "running",
    "done": "done",
    "rejected": "rejected",
    "skipped": "skipped",
    "parked": "parked",
}


async def _state(client: Client, workflow_id: str) -> AgentState:
    handle = client.get_workflow_handle_for(AgentWorkflow.run, workflow_id)
    return await handle.query(AgentWorkflow.get_summary, rpc_timeout=WORKER_TIMEOUT)


async def _tree_lines(client: Client, workflow_id: str, depth: int = 0) -> list[str]:
    """One line per level and per call of its current turn, sub-agents nested below."""
    state = await _state(client, workflow_id)
    indent = "  " * depth
    tokens = state.total_tokens + state.sub_agents_usage.total_tokens
    head = f"{indent}{state.agent} ({workflow_id}): turn {state.model_turns}, {tokens} tokens"
    if state.suspend_list:
        head += f", suspended by {', '.join(state.suspend_list)}"
    lines = [head]
    for call in state.turn_calls:
        lines.append(f"{indent}  {call.name} ({call.id}): {_call_words(call)}")
        if call.kind == "sub_agent" and call.status == "running" and call.child_workflow_id:
            lines += await _tree_lines(client, call.child_workflow_id, depth + 2)
    return lines


def _call_words(call: ToolCallState) -> str:
    words = CALL_WORDS[call.status]
    if call.decision is not None and call.status == "waiting_approval":
        words = "decided, about to run"
    return words


def _suspended(lines: list[str]) -> bool:
    return any(", suspended by " in line for line in lines)


async def watch(args: argparse.Namespace) -> int:
    """`watch ID`: print the run's tree whenever it changes, until it ends or waits for a
    person; then say what to send."""
    client = await client_for(args)
    run = await Run.find(client, args.workflow_id)
    shown: list[str] = []
    while run.running:
        lines = await _tree_lines(client, run.id)
        if lines != shown:
            print("\n".join(lines), flush=True)
            shown = lines
        waiting = await run.pending()
        if waiting:
            print(f"Waits for a decision:\n{format_pending(waiting, run.id)}")
            print(f"Reject with: agent-starter reject {run.id} CALL_ID --digest DIGEST")
            return 0
        if _suspended(lines):
            print(f"Suspended: send `resume` with `agent-starter continue {run.id}`")
            return 0
        await asyncio.sleep(args.interval)
        run.description = await run.handle.describe()
    print(format_output(await run.output()))
    return 0


def _interval(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0.1 <= seconds <= 3600:
        raise argparse.ArgumentTypeError(f"give 0.1 to 3600 seconds, not {text!r}")
    return seconds


def add_command(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add `watch` to the starter's subcommands."""
    watcher = commands.add_parser("watch", parents=[common], help="follow a run's tree")
    watcher.add_argument("workflow_id", metavar="ID", help="the run's workflow ID")
    watcher.add_argument(
        "--interval",
        type=_interval,
        default=1.0,
        metavar="SECONDS",
        help="how often to look (default: 1)",
    )
    watcher.set_defaults(command=watch)
