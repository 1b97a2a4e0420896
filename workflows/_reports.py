"""`ParentReports`: a sub-agent keeps its parent's view of it current, and sends its result
as it ends (`report_sub_agent_state`, `report_sub_agent_result`)."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

from agent_continuations.shared import AgentRunOutput, JsonDict, payload_problem
from agent_continuations.workflows._level import Level
from agent_continuations.workflows._state import SubAgentReport, SubAgentResult
from agent_continuations.workflows._status import LevelStatus
from agent_continuations.workflows._tree import LevelTree
from agent_continuations.workflows._tree_messages import signal_quietly

# The version of the messages between a sub-agent and its parent, in the sub-agent's input.
# 1: the parent reads the result from the sub-agent's end (by signal only once it continued as
# new since starting it), and a decision the parent passes down needs no report back when the
# parent's copy waited for nothing else (`parent_decided`).
TREE_PROTOCOL = 1
# The patch of sub-agents started before `TREE_PROTOCOL` that send their result by signal only
# to a parent that continued as new.
RESULT_BY_COMPLETION = "result-by-completion"


class ParentReports:
    """What a sub-agent level sends its parent, which may have continued as new since it
    started the sub-agent and so learns of it only by signal.

    Args:
        level: The sub-agent's level.
        status: Its status, whose changes are reported.
        call_id: The parent's tool-call ID this sub-agent answers.
    """

    def __init__(self, level: Level, status: LevelStatus, call_id: str) -> None:
        self._level = level
        self._status = status
        self._call_id = call_id
        self._reported = 0  # the status version last reported
        self._sent: JsonDict | None = None  # the parent's copy: what was last reported

    def _parent(self) -> workflow.ExternalWorkflowHandle[Any]:
        parent = workflow.info().parent
        assert parent is not None
        return workflow.get_external_workflow_handle(parent.workflow_id)

    async def report_state(self) -> None:
        """Keep the parent's copy of what this sub-agent waits for up to date (until cancelled)."""
        handle = self._parent()
        while True:
            await workflow.wait_condition(lambda: self._status.version != self._reported)
            self._reported = self._status.version
            continuation = self._level.continuation()
            report = continuation.to_json() if continuation.needs_attention() else None
            if report == self._sent:
                continue
            message = SubAgentReport(tool_call_id=self._call_id, continuation=report)
            problem = payload_problem("the report to the parent", message)
            if problem:
                workflow.logger.warning("could not report to the parent: %s", problem)
            else:
                await signal_quietly(handle, "report_sub_agent_state", message, self._level.keys)
            self._sent = report

    def parent_decided(self, path_ids: list[str]) -> None:
        """The parent passes down a decision on the call at `path_ids`. If that call was all
        the parent's copy waited for, the parent cleared its copy as it did (`Approvals`), so
        this level does the same and does not report that it waits for nothing more."""
        if self._level.input.tree_protocol < 1 or self._sent is None:
            return  # sub-agents started before reported it
        if LevelTree.model_validate(self._sent).waits_only_for(path_ids):
            self._sent = None

    def sends_result(self) -> bool:
        """Whether this sub-agent sends its result by signal: only to a parent that continued
        as new since starting it, whose end reaches any other. Sub-agents started before
        `TREE_PROTOCOL` always sent it, and under the patch only as now."""
        if self._level.input.tree_protocol >= 1 or workflow.patched(RESULT_BY_COMPLETION):
            return self._level.state.result_by_signal
        return True

    async def report_result(self, output: AgentRunOutput) -> None:
        """Send this sub-agent's output to its parent."""
        message = SubAgentResult(
            tool_call_id=self._call_id,
            child_id=workflow.info().workflow_id,
            output=output,
        )
        if payload_problem("the result for the parent", message) is None:
            await signal_quietly(
                self._parent(), "report_sub_agent_result", message, self._level.keys
            )
