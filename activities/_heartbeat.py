"""Heartbeats while an activity works, so a dead worker's call moves to another worker fast."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from temporalio import activity

# Beat this many times per heartbeat timeout: one lost beat does not time the call out.
BEATS_PER_TIMEOUT = 3


@asynccontextmanager
async def heartbeating() -> AsyncIterator[None]:
    """Heartbeat in the background for the duration of the block.

    The event loop must stay free: run blocking work in a thread (`asyncio.to_thread`).
    Without a heartbeat timeout on the activity, or outside an activity (a direct call),
    nothing is sent.
    """
    timeout = activity.info().heartbeat_timeout if activity.in_activity() else None
    if not timeout:
        yield
        return

    # The first beat after a third of the timeout: a call that ends sooner sends none, so a
    # fast model or tool call costs the server no heartbeat (the timeout runs from the start).
    async def beat() -> None:
        while True:
            await asyncio.sleep(timeout.total_seconds() / BEATS_PER_TIMEOUT)
            activity.heartbeat()

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
