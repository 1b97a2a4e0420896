"""Parsing the command line, running one command and turning failures into one line."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Sequence

from temporalio.exceptions import TemporalError

from agent_continuations.agent_definitions import (
    AgentCatalog,
    AgentModuleError,
    agent_module_names,
    load_agent_modules,
)
from agent_continuations.cli._errors import CliError, report_error
from agent_continuations.cli._parser import build_parser
from agent_continuations.storage import PAYLOAD_STORE_ENV, PayloadStoreError


async def amain(argv: Sequence[str] | None = None) -> int:
    """Run the command `argv` names, in the running event loop.

    Args:
        argv: The arguments after the program name (default: `sys.argv[1:]`).

    Returns:
        The exit code: 0 on success, 1 when the command failed, 2 on a usage error.
    """
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit:
        return exit.code if isinstance(exit.code, int) else 2
    try:
        args.loaded = load_agent_modules(agent_module_names(args.agents))
        args.catalog = AgentCatalog(args.loaded.agents)
        return await args.command(args)
    except (CliError, AgentModuleError, ValueError) as error:
        report_error(str(error))
    except TemporalError as error:
        report_error(f"Temporal: {getattr(error, 'message', None) or error}")
    except PayloadStoreError as error:
        report_error(f"payload store ({PAYLOAD_STORE_ENV}): {error}")
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command `argv` names in a new event loop; see `amain`.

    SIGTERM stops a command like Ctrl-C does, so the demo still stops the server it started.
    """
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return asyncio.run(amain(argv))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`starter.py ... | head`): stop quietly, as other tools do, and
        # keep the final flush from raising again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
