"""The commands that act on agent runs: start, pending, approve, reject and result."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

from agent_continuations.agent_definitions import (
    ApproverKeyError,
    UnknownAgentError,
    decision_message,
    sign_decision,
)
from agent_continuations.agent_runs import start_run
from agent_continuations.cli._errors import CliError, report_error
from agent_continuations.cli._format import call_id, format_output, format_pending
from agent_continuations.cli._inbox import pending_everywhere
from agent_continuations.cli._runs import Run, client_for
from agent_continuations.continuations import run_output_to_json
from agent_continuations.shared import (
    DecideInput,
    JsonDict,
    ModelSettings,
    RunOptions,
    validation_problems,
)

# `start` flags for the run's activity timeouts, and the `RunOptions` field each one sets.
TIMEOUT_FLAGS = {
    "--model-timeout": "model_timeout_seconds",
    "--model-heartbeat-timeout": "model_heartbeat_seconds",
    "--tool-timeout": "tool_timeout_seconds",
    "--tool-heartbeat-timeout": "tool_heartbeat_seconds",
}


def default_approver() -> str | None:
    """The OS user name, recorded as who decided unless `--approver` says otherwise."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment or the password database
        return None


async def ask(question: str) -> bool:
    """Ask `question` on the terminal until the answer is yes or no.

    Raises:
        CliError: The input ended without an answer.
    """
    while True:
        try:
            answer = await asyncio.to_thread(input, f"{question} [y]es / [n]o: ")
        except EOFError:
            raise CliError("no decision given") from None
        if answer.strip().lower() in ("y", "yes"):
            return True
        if answer.strip().lower() in ("n", "no"):
            return False


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


async def start_and_find(
    client: Client, agent: str, prompt: str, task_queue: str, **options: Any
) -> Run:
    """Start `agent` on `prompt` with `agent_runs.start_run`'s `options` and return the new
    run; what the namespace lacks is a warning on stderr.

    Raises:
        CliError: The workflow ID is taken.
    """
    try:
        handle = await start_run(
            client, agent, prompt, task_queue=task_queue, warn=_stderr, **options
        )
    except WorkflowAlreadyStartedError:
        raise CliError(
            f"a workflow with ID {options.get('workflow_id')!r} already exists"
        ) from None
    return await Run.find(client, handle.id)


async def start(args: argparse.Namespace) -> int:
    """`start AGENT PROMPT`: print the new run's workflow ID; with `--wait`, where it got to."""
    try:
        args.catalog.get(args.agent)  # fail before connecting, without starting a doomed run
    except UnknownAgentError as error:
        raise CliError(str(error)) from None
    try:
        settings = ModelSettings.model_validate(dict(args.model_settings))
    except ValidationError as error:
        raise CliError(f"bad --model-setting: {validation_problems(error)}") from None
    client = await client_for(args)
    timeouts = {f: getattr(args, f) for f in TIMEOUT_FLAGS.values() if getattr(args, f) is not None}
    options = RunOptions.model_validate(
        {
            "exit_on_suspend": args.exit_on_suspend,
            "max_turns": args.max_turns,
            "approvers": args.approvers,
            "model_settings": settings,
            **timeouts,
        }
    )
    run = await start_and_find(
        client,
        args.agent,
        args.prompt,
        args.task_queue,
        workflow_id=args.id,
        model=args.model,
        options=options,
        agents=args.catalog,
    )
    print(run.id)
    if args.wait:
        waiting = await run.wait_for_pause(_stderr)
        if waiting:
            print(f"Waiting for a decision:\n{format_pending(waiting, run.id)}")
        else:
            print(format_output(await run.output()))
    return 0


async def pending(args: argparse.Namespace) -> int:
    """`pending ID`: the calls waiting for a decision (none once the run has ended); without
    an ID, those of every run (see `cli._inbox`)."""
    if args.workflow_id is None:
        return await pending_everywhere(args)
    if args.agent or args.tool:
        raise CliError("--agent and --tool filter the runs of `pending` without an ID")
    run = await Run.find(await client_for(args), args.workflow_id)
    waiting = await run.pending() if run.running else []
    if args.json:
        print(json.dumps(waiting, indent=2))
    elif waiting:
        print(
            f"{len(waiting)} call(s) wait for a decision in {run.id}:\n"
            f"{format_pending(waiting, run.id)}"
        )
    else:
        print(f"No call waits for a decision in {run.id} ({run.status}).")
    return 0


