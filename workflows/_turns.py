"""Answering one model turn's tool calls: decisions, tools as activities, sub-agents as
child workflows."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import (
    ActivityError,
    ChildWorkflowError,
    WorkflowAlreadyStartedError,
)
from temporalio.workflow import ParentClosePolicy

from activities import ToolCallInput, run_tool
from agent_definitions import Agent
from continuations import needs_attention, tool_message
from payloads import AgentRunOutput, AgentWorkflowInput, DecisionRecord, JsonDict, payload_problem
from workflows._calls import (
    cause_message,
    edited_note,
    nest_decision,
    parse_arguments,
    rejection_text,
)
from workflows._handlers import MessageHandlers
from workflows._state import ANSWERED_STATUSES, ToolCallState

CHILD_ID_ATTEMPTS = 3
CHILD_ID_RANDOM = 12
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
            and all(_waits_for_a_person(c) for c in open_calls)
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
        name = sub_agent.name
        child_input = AgentWorkflowInput(
            agent=name,
            prompt=prompt,
            model=self._input.model,
            sub_agent_call_id=call.id,
            tree_token=self._token,
            resume=call.sub_agent_resume,
            options=self._input.options,
        )
        problem = payload_problem(f"the input of agent {name}", child_input)
        if problem:
            call.status, call.result = "done", f"Error: agent {name} cannot start: {problem}"
            return
        try:
            if call.child_workflow_id is not None:  # started by this level's previous run
                output: AgentRunOutput | None = await self._reported_output(call)
            else:
                output = await self._execute_child(child_input, call, f"{name} for {agent.name}")
        except ChildWorkflowError as error:  # e.g. terminated by someone
            if self._stop_reason is not None:
                raise  # cancelled by this level: answered as skipped
            call.status, call.result = "done", f"Error: agent {name} failed: {cause_message(error)}"
            return
        if output is None:
            call.status, call.result = "done", f"Error: agent {name} found no free workflow ID"
            return
        self._state.decisions += [nest_decision(call, d) for d in output.decisions]
        self._state.sub_agents_usage += output.tree_usage
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

    async def _execute_child(
        self, child_input: AgentWorkflowInput, call: ToolCallState, summary: str
    ) -> AgentRunOutput | None:
        """Run a sub-agent as a child workflow whose ID nobody can take before it starts.

        The ID is `<parent ID>/<call ID>-<random>`, kept in the call's state; should a
        workflow with that ID exist all the same, another random part is drawn, a few times.
        The child outlives this run (`ABANDON`), so that this level can continue as new while
        it waits; it reports its result by signal too.

        Returns:
            The sub-agent's output, or None when every ID drawn was taken.

        Raises:
            ChildWorkflowError: The sub-agent failed, was terminated or timed out.
        """
        for attempt in range(CHILD_ID_ATTEMPTS):
            call.child_workflow_id = (
                f"{workflow.info().workflow_id}/{call.id}-{workflow.uuid4().hex[:CHILD_ID_RANDOM]}"
            )
            try:
                handle = await workflow.start_child_workflow(
                    workflow.info().workflow_type,  # a sub-agent runs on this same workflow type
                    child_input,
                    id=call.child_workflow_id,
                    static_summary=f"{summary} ({call.id})",
                    result_type=AgentRunOutput,
                    parent_close_policy=ParentClosePolicy.ABANDON,
                )
            except WorkflowAlreadyStartedError:
                workflow.logger.warning(
                    "sub-agent ID %s was taken (attempt %d)", call.child_workflow_id, attempt + 1
                )
                continue
            return await _child_output(handle, call)
        return None

    async def _reported_output(self, call: ToolCallState) -> AgentRunOutput:
        """The output of a sub-agent this level started in a run before this one."""
        try:
            await workflow.wait_condition(lambda: call.child_output is not None)
        except asyncio.CancelledError:
            assert call.child_workflow_id is not None
            await workflow.get_external_workflow_handle(call.child_workflow_id).cancel()
            raise
        assert call.child_output is not None
        return call.child_output


async def _child_output(
    handle: workflow.ChildWorkflowHandle[Any, AgentRunOutput], call: ToolCallState
) -> AgentRunOutput:
    """The child's output: as its result, or as it reported it by signal, whichever is first."""
    try:
        await workflow.wait_condition(lambda: handle.done() or call.child_output is not None)
    except asyncio.CancelledError:
        handle.cancel()  # asks the sub-agent to stop
        raise
    return call.child_output or handle.result()


def _waits_for_a_person(call: ToolCallState) -> bool:
    """Whether an open call waits for a decision, or is a sub-agent that waits for one."""
    if call.status == "waiting_approval":
        return call.decision is None
    return (
        call.kind == "sub_agent"
        and call.status == "running"
        and call.child_output is None
        and call.child_continuation is not None
        and needs_attention(call.child_continuation)
    )
