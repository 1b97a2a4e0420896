"""The CLI starter: start agent runs, decide the calls they wait for, move them as files.

Usage: agent-starter [--agents MODULE] [--address HOST:PORT] [--namespace NS]
                     [--task-queue QUEUE] COMMAND ...
(or `python starter.py ...` from a clone; `agent-starter COMMAND -h` for a command's flags)

Commands:
    start AGENT PROMPT  start an agent run and print its workflow ID
    pending [ID]        the calls waiting for a decision, in one run or in every run
    list                agent runs, newest first, with their status and what waits
    approve ID CALL_ID  approve waiting calls (or `--all`)
    reject ID CALL_ID   reject waiting calls
    result ID           wait for a run to end and print its result
    export ID           write a run's continuation as JSON (`--move` ends the run with it)
    resume FILE         check a continuation file, then start a run from it
    continue ID         send `resume` to suspended agents, optionally with a new budget
    watch ID            show a run's tree whenever it changes, until it ends or waits
    demo                run the onboarding example on a dev server, pausing for approval
"""

from __future__ import annotations

from agent_continuations.cli import main
from agent_continuations.connection import exit_process


def run_cli() -> None:
    """Entry point of `python starter.py` and the `agent-starter` command."""
    exit_process(main())


if __name__ == "__main__":
    run_cli()
