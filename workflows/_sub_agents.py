"""`SubAgents`: a level's sub-agent calls, each a child workflow of the same type, which
outlives its parent's run and reports what it waits for and its result by signal."""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ChildWorkflowError

from agent_continuations.agent_definitions import Agent
from agent_continuations.shared import AgentRunOutput, AgentWorkflowInput, payload_problem
from agent_continuations.workflows._calls import cause_message, nest_decision
from agent_continuations.workflows._child_workflows import execute_child, reported_output
from agent_continuations.workflows._continuation import parse_runtime_tree
from agent_continuations.workflows._level import Level
from agent_continuations.workflows._reports import TREE_PROTOCOL
from agent_continuations.workflows._state import (
    ParkRequest,
    SubAgentReport,
    SubAgentResult,
    ToolCallState,
)
from agent_continuations.workflows._status import LevelStatus
from agent_continuations.workflows._tree_messages import signal_quietly


class SubAgents:
    """Runs sub-agent calls, takes their reports, and parks them when the level exits."""

    def __init__(self, level: Level, status: LevelStatus) -> None:
        self._level = level
        self._status = status

    async def run(self, agent: Agent, call: ToolCallState, prompt: str) -> str | None:
        """Run a sub-agent call to its end, recording its answer on `call`.

        Returns:
            What the model reads when the sub-agent's own calls were rejected: the caller
            rejects `call` with it. None otherwise.

        Raises:
            ChildWorkflowError: The sub-agent failed while the turn stops.
        """
        level = self._level
        sub_agent = agent.find_sub_agent(call.name)
        assert sub_agent is not None
        name = sub_agent.name
        child_input = AgentWorkflowInput(
            agent=name,
            prompt=prompt,
            model=level.input.model,
            sub_agent_call_id=call.id,
            tree_protocol=TREE_PROTOCOL,
            **level.keys.for_child(),
            resume=call.sub_agent_resume,
            options=level.input.options,
        )
        problem = payload_problem(f"the input of agent {name}", child_input)
        if problem:
            call.status, call.result = "done", f"Error: agent {name} cannot start: {problem}"
            return None
        try:
            if call.child_workflow_id is not None:  # started by this level's previous run
                output: AgentRunOutput | None = await reported_output(call)
            else:
                summary = f"{name} for {agent.name}"
                output = await execute_child(child_input, call, summary, level.keys, level.seals)
        except ChildWorkflowError as error:  # e.g. terminated by someone
            if level.stop_reason is not None:
                raise  # cancelled by this level: answered as skipped
            call.status, call.result = "done", f"Error: agent {name} failed: {cause_message(error)}"
            return None
        if output is None:
            call.status, call.result = "done", f"Error: agent {name} found no free workflow ID"
            return None
        level.state.decisions += [nest_decision(call, d) for d in output.decisions]
        level.state.sub_agents_usage += output.tree_usage
        if output.end_reason == "completed":
            call.status, call.result = "done", output.result or ""
        elif output.end_reason == "rejected_tool_calls":
            names = ", ".join(tc["function"]["name"] for tc in output.rejected_tool_calls or [])
            return f"Rejected: agent {name} stopped because its call(s) {names} were rejected."
        elif output.continuation is not None:
            # The sub-agent exited suspended: this level exits too, once nothing else runs.
            try:
                call.child_continuation = parse_runtime_tree(output.continuation)
            except ValueError as error:
                call.status, call.result = "done", f"Error: agent {name} failed: {error}"
                return None
            call.status = "parked"
            self.park()
        else:
            call.status, call.result = "done", f"Error: agent {name} failed: {output.error}"
        return None

    def park(self) -> None:
        """Stop waiting and let running children suspend, so the whole tree can exit."""
        level = self._level
        if level.parking:
            return
        level.parking = True
        for call in level.state.turn_calls:
            if call.kind == "sub_agent" and call.status == "running" and call.child_workflow_id:
                handle = workflow.get_external_workflow_handle(call.child_workflow_id)
                request = ParkRequest()
                asyncio.create_task(signal_quietly(handle, "park", request, level.keys))

    def take_state_report(self, report: SubAgentReport) -> None:
        """Keep the copy of what a running sub-agent waits for (a report checked from the tree)."""
        call = self._level.find_call(report.tool_call_id)
        if call is None or call.kind != "sub_agent" or call.status != "running":
            workflow.logger.warning(
                "ignored report for call %r: no such sub-agent runs", report.tool_call_id
            )
            return
        try:
            tree = None if report.continuation is None else parse_runtime_tree(report.continuation)
        except ValueError as error:
            workflow.logger.warning("ignored report for call %r: %s", call.id, error)
            return
        forwarded = [path[1:] for path in self._level.state.forwarded if path[0] == call.id]
        if tree is not None and any(tree.waits_only_for(path) for path in forwarded):
            tree = None  # sent before the decision passed down reached it: nothing else waits
        call.child_continuation = tree
        self._status.mark_changed()

    def take_result(self, report: SubAgentResult) -> None:
        """Take the output a sub-agent sent as it ended (a report checked from the tree)."""
        call = self._level.find_call(report.tool_call_id)
        if call is None or call.status != "running" or call.child_workflow_id != report.child_id:
            workflow.logger.warning(
                "ignored result for call %r: no such sub-agent runs", report.tool_call_id
            )
            return
        call.child_output = report.output
