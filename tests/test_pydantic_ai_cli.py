"""The README's onboarding agents written with Pydantic AI, run with `worker.py --agents`:
paused inside the sub-agent, exported for Pydantic AI, approved, resumed, finished."""

from __future__ import annotations

import asyncio
import json
import re
import shlex
from pathlib import Path

import pytest

from helpers import one_error_line, worker_process
from test_agent_modules import ROOT, command


def readme_onboarding_module() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```python\n(# onboarding\.py\n.*?)```", readme, re.S)
    assert match, "the README shows no `# onboarding.py` block"
    return match[1]


@pytest.fixture
def onboarding_dir(tmp_path: Path) -> Path:
    (tmp_path / "onboarding.py").write_text(readme_onboarding_module(), encoding="utf-8")
    return tmp_path


async def test_readme_onboarding_agents_pause_in_the_sub_agent_and_finish(
    onboarding_dir: Path, address: str, task_queue: str
):
    flags = ["--address", address, "--task-queue", task_queue, "--agents", "onboarding"]

    def starter(*argv: str):
        return asyncio.to_thread(command, "starter.py", *flags, *argv, cwd=onboarding_dir)

    argv = ["--agents", "onboarding", "--address", address, "--task-queue", task_queue]
    with worker_process(argv, onboarding_dir) as (_, line):
        assert "for agents account_agent, hr_agent" in line
        code, out, err = await starter(
            "start", "hr_agent", "Onboard stzhang.", "--model", "scripted", "--wait"
        )
        assert code == 0, err
        workflow_id = out.splitlines()[0]
        assert "account_agent_tool > authorize_account" in out
        assert 'arguments: {"username": "stzhang", "security_level": 2}' in out
        [approve] = [ln.split(": ", 1)[1] for ln in out.splitlines() if "approve" in ln[:12]]
        call_id = shlex.split(approve)[3]

        paused = onboarding_dir / "paused.json"
        code, _, err = await starter(
            "export", workflow_id, "--format", "pydantic-ai", "-o", str(paused)
        )
        assert code == 0, err
        exported = json.loads(paused.read_text(encoding="utf-8"))
        assert exported["agent"] == "account_agent"
        assert exported["path"]["paths"] == ["account_agent_tool"]
        [waiting] = exported["deferred_tool_requests"]["approvals"]
        assert waiting["tool_call_id"] == call_id
        code, _, err = await starter("export", workflow_id, "--format", "pydantic-ai", "--move")
        assert code == 1
        assert "waits inside a sub-agent" in one_error_line(err)  # and the run goes on

        code, out, err = await starter(*shlex.split(approve)[1:])
        assert code == 0, err
        code, out, err = await starter("result", workflow_id)
        assert code == 0, err
        assert out.startswith("end_reason: completed\nresult: stzhang is onboarded.")

        # The exported level moves back in, as Pydantic AI wrote it: it waits on the same call.
        code, out, err = await starter(
            "resume", str(paused), "--agent", "account_agent", "--model", "scripted"
        )
        assert code == 0, err
        resumed = out.strip()
        code, out, err = await starter("approve", resumed, call_id, "--yes")
        assert code == 0, err
        code, out, err = await starter("result", resumed)
        assert code == 0, err
        assert out.startswith(
            "end_reason: completed\nresult: Account stzhang is created and authorized."
        )


def test_a_pydantic_ai_file_without_the_extra_is_refused_with_the_install_line(tmp_path: Path):
    history = [{"kind": "request", "parts": [{"part_kind": "user-prompt", "content": "hi"}]}]
    paused = tmp_path / "paused.json"
    paused.write_text(json.dumps(history), encoding="utf-8")
    # The extra is missing: importing pydantic_ai fails, as it does where it is not installed.
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(
        "import sys\nsys.modules['pydantic_ai'] = None\n", encoding="utf-8"
    )
    code, _, err = command(
        "starter.py", "resume", str(paused), cwd=tmp_path, env={"PYTHONPATH": str(blocker)}
    )
    assert code == 1
    assert one_error_line(err) == (
        f"error: {paused}: a Pydantic AI run needs the extra: "
        "pip install 'agent-continuations-temporal[pydantic-ai]'"
    )
