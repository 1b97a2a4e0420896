"""The official git MCP server (`mcp-server-git`, started over stdio from the venv) on a
temporary repository: read-only tools run at once, the others wait for a person."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.testing import WorkflowEnvironment

from agent_continuations.agent_definitions import Agent, StdioServer
from agent_continuations.shared import ApprovalDecision
from agent_continuations.workflows import AgentWorkflow
from helpers import (
    ROOT,
    query_until,
    running_worker,
    start_agent,
    tool_call,
    tool_results,
    wait_for_pending,
    worker_process,
)

GIT_SERVER = str(Path(sys.executable).with_name("mcp-server-git"))


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with one staged file and no commit yet."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "agent@example.com")
    git(repo, "config", "user.name", "Agent")
    (repo / "notes.txt").write_text("hello\n")
    git(repo, "add", "notes.txt")
    return repo


def git_agent(repo: Path) -> Agent:
    return Agent(
        name="git_agent",
        instructions="Keep the repository tidy.",
        mcp_servers=[StdioServer(name="git", command=GIT_SERVER, args=["--repository", str(repo)])],
    )


def commit_script(repo: Path) -> dict[str, list[dict]]:
    return {
        "git_agent": [
            {
                "tool_calls": [
                    tool_call("git_status", repo_path=str(repo)),
                    tool_call("git_commit", repo_path=str(repo), message="Add notes"),
                ]
            },
            {"content": "done"},
        ]
    }


def commits(repo: Path) -> list[str]:
    result = subprocess.run(["git", "log", "--format=%s"], cwd=repo, capture_output=True, text=True)
    return result.stdout.split()


async def test_status_runs_at_once_and_commit_waits_for_approval(
    dev_server_env: WorkflowEnvironment, task_queue: str, repo: Path
) -> None:
    client = dev_server_env.client
    agents = [git_agent(repo)]
    async with running_worker(client, task_queue, commit_script(repo), agents=agents):
        handle = await start_agent(client, task_queue, "git_agent", "commit the notes")
        [entry] = await wait_for_pending(handle)
        assert entry["paths"] == ["git_commit"]
        state = await query_until(
            handle,
            AgentWorkflow.get_state,
            lambda s: any(c.name == "git_status" and c.status == "done" for c in s.turn_calls),
        )
        status = next(c for c in state.turn_calls if c.name == "git_status")
        assert "new file:   notes.txt" in (status.result or "")
        assert commits(repo) == []  # nothing committed while it waits
        # The Web UI's current details show the call and the signal input to send.
        metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
        assert metadata.current_details.splitlines()[:2] == [
            "**Waiting for 1 decision(s).** Send each with More Actions → Send a Signal.",
            f'- **git_commit** (git_commit) with `{{"repo_path": "{repo}", "message": '
            f'"Add notes"}}`: send signal `approve` or `reject` with `{{"tool_call_id": '
            f'"{entry["path_ids"][0]}", "digest": "{entry["digest"]}"}}`',
        ]
        decision = ApprovalDecision(tool_call_id=entry["path_ids"][0], digest=entry["digest"])
        await handle.signal(AgentWorkflow.approve, decision)
        output = await handle.result()
    assert output.end_reason == "completed"
    assert commits(repo) == ["Add", "notes"]
    assert "Changes committed successfully" in tool_results(output)["git_commit"]


async def test_rejected_commit_leaves_the_repository_untouched(
    dev_server_env: WorkflowEnvironment, task_queue: str, repo: Path
) -> None:
    client = dev_server_env.client
    before = git(repo, "status", "--porcelain")
    async with running_worker(client, task_queue, commit_script(repo), agents=[git_agent(repo)]):
        handle = await start_agent(client, task_queue, "git_agent", "commit the notes")
        [entry] = await wait_for_pending(handle)
        decision = ApprovalDecision(tool_call_id=entry["path_ids"][0], reason="not yet")
        await handle.signal(AgentWorkflow.reject, decision)
        output = await handle.result()
    assert output.end_reason == "rejected_tool_calls"
    assert commits(repo) == []
    assert git(repo, "status", "--porcelain") == before


def readme_git_module(repo: Path) -> str:
    """The README's `git_agents.py` on `repo`, with the scripted model's replies."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```python\n(# git_agents\.py\n.*?)```", readme, re.S)
    assert match, "the README shows no `# git_agents.py` block"
    script = {
        "committer": [
            {"tool_calls": [tool_call("git_status", repo_path=str(repo))]},
            {"tool_calls": [tool_call("git_commit", repo_path=str(repo), message="New notes")]},
            {"content": "Committed."},
        ]
    }
    return match[1].replace("/srv/notes", str(repo)) + f"\nSCRIPTS = {script!r}\n"


async def test_the_readme_git_agent_commits_once_approved(
    repo: Path, tmp_path: Path, address: str, task_queue: str
) -> None:
    folder = tmp_path / "user"
    folder.mkdir()
    (folder / "git_agents.py").write_text(readme_git_module(repo), encoding="utf-8")
    flags = ["--address", address, "--task-queue", task_queue]
    env = {"AGENT_MODEL": "scripted", "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}

    def starter(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(ROOT / "starter.py"), *flags, "--agents", "git_agents", *argv],
            cwd=folder,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )

    with worker_process(["--agents", "git_agents", *flags], folder, env):
        started = await asyncio.to_thread(
            starter, "start", "committer", "Commit the new notes.", "--wait"
        )
        assert started.returncode == 0, started.stderr
        workflow_id, heading, path, *_ = started.stdout.splitlines()
        assert (heading, path.strip()) == ("Waiting for a decision:", "git_commit")
        assert commits(repo) == []
        # The inbox (`pending` without an ID, from the search attributes) lists the call.
        deadline = time.monotonic() + 30
        while True:
            listed = await asyncio.to_thread(starter, "pending", "--json")
            inbox = [e for e in json.loads(listed.stdout) if e["workflow_id"] == workflow_id]
            if inbox or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        [entry] = inbox
        assert (entry["agent"], entry["paths"]) == ("committer", ["git_commit"])
        approve = shlex.split(entry["approve_command"])[1:]
        assert approve == shlex.split(started.stdout.splitlines()[-1])[2:]  # as --wait showed
        approved = await asyncio.to_thread(starter, *approve)
        assert approved.returncode == 0, approved.stderr
        result = await asyncio.to_thread(starter, "result", workflow_id)
    assert result.stdout.startswith("end_reason: completed\nresult: Committed."), result.stderr
    assert commits(repo) == ["New", "notes"]
