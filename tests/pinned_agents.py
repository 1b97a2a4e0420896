"""An agent whose one tool is pinned to a task queue of its own, for the two-worker test.

`PINNED_TOOL_QUEUE` names that queue; both worker processes must see the same value.
"""

from __future__ import annotations

import os

from agent_continuations import Agent, tool

PINNED_QUEUE = os.environ.get("PINNED_TOOL_QUEUE", "pinned-tools")


@tool
def local_process() -> str:
    """Tell which process runs this tool."""
    return f"pid {os.getpid()}"


@tool(task_queue=PINNED_QUEUE)
def credentials_process() -> str:
    """Tell which process runs this tool, where the credentials are."""
    return f"pid {os.getpid()}"


pinned_agent = Agent(
    name="pinned_agent",
    instructions="Ask both tools where they run.",
    tools=[local_process, credentials_process],
)

SCRIPTS = {
    "pinned_agent": [
        {
            "tool_calls": [
                {"id": "call_local", "name": "local_process", "arguments": {}},
                {"id": "call_pinned", "name": "credentials_process", "arguments": {}},
            ]
        },
        {"content": "Both answered."},
    ]
}
