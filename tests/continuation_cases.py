"""Agents and scripts shared by the continuation tests: the talk's example under a director."""

from __future__ import annotations

import copy
from typing import Any

from agent_continuations.agent_definitions import Agent
from agent_continuations.examples import SCRIPTS as EXAMPLE_SCRIPTS
from agent_continuations.examples import hr_agent

PROMPT = "Onboard our new colleague stzhang, their email is stzhang@example.com, username: stzhang."

director_agent = Agent(
    name="director_agent",
    instructions="You run the office. Delegate onboarding to the HR agent.",
    sub_agents=[hr_agent],
)
AGENTS = [director_agent]
DIRECTOR_PROMPT = "Please onboard stzhang."


def prototype_ids(scripts: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The scripts with the stand-in prototype's tool-call IDs (`call_<agent>_<turn>_<i>`)."""
    with_ids = copy.deepcopy(scripts)
    for agent, replies in with_ids.items():
        for turn, reply in enumerate(replies):
            for i, call in enumerate(reply.get("tool_calls", [])):
                call["id"] = f"call_{agent}_{turn}_{i}"
    return with_ids


SCRIPTS = prototype_ids(
    {
        **EXAMPLE_SCRIPTS,
        "director_agent": [
            {"tool_calls": [{"name": "hr_agent_tool", "arguments": {"prompt": PROMPT}}]},
            {"content": "HR has onboarded stzhang."},
        ],
    }
)
