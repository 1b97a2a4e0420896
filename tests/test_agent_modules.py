"""Users' own agents: `--agents` and `AGENT_MODULES` with the shipped worker and starter."""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent_continuations import examples
from agent_continuations.agent_definitions import (
    AGENT_MODULES_ENV,
    AgentCatalog,
    AgentModuleError,
    agent_module_names,
    load_agent_modules,
)
from helpers import one_error_line, worker_process

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60


def readme_agent_module() -> str:
    """The complete `my_agents.py` the README shows."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```python\n(# my_agents\.py\n.*?)```", readme, re.S)
    assert match, "the README shows no `# my_agents.py` block"
    return match[1]


def command(script: str, *argv: str, cwd: Path, env: dict[str, str] | None = None):
    """Run `python ROOT/script ARGV` in `cwd`; returns (exit code, stdout, stderr)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / script), *argv],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def user_dir(tmp_path: Path) -> Path:
    """A user's project folder holding the README's `my_agents.py`."""
    (tmp_path / "my_agents.py").write_text(readme_agent_module(), encoding="utf-8")
    return tmp_path


@pytest.fixture
def user_worker(user_dir: Path, address: str, task_queue: str) -> Iterator[subprocess.Popen]:
    """`python worker.py --agents my_agents` running in the user's folder until the test ends,
    its agents on the scripted model."""
    argv = ["--agents", "my_agents", "--address", address, "--task-queue", task_queue]
    with worker_process(argv, user_dir, {"AGENT_MODEL": "scripted"}) as (worker, line):
        assert "for agents refunds" in line
        yield worker


async def test_worker_and_starter_run_a_users_module(user_dir, user_worker, address, task_queue):
    flags = ["--address", address, "--task-queue", task_queue]

    def starter(*argv: str, env: dict[str, str] | None = None):
        return asyncio.to_thread(command, "starter.py", *flags, *argv, cwd=user_dir, env=env)

    code, out, err = await starter(
        "--agents", "my_agents", "start", "refunds", "Refund order A-17.", "--wait"
    )
    assert code == 0, err
    workflow_id, heading, path, arguments, _, digest, approve = out.splitlines()
    assert (heading, path.strip()) == ("Waiting for a decision:", "refund")
    assert arguments.strip() == 'arguments: {"order_id": "A-17", "amount": 25}'
    assert len(digest.split()[-1]) == 16
    _, _, *argv = shlex.split(approve)  # `approve: agent-starter ARGV`
    assert argv[:2] == ["approve", workflow_id] and argv[-2:] == ["--digest", digest.split()[-1]]
    # AGENT_MODULES names the modules as well as --agents does.
    code, out, err = await starter(*argv, env={AGENT_MODULES_ENV: "my_agents"})
    assert code == 0, err
    assert out.startswith("approved refund (")
    code, out, err = await starter("result", workflow_id)
    assert code == 0, err
    assert out.startswith("end_reason: completed\nresult: Order A-17 is refunded.")


def test_starter_refuses_an_agent_its_modules_do_not_define(user_dir):
    code, _, err = command("starter.py", "start", "refunds", "Refund A-17.", cwd=user_dir)
    assert code == 1
    assert one_error_line(err).startswith("error: unknown agent 'refunds' (known: ")


@pytest.mark.parametrize(
    ("module", "source", "problem"),
    [
        ("no_such_agents", None, "agent module 'no_such_agents' not found"),
        ("broken_agents", "import no_such_dependency\n", "failed to import: ModuleNotFoundError"),
        ("typo_agents", "def (:\n", "failed to import: SyntaxError"),
        ("raising_agents", "raise RuntimeError('no API key')\n", "RuntimeError: no API key"),
        ("empty_agents", "AGENTS = []\n", "agent module 'empty_agents' defines no agent"),
        ("no_agents", "x = 1\n", "agent module 'no_agents' defines no agent"),
        ("wrong_agents", "AGENTS = ['hr_agent']\n", "AGENTS of agent module 'wrong_agents'"),
        (
            "twin_agents",
            "from agent_continuations import Agent\n"
            "a = Agent(name='twin', instructions='x')\nb = Agent(name='twin', instructions='y')\n",
            "two different agents are named 'twin'",
        ),
        (
            "bad_scripts_agents",
            "from agent_continuations import Agent\n"
            "bad = Agent(name='bad_scripts', instructions='x')\nSCRIPTS = ['not', 'a map']\n",
            "SCRIPTS of agent module 'bad_scripts_agents' must map agent names",
        ),
    ],
)
@pytest.mark.parametrize("script", ["worker.py", "starter.py"])
def test_a_bad_agent_module_is_one_line_and_a_failure(
    tmp_path: Path, script: str, module: str, source: str | None, problem: str
):
    if source is not None:
        (tmp_path / f"{module}.py").write_text(source, encoding="utf-8")
    argv = ["--agents", module] + (["pending", "some-id"] if script == "starter.py" else [])
    code, _, err = command(script, *argv, cwd=tmp_path)
    assert code == 1
    assert problem in one_error_line(err)


def test_module_names_come_from_flags_then_the_environment_then_the_examples(monkeypatch):
    monkeypatch.delenv(AGENT_MODULES_ENV, raising=False)
    assert agent_module_names(None) == ["agent_continuations.examples"]
    monkeypatch.setenv(AGENT_MODULES_ENV, "shop.agents, billing ,,shop.agents")
    assert agent_module_names(None) == ["shop.agents", "billing"]
    assert agent_module_names(["mine", "a,b"]) == ["mine", "a", "b"]


def test_loading_a_module_again_still_collects_its_agents():
    first = load_agent_modules(["agent_continuations.examples"])
    again = load_agent_modules(["agent_continuations.examples"])
    assert first.agents == again.agents == [examples.account_agent, examples.hr_agent]
    assert set(again.scripts) == {"account_agent", "hr_agent"}
    with pytest.raises(AgentModuleError, match="defines no agent"):
        load_agent_modules(["json"])


def test_an_agents_list_names_the_agents_a_module_offers(tmp_path: Path, monkeypatch):
    (tmp_path / "listed_agents.py").write_text(
        "from agent_continuations import Agent\n"
        "helper = Agent(name='helper', instructions='Help.')\n"
        "boss = Agent(name='boss', instructions='Lead.', sub_agents=[helper])\n"
        "draft = Agent(name='draft', instructions='Not ready.')\n"
        "AGENTS = [boss]\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    loaded = load_agent_modules(["listed_agents"])
    assert [agent.name for agent in loaded.agents] == ["boss"]
    assert AgentCatalog(loaded.agents).names() == ["boss", "helper"]
