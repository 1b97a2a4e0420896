"""Answering one model turn's tool calls: decisions, tools as activities, sub-agents as
child workflows."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ChildWorkflowError

from activities import ToolCallInput, run_tool
from agent_definitions import Agent
from continuations import tool_message
from payloads import AgentRunOutput, AgentWorkflowInput, DecisionRecord, JsonDict
from workflows._calls import (
    cause_message,
    edited_note,
    nest_decision,
    parse_arguments,
    rejection_text,
)
from workflows._handlers import MessageHandlers
from workflows._state import ANSWERED_STATUSES, ToolCallState

TOOL_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30), maximum_attempts=3)


class _Interrupted(Exception):
    """Raised inside a call's task when the turn stops before the call could run."""


class TurnCalls(MessageHandlers):
    """Runs the calls of the current turn in parallel, each waiting for a decision if needed."""

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
        options = self._input.options
        try:
            output = await workflow.execute_activity(
                run_tool,
                ToolCallInput(
                    agent=agent.name,
                    tool=call.name,
                    arguments=arguments,
                    idempotency_key=(
                        f"{workflow.info().workflow_id}/{self._state.model_turns}/{call.id}"
                    ),
                ),
                start_to_close_timeout=timedelta(seconds=options.tool_timeout_seconds),
                heartbeat_timeout=timedelta(seconds=options.tool_heartbeat_seconds),
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
            workflow.info().workflow_type,  # a sub-agent runs on this same workflow type
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
            result_type=AgentRunOutput,
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
