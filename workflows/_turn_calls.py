"""`TurnCalls`: answering the tool calls of one model turn, in parallel, each after the
decision it needs; tools run as activities, sub-agents as child workflows (`SubAgents`)."""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, ChildWorkflowError

from agent_continuations.activities import (
    APPROVAL_NEEDED,
    McpCallInput,
    ToolActivities,
    ToolCallInput,
)
from agent_continuations.agent_definitions import Agent, McpTool
from agent_continuations.continuations import tool_message
from agent_continuations.shared import AgentRunOutput, DecisionRecord, JsonDict
from agent_continuations.workflows._activity_options import (
    TOOL_CALL_DEFAULTS,
    effective_options,
)
from agent_continuations.workflows._approvals import Approvals, signed_approval
from agent_continuations.workflows._calls import (
    cause_message,
    edited_note,
    parse_arguments,
    rejection_text,
    sub_agent_prompt,
)
from agent_continuations.workflows._continue_as_new import ContinueAsNew
from agent_continuations.workflows._level import Level
from agent_continuations.workflows._mcp_tools import call_mcp_tool
from agent_continuations.workflows._state import ANSWERED_STATUSES, ToolCallState
from agent_continuations.workflows._status import LevelStatus
from agent_continuations.workflows._sub_agents import SubAgents


class _Interrupted(Exception):
    """Raised inside a call's task when the turn stops before the call could run."""


