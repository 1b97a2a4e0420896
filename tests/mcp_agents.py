"""Agents with the tests' own MCP server (`mcp_test_server.py`, started over stdio), for
in-process workers (`server_agent`) and for `worker.py --agents mcp_agents` (`AGENTS`,
`SCRIPTS`, with the server's log at `MCP_TEST_LOG`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from agent_continuations.agent_definitions import Agent, StdioServer

SERVER_SCRIPT = Path(__file__).with_name("mcp_test_server.py")
LOG_ENV = "MCP_TEST_LOG"


def server_on(log: Path | str, **options: Any) -> StdioServer:
    """The test server as an agent's stdio server, logging to `log`."""
    env = {LOG_ENV: str(log), **options.pop("env", {})}
    return StdioServer(
        name=options.pop("name", "test"),
        command=sys.executable,
        args=[str(SERVER_SCRIPT)],
        env=env,
        **options,
    )


def server_agent(log: Path | str, name: str = "mcp_agent", **options: Any) -> Agent:
    """An agent whose only tools are the test server's."""
    return Agent(name=name, instructions="Use the server.", mcp_servers=[server_on(log, **options)])


def _call(name: str, **arguments: Any) -> dict[str, Any]:
    return {"tool_calls": [{"name": name, "arguments": arguments}]}


AGENTS = [server_agent(os.environ.get(LOG_ENV, "mcp-test.log"), name="mcp_worker_agent")]
SCRIPTS = {
    "mcp_worker_agent": [
        _call("slow", seconds=3),
        _call("record", text="after the slow call"),
        {"content": "done"},
    ]
}
