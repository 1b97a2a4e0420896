"""Pydantic AI agents in agent modules, and what is refused at load, in one line."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from pydantic_ai import Agent, RunContext, Tool
from pydantic_ai.models.test import TestModel
from pydantic_ai.toolsets import FunctionToolset

from agent_continuations.agent_definitions import AgentModuleError, load_agent_modules
from agent_continuations.frameworks.pydantic_ai import (
    PydanticAIAgent,
    PydanticAIAgentError,
    from_pydantic_ai,
)


def echo(text: str) -> str:
    """Say it back."""
    return text


def shout(text: str) -> str:
    """Say it loud."""
    return text.upper()


class Answer(BaseModel):
    text: str


def _with_system_prompt_function() -> Agent[Any, Any]:
    agent = Agent(TestModel(), name="a")

    @agent.system_prompt
    def today() -> str:
        return "It is Monday."

    return agent


def _with_output_validator() -> Agent[Any, Any]:
    agent = Agent(TestModel(), name="a")

    @agent.output_validator
    def check(output: str) -> str:
        return output

    return agent


def _with_prepare() -> Agent[Any, Any]:
    async def prepare(ctx: RunContext[Any], tool_def: Any) -> Any:
        return tool_def

    return Agent(TestModel(), name="a", tools=[Tool(echo, prepare=prepare)])


REFUSED = [
    (_with_system_prompt_function, "a system prompt function (@agent.system_prompt)"),
    (lambda: Agent(TestModel(), name="a", instructions=lambda: "hi"), "instructions given by"),
    (lambda: Agent(TestModel(), name="a", toolsets=[lambda ctx: None]), "a toolset function"),
    (
        lambda: Agent(TestModel(), name="a", toolsets=[FunctionToolset([echo]).prefixed("x")]),
        "toolset PrefixedToolset is not supported here",
    ),
    (_with_prepare, "tool 'echo' has a prepare function"),
    (_with_output_validator, "output validators"),
    (
        lambda: Agent(TestModel(), name="a", tools=[Tool(echo, sequential=True)]),
        "tool 'echo' is sequential, but the calls of a turn run in parallel here",
    ),
    (lambda: Agent(TestModel(), name="a", deps_type=int), "deps_type int needs a factory"),
    (lambda: Agent(TestModel(), name="a", output_type=[Answer, int]), "output_type"),
    (lambda: Agent(None, name="a", output_type=Answer), "needs the agent's own model"),
    (
        lambda: Agent(TestModel(), name="a", model_settings={"timeout": 3}),
        "model setting 'timeout' has no counterpart here",
    ),
    (lambda: Agent(TestModel()), "a pydantic_ai agent without a name"),
]


@pytest.mark.parametrize(("make", "feature"), REFUSED)
def test_what_cannot_run_is_refused_in_one_line(make, feature):
    with pytest.raises(PydanticAIAgentError) as refused:
        from_pydantic_ai(make())
    message = str(refused.value)
    assert feature in message and "\n" not in message
    if "without a name" not in message:
        assert message.startswith("pydantic_ai agent 'a': ")


def test_a_supported_agent_keeps_its_settings_and_tools():
    agent = Agent(
        TestModel(),
        name="a",
        system_prompt=["One.", "Two."],
        instructions="Three.",
        model_settings={"temperature": 0.3, "stop_sequences": ["END"], "presence_penalty": 1},
        tools=[Tool(echo, requires_approval=True)],
        toolsets=[FunctionToolset([shout], timeout=9)],
        tool_timeout=4,
    )
    ours = from_pydantic_ai(agent)
    assert ours.instructions == "One.\n\nTwo.\n\nThree."
    assert (ours.model_settings.temperature, ours.model_settings.stop) == (0.3, ["END"])
    assert ours.model_settings.extra_body == {"presence_penalty": 1}
    tool, loud = ours.tools
    assert tool.requires_approval({"text": "x"}) is True
    assert tool.parameters_schema()["properties"] == {"text": {"type": "string"}}
    assert not loud.requires_approval({"text": "x"})
    assert loud.activity_options.start_to_close_timeout == timedelta(seconds=9)
    assert tool.activity_options.start_to_close_timeout == timedelta(seconds=4)
    assert ours.on_reject == "tell_model"


def test_a_module_of_pydantic_ai_agents_loads(tmp_path: Path, monkeypatch):
    (tmp_path / "pa_module_ok.py").write_text(
        textwrap.dedent(
            """
            from pydantic_ai import Agent
            from agent_continuations.frameworks.pydantic_ai import from_pydantic_ai

            helper = Agent(None, instructions="Help.")
            boss = Agent(None, name="boss", instructions="Lead.")
            BOSS = from_pydantic_ai(boss, sub_agents=[from_pydantic_ai(helper, name="helper")])
            loner = Agent(None, instructions="Alone.")
            """
        ),
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    loaded = load_agent_modules(["pa_module_ok"])
    names = sorted(agent.name for agent in loaded.agents)
    assert names == ["boss", "loner"]  # helper comes as boss's sub-agent, once
    assert all(isinstance(agent, PydanticAIAgent) for agent in loaded.agents)
    [boss] = [agent for agent in loaded.agents if agent.name == "boss"]
    assert [sub.name for sub in boss.sub_agents] == ["helper"]


def test_a_module_with_an_agent_that_cannot_run_is_refused(tmp_path: Path, monkeypatch):
    (tmp_path / "pa_module_bad.py").write_text(
        "from pydantic_ai import Agent\nbad = Agent(None, instructions=lambda: 'now')\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AgentModuleError) as refused:
        load_agent_modules(["pa_module_bad"])
    assert str(refused.value) == (
        "agent module 'pa_module_bad': pydantic_ai agent 'bad': instructions given by a "
        "function are evaluated per run and cannot be replayed here: give them as a string"
    )


def test_an_agents_list_may_name_pydantic_ai_agents(tmp_path: Path, monkeypatch):
    (tmp_path / "pa_module_listed.py").write_text(
        textwrap.dedent(
            """
            from pydantic_ai import Agent

            offered = Agent(None, instructions="Offered.")
            draft = Agent(None, instructions="Not ready.")
            AGENTS = [offered]
            """
        ),
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    [offered] = load_agent_modules(["pa_module_listed"]).agents
    assert (offered.name, offered.instructions) == ("offered", "Offered.")
