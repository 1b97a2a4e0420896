"""Errors a person sees as one line on stderr."""

from __future__ import annotations

import sys


class CliError(Exception):
    """An error the command line reports as one line, exiting non-zero."""


def report_error(message: str) -> None:
    """Print `error: <message>` on stderr, on one line."""
    print(f"error: {' '.join(message.split())}", file=sys.stderr)
