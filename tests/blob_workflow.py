"""A workflow whose result is too large for history: it returns an activity's blob of text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow


@dataclass
class BlobInput:
    """How many characters the blob has."""

    size: int


@activity.defn(name="make_blob")
async def make_blob(request: BlobInput) -> str:
    """A blob of `size` characters, different on every line so no codec could shrink it away."""
    lines = (f"{n:09d}\n" for n in range(request.size // 10 + 1))
    return "".join(lines)[: request.size]


@workflow.defn(name="BlobWorkflow")
class BlobWorkflow:
    """Returns the blob `make_blob` made."""

    @workflow.run
    async def run(self, request: BlobInput) -> str:
        return await workflow.execute_activity(
            make_blob, request, start_to_close_timeout=timedelta(seconds=30)
        )
