"""`AgentWorkflow`: one agent's loop; sub-agents run as child workflows of the same type."""

from __future__ import annotations

import asyncio
import json
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
    from continuations import build_continuation, tool_message, waiting_calls
    from models import (
        AgentRunOutput,
        AgentState,
        AgentWorkflowInput,
        ApprovalDecision,
        DecideInput,
        DecisionRecord,
        JsonDict,
        ModelCallInput,
        SubAgentReport,
        ToolCallInput,
        ToolCallState,
        validation_problems,
    )
    from workflows.decisions import CheckedDecision, check_decision
    from workflows.details import describe_waiting

MODEL_TIMEOUT = timedelta(minutes=5)
MODEL_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1), maximum_attempts=10)
TOOL_TIMEOUT = timedelta(minutes=5)
TOOL_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30), maximum_attempts=3)


class _TurnStopped(Exception):
    """Raised inside a call's task when the turn ended before the call could run."""


@workflow.defn(name="AgentWorkflow")
class AgentWorkflow:
    """Runs one agent: model calls and tool calls as activities, sub-agents as child workflows.

    People decide on waiting tool calls with the `approve` / `reject` signals or the `decide`
    update, always sent to the root: decisions for calls inside sub-agents are passed down.
    """

    @workflow.init
    def __init__(self, input: AgentWorkflowInput) -> None:
        self._input = input
        try:
            self._agent: Agent | None = get_agent(input.agent)
        except UnknownAgentError:
            self._agent = None
        instructions = self._agent.instructions if self._agent else ""
        self._state = AgentState(
            agent=input.agent,
            model=input.model or (self._agent.model if self._agent else ""),
            messages=[
                {"role": "developer", "content": instructions},
                {"role": "user", "content": input.prompt},
            ],
        )
        self._forwarded: set[tuple[str, ...]] = set()
        self._children: dict[str, workflow.ChildWorkflowHandle[Any, AgentRunOutput]] = {}
        self._call_tasks: dict[str, asyncio.Task[None]] = {}
        self._stop_reason: str | None = None
        self._changed = False

    @workflow.run
    async def run(self, input: AgentWorkflowInput) -> AgentRunOutput:
        """Loop model → tools until the model answers without tool calls or a call is rejected."""
        if self._agent is None:
            return self._output("error", error=f"unknown agent {input.agent!r}")
        reporter = (
            asyncio.create_task(self._report_to_parent()) if input.sub_agent_call_id else None
        )
        output = await self._loop(self._agent)
        if reporter:
            reporter.cancel()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return output

    async def _loop(self, agent: Agent) -> AgentRunOutput:
        while True:
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
                return self._output("error", error=_cause_message(error))
            self._state.model_turns += 1
            self._state.total_tokens += reply.total_tokens
            self._state.messages.append(reply.message)
            tool_calls: list[JsonDict] = reply.message.get("tool_calls") or []
            if not tool_calls:
                return self._output("completed", result=reply.message.get("content") or "")
            rejected = await self._run_turn(agent, tool_calls)
            if rejected and agent.on_reject == "end":
                return self._output("rejected_tool_calls", rejected_tool_calls=rejected)

    async def _run_turn(self, agent: Agent, tool_calls: list[JsonDict]) -> list[JsonDict]:
        """Answer every tool call of one model turn; returns the rejected ones."""
        calls = [ToolCallState(tool_call=tc, kind=_kind(agent, tc)) for tc in tool_calls]
        self._state.turn_calls = calls
        self._stop_reason = None
        self._call_tasks = {c.id: asyncio.create_task(self._answer_call(agent, c)) for c in calls}
        await asyncio.gather(*self._call_tasks.values())
        for call in calls:
            self._state.messages.append(tool_message(call.id, call.result or ""))
        self._state.turn_calls = []
        self._call_tasks = {}
        self._mark_changed()
        return [c.tool_call for c in calls if c.status == "rejected"]

    async def _answer_call(self, agent: Agent, call: ToolCallState) -> None:
        """Decide, run and record one tool call; its `result` is what the model will read."""
        try:
            await self._decide_and_run(agent, call)
        except (_TurnStopped, asyncio.CancelledError, ChildWorkflowError):
            if self._stop_reason is None:
                raise
            call.status, call.result = "skipped", f"Not run: {self._stop_reason}"
        # Not in a `finally`: an evicted workflow's coroutines are closed outside its event loop.
        self._mark_changed()

    async def _decide_and_run(self, agent: Agent, call: ToolCallState) -> None:
        try:
            arguments = _parse_arguments(agent, call)
        except ValueError as error:
            call.status, call.result = "done", f"Error: {error}"
            return
        note = ""
        tool = agent.find_tool(call.name)
        if tool and tool.requires_approval(arguments):
            decision = await self._await_decision(agent, call)
            if not decision.approved:
                self._reject(agent, call, _rejection_text(decision))
                return
            if decision.edited_arguments is not None:
                arguments = decision.edited_arguments
                note = (
                    "Note: a person edited the arguments before approving; the call ran "
                    f"with {json.dumps(arguments)}.\n"
                )
        self._raise_if_stopped()
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
                lambda: call.decision is not None or self._stop_reason is not None, timeout=timeout
            )
        except TimeoutError:
            self._record_decision(call, approved=False, reason="timed out")
        self._raise_if_stopped()
        assert call.decision is not None
        return call.decision

    def _raise_if_stopped(self) -> None:
        if self._stop_reason is not None:
            raise _TurnStopped()

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
            return f"Error: tool {call.name} failed: {_cause_message(error)}"
        return output.content

    async def _run_sub_agent(self, agent: Agent, call: ToolCallState, prompt: str) -> None:
        sub_agent = agent.find_sub_agent(call.name)
        assert sub_agent is not None
        handle = await workflow.start_child_workflow(
            AgentWorkflow.run,
            AgentWorkflowInput(
                agent=sub_agent.name,
                prompt=prompt,
                model=self._input.model,
                sub_agent_call_id=call.id,
            ),
            id=f"{workflow.info().workflow_id}/{call.id}",
            static_summary=f"{sub_agent.name} for {agent.name} ({call.id})",
        )
        call.child_workflow_id = handle.id
        self._children[call.id] = handle
        try:
            output = await handle
        except ChildWorkflowError as error:
            if self._stop_reason is not None:
                raise
            call.status, call.result = "done", f"Error: agent {sub_agent.name} failed: {error}"
            return
        self._children.pop(call.id, None)
        self._state.decisions += [_nest(call, d) for d in output.decisions]
        if output.end_reason == "completed":
            call.status, call.result = "done", output.result or ""
        elif output.end_reason == "rejected_tool_calls":
            names = ", ".join(tc["function"]["name"] for tc in output.rejected_tool_calls or [])
            self._reject(
                agent,
                call,
                f"Rejected: agent {sub_agent.name} stopped because its call(s) {names} "
                "were rejected.",
            )
        else:
            call.status, call.result = (
                "done",
                f"Error: agent {sub_agent.name} failed: {output.error}",
            )

    # --- decisions -----------------------------------------------------------------------

    def _continuation(self) -> JsonDict:
        return build_continuation(self._state)

    def _check(self, decision: ApprovalDecision, approved: bool) -> CheckedDecision:
        if self._agent is None:
            raise LookupError("this run has no agent, so nothing waits for a decision")
        return check_decision(
            self._continuation(), self._agent, decision, approved, self._decided()
        )

    def _decided(self) -> set[tuple[str, ...]]:
        """Paths of calls decided here or passed down, whose owner may not have moved on yet."""
        own = {(c.id,) for c in self._state.turn_calls if c.decision is not None}
        return own | self._forwarded

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
            await self._children[path_ids[0]].signal("approve" if approved else "reject", forwarded)
        verb = "approved" if approved else "rejected"
        return f"{verb} {' > '.join(checked.entry['paths'])} ({path_ids[-1]})"

    async def _apply_signal(self, payload: Any, approved: bool) -> None:
        try:
            decision = _parse(ApprovalDecision, payload)
            workflow.logger.info(await self._apply(decision, approved))
        except (LookupError, ValueError) as error:
            name = "approve" if approved else "reject"
            workflow.logger.warning("ignored %s signal: %s", name, error)

    # Decision payloads are parsed by the handlers, not the data converter, so that a malformed
    # one is refused (update) or logged (signal) with a message naming the problem.

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

    @workflow.query(name="get_state")
    def get_state(self) -> AgentState:
        """This agent level's state: messages, the current turn's calls and decisions taken."""
        return self._state

    # --- reporting -----------------------------------------------------------------------

    def _mark_changed(self) -> None:
        self._changed = True
        workflow.set_current_details(describe_waiting(self.pending_approvals()))

    async def _report_to_parent(self) -> None:
        """Keep the parent's copy of what this sub-agent waits for up to date."""
        parent = workflow.info().parent
        assert parent is not None and self._input.sub_agent_call_id is not None
        handle = workflow.get_external_workflow_handle(parent.workflow_id)
        last: JsonDict | None = None
        while True:
            await workflow.wait_condition(lambda: self._changed)
            self._changed = False
            continuation = self._continuation()
            waiting = continuation if continuation.get("resume_request") else None
            if waiting != last:
                report = SubAgentReport(
                    tool_call_id=self._input.sub_agent_call_id, continuation=waiting
                )
                await handle.signal("report_sub_agent_state", report)
                last = waiting

    def _output(self, end_reason: Any, **fields: Any) -> AgentRunOutput:
        return AgentRunOutput(
            end_reason=end_reason,
            messages=self._state.messages,
            decisions=self._state.decisions,
            **fields,
        )


