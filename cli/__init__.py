"""The starter's command line: start agents, list and decide waiting calls, read results, demo."""

from agent_continuations.cli._main import amain, main

__all__ = ["amain", "main"]
