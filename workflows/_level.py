"""`Level`: what the parts of `AgentWorkflow` share about their agent level."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

from agent_continuations.agent_definitions import Agent
from agent_continuations.shared import (
    AgentRunOutput,
    AgentWorkflowInput,
    EndReason,
    payload_problem,
)
from agent_continuations.workflows._continuation import build_continuation
from agent_continuations.workflows._conversation_feed import ConversationFeed
from agent_continuations.workflows._input_seal import InputSeals
from agent_continuations.workflows._state import AgentState, ToolCallState
from agent_continuations.workflows._tree import LevelTree, WaitingEntry
from agent_continuations.workflows._tree_keys import TreeKeys


class Level:
    """One agent level of a tree: its input, agent, state and the tree's secret token, and
    the two flags that stop its turn early.

    Args:
        input: The run's input.
        agent: The level's agent; None when the input names none (the run then ends).
        state: The level's state, fresh or carried over continue-as-new.
        keys: The tree's token and what else derives from its key.
        seals: What the inputs of this level's continued and sub-agents' runs are sealed with.
    """

    def __init__(
        self,
        input: AgentWorkflowInput,
        agent: Agent | None,
        state: AgentState,
        keys: TreeKeys,
        seals: InputSeals,
    ) -> None:
        self.input = input
        self.agent = agent
        self.state = state
        self.keys = keys
        self.seals = seals
        # What the next model call tells the worker.
        self.feed = ConversationFeed(rebuilt=workflow.unsafe.is_replaying())
        # The level exits with its continuation once nothing else runs (its tree parks).
        self.parking = False
        # Why the current turn stops: its open calls are answered as skipped.
        self.stop_reason: str | None = None

    def continuation(self) -> LevelTree:
        return build_continuation(self.state)

    def find_call(self, call_id: str) -> ToolCallState | None:
        """The current turn's call with this ID."""
        return next((c for c in self.state.turn_calls if c.id == call_id), None)

    def decided(self) -> set[tuple[str, ...]]:
        """Paths of calls decided here or passed down, whose owner may not have moved on yet."""
        own = {(c.id,) for c in self.state.turn_calls if c.decision is not None}
        return own | {tuple(path) for path in self.state.forwarded}

    def pending(self, continuation: LevelTree | None = None) -> list[WaitingEntry]:
        """Waiting calls of the tree that nobody has decided yet."""
        decided = self.decided()
        waiting = (continuation or self.continuation()).waiting()
        return [entry for entry in waiting if tuple(entry.path_ids) not in decided]

    def output(self, end_reason: EndReason, **fields: Any) -> AgentRunOutput:
        """The run's output with this level's messages, decisions and tokens."""
        return AgentRunOutput(
            end_reason=end_reason,
            messages=self.state.messages,
            decisions=self.state.decisions,
            usage=self.state.usage,
            tree_usage=self.state.usage + self.state.sub_agents_usage,
            **fields,
        )

    def parked_output(self, end_reason: EndReason, **fields: Any) -> AgentRunOutput:
        """The output of a level that exits with its continuation."""
        return self.output(end_reason, continuation=self.continuation().to_json(), **fields)


def fitting(output: AgentRunOutput) -> AgentRunOutput:
    """The output, without its messages if it would not fit in a payload: the result still
    gets through, and the messages are in the run's history."""
    problem = payload_problem("the run's output", output)
    if not problem:
        return output
    left_out = f"{problem}: its messages were left out"
    error = f"{output.error}; {left_out}" if output.error else left_out
    return output.model_copy(update={"messages": [], "error": error})
