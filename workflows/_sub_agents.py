"""Sub-agent calls: each runs as a child workflow of the same type, which outlives its
parent's run and reports its result by signal as well."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ChildWorkflowError, WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

from agent_continuations.agent_definitions import Agent
from agent_continuations.continuations import needs_attention
from agent_continuations.shared import AgentRunOutput, AgentWorkflowInput, payload_problem
from agent_continuations.workflows._calls import cause_message, nest_decision
from agent_continuations.workflows._handlers import MessageHandlers
from agent_continuations.workflows._state import ToolCallState

CHILD_ID_ATTEMPTS = 3
CHILD_ID_RANDOM = 12


class SubAgentCalls(MessageHandlers):
    """Runs the sub-agent calls of a turn, and stops the turn when a call is rejected."""

    def _reject(self, agent: Agent, call: ToolCallState, text: str) -> None:
        call.status, call.result = "rejected", text
        if agent.on_reject == "end" and self._stop_reason is None:
            self._stop_reason = f"the run ended because call {call.id} ({call.name}) was rejected"
            for other in self._state.turn_calls:
                if other.kind == "sub_agent" and other.status == "running":
                    self._call_tasks[other.id].cancel()

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


def waits_for_a_person(call: ToolCallState) -> bool:
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
