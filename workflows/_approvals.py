"""`Approvals`: people's decisions on waiting calls, recorded here or passed down the tree."""

from __future__ import annotations

from typing import Any

import pydantic
from temporalio import workflow

from agent_continuations.activities import SignedApproval
from agent_continuations.agent_definitions import ApproverKeys
from agent_continuations.shared import (
    ApprovalDecision,
    DecideInput,
    DecisionRecord,
    JsonDict,
    validation_problems,
)
from agent_continuations.workflows._decisions import (
    CheckedDecision,
    check_decision,
    check_signature,
    resolve_call,
)
from agent_continuations.workflows._level import Level
from agent_continuations.workflows._state import ForwardedDecision, ToolCallState
from agent_continuations.workflows._status import LevelStatus
from agent_continuations.workflows._tree_messages import (
    refuse_unless_root,
    short_error,
    signal_quietly,
)


class Approvals:
    """Checks decisions against the level's waiting calls, records those for its own calls and
    passes the others down to the sub-agent they are for (`apply_decision`)."""

    def __init__(self, level: Level, status: LevelStatus, approver_keys: ApproverKeys) -> None:
        self._level = level
        self._status = status
        self._approver_keys = approver_keys

    @staticmethod
    def parse(input: Any) -> DecideInput:
        """The `decide` update's input, parsed here so a refusal names the problem.

        Raises:
            ValueError: It is not a `DecideInput`.
        """
        try:
            return DecideInput.model_validate(input)
        except pydantic.ValidationError as error:
            raise ValueError(f"invalid DecideInput: {validation_problems(error)}") from None

    def unknown_approvers(self) -> list[str]:
        """The run's approvers (`RunOptions.approvers`) whose keys the worker lacks."""
        known = self._approver_keys.names()
        return [name for name in self._level.input.options.approvers if name not in known]

    def check(self, decision: ApprovalDecision, approved: bool) -> CheckedDecision:
        """Match a decision to a waiting call (see `check_decision`); at the root, where people
        decide, a call whose tool has approvers needs one's signature (`check_signature`).
        Levels below take what the root passes down.

        Raises:
            LookupError, ValueError: The decision names no waiting call or does not fit it.
        """
        level = self._level
        if level.agent is None:
            raise LookupError("this run has no agent, so nothing waits for a decision")
        checked = check_decision(
            level.continuation(), level.agent, decision, approved, level.decided()
        )
        info = workflow.info()
        if info.parent is None:
            agent, tool = resolve_call(level.agent, checked.entry.paths)
            approvers = agent.approvers_of(tool, level.input.options.approvers)
            check_signature(self._approver_keys, approvers, decision, checked, info.workflow_id)
        return checked

    async def apply(self, decision: ApprovalDecision, approved: bool) -> str:
        """Record a decision on a call of this level, or pass it down to the sub-agent.

        Returns:
            What was decided, for a person.

        Raises:
            LookupError, ValueError: The decision names no waiting call or does not fit it.
        """
        checked = self.check(decision, approved)
        entry = checked.entry
        if len(entry.path_ids) == 1:
            call = self._level.find_call(entry.call_id)
            assert call is not None
            self.record(call, approved, decision.reason, decision.approver, checked.arguments)
            call.signature = decision.signature
        else:
            await self._pass_down(decision, checked)
        verb = "approved" if approved else "rejected"
        return f"{verb} {' > '.join(entry.paths)} ({entry.call_id})"

    async def apply_quietly(
        self,
        decision: ApprovalDecision | None,
        approved: bool,
        signal: str,
        from_person: bool = True,
    ) -> None:
        """`apply` for a signal: log what was decided, or why the decision is ignored.

        Args:
            decision: The decision; None (a JSON null) is ignored.
            approved: Its verdict.
            signal: The signal it came with, for the log.
            from_person: It came from a person, so this level must be the root; else it was
                passed down by the parent.
        """
        try:
            if from_person:
                refuse_unless_root()
            if decision is None:
                raise ValueError("no decision was given")
            workflow.logger.info(await self.apply(decision, approved))
        except (LookupError, ValueError) as error:
            workflow.logger.warning("ignored %s signal: %s", signal, short_error(error))

    async def _pass_down(self, decision: ApprovalDecision, checked: CheckedDecision) -> None:
        level = self._level
        path_ids = checked.entry.path_ids
        call = level.find_call(path_ids[0])
        if call is None or call.child_workflow_id is None:
            raise LookupError(f"sub-agent call {path_ids[0]!r} has no running workflow")
        handle = workflow.get_external_workflow_handle(call.child_workflow_id)
        level.state.forwarded.append(path_ids)
        # The sub-agent does not report that it waits for nothing more (`ParentReports`).
        copy = call.child_continuation
        if copy is not None and copy.waits_only_for(path_ids[1:]):
            call.child_continuation = None
        self._status.mark_changed()
        # The digest of what this level showed travels down: the sub-agent refuses the
        # decision if the call it would run is another one.
        forwarded = DecideInput(
            path_ids=path_ids[1:],
            approved=checked.approved,
            reason=decision.reason,
            approver=decision.approver,
            arguments=checked.arguments,
            digest=checked.entry.digest,
            signature=decision.signature,
        )
        message = ForwardedDecision(decision=forwarded)
        await signal_quietly(handle, "apply_decision", message, level.keys)

    def record(
        self,
        call: ToolCallState,
        approved: bool,
        reason: str | None,
        approver: str | None = None,
        arguments: JsonDict | None = None,
    ) -> DecisionRecord:
        """Record a decision on one of this level's calls; the call's task then goes on."""
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
        self._level.state.decisions.append(record)
        self._status.mark_changed()
        return record


def signed_approval(call: ToolCallState) -> SignedApproval | None:
    """The approver's signed decision on `call`, for `run_tool` to check; None if unsigned."""
    decision = call.decision
    if call.signature is None or decision is None or decision.approver is None:
        return None
    info = workflow.info()
    return SignedApproval(
        approver=decision.approver,
        signature=call.signature,
        root_workflow_id=info.root.workflow_id if info.root else info.workflow_id,
        tool_call=call.tool_call,
        edited_arguments=decision.edited_arguments,
    )