def _kind(agent: Agent, tool_call: JsonDict) -> Any:
    name = tool_call["function"]["name"]
    if agent.find_tool(name):
        return "tool"
    return "sub_agent" if agent.find_sub_agent(name) else "invalid"


def _parse_arguments(agent: Agent, call: ToolCallState) -> JsonDict:
    """The call's arguments, validated against the tool's schema.

    Raises:
        ValueError: Unknown tool, arguments not JSON, or not fitting the schema.
    """
    if call.kind == "invalid":
        raise ValueError(f"there is no tool named {call.name!r}")
    try:
        arguments = json.loads(call.tool_call["function"].get("arguments") or "{}")
    except json.JSONDecodeError as error:
        raise ValueError(f"arguments of {call.name} are not valid JSON: {error}") from None
    if not isinstance(arguments, dict):
        raise ValueError(f"arguments of {call.name} must be a JSON object")
    tool = agent.find_tool(call.name)
    if tool is None:
        if not isinstance(arguments.get("prompt"), str):
            raise ValueError(f'{call.name} takes {{"prompt": string}}')
        return arguments
    try:
        return tool.validate_arguments(arguments)
    except pydantic.ValidationError as error:
        problems = validation_problems(error)
        raise ValueError(f"arguments of {call.name} do not fit its schema: {problems}") from None


def _parse(model: type[DecideInput] | type[ApprovalDecision], payload: Any) -> Any:
    """Validate a decision payload.

    Raises:
        ValueError: The payload is not a valid decision; the message says what is wrong.
    """
    try:
        return model.model_validate(payload)
    except pydantic.ValidationError as error:
        raise ValueError(f"invalid decision: {validation_problems(error)}") from None


def _rejection_text(decision: DecisionRecord) -> str:
    who = f" by {decision.approver}" if decision.approver else ""
    why = f": {decision.reason}" if decision.reason else ""
    return f"Rejected{who}{why}. The call did not run."


def _nest(call: ToolCallState, record: DecisionRecord) -> DecisionRecord:
    """A sub-agent's decision record, with paths from this level."""
    return record.model_copy(
        update={"paths": [call.name, *record.paths], "path_ids": [call.id, *record.path_ids]}
    )


def _cause_message(error: BaseException) -> str:
    """The innermost cause's message of an activity or child failure."""
    while error.__cause__ is not None:
        error = error.__cause__
    return str(error)
