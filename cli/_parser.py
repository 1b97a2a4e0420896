"""The starter's arguments: global connection flags and one subparser per command."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from agent_continuations.cli import _commands, _continuations, _demo, _inbox, _upgrade, _watch
from agent_continuations.connection import DEFAULT_TASK_QUEUE, add_agents_flag, default_task_queue
from agent_continuations.shared import MAX_SECONDS, ModelSettings, RunOptions
from agent_continuations.workflows import AGENT_STATUSES


def _connection_flags(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    # Subcommands accept the flags too (`pending ID --address X`); SUPPRESS keeps a value
    # given before the subcommand from being reset by the subparser's default.
    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    parser.add_argument(
        "--address",
        default=default(None),
        help="Temporal frontend (default: TEMPORAL_ADDRESS or localhost:7233)",
    )
    parser.add_argument(
        "--namespace",
        default=default(None),
        help="namespace (default: TEMPORAL_NAMESPACE or default)",
    )
    parser.add_argument(
        "--task-queue",
        default=default(default_task_queue()),
        help=f"the worker's task queue (default: TEMPORAL_TASK_QUEUE or {DEFAULT_TASK_QUEUE})",
    )


def _decision_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--digest",
        dest="digests",
        action="append",
        default=[],
        metavar="DIGEST",
        help="the digest `pending` showed for the call, one per CALL_ID in order: the run "
        "refuses the decision if the call has changed since",
    )
    parser.add_argument(
        "--yes",
        action="store_true",
        help="without --digest: decide the calls as they are now without asking (they are "
        "shown; without --digest or --yes, a terminal asks)",
    )
    parser.add_argument(
        "--key",
        type=Path,
        metavar="FILE",
        help="sign each decision with this Ed25519 private key (PEM), for tools with approvers; "
        "--approver names the key's owner",
    )
    parser.add_argument(
        "--print",
        dest="print_only",
        action="store_true",
        help="print each decision as the approve/reject signal's JSON input (to paste in the "
        "Web UI) instead of sending it",
    )
    parser.add_argument("--reason", help="why, recorded with the decision")
    parser.add_argument(
        "--approver",
        default=_commands.default_approver(),
        help="who decides, recorded with the decision (default: your user name)",
    )


def _seconds(text: str) -> float:
    """A timeout in seconds: a number above 0, at most the run options' bound."""
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not seconds > 0:  # NaN too
        raise argparse.ArgumentTypeError(f"give a number of seconds above 0, not {text!r}")
    if seconds > MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"{text!r} seconds is longer than {MAX_SECONDS}")
    return seconds


def _turns(text: str) -> int:
    """A turn budget: a whole number of model turns, at least 1."""
    try:
        turns = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if turns < 1:
        raise argparse.ArgumentTypeError(f"give at least 1 turn, not {text!r}")
    return turns


def _model_setting(text: str) -> tuple[str, object]:
    """A `KEY=VALUE` model setting; the value is JSON when it parses as JSON, else a string."""
    key, equals, raw = text.partition("=")
    if not equals or not key:
        raise argparse.ArgumentTypeError(f"give KEY=VALUE, e.g. temperature=0, not {text!r}")
    if key not in ModelSettings.model_fields:
        known = ", ".join(ModelSettings.model_fields)
        raise argparse.ArgumentTypeError(f"unknown model setting {key!r} (known: {known})")
    try:
        return key, json.loads(raw)
    except json.JSONDecodeError:
        return key, raw


def _timeout_flags(parser: argparse.ArgumentParser) -> None:
    for flag, field in _commands.TIMEOUT_FLAGS.items():
        info = RunOptions.model_fields[field]
        described = (info.description or "").rstrip(".")
        parser.add_argument(
            flag,
            dest=field,
            type=_seconds,
            metavar="SECONDS",
            help=f"{described[:1].lower()}{described[1:]}",
        )


