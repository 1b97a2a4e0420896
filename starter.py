"""The CLI starter: start agent runs, decide the calls they wait for, move them as files.

Usage: python starter.py [--address HOST:PORT] [--namespace NS] [--task-queue QUEUE] COMMAND ...
Commands: start, pending, approve, reject, result, export, resume, continue, demo
(`python starter.py COMMAND -h`).
"""

from __future__ import annotations

from agent_continuations.cli import main
from agent_continuations.connection import exit_process


def run_cli() -> None:
    """Entry point of `python starter.py` and the `agent-starter` command."""
    exit_process(main())


if __name__ == "__main__":
    run_cli()
