"""The commands that move runs as continuation files: export, resume, and continue."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import WorkflowAlreadyStartedError

from agent_continuations.agent_runs import (
    ExportError,
    export_run,
    start_imported,
    with_search_attributes,
)
from agent_continuations.cli._commands import default_approver
from agent_continuations.cli._errors import CliError
from agent_continuations.cli._runs import Run, client_for
from agent_continuations.continuations import (
    SEAL_KEY_ENV,
    ContinuationFormatError,
    ContinuationImportError,
    ImportedContinuation,
    import_continuation,
    loads_continuation,
    seal_key_from_env,
)
from agent_continuations.frameworks.openai_agents import (
    RunStateError,
    continuation_from_run_state,
    is_run_state,
    run_state_from_continuation,
)
from agent_continuations.shared import (
    MAX_SECONDS,
    BudgetInput,
    JsonDict,
    ResumeSignalInput,
    RunOptions,
)
from agent_continuations.workflows import AgentWorkflow

OPENAI_AGENTS_FORMAT = "openai-agents"
PYDANTIC_AI_FORMAT = "pydantic-ai"


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


async def export(args: argparse.Namespace) -> int:
    """`export ID [-o FILE] [--move]`: write the run's continuation as JSON (sealed when a key
    is set); `--move` ends the run in the same step."""
    client = await client_for(args)
    run = await Run.find(client, args.workflow_id)  # one clear line for an unknown ID
    key = seal_key_from_env()
    sdk = args.format == OPENAI_AGENTS_FORMAT
    if args.move and args.format == PYDANTIC_AI_FORMAT and run.running:
        # A Pydantic AI file holds one level: moving out a sub-agent's would drop its parents.
        waiting = _to_pydantic_ai(await export_run(client, args.workflow_id), args)
        if "path" in waiting:
            raise CliError(
                "--move --format pydantic-ai: the run waits inside a sub-agent, and a Pydantic AI "
                "file cannot hold its parents: export without --move"
            )
    try:
        if sdk and args.move:  # check it converts before the run ends with it
            await run_state_from_continuation(await export_run(client, args.workflow_id))
        output = await export_run(client, args.workflow_id, key=key, move=args.move)
        reason = output["end_reason"]
        if sdk:
            output = await run_state_from_continuation(output)
    except (ExportError, RunStateError) as error:
        raise CliError(str(error)) from None
    except WorkflowUpdateFailedError as error:
        raise CliError(f"refused: {getattr(error.cause, 'message', None) or error.cause}") from None
    if args.format == PYDANTIC_AI_FORMAT:
        output = _to_pydantic_ai(output, args)
    text = json.dumps(output, indent=2, ensure_ascii=False) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    where = f" to {args.output}" if args.output else ""
    if sdk:
        print(f"exported OpenAI Agents SDK RunState{where} (unsealed)", file=sys.stderr)
    else:
        seal = "sealed" if key else f"unsealed: set {SEAL_KEY_ENV} to seal exports"
        if args.format == PYDANTIC_AI_FORMAT:
            seal = "as a Pydantic AI run, unsealed"
        print(f"exported {reason} continuation{where} ({seal})", file=sys.stderr)
    if args.move and run.running:
        print(
            f"moved: run {run.id} has ended with this continuation (also in its result); "
            "`resume` the file to go on",
            file=sys.stderr,
        )
    return 0


PYDANTIC_AI_EXTRA = "pip install 'agent-continuations-temporal[pydantic-ai]'"


def _pydantic_ai_run(data: Any) -> bool:
    """Whether a file holds a paused Pydantic AI run: its message history (a list of
    requests and responses) or `{"messages", "deferred_tool_requests"}`."""
    if isinstance(data, dict):
        return "deferred_tool_requests" in data and "messages" in data
    return (
        isinstance(data, list)
        and bool(data)
        and all(isinstance(m, dict) and m.get("kind") in ("request", "response") for m in data)
    )


def _from_pydantic_ai(data: Any, file: str) -> Any:
    """A paused Pydantic AI run as our continuation.

    Raises:
        CliError: The extra is not installed, or the run cannot move in.
    """
    try:
        from agent_continuations.frameworks.pydantic_ai import pydantic_ai_continuation
    except ImportError:
        raise CliError(f"{file}: a Pydantic AI run needs the extra: {PYDANTIC_AI_EXTRA}") from None
    try:
        return pydantic_ai_continuation(data)
    except ValueError as error:
        raise CliError(f"{file}: a Pydantic AI run that cannot resume here: {error}") from None


def _to_pydantic_ai(output: JsonDict, args: argparse.Namespace) -> JsonDict:
    """A waiting run's continuation as a Pydantic AI file.

    Raises:
        CliError: The extra is not installed, or the run does not wait at one level.
    """
    try:
        from agent_continuations.frameworks.pydantic_ai import to_pydantic_ai
    except ImportError:
        raise CliError(f"--format pydantic-ai: install the extra: {PYDANTIC_AI_EXTRA}") from None
    try:
        return to_pydantic_ai(output, getattr(args, "catalog", None))
    except ValueError as error:
        raise CliError(f"run {args.workflow_id} has no Pydantic AI form: {error}") from None


def _import_file(args: argparse.Namespace) -> ImportedContinuation:
    """Read and check the file `resume` names, all before any server is involved.

    Raises:
        CliError: The file cannot be read or resumed; one line saying why.
    """
    try:
        raw = Path(args.file).read_bytes()
    except OSError as error:
        raise CliError(f"cannot read {args.file}: {error.strerror}") from None
    try:
        data = loads_continuation(raw)
        if is_run_state(data):  # a paused OpenAI Agents SDK run
            data = continuation_from_run_state(data, args.catalog)
        elif _pydantic_ai_run(data):
            data = _from_pydantic_ai(data, args.file)
        return import_continuation(
            data,
            args.catalog,
            agent=args.agent,
            key=seal_key_from_env(),
            allow_unsealed=args.allow_unsealed,
            resumed_by=args.approver,
            source=Path(args.file).name,
        )
    except (ContinuationFormatError, ContinuationImportError, RunStateError) as error:
        raise CliError(f"{args.file}: {error}") from None


async def resume(args: argparse.Namespace) -> int:
    """`resume FILE`: check a continuation file, then start a run from it; print its ID."""
    imported = _import_file(args)
    if imported.dropped_decisions:
        print(
            f"note: {args.file} is unsealed, so its {imported.dropped_decisions} earlier "
            "decision record(s) are not taken into the run's record",
            file=sys.stderr,
        )
    client = await client_for(args)
    options = RunOptions(exit_on_suspend=args.exit_on_suspend)
    try:
        handle = await start_imported(
            client,
            imported,
            task_queue=args.task_queue,
            workflow_id=args.id,
            model=args.model,
            options=await with_search_attributes(client, options, _stderr),
            key=seal_key_from_env(),
            agents=args.catalog,
        )
    except WorkflowAlreadyStartedError:
        raise CliError(f"a workflow with ID {args.id!r} already exists") from None
    print(handle.id)
    return 0


def _budget(args: argparse.Namespace) -> BudgetInput:
    """The new budget `continue`'s flags give, checked before connecting.

    Raises:
        CliError: A flag's value is not above 0 (or is longer than the run options allow).
    """
    for flag, value in (("--turns", args.turns), ("--tokens", args.tokens)):
        if value is not None and value < 1:
            raise CliError(f"{flag} must be at least 1, not {value}")
    seconds = args.seconds
    if seconds is not None and not 0 < seconds <= MAX_SECONDS:  # NaN too
        raise CliError(f"--seconds must be above 0 and at most {MAX_SECONDS}, not {seconds:g}")
    return BudgetInput(turns=args.turns, tokens=args.tokens, duration_seconds=seconds)


async def continue_run(args: argparse.Namespace) -> int:
    """`continue ID`: send the `resume` signal to suspended levels, optionally with a budget."""
    budget = _budget(args)
    run = await Run.find(await client_for(args), args.workflow_id)
    if not run.running:
        raise CliError(f"workflow {run.id!r} has ended ({run.status}): resume its export instead")
    await run.handle.signal(
        AgentWorkflow.resume, ResumeSignalInput(path_ids=args.path_ids, budget=budget)
    )
    print(f"sent resume to {run.id}")
    return 0


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `export`, `resume` and `continue` to the starter's subcommands."""
    exporter = commands.add_parser("export", parents=[common], help="write a run's continuation")
    exporter.add_argument("workflow_id", metavar="ID", help="the run's workflow ID")
    exporter.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    exporter.add_argument(
        "--move",
        action="store_true",
        help="end the run in the same step, so the file is its only live copy",
    )
    exporter.add_argument(
        "--format",
        choices=["continuation", OPENAI_AGENTS_FORMAT, PYDANTIC_AI_FORMAT],
        default="continuation",
        help="a continuation (default); a RunState for the OpenAI Agents SDK's "
        "RunState.from_json (a run of SDK agents waiting for approval); or pydantic-ai: the "
        "waiting level as {messages, deferred_tool_requests}, for Pydantic AI's "
        "agent.run(message_history=..., deferred_tool_results=...)",
    )
    exporter.set_defaults(command=export)

    resumer = commands.add_parser("resume", parents=[common], help="start a run from a file")
    resumer.add_argument("file", metavar="FILE", help="a continuation (ours or the prototype's)")
    resumer.add_argument("--id", help="workflow ID (default: AGENT-resumed-<random>)")
    resumer.add_argument("--model", help="model for the whole run (default: the agents')")
    resumer.add_argument("--agent", help="the root agent, if the file does not say")
    resumer.add_argument(
        "--exit-on-suspend", action="store_true", help="end with the continuation when suspended"
    )
    resumer.add_argument(
        "--approver",
        default=default_approver(),
        help="who resumes, recorded as the approver of the file's decisions (default: your "
        "user name)",
    )
    resumer.add_argument(
        "--allow-unsealed",
        action="store_true",
        help=f"resume an unsealed file although {SEAL_KEY_ENV} is set (the run records it)",
    )
    resumer.set_defaults(command=resume)

    waker = commands.add_parser("continue", parents=[common], help="resume suspended agents")
    waker.add_argument("workflow_id", metavar="ID", help="the run's workflow ID")
    waker.add_argument(
        "--path-ids", nargs="*", help="only this level: call IDs from the root ([] = the root)"
    )
    waker.add_argument("--turns", type=int, help="new budget: model turns")
    waker.add_argument("--tokens", type=int, help="new budget: tokens")
    waker.add_argument("--seconds", type=float, help="new budget: seconds of run time")
    waker.set_defaults(command=continue_run)
