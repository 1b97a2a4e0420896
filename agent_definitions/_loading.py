"""Importing the modules that define a user's agents (`--agents`, `AGENT_MODULES`)."""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agent_continuations.agent_definitions._agent import Agent

AGENT_MODULES_ENV = "AGENT_MODULES"
DEFAULT_AGENT_MODULES = ("agent_continuations.examples",)
SCRIPTS_ATTRIBUTE = "SCRIPTS"
AGENTS_ATTRIBUTE = "AGENTS"


class AgentModuleError(Exception):
    """An agent module cannot be imported, defines no agent, or has malformed `AGENTS` or
    `SCRIPTS`."""


@dataclass(frozen=True)
class LoadedAgents:
    """What agent modules brought: the agents they define and their scripted replies.

    Attributes:
        agents: The agents the modules define (their sub-agents are theirs to carry).
        scripts: Each module's `SCRIPTS`, merged: replies of the offline `scripted` model per
            agent name (a list of replies, or a function of the request's messages).
    """

    agents: list[Agent] = field(default_factory=list)
    scripts: dict[str, Any] = field(default_factory=dict)


def agent_module_names(flags: Iterable[str] | None = None) -> list[str]:
    """The agent modules to load: `--agents` values, else `AGENT_MODULES`, else the examples.

    Each value may name several modules separated by commas.
    """
    values = list(flags or []) or [os.environ.get(AGENT_MODULES_ENV, "")]
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    return list(dict.fromkeys(names)) or list(DEFAULT_AGENT_MODULES)


def _import(name: str) -> Any:
    problem: BaseException
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name and (name == error.name or name.startswith(error.name + ".")):
            raise AgentModuleError(
                f"agent module {name!r} not found (looked in the current directory and "
                "on PYTHONPATH)"
            ) from None
        problem = error
    except (Exception, SystemExit) as error:  # the user's code may raise anything
        problem = error
    if isinstance(problem, SyntaxError):
        where = f"{problem.filename}, line {problem.lineno}"
    else:
        frame = traceback.extract_tb(problem.__traceback__)[-1]
        where = f"{frame.filename}, line {frame.lineno}"
    raise AgentModuleError(
        f"agent module {name!r} failed to import: {type(problem).__name__}: {problem} ({where})"
    )


def _scripts(name: str, module: Any) -> dict[str, Any]:
    scripts = getattr(module, SCRIPTS_ATTRIBUTE, None)
    if scripts is None:
        return {}
    if not isinstance(scripts, Mapping) or not all(
        isinstance(agent, str) and (isinstance(script, Sequence) or callable(script))
        for agent, script in scripts.items()
    ):
        raise AgentModuleError(
            f"{SCRIPTS_ATTRIBUTE} of agent module {name!r} must map agent names to lists of "
            "replies or to functions of the messages"
        )
    return dict(scripts)


def as_agent(value: Any) -> Agent | None:
    """Our agent for a value: itself, an OpenAI Agents SDK `agents.Agent` converted (the SDK is
    looked at only when something imported it), or None for anything else.

    Raises:
        ValueError: An SDK agent uses a feature with no durable counterpart here (one line).
    """
    if isinstance(value, Agent):
        return value
    sdk_agent = getattr(sys.modules.get("agents.agent"), "Agent", None)
    if sdk_agent is None or not isinstance(value, sdk_agent):
        return None
    from agent_continuations.frameworks.openai_agents import convert_agent

    return convert_agent(value)


def _as_agent(name: str, value: Any) -> Agent | None:
    try:
        return as_agent(value)
    except ValueError as error:
        raise AgentModuleError(f"agent module {name!r}: {error}") from None


def _framework_agents(name: str, values: list[tuple[str, Any]], ours: list[Agent]) -> list[Agent]:
    """Ours made of the Pydantic AI agents among `values`, unless one of `ours` was made of
    it; the framework is imported only when the module has imported it.

    Raises:
        AgentModuleError: One of them cannot run here.
    """
    if sys.modules.get("pydantic_ai") is None:
        return []
    from agent_continuations.frameworks.pydantic_ai import pydantic_ai_agents

    try:
        return pydantic_ai_agents(values, ours)
    except ValueError as error:
        raise AgentModuleError(f"agent module {name!r}: {error}") from None


def module_agents(name: str, module: Any) -> list[Agent]:
    """The agents a module defines: its `AGENTS` list if it has one, else every module-level
    name bound to an `Agent`, or to another framework's agent made one of ours: an OpenAI
    Agents SDK `agents.Agent`, or a `pydantic_ai.Agent` (with
    `frameworks.pydantic_ai.from_pydantic_ai`'s defaults).

    Raises:
        AgentModuleError: `AGENTS` is not a list of agents, or the module defines none.
    """
    listed = getattr(module, AGENTS_ATTRIBUTE, None)
    if listed is not None and not isinstance(listed, list | tuple):
        raise AgentModuleError(f"{AGENTS_ATTRIBUTE} of agent module {name!r} must list Agents")
    variables = {id(value): variable for variable, value in vars(module).items()}
    named = (
        list(vars(module).items())
        if listed is None
        else [(variables.get(id(value), ""), value) for value in listed]
    )
    agents: list[Agent] = []
    others: list[tuple[str, Any]] = []
    for variable, value in named:
        agent = _as_agent(name, value)
        if agent is None:
            others.append((variable, value))
        else:
            agents.append(agent)
    converted = _framework_agents(name, others, agents)
    if listed is not None and len(converted) != len(others):
        raise AgentModuleError(f"{AGENTS_ATTRIBUTE} of agent module {name!r} must list Agents")
    agents += converted
    if not agents:
        raise AgentModuleError(
            f"agent module {name!r} defines no agent: give it module-level Agent(...) objects "
            f"or an {AGENTS_ATTRIBUTE} list"
        )
    return list({id(agent): agent for agent in agents}.values())


def load_agent_modules(names: Iterable[str]) -> LoadedAgents:
    """Import agent modules and collect the agents they define (see `module_agents`).

    The current directory is searched first, as `python -m` does, so `--agents my_agents`
    finds `./my_agents.py`.

    Raises:
        AgentModuleError: A module cannot be imported or defines no agent; the message is
            one line naming the module and the problem.
    """
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    loaded = LoadedAgents()
    for name in dict.fromkeys(names):
        module = _import(name)
        known = {id(agent) for agent in loaded.agents}
        loaded.agents.extend(a for a in module_agents(name, module) if id(a) not in known)
        loaded.scripts.update(_scripts(name, module))
    return loaded
