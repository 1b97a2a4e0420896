"""The messages an agent level's workflow answers: decisions, resume, reports and queries.

People send `approve`, `reject`, `decide` and `resume` to the root only. The levels of a tree
talk to each other with internal signals that carry the tree's secret token (see
`TreeMessage`): decisions and `resume` passed down, `park`, and reports to the parent.
Every payload is parsed by its handler, not by the data converter, so that a malformed one is
refused (update) or logged and ignored (signal) with a message naming the problem; no message
can fail a workflow task.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, TypeVar

import pydantic
from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError, CancelledError

from continuations import needs_attention, to_output
from payloads import (
    AgentRunOutput,
    ApprovalDecision,
    BudgetInput,
    DecideInput,
    JsonDict,
    ResumeSignalInput,
    payload_problem,
    validation_problems,
)
from workflows._continuation import check_runtime_tree
from workflows._decisions import CheckedDecision, call_digest, check_decision
from workflows._level import AgentLevel
from workflows._state import (
    AgentState,
    ForwardedDecision,
    ForwardedResume,
    ParkRequest,
    SubAgentReport,
    SubAgentResult,
    TreeMessage,
)

M = TypeVar("M", bound=pydantic.BaseModel)
LOGGED_CHARS = 300


class MessageHandlers(AgentLevel):
    """Signals, the `decide` update and queries; decisions for sub-agents are passed down."""

    _moved_out: JsonDict | None

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
                request = ParkRequest(token=self._token)
                asyncio.create_task(_signal_quietly(handle, MessageHandlers.park, request))

    def _refuse_unless_root(self) -> None:
        """Decisions are taken at the root only, where they are recorded for the whole tree.

        Raises:
            LookupError: This level is a sub-agent.
        """
        info = workflow.info()
        if info.parent is not None:
            root = (info.root or info.parent).workflow_id
            raise LookupError(
                f"decisions and resume go to the root workflow {root!r}, which passes them down"
            )

    def _check(self, decision: ApprovalDecision, approved: bool) -> CheckedDecision:
        if self._agent is None:
            raise LookupError("this run has no agent, so nothing waits for a decision")
        return check_decision(
            self._continuation(), self._agent, decision, approved, self._decided()
        )

    async def _apply(self, decision: ApprovalDecision, approved: bool) -> str:
        """Record a decision on a call of this level, or pass it down to the sub-agent.

        Raises:
            LookupError, ValueError: The decision names no waiting call or does not fit it.
        """
        checked = self._check(decision, approved)
        path_ids = checked.path_ids
        if len(path_ids) == 1:
            call = next(c for c in self._state.turn_calls if c.id == path_ids[0])
            self._record_decision(
                call, approved, decision.reason, decision.approver, checked.arguments
            )
        else:
            handle = self._child_handle(path_ids[0])
            self._state.forwarded.append(path_ids)
            self._mark_changed()
            # The digest of what this level showed travels down: the sub-agent refuses the
            # decision if the call it would run is another one.
            forwarded = DecideInput(
                path_ids=path_ids[1:],
                approved=approved,
                reason=decision.reason,
                approver=decision.approver,
                arguments=checked.arguments,
                digest=checked.digest,
            )
            message = ForwardedDecision(token=self._token, decision=forwarded)
            await _signal_quietly(handle, MessageHandlers.apply_decision, message)
        verb = "approved" if approved else "rejected"
        return f"{verb} {' > '.join(checked.entry['paths'])} ({path_ids[-1]})"

    async def _apply_signal(self, name: str, payload: Any, approved: bool) -> None:
        try:
            self._refuse_unless_root()
            decision = _parse(ApprovalDecision, payload)
            workflow.logger.info(await self._apply(decision, approved))
        except (LookupError, ValueError) as error:
            workflow.logger.warning("ignored %s signal: %s", name, _short(error))

    def _from_tree(self, model: type[M], payload: Any, name: str) -> M | None:
        """An internal message, or None (logged) when it is malformed or not from this tree."""
        try:
            message = _parse(model, payload)
        except ValueError as error:
            workflow.logger.warning("ignored %s signal: %s", name, _short(error))
            return None
        assert isinstance(message, TreeMessage)
        if message.token != self._token:
            workflow.logger.warning("ignored %s signal: it does not come from this tree", name)
            return None
        return message

    @workflow.signal(name="approve")
    async def approve(self, decision: Any) -> None:
        """Approve a waiting call: an `ApprovalDecision`, optionally with edited `arguments`."""
        await self._apply_signal("approve", decision, approved=True)

    @workflow.signal(name="reject")
    async def reject(self, decision: Any) -> None:
        """Reject a waiting call: an `ApprovalDecision`."""
        await self._apply_signal("reject", decision, approved=False)

    @workflow.update(name="decide")
    async def decide(self, input: Any) -> str:
        """Approve or reject a waiting call (a `DecideInput`) and say what was decided."""
        try:
            decision = _parse(DecideInput, input)
            return await self._apply(decision, decision.approved)
        except (LookupError, ValueError) as error:  # the state changed since validation
            raise ApplicationError(str(error), type="DecisionRefused") from None

    @decide.validator
    def _validate_decide(self, input: Any) -> None:
        self._refuse_unless_root()
        decision = _parse(DecideInput, input)
        self._check(decision, decision.approved)

    @workflow.update(name="move_out")
    def move_out(self) -> JsonDict:
        """End the run and return its continuation (as `get_continuation` gives it), in one
        step: the run goes on only where that continuation is resumed."""
        self._moved_out = self._continuation()
        return to_output(self._moved_out)

    @move_out.validator
    def _validate_move_out(self) -> None:
        self._refuse_unless_root()
        if self._moved_out is not None:
            raise LookupError("the run has moved out already")

    @workflow.signal(name="apply_decision")
    async def apply_decision(self, payload: Any) -> None:
        """Internal: a decision the parent passes down (a `ForwardedDecision`)."""
        message = self._from_tree(ForwardedDecision, payload, "apply_decision")
        if message is None:
            return
        try:
            workflow.logger.info(await self._apply(message.decision, message.decision.approved))
        except (LookupError, ValueError) as error:
            workflow.logger.warning("ignored a decision passed down: %s", _short(error))

    @workflow.signal(name="resume")
    async def resume(self, payload: Any = None) -> None:
        """Resume suspended levels: a `ResumeSignalInput` (every suspended level by default)."""
        try:
            self._refuse_unless_root()
            request = _parse(ResumeSignalInput, payload or {})
        except (LookupError, ValueError) as error:
            workflow.logger.warning("ignored resume signal: %s", _short(error))
            return
        await self._resume(request)

    @workflow.signal(name="apply_resume")
    async def apply_resume(self, payload: Any) -> None:
        """Internal: a `resume` the parent passes down (a `ForwardedResume`)."""
        message = self._from_tree(ForwardedResume, payload, "apply_resume")
        if message is not None:
            await self._resume(message.request)

    async def _resume(self, request: ResumeSignalInput) -> None:
        path_ids = request.path_ids
        if self._state.suspend_list and not path_ids:
            self._resume_budget = request.budget or BudgetInput()
        for call in self._state.turn_calls:
            chosen = path_ids is None or (path_ids and path_ids[0] == call.id)
            suspended = call.child_continuation and needs_attention(call.child_continuation)
            if chosen and suspended and call.child_workflow_id:
                rest = None if path_ids is None else path_ids[1:]
                forwarded = ForwardedResume(
                    token=self._token,
                    request=ResumeSignalInput(path_ids=rest, budget=request.budget),
                )
                handle = workflow.get_external_workflow_handle(call.child_workflow_id)
                await _signal_quietly(handle, MessageHandlers.apply_resume, forwarded)

    @workflow.signal(name="park")
    def park(self, payload: Any = None) -> None:
        """Internal: sent by a parent that exits suspended (a `ParkRequest`)."""
        if self._from_tree(ParkRequest, payload, "park") is not None:
            self._park()

    @workflow.signal(dynamic=True)
    def unknown_signal(self, name: str, args: Sequence[RawValue]) -> None:
        """Log and ignore signals this workflow does not know."""
        workflow.logger.warning("ignored unknown signal %r", name)

    @workflow.signal(name="report_sub_agent_state")
    def report_sub_agent_state(self, payload: Any) -> None:
        """Internal: sent by a sub-agent whenever what it waits for changes (a `SubAgentReport`)."""
        report = self._from_tree(SubAgentReport, payload, "report_sub_agent_state")
        if report is None:
            return
        call = next((c for c in self._state.turn_calls if c.id == report.tool_call_id), None)
        if call is None or call.kind != "sub_agent" or call.status != "running":
            workflow.logger.warning(
                "ignored report for call %r: no such sub-agent runs", report.tool_call_id
            )
            return
        if report.continuation is not None:
            try:
                check_runtime_tree(report.continuation)
            except ValueError as error:
                workflow.logger.warning("ignored report for call %r: %s", call.id, error)
                return
        call.child_continuation = report.continuation
        self._mark_changed()

    @workflow.signal(name="report_sub_agent_result")
    def report_sub_agent_result(self, payload: Any) -> None:
        """Internal: sent by a sub-agent as it ends (a `SubAgentResult`)."""
        report = self._from_tree(SubAgentResult, payload, "report_sub_agent_result")
        if report is None:
            return
        call = next((c for c in self._state.turn_calls if c.id == report.tool_call_id), None)
        if call is None or call.status != "running" or call.child_workflow_id != report.child_id:
            workflow.logger.warning(
                "ignored result for call %r: no such sub-agent runs", report.tool_call_id
            )
            return
        call.child_output = report.output

    @workflow.query(name="pending_approvals")
    def pending_approvals(self) -> list[JsonDict]:
        """Every tool call in the agent tree waiting for a decision, as `approval_info` entries
        with the `digest` a decision may carry."""
        return [{**entry, "digest": call_digest(entry["tool_call"])} for entry in self._pending()]

    @workflow.query(name="get_continuation")
    def get_continuation(self) -> JsonDict:
        """The run's continuation as the format's `approval_required` or `suspended` output."""
        return to_output(self._continuation())

    @workflow.query(name="get_state")
    def get_state(self) -> AgentState:
        """This agent level's state: messages, the current turn's calls and decisions taken."""
        return self._state

    async def _report_result_to_parent(self, call_id: str, output: AgentRunOutput) -> None:
        """Send this sub-agent's output to its parent, which may have continued as new since
        it started this run and so not get the result as a child workflow's."""
        parent = workflow.info().parent
        assert parent is not None
        message = SubAgentResult(
            token=self._token,
            tool_call_id=call_id,
            child_id=workflow.info().workflow_id,
            output=output,
        )
        if payload_problem("the result for the parent", message) is None:
            handle = workflow.get_external_workflow_handle(parent.workflow_id)
            await _signal_quietly(handle, MessageHandlers.report_sub_agent_result, message)

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
            message = SubAgentReport(token=self._token, tool_call_id=call_id, continuation=report)
            problem = payload_problem("the report to the parent", message)
            if problem:
                workflow.logger.warning("could not report to the parent: %s", problem)
            else:
                await _signal_quietly(handle, MessageHandlers.report_sub_agent_state, message)
            last = report


async def _signal_quietly(
    handle: workflow.ExternalWorkflowHandle[Any], signal: Any, message: TreeMessage
) -> None:
    """Signal another level of the tree; if it has ended, log it and go on."""
    try:
        await handle.signal(signal, message)
    except CancelledError:
        raise  # this run is ending
    except Exception as error:
        workflow.logger.warning("could not signal %s: %s", handle.id, error)


def _short(error: Exception) -> str:
    """An error's message for the log, cut short: a payload may be megabytes of junk."""
    text = str(error)
    return text if len(text) <= LOGGED_CHARS else f"{text[:LOGGED_CHARS]}..."


def _parse(model: type[M], payload: Any) -> M:
    """Validate a signal or update payload.

    Raises:
        ValueError: The payload does not fit `model`; the message says what is wrong.
    """
    try:
        return model.model_validate(payload)
    except pydantic.ValidationError as error:
        raise ValueError(f"invalid {model.__name__}: {validation_problems(error)}") from None
