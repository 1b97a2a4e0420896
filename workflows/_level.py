"""State and helpers shared by the parts of `AgentWorkflow` (one agent level of a tree)."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow

from agent_continuations.activities import DigestChain
from agent_continuations.agent_definitions import Agent
from agent_continuations.continuations import waiting_calls
from agent_continuations.shared import (
    AgentRunOutput,
    AgentWorkflowInput,
    BudgetInput,
    DecisionRecord,
    EndReason,
    JsonDict,
)
from agent_continuations.workflows._continuation import build_continuation
from agent_continuations.workflows._details import describe_waiting
from agent_continuations.workflows._search_attributes import (
    AgentSearchValues,
    tree_values,
    upsert_if_changed,
)
from agent_continuations.workflows._state import AgentState, ToolCallState


class AgentLevel:
    """What every part of an agent level's workflow reads and writes.

    Attributes are set by `AgentWorkflow.__init__`; the turn logic and the message handlers
    live in their own modules as bases of `AgentWorkflow`.
    """

    _input: AgentWorkflowInput
    _agent: Agent | None
    _state: AgentState
    _digests: DigestChain
    _call_tasks: dict[str, asyncio.Task[None]]
    _stop_reason: str | None
    _parking: bool
    _resume_budget: BudgetInput | None
    _changed: bool
    _token: str
    _end_reason: EndReason | None
    _search_values: AgentSearchValues | None

    def _continuation(self) -> JsonDict:
        return build_continuation(self._state)

    def _decided(self) -> set[tuple[str, ...]]:
        """Paths of calls decided here or passed down, whose owner may not have moved on yet."""
        own = {(c.id,) for c in self._state.turn_calls if c.decision is not None}
        return own | {tuple(path) for path in self._state.forwarded}

    def _record_decision(
        self,
        call: ToolCallState,
        approved: bool,
        reason: str | None,
        approver: str | None = None,
        arguments: JsonDict | None = None,
    ) -> DecisionRecord:
        record = DecisionRecord(
            tool_call_id=call.id,
            paths=[call.name],
            path_ids=[call.id],
            approved=approved,
            approver=approver,
            reason=reason,
            decided_at=workflow.now(),
            edited_arguments=arguments,
            original_arguments=call.arguments() if arguments is not None else None,
        )
        call.decision = record
        self._state.decisions.append(record)
        self._mark_changed()
        return record

    def _history_is_long(self) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() > self._input.options.history_event_limit
        )

    def _carried_over(self) -> AgentWorkflowInput:
        """This run's input for the next run in the chain: the same level, from its state."""
        return self._input.model_copy(
            update={
                "prompt": None,
                "resume": None,
                "carried_state": self._state.model_dump(mode="json"),
                "tree_token": self._token,  # the sub-agents that run on know this one
            }
        )

    def _pending(self, continuation: JsonDict | None = None) -> list[JsonDict]:
        """Waiting calls of the tree that nobody has decided yet."""
        decided = self._decided()
        waiting = waiting_calls(continuation or self._continuation())
        return [e for e in waiting if tuple(e["path_ids"]) not in decided]

    def _mark_changed(self) -> None:
        self._changed = True
        continuation = self._continuation()
        pending = self._pending(continuation)
        workflow.set_current_details(describe_waiting(continuation, pending))
        self._update_search_attributes(continuation, pending)

    def _update_search_attributes(
        self, continuation: JsonDict | None = None, pending: list[JsonDict] | None = None
    ) -> None:
        """At the root of a run with `search_attributes`, upsert those that changed."""
        if not self._input.options.search_attributes or workflow.info().parent is not None:
            return
        continuation = continuation or self._continuation()
        if pending is None:
            pending = self._pending(continuation)
        previous = self._search_values or AgentSearchValues.of(
            workflow.info().typed_search_attributes
        )
        values = tree_values(
            self._state.agent, continuation, pending, self._end_reason, previous, workflow.now()
        )
        self._search_values = upsert_if_changed(values, previous)

    def _parked_output(self, end_reason: EndReason, **fields: Any) -> AgentRunOutput:
        return self._output(end_reason, continuation=self._continuation(), **fields)

    def _output(self, end_reason: EndReason, **fields: Any) -> AgentRunOutput:
        return AgentRunOutput(
            end_reason=end_reason,
            messages=self._state.messages,
            decisions=self._state.decisions,
            usage=self._state.usage,
            tree_usage=self._state.usage + self._state.sub_agents_usage,
            **fields,
        )
