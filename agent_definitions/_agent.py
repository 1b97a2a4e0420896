"""Agents: instructions, a model, tools and sub-agents."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from agent_continuations.agent_definitions._activity_options import ActivityOptions
from agent_continuations.agent_definitions._mcp_servers import McpServer, McpToolSpec, mcp_tools
from agent_continuations.agent_definitions._suspension import SuspensionPolicy
from agent_continuations.agent_definitions._tool import Tool
from agent_continuations.shared import ModelSettings

if TYPE_CHECKING:
    import openai

RejectPolicy = Literal["end", "tell_model"]
DEFAULT_MAX_TURNS = 50


def sub_agent_parameters(prompt_parameter: str) -> dict[str, Any]:
    """The JSON schema of a sub-agent's tool: one string, the request."""
    return {
        "type": "object",
        "properties": {
            prompt_parameter: {"type": "string", "description": "The request for the agent."}
        },
        "required": [prompt_parameter],
        "additionalProperties": False,
    }


@dataclass
class Agent:
    """An LLM agent: instructions, a model, tools and optional sub-agents.

    Attributes:
        name: Unique name; workflows and continuations refer to the agent by it.
        instructions: The `developer` message that starts every conversation.
        model: The agent's model; None takes the run's (`--model`), else the worker's
            default (`AGENT_MODEL`).
        tools: Plain tools, each run as an activity.
        sub_agents: Agents offered to this one as tools taking `{"prompt": string}` (the key
            is each sub-agent's `prompt_parameter`).
        description: What the agent does, shown to a parent agent's model.
        tool_name: The tool name a parent's model calls this agent by.
        prompt_parameter: The argument that carries the request when a parent calls it.
        on_reject: `end` finishes the run with `rejected_tool_calls`; `tell_model` reports the
            rejection to the model as the tool's result and goes on.
        approval_timeout: Default time to wait for a decision on any of this agent's calls.
        suspension_policies: Checked before each model call; any that fires suspends the agent.
        max_turns: Model turns after which the agent suspends with `max_turns` (counted since
            it last started or resumed), so a model that never stops calling tools is bounded.
        model_settings: Temperature, `tool_choice`, the instructions' role and the like for
            this agent's model calls; a run's `RunOptions.model_settings` override them.
        model_activity_options: Timeouts, retry policy and task queue of the agent's model
            calls (the `call_model` activity).
        approvers: Who alone may decide the calls of this agent's tools that need approval
            and name no approvers of their own (see `tool(approvers=...)`).
        output_check: Turns the model's final answer into the run's result (e.g. validated
            JSON); a `ValueError` it raises ends the run with an error. Called in workflow
            code, so it must be deterministic and do no I/O.
        model_client: The chat-completions client this agent's model calls go through, for
            every run, instead of the worker's (e.g. another framework's model served
            in-process, see `frameworks.pydantic_ai`); None uses the worker's.
        mcp_servers: MCP servers (`StdioServer`, `HttpServer`) whose tools the agent offers
            beside `tools`; each run lists them once, in an activity, and keeps the list.
    """

    name: str
    instructions: str
    model: str | None = None
    tools: list[Tool] = field(default_factory=list)
    sub_agents: list[Agent] = field(default_factory=list)
    description: str = ""
    tool_name: str = ""
    prompt_parameter: str = "prompt"
    on_reject: RejectPolicy = "end"
    approval_timeout: timedelta | None = None
    suspension_policies: list[SuspensionPolicy] = field(default_factory=list)
    max_turns: int = DEFAULT_MAX_TURNS
    model_settings: ModelSettings = field(default_factory=ModelSettings)
    model_activity_options: ActivityOptions = field(default_factory=ActivityOptions)
    approvers: Sequence[str] = ()
    output_check: Callable[[str], str] | None = None
    model_client: openai.AsyncOpenAI | None = field(default=None, repr=False, compare=False)
    mcp_servers: list[McpServer] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.tool_name = self.tool_name or f"{self.name}_tool"
        names = [t.name for t in self.tools] + [a.tool_name for a in self.sub_agents]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"agent {self.name!r} has duplicate tool names: {sorted(duplicates)}")
        servers = [s.name for s in self.mcp_servers]
        if len(set(servers)) < len(servers):
            raise ValueError(f"agent {self.name!r} has two MCP servers of the same name")
        if self.max_turns < 1:
            raise ValueError(f"agent {self.name!r}: max_turns must be at least 1")

    def with_mcp_tools(self, listings: Mapping[str, Sequence[McpToolSpec]]) -> Agent:
        """This agent with its MCP servers' tools, from their recorded listings, among its tools.

        Raises:
            ValueError: A server's tool has the name of another tool or sub-agent.
        """
        added = mcp_tools(self.mcp_servers, listings)
        if not added:
            return self
        try:
            return dataclasses.replace(self, tools=[*self.tools, *added])
        except ValueError as error:
            raise ValueError(
                f"{error}: give the MCP server a prefix, or leave the tool out with its "
                "allowed_tools or blocked_tools"
            ) from None

    def approvers_of(self, tool: Tool | None, run_approvers: Sequence[str] = ()) -> tuple[str, ...]:
        """Who may decide a call of `tool` (None: of an MCP server's tool, which has none of
        its own): its own approvers, else this agent's, else the run's; anyone, with an
        unsigned decision, when none names any."""
        return tuple((tool.approvers if tool else ()) or self.approvers or run_approvers)

    def find_tool(self, name: str) -> Tool | None:
        """The plain tool called `name`, if any."""
        return next((t for t in self.tools if t.name == name), None)

    def find_sub_agent(self, tool_name: str) -> Agent | None:
        """The sub-agent offered under `tool_name`, if any."""
        return next((a for a in self.sub_agents if a.tool_name == tool_name), None)

    def openai_tools(self) -> list[dict[str, Any]]:
        """All tools and sub-agents in the chat-completions `tools` format."""
        schemas = [t.openai_schema() for t in self.tools]
        schemas += [
            {
                "type": "function",
                "function": {
                    "name": a.tool_name,
                    "description": a.description or f"Ask the {a.name} agent.",
                    "parameters": sub_agent_parameters(a.prompt_parameter),
                },
            }
            for a in self.sub_agents
        ]
        return schemas
