"""Answering one model turn's tool calls: decisions, and tools as activities (sub-agents are
in `workflows._sub_agents`)."""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import (
    ActivityError,
    ChildWorkflowError,
)

from agent_continuations.activities import ToolActivities, ToolCallInput
from agent_continuations.agent_definitions import Agent
from agent_continuations.continuations import tool_message
from agent_continuations.shared import AgentRunOutput, DecisionRecord, JsonDict
from agent_continuations.workflows._activity_options import TOOL_CALL_DEFAULTS, effective_options
from agent_continuations.workflows._calls import (
    cause_message,
    edited_note,
    parse_arguments,
    rejection_text,
)
from agent_continuations.workflows._state import ANSWERED_STATUSES, ToolCallState
from agent_continuations.workflows._sub_agents import SubAgentCalls, waits_for_a_person


class _Interrupted(Exception):
    """Raised inside a call's task when the turn stops before the call could run."""


class TurnCalls(SubAgentCalls):
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
        tasks = list(self._call_tasks.values())
        await workflow.wait_condition(
            lambda: all(t.done() for t in tasks) or self._should_continue_waiting_as_new()
        )
        if not all(t.done() for t in tasks):
            await workflow.wait_condition(workflow.all_handlers_finished)
            workflow.continue_as_new(self._carried_over())
        await asyncio.gather(*tasks)  # raises what a call's task raised
        self._call_tasks = {}
        rejected = [c.tool_call for c in calls if c.status == "rejected"]
        if rejected and agent.on_reject == "end":
            self._close_turn()
            return self._output("rejected_tool_calls", rejected_tool_calls=rejected)
        if self._parking and any(c.status not in ANSWERED_STATUSES for c in calls):
            return self._parked_output("approval_required")
        self._close_turn()  # when parking, the next loop top suspends
        return None

    def _should_continue_waiting_as_new(self) -> bool:
        """Whether the history grew long while every open call waits for a person, itself or
        in its sub-agent (e.g. junk signals arrive): then this level continues as new carrying
        its calls, as between turns. Not while a tool runs: its result comes to this run only.
        Sub-agents outlive the run (they report their result by signal)."""
        open_calls = [c for c in self._state.turn_calls if c.status not in ANSWERED_STATUSES]
        return (
            self._history_is_long()
            and not self._parking
            and all(waits_for_a_person(c) for c in open_calls)
        )

    def _close_turn(self) -> None:
        for call in self._state.turn_calls:
            self._state.messages.append(tool_message(call.id, call.result or ""))
        self._state.turn_calls = []
        self._state.forwarded = []  # decisions passed down were for this turn's sub-agents
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

    async def _run_tool(self, agent: Agent, call: ToolCallState, arguments: JsonDict) -> str:
        run = self._input.options
        tool = agent.find_tool(call.name)
        assert tool is not None  # `call_kind` made it a tool call
        options = effective_options(
            tool.activity_options,
            TOOL_CALL_DEFAULTS,
            run.tool_timeout_seconds,
            run.tool_heartbeat_seconds,
        )
        try:
            output = await workflow.execute_activity_method(
                ToolActivities.run_tool,
                ToolCallInput(
                    agent=agent.name,
                    tool=call.name,
                    arguments=arguments,
                    idempotency_key=(
                        f"{workflow.info().workflow_id}/{self._state.model_turns}/{call.id}"
                    ),
                ),
                start_to_close_timeout=options.start_to_close_timeout,
                heartbeat_timeout=options.heartbeat_timeout,
                retry_policy=options.retry_policy,
                task_queue=options.task_queue,
                summary=f"{call.name} ({call.id})",
            )
        except ActivityError as error:
            return f"Error: tool {call.name} failed: {cause_message(error)}"
        return output.content
