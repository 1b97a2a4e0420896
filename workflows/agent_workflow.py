"""`AgentWorkflow`: one agent's loop; sub-agents run as child workflows of the same type."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy
from temporalio.exceptions import ActivityError, ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    import pydantic

    from activities.model import ModelActivities
    from activities.tools import run_tool
    from agent_definitions import Agent, UnknownAgentError, get_agent
    from continuations import (
        build_continuation,
        needs_attention,
        to_output,
        tool_message,
        waiting_calls,
    )
    from models import (
        ANSWERED_STATUSES,
        AgentRunOutput,
        AgentState,
        AgentWorkflowInput,
        ApprovalDecision,
        BudgetInput,
        DecideInput,
        DecisionRecord,
        EndReason,
        JsonDict,
        ModelCallInput,
        PolicyState,
        ResumePoint,
        ResumeSignalInput,
        SubAgentReport,
        ToolCallInput,
        ToolCallState,
        validation_problems,
    )
    from workflows.calls import (
        call_kind,
        cause_message,
        edited_note,
        nest_decision,
        parse_arguments,
        rejection_text,
        resumed_call,
    )
    from workflows.decisions import CheckedDecision, check_decision
    from workflows.details import describe_waiting
    from workflows.policies import fired_policies

MODEL_TIMEOUT = timedelta(minutes=5)
MODEL_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1), maximum_attempts=10)
TOOL_TIMEOUT = timedelta(minutes=5)
TOOL_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30), maximum_attempts=3)
PARENT_SUSPENDED = "parent_suspended"


class _Interrupted(Exception):
    """Raised inside a call's task when the turn stops before the call could run."""