def build_parser() -> argparse.ArgumentParser:
    """The parser of `starter.py`; each subcommand sets `command` to its coroutine function."""
    parser = argparse.ArgumentParser(
        description="Start agent runs on Temporal, decide the tool calls they wait for.",
    )
    add_agents_flag(parser)
    _connection_flags(parser, defaults=True)
    common = argparse.ArgumentParser(add_help=False)
    _connection_flags(common, defaults=False)
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    start = commands.add_parser("start", parents=[common], help="start an agent run")
    start.add_argument("agent", help="a registered agent's name, e.g. hr_agent (see --agents)")
    start.add_argument("prompt", help="the user's request")
    start.add_argument("--id", help="workflow ID (default: AGENT-<random>)")
    start.add_argument("--model", help="model for the whole run (default: the agent's)")
    start.add_argument(
        "--exit-on-suspend",
        action="store_true",
        help="when a suspension policy fires, end with the continuation (see `export`)",
    )
    _timeout_flags(start)
    start.add_argument(
        "--approvers",
        type=lambda text: [name.strip() for name in text.split(",") if name.strip()],
        default=[],
        metavar="NAME,...",
        help="who alone may decide the calls that need approval, where neither the tool nor its "
        "agent names approvers (each decision signed with --key)",
    )
    start.add_argument(
        "--max-turns",
        type=_turns,
        metavar="N",
        help="suspend each agent after N model turns (default: each agent's max_turns, 50)",
    )
    start.add_argument(
        "--model-setting",
        dest="model_settings",
        action="append",
        type=_model_setting,
        default=[],
        metavar="KEY=VALUE",
        help="a model setting for every agent of the run, over the agent's own, e.g. "
        "temperature=0 or tool_choice=required (repeatable; values are JSON when they parse)",
    )
    start.add_argument(
        "--wait",
        action="store_true",
        help="wait until the run pauses for approval or ends, and show which",
    )
    start.set_defaults(command=_commands.start)

    pending = commands.add_parser("pending", parents=[common], help="list calls waiting")
    pending.add_argument(
        "workflow_id",
        metavar="ID",
        nargs="?",
        help="the run's workflow ID (default: every run that waits, found by AgentStatus)",
    )
    pending.add_argument("--json", action="store_true", help="print the query's JSON list")
    pending.add_argument("--agent", metavar="NAME", help="without ID: only runs of this agent")
    pending.add_argument("--tool", metavar="NAME", help="without ID: only calls of this tool")
    pending.set_defaults(command=_commands.pending)

    runs = commands.add_parser("list", parents=[common], help="list agent runs, newest first")
    runs.add_argument("--status", choices=AGENT_STATUSES, help="only runs with this AgentStatus")
    runs.add_argument("--agent", metavar="NAME", help="only runs of this agent")
    runs.add_argument("--json", action="store_true", help="print the runs as JSON")
    runs.set_defaults(command=_inbox.list_runs)

    upgrade = commands.add_parser(
        "upgrade", parents=[common], help="move runs onto their deployment's current version"
    )
    upgrade.add_argument("workflow_id", nargs="?", metavar="ID", help="the run's workflow ID")
    upgrade.add_argument(
        "--all", action="store_true", help="every running run --status and --agent choose"
    )
    upgrade.add_argument("--status", choices=AGENT_STATUSES, help="with --all: this AgentStatus")
    upgrade.add_argument("--agent", metavar="NAME", help="with --all: only runs of this agent")
    upgrade.set_defaults(command=_upgrade.upgrade)

    approve = commands.add_parser("approve", parents=[common], help="approve waiting calls")
    approve.add_argument("workflow_id", metavar="ID", help="the run's workflow ID")
    approve.add_argument("call_ids", nargs="*", metavar="CALL_ID", help="call IDs from `pending`")
    approve.add_argument("--all", action="store_true", help="approve every waiting call")
    _decision_flags(approve)
    approve.set_defaults(command=_commands.approve)

    reject = commands.add_parser("reject", parents=[common], help="reject waiting calls")
    reject.add_argument("workflow_id", metavar="ID", help="the run's workflow ID")
    reject.add_argument("call_ids", nargs="+", metavar="CALL_ID", help="call IDs from `pending`")
    _decision_flags(reject)
    reject.set_defaults(command=_commands.reject)

    result = commands.add_parser("result", parents=[common], help="wait for a run's end")
    result.add_argument("workflow_id", metavar="ID", help="the run's workflow ID")
    result.add_argument("--json", action="store_true", help="print the run's output object")
    result.set_defaults(command=_commands.result)

    _continuations.add_commands(commands, common)
    _watch.add_command(commands, common)

    demo = commands.add_parser(
        "demo", parents=[common], help="run the onboarding example, pausing for approval"
    )
    demo.add_argument(
        "--decision",
        choices=["approve", "reject"],
        help="decide without asking (default: ask on a terminal, else approve)",
    )
    demo.add_argument(
        "--keep-server",
        action="store_true",
        help="leave the server and worker up and wait for a decision from the Web UI",
    )
    demo.set_defaults(command=_demo.demo)
    return parser
