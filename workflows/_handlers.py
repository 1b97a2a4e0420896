"""The messages an agent level's workflow answers: decisions, resume, `move_out`, queries.

People send `approve`, `reject`, `decide` and `resume` to the root only, which passes them
down to the sub-agent they are for with internal signals (`apply_decision`, `apply_resume`);
`park` goes down too. Reports going up are in `workflows._reports`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

from agent_continuations.activities import (
    CONVERSATION_QUERY,
    ConversationPage,
    ConversationPageInput,
    conversation_page,
)
from agent_continuations.continuations import needs_attention, to_output
from agent_continuations.shared import (
    ApprovalDecision,
    BudgetInput,
    DecideInput,
    JsonDict,
    ResumeSignalInput,
)
from agent_continuations.workflows._decisions import CheckedDecision, call_digest, check_decision
from agent_continuations.workflows._reports import (
    SubAgentReports,
    parse_payload,
    short_error,
    signal_quietly,
)
from agent_continuations.workflows._state import (
    AgentState,
    ForwardedDecision,
    ForwardedResume,
    ParkRequest,
)


class MessageHandlers(SubAgentReports):
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
                asyncio.create_task(signal_quietly(handle, MessageHandlers.park, request))

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
            await signal_quietly(handle, MessageHandlers.apply_decision, message)
        verb = "approved" if approved else "rejected"
        return f"{verb} {' > '.join(checked.entry['paths'])} ({path_ids[-1]})"

    async def _apply_signal(self, name: str, payload: Any, approved: bool) -> None:
        try:
            self._refuse_unless_root()
            decision = parse_payload(ApprovalDecision, payload)
            workflow.logger.info(await self._apply(decision, approved))
        except (LookupError, ValueError) as error:
            workflow.logger.warning("ignored %s signal: %s", name, short_error(error))

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
            decision = parse_payload(DecideInput, input)
            return await self._apply(decision, decision.approved)
        except (LookupError, ValueError) as error:  # the state changed since validation
            raise ApplicationError(str(error), type="DecisionRefused") from None

    @decide.validator
    def _validate_decide(self, input: Any) -> None:
        self._refuse_unless_root()
        decision = parse_payload(DecideInput, input)
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
            workflow.logger.warning("ignored a decision passed down: %s", short_error(error))

    @workflow.signal(name="resume")
    async def resume(self, payload: Any = None) -> None:
        """Resume suspended levels: a `ResumeSignalInput` (every suspended level by default)."""
        try:
            self._refuse_unless_root()
            request = parse_payload(ResumeSignalInput, payload or {})
        except (LookupError, ValueError) as error:
            workflow.logger.warning("ignored resume signal: %s", short_error(error))
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
                await signal_quietly(handle, MessageHandlers.apply_resume, forwarded)

    @workflow.signal(name="park")
    def park(self, payload: Any = None) -> None:
        """Internal: sent by a parent that exits suspended (a `ParkRequest`)."""
        if self._from_tree(ParkRequest, payload, "park") is not None:
            self._park()

    @workflow.signal(dynamic=True)
    def unknown_signal(self, name: str, args: Sequence[RawValue]) -> None:
        """Log and ignore signals this workflow does not know."""
        workflow.logger.warning("ignored unknown signal %r", name)

    @workflow.query(name="pending_approvals")
    def pending_approvals(self) -> list[JsonDict]:
        """Every tool call in the agent tree waiting for a decision, as `approval_info` entries
        with the `digest` a decision may carry."""
        return [{**entry, "digest": call_digest(entry["tool_call"])} for entry in self._pending()]

    @workflow.query(name="get_continuation")
    def get_continuation(self) -> JsonDict:
        """The run's continuation as the format's `approval_required` or `suspended` output."""
        return to_output(self._continuation())

    @workflow.query(name=CONVERSATION_QUERY)
    def get_conversation(self, page: ConversationPageInput) -> ConversationPage:
        """A page of this level's messages: how `call_model` reads the conversation it is
        passed by reference."""
        return conversation_page(self._state.messages, page)

    @workflow.query(name="get_summary")
    def get_summary(self) -> AgentState:
        """This level's state without its messages (`get_conversation` pages through them):
        small however long the conversation, for `starter.py watch` to poll."""
        return self._state.model_copy(update={"messages": []})

    @workflow.query(name="get_state")
    def get_state(self) -> AgentState:
        """This agent level's state: messages, the current turn's calls and decisions taken."""
        return self._state
