"""An MCP server reached over streamable HTTP (the tests' own server, `--http PORT`)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from agent_continuations.agent_definitions import Agent, HttpServer
from agent_continuations.shared import ApprovalDecision
from agent_continuations.workflows import AgentWorkflow
from helpers import running_worker, start_agent, tool_call, tool_results, wait_for_pending
from mcp_agents import LOG_ENV, SERVER_SCRIPT


@pytest.fixture
def http_server(tmp_path: Path, unused_tcp_port: int) -> Iterator[str]:
    """The test server on a free loopback port, logging to `server.log`: its MCP URL."""
    env = {**os.environ, LOG_ENV: str(tmp_path / "server.log")}
    server = subprocess.Popen(
        [sys.executable, str(SERVER_SCRIPT), "--http", str(unused_tcp_port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", unused_tcp_port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "no server"
                time.sleep(0.1)
        yield f"http://127.0.0.1:{unused_tcp_port}/mcp"
    finally:
        server.terminate()
        server.wait(10)


async def test_an_http_server_s_tools_run_and_wait_like_any_other(
    dev_server_env: WorkflowEnvironment, task_queue: str, tmp_path: Path, http_server: str
) -> None:
    client = dev_server_env.client
    server = HttpServer(name="remote", url=http_server, headers={"X-Agent": "tests"})
    agent = Agent(name="http_agent", instructions="Use it.", mcp_servers=[server])
    scripts = {
        "http_agent": [
            {"tool_calls": [tool_call("echo", text="hi"), tool_call("record", text="it")]},
            {"content": "done"},
        ]
    }
    async with running_worker(client, task_queue, scripts, agents=[agent]):
        handle = await start_agent(client, task_queue, "http_agent", "go")
        [entry] = await wait_for_pending(handle)
        assert entry["paths"] == ["record"]
        await handle.signal(
            AgentWorkflow.approve, ApprovalDecision(tool_call_id=entry["path_ids"][0])
        )
        output = await handle.result()
    assert tool_results(output) == {"echo": "echo: hi", "record": "recorded it"}
    lines = [line.split() for line in (tmp_path / "server.log").read_text().splitlines()]
    assert [(line[0], line[-1]) for line in lines] == [
        ("echo:hi", "x-agent=tests"),
        ("record:it", "x-agent=tests"),
    ]
    assert all(line[1].startswith(f"{handle.id}/1/") for line in lines)


async def test_an_unreachable_http_server_ends_the_run_with_why(
    dev_server_env: WorkflowEnvironment, task_queue: str, unused_tcp_port: int
) -> None:
    client = dev_server_env.client
    url = f"http://127.0.0.1:{unused_tcp_port}/mcp"
    agent = Agent(
        name="http_agent", instructions="x", mcp_servers=[HttpServer(name="gone", url=url)]
    )
    scripts = {"http_agent": [{"content": "done"}]}
    async with running_worker(client, task_queue, scripts, agents=[agent]):
        output = await (await start_agent(client, task_queue, "http_agent", "go")).result()
    assert output.end_reason == "error"
    assert output.error.startswith(
        f"cannot list the tools of MCP server 'gone': MCP server 'gone' at {url} failed: "
    )