@workflow.defn(name="AgentWorkflow")
class AgentWorkflow:
    """Runs one agent: model calls and tool calls as activities, sub-agents as child workflows.

    People decide on waiting tool calls with the `approve` / `reject` signals or the `decide`
    update, and resume suspended levels with `resume`, always sent to the root: messages for
    levels inside sub-agents are passed down.
    """

    @workflow.init
    def __init__(self, input: AgentWorkflowInput) -> None:
        self._input = input
        try:
            self._agent: Agent | None = get_agent(input.agent)
        except UnknownAgentError:
            self._agent = None
        model = input.model or (self._agent.model if self._agent else "")
        start = input.resume or ResumePoint(messages=self._first_messages(input))
        self._state = AgentState(
            agent=input.agent,
            model=model,
            messages=list(start.messages),
            decisions=list(start.decisions),
            model_turns=start.model_turns,
            total_tokens=start.total_tokens,
            policy=start.policy,
        )
        if self._agent is not None:
            now = workflow.now()
            self._state.turn_calls = [resumed_call(self._agent, c, now) for c in start.calls]
            self._state.decisions += [c.decision for c in self._state.turn_calls if c.decision]
        self._forwarded: set[tuple[str, ...]] = set()
        self._call_tasks: dict[str, asyncio.Task[None]] = {}
        self._stop_reason: str | None = None
        self._parking = False
        self._resume_budget: BudgetInput | None = None
        self._changed = False

    def _first_messages(self, input: AgentWorkflowInput) -> list[JsonDict]:
        instructions = self._agent.instructions if self._agent else ""
        return [
            {"role": "developer", "content": instructions},
            {"role": "user", "content": input.prompt or ""},
        ]

    @workflow.run
    async def run(self, input: AgentWorkflowInput) -> AgentRunOutput:
        """Loop model → tools until the model answers without tool calls or a call is rejected."""
        if self._agent is None:
            return self._output("error", error=f"unknown agent {input.agent!r}")
        if input.prompt is None and input.resume is None:
            return self._output("error", error="give a prompt or a continuation to resume")
        reporter = None
        if input.sub_agent_call_id:
            reporter = asyncio.create_task(self._report_to_parent(input.sub_agent_call_id))
        output = await self._loop(self._agent)
        if reporter:
            reporter.cancel()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return output

    async def _loop(self, agent: Agent) -> AgentRunOutput:
        if self._state.policy.started_at is None:
            self._state.policy.started_at = workflow.now()
        if self._state.turn_calls:
            ended = await self._finish_turn(agent)
            if ended:
                return ended
        while True:
            if self._history_is_long():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(self._carried_over())
            fired = fired_policies(agent, self._state)
            if self._parking:
                fired.append(PARENT_SUSPENDED)
            if fired:
                ended = await self._suspend(fired)
                if ended:
                    return ended
            workflow.set_current_details(f"Calling the model (turn {self._state.model_turns + 1}).")
            try:
                reply = await workflow.execute_activity_method(
                    ModelActivities.call_model,
                    ModelCallInput(
                        agent=agent.name, model=self._state.model, messages=self._state.messages
                    ),
                    start_to_close_timeout=MODEL_TIMEOUT,
                    retry_policy=MODEL_RETRY,
                )
            except ActivityError as error:
                return self._output("error", error=cause_message(error))
            self._state.model_turns += 1
            self._state.total_tokens += reply.total_tokens
            self._state.messages.append(reply.message)
            tool_calls: list[JsonDict] = reply.message.get("tool_calls") or []
            if not tool_calls:
                return self._output("completed", result=reply.message.get("content") or "")
            self._state.turn_calls = [
                ToolCallState(tool_call=tc, kind=call_kind(agent, tc)) for tc in tool_calls
            ]
            ended = await self._finish_turn(agent)
            if ended:
                return ended

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
                "resume": ResumePoint(
                    messages=self._state.messages,
                    decisions=self._state.decisions,
                    model_turns=self._state.model_turns,
                    total_tokens=self._state.total_tokens,
                    policy=self._state.policy,
                ),
            }
        )

    async def _suspend(self, fired: list[str]) -> AgentRunOutput | None:
        """Suspend: complete with the continuation, or wait for `resume` holding no worker."""
        self._state.suspend_list = fired
        self._mark_changed()
        if self._input.options.exit_on_suspend:
            return self._parked_output("suspended", suspend_list=fired)
        await workflow.wait_condition(lambda: self._resume_budget is not None)
        self._state.policy = PolicyState(
            turns_at_start=self._state.model_turns,
            tokens_at_start=self._state.total_tokens,
            started_at=workflow.now(),
            budget=self._resume_budget or BudgetInput(),
        )
        self._resume_budget = None
        self._parking = False
        self._state.suspend_list = []
        self._mark_changed()
        return None

    async def _finish_turn(self, agent: Agent) -> AgentRunOutput | None:
        """Answer every call of the current turn; returns the run's end if the turn ends it."""
        calls = self._state.turn_calls
        self._stop_reason = None
        self._call_tasks = {
            c.id: asyncio.create_task(self._answer_call(agent, c))
            for c in calls
            if c.status not in ANSWERED_STATUSES
        }
        await asyncio.gather(*self._call_tasks.values())
        self._call_tasks = {}
        rejected = [c.tool_call for c in calls if c.status == "rejected"]
        if rejected and agent.on_reject == "end":
            self._close_turn()
            return self._output("rejected_tool_calls", rejected_tool_calls=rejected)
        if self._parking and any(c.status not in ANSWERED_STATUSES for c in calls):
            return self._parked_output("approval_required")
        self._close_turn()  # when parking, the next loop top suspends
        return None

    def _close_turn(self) -> None:
        for call in self._state.turn_calls:
            self._state.messages.append(tool_message(call.id, call.result or ""))
        self._state.turn_calls = []
        self._mark_changed()

    async def _answer_call(self, agent: Agent, call: ToolCallState) -> None:
        """Decide, run and record one tool call; its `result` is what the model will read."""
        try:
            await self._decide_and_run(agent, call)
        except (_Interrupted, asyncio.CancelledError, ChildWorkflowError):
            if self._parking and call.status == "waiting_approval":
                pass  # Left waiting: the continuation carries it to wherever the run resumes.
            elif self._stop_reason is not None:
                call.status, call.result = "skipped", f"Not run: {self._stop_reason}"
            else:
                raise
        # Not in a `finally`: an evicted workflow's coroutines are closed outside its event loop.
        self._mark_changed()

    async def _decide_and_run(self, agent: Agent, call: ToolCallState) -> None:
        try:
            arguments = parse_arguments(agent, call)
        except ValueError as error:
            call.status, call.result = "done", f"Error: {error}"
            return
        note = ""
        tool = agent.find_tool(call.name)
        if tool and (call.status == "waiting_approval" or tool.requires_approval(arguments)):
            decision = await self._await_decision(agent, call)
            if not decision.approved:
                self._reject(agent, call, rejection_text(decision))
                return
            if decision.edited_arguments is not None:
                arguments = decision.edited_arguments
                note = edited_note(arguments)
        self._raise_if_interrupted()
        call.status = "running"
        self._mark_changed()
        if call.kind == "sub_agent":
            await self._run_sub_agent(agent, call, arguments["prompt"])
        else:
            call.result = note + await self._run_tool(agent, call, arguments)
            call.status = "done"

    async def _await_decision(self, agent: Agent, call: ToolCallState) -> DecisionRecord:
        call.status = "waiting_approval"
        self._mark_changed()
        tool = agent.find_tool(call.name)
        timeout = (tool.approval_timeout if tool else None) or agent.approval_timeout
        try:
            await workflow.wait_condition(
                lambda: call.decision is not None or self._interrupted(), timeout=timeout
            )
        except TimeoutError:
            self._record_decision(call, approved=False, reason="timed out")
        if call.decision is None:
            raise _Interrupted()
        return call.decision

    def _interrupted(self) -> bool:
        return self._stop_reason is not None or self._parking

    def _raise_if_interrupted(self) -> None:
        if self._interrupted():
            raise _Interrupted()

    def _reject(self, agent: Agent, call: ToolCallState, text: str) -> None:
        call.status, call.result = "rejected", text
        if agent.on_reject == "end" and self._stop_reason is None:
            self._stop_reason = f"the run ended because call {call.id} ({call.name}) was rejected"
            for other in self._state.turn_calls:
                if other.kind == "sub_agent" and other.status == "running":
                    self._call_tasks[other.id].cancel()

    async def _run_tool(self, agent: Agent, call: ToolCallState, arguments: JsonDict) -> str:
        try:
            output = await workflow.execute_activity(
                run_tool,
                ToolCallInput(agent=agent.name, tool=call.name, arguments=arguments),
                start_to_close_timeout=TOOL_TIMEOUT,
                retry_policy=TOOL_RETRY,
                summary=f"{call.name} ({call.id})",
            )
        except ActivityError as error:
            return f"Error: tool {call.name} failed: {cause_message(error)}"
        return output.content

    async def _run_sub_agent(self, agent: Agent, call: ToolCallState, prompt: str) -> None:
        sub_agent = agent.find_sub_agent(call.name)
        assert sub_agent is not None
        call.child_workflow_id = f"{workflow.info().workflow_id}/{call.id}"
        output = await workflow.execute_child_workflow(
            AgentWorkflow.run,
            AgentWorkflowInput(
                agent=sub_agent.name,
                prompt=prompt,
                model=self._input.model,
                sub_agent_call_id=call.id,
                resume=call.sub_agent_resume,
                options=self._input.options,
            ),
            id=call.child_workflow_id,
            static_summary=f"{sub_agent.name} for {agent.name} ({call.id})",
        )
        self._state.decisions += [nest_decision(call, d) for d in output.decisions]
        name = sub_agent.name
        if output.end_reason == "completed":
            call.status, call.result = "done", output.result or ""
        elif output.end_reason == "rejected_tool_calls":
            names = ", ".join(tc["function"]["name"] for tc in output.rejected_tool_calls or [])
            text = f"Rejected: agent {name} stopped because its call(s) {names} were rejected."
            self._reject(agent, call, text)
        elif output.continuation is not None:
            # The sub-agent exited suspended: this level exits too, once nothing else runs.
            call.status, call.child_continuation = "parked", output.continuation
            self._park()
        else:
            call.status, call.result = "done", f"Error: agent {name} failed: {output.error}"

    def _park(self) -> None:
        """Stop waiting and let running children suspend, so the whole tree can exit."""
        if self._parking:
            return
        self._parking = True
        for call in self._state.turn_calls:
            if call.kind == "sub_agent" and call.status == "running" and call.child_workflow_id:
                handle = workflow.get_external_workflow_handle(call.child_workflow_id)
                asyncio.create_task(handle.signal("park"))

    # --- decisions -----------------------------------------------------------------------

    def _continuation(self) -> JsonDict:
        return build_continuation(self._state)

    def _decided(self) -> set[tuple[str, ...]]:
        """Paths of calls decided here or passed down, whose owner may not have moved on yet."""
        own = {(c.id,) for c in self._state.turn_calls if c.decision is not None}
        return own | self._forwarded

    def _check(self, decision: ApprovalDecision, approved: bool) -> CheckedDecision:
        if self._agent is None:
            raise LookupError("this run has no agent, so nothing waits for a decision")
        return check_decision(
            self._continuation(), self._agent, decision, approved, self._decided()
        )

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
        )
        call.decision = record
        self._state.decisions.append(record)
        self._mark_changed()
        return record

    def _child_handle(self, call_id: str) -> workflow.ExternalWorkflowHandle[Any]:
        call = next(c for c in self._state.turn_calls if c.id == call_id)
        if call.child_workflow_id is None:
            raise LookupError(f"sub-agent call {call_id!r} has no running workflow")
        return workflow.get_external_workflow_handle(call.child_workflow_id)

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
            signal = "approve" if approved else "reject"
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
                await self._child_handle(call.id).signal("resume", forwarded)

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
        decided = self._decided()
        return [
            e for e in waiting_calls(self._continuation()) if tuple(e["path_ids"]) not in decided
        ]

    @workflow.query(name="get_continuation")
    def get_continuation(self) -> JsonDict:
        """The run's continuation as the format's `approval_required` or `suspended` output."""
        return to_output(self._continuation())

    @workflow.query(name="get_state")
    def get_state(self) -> AgentState:
        """This agent level's state: messages, the current turn's calls and decisions taken."""
        return self._state

    # --- reporting -----------------------------------------------------------------------

    def _mark_changed(self) -> None:
        self._changed = True
        suspended = self._state.suspend_list
        if suspended:
            workflow.set_current_details(
                f"Suspended by {', '.join(suspended)}: send signal `resume` with {{}} to go on."
            )
        else:
            workflow.set_current_details(describe_waiting(self.pending_approvals()))

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
            if report != last:
                await handle.signal(
                    "report_sub_agent_state",
                    SubAgentReport(tool_call_id=call_id, continuation=report),
                )
                last = report

    def _parked_output(self, end_reason: EndReason, **fields: Any) -> AgentRunOutput:
        return self._output(end_reason, continuation=self._continuation(), **fields)

    def _output(self, end_reason: EndReason, **fields: Any) -> AgentRunOutput:
        return AgentRunOutput(
            end_reason=end_reason,
            messages=self._state.messages,
            decisions=self._state.decisions,
            **fields,
        )


def _parse(model: type[pydantic.BaseModel], payload: Any) -> Any:
    """Validate a signal or update payload.

    Raises:
        ValueError: The payload does not fit `model`; the message says what is wrong.
    """
    try:
        return model.model_validate(payload)
    except pydantic.ValidationError as error:
        raise ValueError(f"invalid {model.__name__}: {validation_problems(error)}") from None
