"""The CLI starter: start agent runs, decide the calls they wait for, move them as files.

Usage: python starter.py [--address HOST:PORT] [--namespace NS] [--task-queue QUEUE] COMMAND ...
Commands: start, pending, approve, reject, result, export, resume, continue, demo
(`python starter.py COMMAND -h`).
"""

from __future__ import annotations

import os
import sys

from cli import main


def run_cli() -> None:
    """Entry point of `python starter.py` and the `agent-starter` command."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Exit without interpreter teardown: the SDK's Rust threads can abort a finalizing
    # interpreter ("PyGILState_Release ... must be current", temporalio/sdk-python#300),
    # which would turn a clean exit code into 134.
    os._exit(code)


if __name__ == "__main__":
    run_cli()
