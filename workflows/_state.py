"""The state one agent level keeps while it runs, and the messages the levels of a tree send
each other."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agent_continuations.agent_definitions import McpToolSpec
from agent_continuations.shared import (
    AgentRunOutput,
    BudgetInput,
    DecideInput,
    DecisionRecord,
    JsonDict,
    ResumePoint,
    ResumeSignalInput,
    TokenUsage,
)
from agent_continuations.workflows._tree import LevelTree

CallStatus = Literal[
    "pending", "waiting_approval", "running", "done", "rejected", "skipped", "parked"
]
# A call in one of these has its result: it is answered in the messages.
ANSWERED_STATUSES: tuple[CallStatus, ...] = ("done", "rejected", "skipped")
CallKind = Literal["tool", "sub_agent", "invalid"]


class PolicyState(BaseModel):
    """Where suspension policies measure from: the level's last (re)start, and its budget."""

    turns_at_start: int = 0
    tokens_at_start: int = 0
    started_at: datetime | None = None
    budget: BudgetInput = Field(default_factory=BudgetInput)


class ToolCallState(BaseModel):
    """One tool call of the model's current turn and how far it has got."""

    tool_call: JsonDict = Field(description="The assistant's tool call, as the API returned it.")
    kind: CallKind
    status: CallStatus = "pending"
    decision: DecisionRecord | None = None
    result: str | None = None
    child_workflow_id: str | None = None
    child_continuation: LevelTree | None = Field(
        None, description="The sub-agent's continuation while it waits or is suspended."
    )
    sub_agent_resume: ResumePoint | None = Field(
        None, description="Imported state the sub-agent resumes from instead of its prompt."
    )
    child_output: AgentRunOutput | None = Field(
        None, description="The sub-agent's output, as it reported it when it ended."
    )
    signature: str | None = Field(
        None, description="The approver's signature of its decision, which `run_tool` checks."
    )

    @property
    def id(self) -> str:
        return str(self.tool_call["id"])

    @property
    def name(self) -> str:
        return str(self.tool_call["function"]["name"])

    def waits_for_a_person(self) -> bool:
        """Whether the call waits for a decision, or is a sub-agent that waits for one."""
        if self.status == "waiting_approval":
            return self.decision is None
        return (
            self.kind == "sub_agent"
            and self.status == "running"
            and self.child_output is None
            and self.child_continuation is not None
            and self.child_continuation.needs_attention()
        )

    def arguments(self) -> JsonDict:
        """The arguments the model gave.

        Raises:
            ValueError: They are not a JSON object (or nest too deeply to read).
        """
        try:
            arguments = json.loads(self.tool_call["function"].get("arguments") or "{}")
        except json.JSONDecodeError as error:
            raise ValueError(f"arguments of {self.name} are not valid JSON: {error}") from None
        except RecursionError:
            raise ValueError(f"arguments of {self.name} nest too deeply") from None
        if not isinstance(arguments, dict):
            raise ValueError(f"arguments of {self.name} must be a JSON object")
        return arguments


class AgentState(BaseModel):
    """Everything one agent level needs to resume: its messages and its current turn's calls."""

    agent: str
    model: str
    messages: list[JsonDict]
    turn_calls: list[ToolCallState] = Field(default_factory=list)
    decisions: list[DecisionRecord] = Field(default_factory=list)
    model_turns: int = 0
    total_tokens: int = Field(0, description="This level's own tokens (token budgets count them).")
    prompt_tokens: int = 0
    completion_tokens: int = 0
    sub_agents_usage: TokenUsage = Field(
        default_factory=TokenUsage, description="Tokens of this level's sub-agents that ended."
    )
    policy: PolicyState = Field(default_factory=PolicyState)
    suspend_list: list[str] = Field(
        default_factory=list, description="The policies that suspended this level, if it is."
    )
    result_by_signal: bool = Field(
        False, description="A sub-agent's: its parent continued as new since starting it."
    )
    forwarded: list[list[str]] = Field(
        default_factory=list,
        description="Paths of decisions passed down this turn, which the sub-agents may not "
        "have reported yet.",
    )
    mcp_tools: dict[str, list[McpToolSpec]] | None = Field(
        None,
        description="The tools each of the agent's MCP servers offered when the run listed them "
        "(None until it has).",
    )

    @property
    def usage(self) -> TokenUsage:
        """This level's own tokens."""
        return TokenUsage(
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            total_tokens=self.total_tokens,
        )

    def add_usage(self, usage: TokenUsage) -> None:
        """Count a model call's tokens as this level's."""
        self.prompt_tokens += usage.prompt_tokens
        self.completion_tokens += usage.completion_tokens
        self.total_tokens += usage.total_tokens


class TreeMessage(BaseModel):
    """A message between the levels of one agent tree, so that nobody outside the tree can
    send one: in a tree with a key of the workers' secrets, `mac` seals its content for its
    receiver (`TreeKeys.seal`); in a tree without, it carries the tree's drawn `token`."""

    model_config = ConfigDict(extra="forbid")

    token: str = ""
    mac: str = ""

    def content(self) -> str:
        """What `mac` seals: the message without `token` and `mac`, and without the fields
        left at their defaults, so that a field a later version adds (with a default) does
        not change what a message in flight or in a history was sealed over."""
        return self.model_dump_json(exclude={"token", "mac"}, exclude_defaults=True)


class SubAgentReport(TreeMessage):
    """From a sub-agent to its parent: its continuation while it waits, else None."""

    tool_call_id: str
    continuation: JsonDict | None


class SubAgentResult(TreeMessage):
    """From a sub-agent to its parent as it ends: its output. The parent takes it from here
    when it has continued as new since it started the sub-agent."""

    tool_call_id: str
    child_id: str = Field(description="The sub-agent's workflow ID.")
    output: AgentRunOutput


class ForwardedDecision(TreeMessage):
    """From a parent to the sub-agent a decision is for, with `path_ids` from that sub-agent."""

    decision: DecideInput


class ForwardedResume(TreeMessage):
    """From a parent to a suspended sub-agent, with `path_ids` from that sub-agent."""

    request: ResumeSignalInput


class ParentContinued(TreeMessage):
    """From a parent that continues as new while this sub-agent runs: the run that started it
    will not see it end, so it sends its result by signal as well."""


class ParkRequest(TreeMessage):
    """From a parent that exits suspended: suspend at the next turn boundary, too."""


class UpgradeRequest(TreeMessage):
    """From a parent that moves to the current version: move, too, at the next wait."""