async def _decide(args: argparse.Namespace, approved: bool) -> int:
    every = getattr(args, "all", False)
    if every == bool(args.call_ids) or not all(args.call_ids):
        raise CliError("give either the CALL_IDs to decide (see `pending ID`) or --all")
    if args.digests and len(args.digests) != len(args.call_ids):
        raise CliError("give one --digest per CALL_ID, in the same order (see `pending ID`)")
    # Without the digests the person saw, what they decide is what this command shows now.
    if not (args.digests or args.yes or sys.stdin.isatty()):
        raise CliError(
            "no terminal to confirm the calls on: pass the --digest `pending ID` shows for each "
            "call, or --yes to decide the calls as they are now"
        )
    run = await Run.find(await client_for(args), args.workflow_id)
    if not run.running:
        raise CliError(f"workflow {run.id!r} has ended ({run.status}): nothing to decide")
    waiting = await run.pending()
    if every:
        if not waiting:
            raise CliError(f"no call waits for a decision in {run.id}")
        chosen = waiting
    else:
        # A call ID that waits nowhere (or twice) goes as it is: the workflow says why not.
        ids = [call_id(entry) for entry in waiting]
        shown = {i: entry for i, entry in zip(ids, waiting, strict=True) if ids.count(i) == 1}
        chosen = [shown.get(c, {"path_ids": None, "tool_call_id": c}) for c in args.call_ids]
    if args.digests:
        chosen = [{**e, "digest": d} for e, d in zip(chosen, args.digests, strict=True)]
    else:
        await _confirm(run.id, [entry for entry in chosen if "digest" in entry], approved, args.yes)
    # The digest binds each decision to the call as the person saw it.
    verdict = {"approved": approved, "reason": args.reason, "approver": args.approver}
    decisions = [
        DecideInput(
            path_ids=entry["path_ids"],
            tool_call_id=entry.get("tool_call_id"),
            digest=entry.get("digest"),
            signature=_signature(args.key, run.id, entry, approved),
            **verdict,
        )
        for entry in chosen
    ]
    if args.print_only:
        for decision in decisions:
            print(json.dumps(decision.model_dump(exclude={"approved"}, exclude_none=True)))
        return 0
    failures = 0
    for decision in decisions:
        try:
            print(await run.decide(decision))
        except CliError as error:
            report_error(str(error))
            failures += 1
    return 1 if failures else 0


def _signature(key: Path | None, workflow_id: str, entry: JsonDict, approved: bool) -> str | None:
    """The decision on `entry` signed with the private key in file `key`, if one is given.

    Raises:
        CliError: The key cannot be read, or the call's digest is unknown (it waits nowhere).
    """
    if key is None:
        return None
    if not entry.get("digest") or not entry.get("path_ids"):
        raise CliError(f"call {call_id(entry)!r} waits nowhere: there is nothing to sign")
    message = decision_message(workflow_id, entry["path_ids"][-1], entry["digest"], approved, None)
    try:
        return sign_decision(key.read_bytes(), message)
    except OSError as error:
        raise CliError(f"cannot read {key}: {error.strerror}") from None
    except ApproverKeyError as error:
        raise CliError(f"{key}: {error}") from None


async def _confirm(workflow_id: str, shown: list[JsonDict], approved: bool, yes: bool) -> None:
    """Show the waiting calls about to be decided; ask unless `yes`.

    Raises:
        CliError: The person said no.
    """
    if not shown:
        return
    verb = "approve" if approved else "reject"
    print(f"{len(shown)} call(s) to {verb} in {workflow_id}:\n{format_pending(shown)}")
    if not yes and not await ask(f"{verb.capitalize()} as shown?"):
        raise CliError("nothing decided")


async def approve(args: argparse.Namespace) -> int:
    """`approve ID CALL_ID... | --all`: approve through the `decide` update."""
    return await _decide(args, approved=True)


async def reject(args: argparse.Namespace) -> int:
    """`reject ID CALL_ID...`: reject through the `decide` update."""
    return await _decide(args, approved=False)


async def result(args: argparse.Namespace) -> int:
    """`result ID`: wait for the run to end and print its output."""
    run = await Run.find(await client_for(args), args.workflow_id)
    if run.running:
        _stderr(f"waiting for {run.id} to end...")
    output = await run.output()
    if args.json:
        print(json.dumps(run_output_to_json(output), indent=2))
    else:
        print(format_output(output))
    return 0
