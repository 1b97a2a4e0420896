"""`agent-starter demo`: on a dev server it starts itself, and its flow on the dev server."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from agent_continuations.cli import amain
from agent_continuations.cli._demo import run_demo, signal_hints
from agent_continuations.shared import call_digest
from agent_continuations.workflows import AgentWorkflow, decision_signal_input
from helpers import running_worker

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60


def free_port_pair() -> int:
    """A port P such that P (gRPC) and P + 1000 (Web UI) are both free."""
    while True:
        with socket.socket() as grpc, socket.socket() as ui:
            grpc.bind(("127.0.0.1", 0))
            port = grpc.getsockname()[1]
            try:
                ui.bind(("127.0.0.1", port + 1000))
            except OSError:
                continue
            return port


def found(pattern: str, text: str) -> str:
    """The first group of `pattern` in `text`, which must match."""
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not in {text!r}"
    return match[1]


def accepts_connections(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_demo_starts_a_dev_server_and_stops_it():
    port = free_port_pair()
    demo = subprocess.Popen(
        [sys.executable, "starter.py", "--address", f"localhost:{port}", "demo"],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        out, _ = demo.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        demo.send_signal(signal.SIGINT)  # lets the demo stop the server it started
        out, _ = demo.communicate(timeout=15)
        pytest.fail(f"the demo did not finish within {TIMEOUT} s:\n{out}")
    assert demo.returncode == 0, out
    assert f"No Temporal server at localhost:{port}: starting the dev server" in out
    assert "  account_agent_tool > authorize_account\n" in out
    assert 'arguments: {"username": "stzhang", "security_level": 2}' in out
    workflow_id = found(r"as workflow (\S+) ", out)
    assert f"http://localhost:{port + 1000}/namespaces/default/workflows/{workflow_id}" in out
    assert re.search(
        r'signal `approve` \(or `reject`\) with the input \{"tool_call_id": "call_', out
    )
    assert "No terminal to ask on: approving." in out
    assert "end_reason: completed\nresult: stzhang is onboarded" in out
    assert not accepts_connections(port)


async def test_demo_uses_a_running_server(dev_server_env: WorkflowEnvironment, task_queue, capsys):
    address = dev_server_env.client.service_client.config.target_host
    argv = ["--address", address, "--task-queue", task_queue, "demo", "--decision", "approve"]
    async with asyncio.timeout(TIMEOUT):
        assert await amain(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Using the Temporal server at {address}.")
    assert "Deciding approve (--decision approve)." in out
    assert "end_reason: completed" in out


async def test_demo_reject(dev_server_env: WorkflowEnvironment, task_queue, capsys):
    client = dev_server_env.client
    async with running_worker(client, task_queue), asyncio.timeout(TIMEOUT):
        output = await run_demo(client, task_queue, "localhost:7233", "reject")
    assert output.end_reason == "rejected_tool_calls"
    [decision] = output.decisions
    assert not decision.approved
    assert "rejected account_agent_tool > authorize_account" in capsys.readouterr().out


async def test_demo_keep_waits_for_a_signal(
    dev_server_env: WorkflowEnvironment, task_queue, capsys
):
    client = dev_server_env.client
    async with running_worker(client, task_queue), asyncio.timeout(TIMEOUT):
        demo = asyncio.create_task(run_demo(client, task_queue, "localhost:7233", None, keep=True))
        shown = ""
        while "Waiting for someone to decide" not in shown:
            await asyncio.sleep(0.1)
            shown += capsys.readouterr().out
        workflow_id = found(r"as workflow (\S+) ", shown)
        call_id = found(r"call ID: +(\S+)", shown)
        # What a person sends from the Web UI.
        await client.get_workflow_handle(workflow_id).signal(
            AgentWorkflow.approve, {"tool_call_id": call_id}
        )
        output = await demo
    assert output.end_reason == "completed"


def test_signal_hints_name_a_remote_server_and_namespace():
    tool_call = {"id": "call_1", "function": {"name": "authorize_account", "arguments": "{}"}}
    digest = call_digest(tool_call)
    entry = {
        "paths": ["authorize_account"],
        "path_ids": ["call_1"],
        "tool_call": tool_call,
        "digest": digest,
    }
    sent = json.dumps(decision_signal_input(entry))
    assert json.loads(sent) == {"tool_call_id": "call_1", "digest": digest}
    ui, signal_line, command, starter = signal_hints("run-1", entry, "temporal.example:7233", "ns")
    assert ui == "Web UI: open this workflow in your Temporal Web UI."
    assert signal_line.endswith(f"with the input {sent}")
    assert command.endswith(
        "temporal workflow signal --workflow-id run-1 --name approve "
        f"--input '{sent}' --address temporal.example:7233 --namespace ns"
    )
    assert starter.endswith(f"agent-starter approve run-1 call_1 --digest {digest}")
