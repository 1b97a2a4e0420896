"""The messages an agent level's workflow answers: decisions, resume, reports and queries."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pydantic
from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import CancelledError

from continuations import needs_attention, to_output
from payloads import (
    ApprovalDecision,
    BudgetInput,
    DecideInput,
    JsonDict,
    ResumeSignalInput,
    validation_problems,
)
from workflows._decisions import CheckedDecision, check_decision
from workflows._level import AgentLevel
from workflows._state import AgentState, SubAgentReport


class MessageHandlers(AgentLevel):
    """Signals, the `decide` update and queries; decisions for sub-agents are passed down.

    Messages to other levels of the tree (decisions and `resume` passed down, `park`, reports
    to the parent) are sent here too, by handler method rather than by name.
    """

    def _child_handle(self, call_id: str) -> workflow.ExternalWorkflowHandle[Any]:
        call = next((c for c in self._state.turn_calls if c.id == call_id), None)
        if call is None or call.child_workflow_id is None:
            raise LookupError(f"sub-agent call {call_id!r} has no running workflow")
        return workflow.get_external_workflow_handle(call.child_workflow_id)

    def _park(self) -> None:
        """Stop waiting and let running children suspend, so the whole tree can exit."""
        if self._parking:
            return
        self._parking = True
        for call in self._state.turn_calls:
            if call.kind == "sub_agent" and call.status == "running" and call.child_workflow_id:
                handle = workflow.get_external_workflow_handle(call.child_workflow_id)
                asyncio.create_task(handle.signal(MessageHandlers.park))

    def _check(self, decision: ApprovalDecision, approved: bool) -> CheckedDecision:
        if self._agent is None:
            raise LookupError("this run has no agent, so nothing waits for a decision")
        return check_decision(
            self._continuation(), self._agent, decision, approved, self._decided()
        )

    async def _apply(self, decision: ApprovalDecision, approved: bool) -> str:
        checked = self._check(decision, approved)
        path_ids = checked.path_ids
        if len(path_ids) == 1:
            call = next(c for c in self._state.turn_calls if c.id == path_ids[0])
            self._record_decision(
                call, approved, decision.reason, decision.approver, checked.arguments
            )
        else:
            self._forwarded.add(tuple(path_ids))
            self._mark_changed()
            forwarded = ApprovalDecision(
                path_ids=path_ids[1:],
                reason=decision.reason,
                approver=decision.approver,
                arguments=checked.arguments,
            )
            signal = MessageHandlers.approve if approved else MessageHandlers.reject
            await self._child_handle(path_ids[0]).signal(signal, forwarded)
        verb = "approved" if approved else "rejected"
        return f"{verb} {' > '.join(checked.entry['paths'])} ({path_ids[-1]})"

    async def _apply_signal(self, payload: Any, approved: bool) -> None:
        try:
            decision = _parse(ApprovalDecision, payload)
            workflow.logger.info(await self._apply(decision, approved))
        except (LookupError, ValueError) as error:
            name = "approve" if approved else "reject"
            workflow.logger.warning("ignored %s signal: %s", name, error)

    # Payloads are parsed by the handlers, not the data converter, so that a malformed one is
    # refused (update) or logged (signal) with a message naming the problem.

    @workflow.signal(name="approve")
    async def approve(self, decision: Any) -> None:
        """Approve a waiting call: an `ApprovalDecision`, optionally with edited `arguments`."""
        await self._apply_signal(decision, approved=True)

    @workflow.signal(name="reject")
    async def reject(self, decision: Any) -> None:
        """Reject a waiting call: an `ApprovalDecision`."""
        await self._apply_signal(decision, approved=False)

    @workflow.update(name="decide")
    async def decide(self, input: Any) -> str:
        """Approve or reject a waiting call (a `DecideInput`) and say what was decided."""
        decision = _parse(DecideInput, input)
        return await self._apply(decision, decision.approved)

    @decide.validator
    def _validate_decide(self, input: Any) -> None:
        decision = _parse(DecideInput, input)
        self._check(decision, decision.approved)

    @workflow.signal(name="resume")
    async def resume(self, payload: Any = None) -> None:
        """Resume suspended levels: a `ResumeSignalInput` (every suspended level by default)."""
        try:
            request = _parse(ResumeSignalInput, payload or {})
        except ValueError as error:
            workflow.logger.warning("ignored resume signal: %s", error)
            return
        path_ids = request.path_ids
        if self._state.suspend_list and not path_ids:
            self._resume_budget = request.budget or BudgetInput()
        for call in self._state.turn_calls:
            chosen = path_ids is None or (path_ids and path_ids[0] == call.id)
            suspended = call.child_continuation and needs_attention(call.child_continuation)
            if chosen and suspended:
                rest = None if path_ids is None else path_ids[1:]
                forwarded = ResumeSignalInput(path_ids=rest, budget=request.budget)
                await self._child_handle(call.id).signal(MessageHandlers.resume, forwarded)

    @workflow.signal(name="park")
    def park(self) -> None:
        """Sent by a parent that exits suspended: suspend at the next turn boundary, too."""
        self._park()

    @workflow.signal(dynamic=True)
    def unknown_signal(self, name: str, args: Sequence[RawValue]) -> None:
        """Log and ignore signals this workflow does not know."""
        workflow.logger.warning("ignored unknown signal %r", name)

    @workflow.signal(name="report_sub_agent_state")
    def report_sub_agent_state(self, report: SubAgentReport) -> None:
        """Sent by a sub-agent's workflow to its parent whenever what it waits for changes."""
        call = next((c for c in self._state.turn_calls if c.id == report.tool_call_id), None)
        if call is None or call.kind != "sub_agent":
            workflow.logger.warning("ignored report for unknown call %r", report.tool_call_id)
            return
        call.child_continuation = report.continuation
        self._mark_changed()

    @workflow.query(name="pending_approvals")
    def pending_approvals(self) -> list[JsonDict]:
        """Every tool call in the agent tree waiting for a decision, as `approval_info` entries."""
        return self._pending()

    @workflow.query(name="get_continuation")
    def get_continuation(self) -> JsonDict:
        """The run's continuation as the format's `approval_required` or `suspended` output."""
        return to_output(self._continuation())

    @workflow.query(name="get_state")
    def get_state(self) -> AgentState:
        """This agent level's state: messages, the current turn's calls and decisions taken."""
        return self._state

    async def _report_to_parent(self, call_id: str) -> None:
        """Keep the parent's copy of what this sub-agent waits for up to date."""
        parent = workflow.info().parent
        assert parent is not None
        handle = workflow.get_external_workflow_handle(parent.workflow_id)
        last: JsonDict | None = None
        while True:
            await workflow.wait_condition(lambda: self._changed)
            self._changed = False
            continuation = self._continuation()
            report = continuation if needs_attention(continuation) else None
            if report == last:
                continue
            try:
                await handle.signal(
                    MessageHandlers.report_sub_agent_state,
                    SubAgentReport(tool_call_id=call_id, continuation=report),
                )
            except CancelledError:
                raise  # this run is ending and stops reporting
            except Exception as error:  # the parent may have ended; this run goes on
                workflow.logger.warning("could not report to the parent: %s", error)
            last = report


def _parse(model: type[pydantic.BaseModel], payload: Any) -> Any:
    """Validate a signal or update payload.

    Raises:
        ValueError: The payload does not fit `model`; the message says what is wrong.
    """
    try:
        return model.model_validate(payload)
    except pydantic.ValidationError as error:
        raise ValueError(f"invalid {model.__name__}: {validation_problems(error)}") from None