class TurnCalls:
    """Runs the calls of the current turn, each in its own task, until all are answered."""

    def __init__(
        self,
        level: Level,
        status: LevelStatus,
        approvals: Approvals,
        sub_agents: SubAgents,
        continue_as_new: ContinueAsNew,
    ) -> None:
        self._level = level
        self._status = status
        self._approvals = approvals
        self._sub_agents = sub_agents
        self._continue_as_new = continue_as_new
        self._tasks: dict[str, asyncio.Task[None]] = {}

    async def finish_turn(self, agent: Agent) -> AgentRunOutput | None:
        """Answer every call of the current turn; returns the run's end if the turn ends it."""
        level = self._level
        calls = level.state.turn_calls
        level.stop_reason = None
        self._tasks = {
            c.id: asyncio.create_task(self._answer_call(agent, c))
            for c in calls
            if c.status not in ANSWERED_STATUSES
        }
        tasks = list(self._tasks.values())
        await workflow.wait_condition(
            lambda: all(t.done() for t in tasks) or self._continue_as_new.should_continue_as_new()
        )
        if not all(t.done() for t in tasks):
            await self._continue_as_new.continue_as_new_if_suggested()
        await asyncio.gather(*tasks)  # raises what a call's task raised
        self._tasks = {}
        rejected = [c.tool_call for c in calls if c.status == "rejected"]
        if rejected and agent.on_reject == "end":
            self._close_turn()
            return level.output("rejected_tool_calls", rejected_tool_calls=rejected)
        if level.parking and any(c.status not in ANSWERED_STATUSES for c in calls):
            return level.parked_output("approval_required")
        self._close_turn()  # when parking, the next loop top suspends
        return None

    def tasks(self) -> list[asyncio.Task[None]]:
        """The tasks of the calls under way."""
        return list(self._tasks.values())

    def _close_turn(self) -> None:
        state = self._level.state
        for call in state.turn_calls:
            state.messages.append(tool_message(call.id, call.result or ""))
        state.turn_calls = []
        state.forwarded = []  # decisions passed down were for this turn's sub-agents
        self._status.mark_changed()

    def _reject(self, agent: Agent, call: ToolCallState, text: str) -> None:
        level = self._level
        call.status, call.result = "rejected", text
        if agent.on_reject == "end" and level.stop_reason is None:
            level.stop_reason = f"the run ended because call {call.id} ({call.name}) was rejected"
            for other in level.state.turn_calls:
                if other.kind == "sub_agent" and other.status == "running":
                    self._tasks[other.id].cancel()

    async def _answer_call(self, agent: Agent, call: ToolCallState) -> None:
        """Decide, run and record one tool call; its `result` is what the model will read."""
        level = self._level
        try:
            await self._decide_and_run(agent, call)
        except (_Interrupted, asyncio.CancelledError, ChildWorkflowError):
            if level.parking and call.status == "waiting_approval":
                pass  # Left waiting: the continuation carries it to wherever the run resumes.
            elif level.stop_reason is not None:
                call.status, call.result = "skipped", f"Not run: {level.stop_reason}"
            else:
                raise
        # Not in a `finally`: an evicted workflow's coroutines are closed outside its event loop.
        self._status.mark_changed()

    async def _decide_and_run(self, agent: Agent, call: ToolCallState) -> None:
        try:
            arguments = parse_arguments(agent, call)
        except ValueError as error:
            call.status, call.result = "done", f"Error: {error}"
            return
        tool = agent.find_tool(call.name)
        asks = tool is not None and (
            call.status == "waiting_approval" or tool.requires_approval(arguments)
        )
        while True:  # once more only when the tool, running, asks for approval
            note, approved = "", False
            if asks:
                decision = await self._await_decision(agent, call)
                approved = decision.approved
                if not decision.approved:
                    self._reject(agent, call, rejection_text(decision))
                    return
                if decision.edited_arguments is not None:
                    arguments = decision.edited_arguments
                    note = edited_note(arguments)
            if self._interrupted():
                raise _Interrupted()
            call.status = "running"
            self._status.mark_changed()
            if call.kind == "sub_agent":
                prompt = arguments[sub_agent_prompt(agent, call.name)]
                rejection = await self._sub_agents.run(agent, call, prompt)
                if rejection is not None:
                    self._reject(agent, call, rejection)
                return
            result = await self._run_tool(agent, call, arguments, approved)
            if result is None:
                asks = True
                continue
            call.result, call.status = note + result, "done"
            return

    async def _await_decision(self, agent: Agent, call: ToolCallState) -> DecisionRecord:
        call.status = "waiting_approval"
        self._status.mark_changed()
        tool = agent.find_tool(call.name)
        timeout = (tool.approval_timeout if tool else None) or agent.approval_timeout
        try:
            await workflow.wait_condition(
                lambda: call.decision is not None or self._interrupted(), timeout=timeout
            )
        except TimeoutError:
            self._approvals.record(call, approved=False, reason="timed out")
        if call.decision is None:
            raise _Interrupted()
        return call.decision

    def _interrupted(self) -> bool:
        return self._level.stop_reason is not None or self._level.parking

    async def _run_tool(
        self, agent: Agent, call: ToolCallState, arguments: JsonDict, approved: bool
    ) -> str | None:
        """Run a tool as the `run_tool` activity (an MCP server's as `call_mcp_tool`), with
        proof that it was `approved` if it was; what the model reads of its result, or None
        when the tool asked for approval."""
        run = self._level.input.options
        tool = agent.find_tool(call.name)
        assert tool is not None  # `call_kind` made it a tool call
        options = effective_options(
            tool.activity_options,
            TOOL_CALL_DEFAULTS,
            run.tool_timeout_seconds,
            run.tool_heartbeat_seconds,
        )
        key = f"{workflow.info().workflow_id}/{self._level.state.model_turns}/{call.id}"
        proof_key, proof = (
            self._level.keys.approval_proof(key, call.name, arguments) if approved else ("", "")
        )
        summary = f"{agent.name}: {call.name} ({call.id})"
        try:
            if isinstance(tool, McpTool):
                mcp_input = McpCallInput(
                    agent=agent.name,
                    server=tool.server,
                    tool=call.name,
                    arguments=arguments,
                    idempotency_key=key,
                    tool_call_id=call.id,
                    approval_key=proof_key,
                    approval_proof=proof,
                )
                output = await call_mcp_tool(mcp_input, options, summary)
            else:
                output = await workflow.execute_activity_method(
                    ToolActivities.run_tool,
                    ToolCallInput(
                        agent=agent.name,
                        tool=call.name,
                        arguments=arguments,
                        idempotency_key=key,
                        tool_call_id=call.id,
                        approval_key=proof_key,
                        approval_proof=proof,
                        signed_approval=signed_approval(call) if approved else None,
                        approved=approved,
                    ),
                    start_to_close_timeout=options.start_to_close_timeout,
                    heartbeat_timeout=options.heartbeat_timeout,
                    retry_policy=options.retry_policy,
                    task_queue=options.task_queue,
                    summary=summary,
                )
        except ActivityError as error:
            cause = error.cause
            if isinstance(cause, ApplicationError) and cause.type == APPROVAL_NEEDED:
                return None
            return f"Error: tool {call.name} failed: {cause_message(error)}"
        self._level.feed.tool_ran(call.id)
        return output.content
