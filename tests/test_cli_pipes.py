"""The starter stops quietly when the reader of its output goes away (`... | head -1`)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from helpers import running_worker
from test_example_agents import PROMPT

ROOT = Path(__file__).resolve().parent.parent


async def test_a_closed_pipe_is_no_traceback(dev_server_env, address: str, task_queue: str):
    # `start --wait` prints the run's ID at once and the rest later: by then `head` has gone.
    command = (
        f"{sys.executable} starter.py --address {address} --task-queue {task_queue} "
        f"start hr_agent '{PROMPT}' --wait | head -1"
    )
    async with running_worker(dev_server_env.client, task_queue):
        done = await asyncio.to_thread(
            subprocess.run,
            ["bash", "-c", command],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.stdout.startswith("hr_agent-")
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr
