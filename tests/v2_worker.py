"""`worker.py` with workflow code that no longer replays the histories of today's: each level
upserts a memo as its turn loop starts, a command today's runs never gave.

The change is made by the import system, as the worker imports the workflow's modules.
Usage: python tests/v2_worker.py WORKER_ARGS...
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

CHANGED_MODULE = "agent_continuations.workflows._turn_loop"
CODE_MEMO = "agent_code"


class _ChangedLoader(importlib.machinery.SourceFileLoader):
    def exec_module(self, module: ModuleType) -> None:
        super().exec_module(module)
        workflow = module.workflow
        original = module.TurnLoop.run

        async def run(self: Any, agent: Any) -> Any:
            workflow.upsert_memo({CODE_MEMO: "v2"})
            return await original(self, agent)

        module.TurnLoop.run = run


class _ChangedFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != CHANGED_MODULE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        assert spec is not None and spec.origin is not None
        spec.loader = _ChangedLoader(fullname, spec.origin)
        return spec


def install() -> None:
    """Make the workflow code v2's; before anything imports it."""
    sys.meta_path.insert(0, _ChangedFinder())


if __name__ == "__main__":
    install()
    from agent_continuations.worker import run_cli

    run_cli()
