"""The project as a user installs it: a wheel (not editable) in a fresh venv, used from a
folder of the user's own whose modules have the names Temporal's samples teach."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import worker_process

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 300
# The user's own modules, named like the library's used to be; `activities.py` is what the
# approval-needing tool calls.
USER_FILES = {
    "activities.py": 'def refund_money(order_id: str) -> str:\n    return f"refunded {order_id}"\n',
    "workflows.py": "RAISE = 1 / 0  # importing the user's workflows would be a bug\n",
    "storage.py": "RAISE = 1 / 0\n",
    "plugin.py": "RAISE = 1 / 0\n",
    "payloads.py": "RAISE = 1 / 0\n",
    "examples/__init__.py": "RAISE = 1 / 0\n",
    "shop_agents.py": textwrap.dedent(
        """
        import activities
        from agent_continuations import Agent, tool

        @tool(needs_approval=True)
        def refund(order_id: str) -> str:
            \"\"\"Refund an order.\"\"\"
            return activities.refund_money(order_id)

        refunds = Agent(name="refunds", instructions="Refund orders.", tools=[refund])

        SCRIPTS = {
            "refunds": [
                {"tool_calls": [{"name": "refund", "arguments": {"order_id": "A-17"}}]},
                {"content": "Done."},
            ]
        }
        """
    ),
}


def _run(*argv: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None):
    done = subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, f"{argv}: {done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built from this checkout."""
    out = tmp_path_factory.mktemp("wheel")
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", out, ROOT)
    [built] = out.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv with the wheel installed; its dependencies are this environment's (a
    path entry to our site-packages, whose editable install's hook is not loaded)."""
    venv = tmp_path_factory.mktemp("venv")
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    site = Path(
        _run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").strip()
    )
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", wheel)
    yield venv


def test_the_wheel_installs_one_package(wheel: Path):
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"agent_continuations"}
    assert "agent_continuations/examples/onboarding.py" in names
    assert "agent_continuations/testing.py" in names
    assert not any(name.startswith("agent_continuations/tests/") for name in names)


async def test_a_users_folder_runs_its_agents_with_the_installed_commands(
    venv: Path, tmp_path: Path, address: str, task_queue: str
):
    for name, text in USER_FILES.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    bin_dir = venv / "bin"
    env = {"AGENT_MODEL": "scripted", "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    flags = ["--agents", "shop_agents", "--address", address, "--task-queue", task_queue]

    def starter(*argv: str) -> str:
        return _run(bin_dir / "agent-starter", *flags, *argv, cwd=tmp_path, env=env)

    program = [str(bin_dir / "agent-worker")]
    with worker_process(flags, tmp_path, env, program=program) as (_, line):
        assert "for agents refunds" in line
        out = await asyncio.to_thread(starter, "start", "refunds", "Refund A-17.", "--wait")
        workflow_id = out.splitlines()[0]
        assert "Waiting for a decision:" in out and "refund" in out
        approved = await asyncio.to_thread(starter, "approve", workflow_id, "--all", "--yes")
        assert "\napproved refund (" in approved
        output = json.loads(await asyncio.to_thread(starter, "result", workflow_id, "--json"))
    assert output["end_reason"] == "completed"
    assert output["result"] == "Done."
    tool_messages = [m["content"] for m in output["messages"] if m["role"] == "tool"]
    assert tool_messages == ["refunded A-17"]  # from the user's own activities.py
