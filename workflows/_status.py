"""`LevelStatus`: what a level shows people while it runs: current details, search attributes."""

from __future__ import annotations

from temporalio import workflow

from agent_continuations.shared import AgentRunOutput, EndReason
from agent_continuations.workflows._details import describe_waiting
from agent_continuations.workflows._level import Level
from agent_continuations.workflows._search_attributes import AgentSearchValues, tree_values
from agent_continuations.workflows._tree import LevelTree, WaitingEntry


class LevelStatus:
    """Keeps a level's current details and (at the root) its search attributes up to date.

    `version` counts the changes, for whoever reports them (a sub-agent to its parent).
    """

    def __init__(self, level: Level) -> None:
        self._level = level
        self._end_reason: EndReason | None = None
        self._search_values: AgentSearchValues | None = None
        self.version = 0

    def mark_changed(self) -> None:
        """Something a person or the parent sees changed: show it."""
        self.version += 1
        continuation = self._level.continuation()
        pending = self._level.pending(continuation)
        workflow.set_current_details(describe_waiting(continuation, pending))
        self.update_search_attributes(continuation, pending)

    def ended(self, output: AgentRunOutput) -> AgentRunOutput:
        """The run's output, once its search attributes and current details say how it ended."""
        self._end_reason = output.end_reason
        self.update_search_attributes()
        why = f": {output.error}" if output.error else ""
        workflow.set_current_details(f"Ended: {output.end_reason}{why}")
        return output

    def update_search_attributes(
        self, continuation: LevelTree | None = None, pending: list[WaitingEntry] | None = None
    ) -> None:
        """At the root of a run with `search_attributes`, upsert those that changed."""
        level = self._level
        if not level.input.options.search_attributes or workflow.info().parent is not None:
            return
        continuation = continuation or level.continuation()
        if pending is None:
            pending = level.pending(continuation)
        previous = self._search_values or AgentSearchValues.of(
            workflow.info().typed_search_attributes
        )
        values = tree_values(
            level.state.agent, continuation, pending, self._end_reason, previous, workflow.now()
        )
        changes = values.updates(previous)
        if changes:
            workflow.upsert_search_attributes(changes)
        self._search_values = values
