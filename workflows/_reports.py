"""Messages between the levels of one agent tree: the reports a sub-agent sends its parent,
and the checks every internal message passes.

Internal messages carry the tree's secret token (see `TreeMessage`); anything else is logged
and ignored. Every payload is parsed by its handler, not by the data converter, so that a
malformed one is refused (update) or logged and ignored (signal) with a message naming the
problem; no message can fail a workflow task.
"""

from __future__ import annotations

from typing import Any, TypeVar

import pydantic
from temporalio import workflow
from temporalio.exceptions import CancelledError

from agent_continuations.continuations import needs_attention
from agent_continuations.shared import (
    AgentRunOutput,
    JsonDict,
    payload_problem,
    validation_problems,
)
from agent_continuations.workflows._continuation import check_runtime_tree
from agent_continuations.workflows._level import AgentLevel
from agent_continuations.workflows._state import SubAgentReport, SubAgentResult, TreeMessage

M = TypeVar("M", bound=pydantic.BaseModel)
LOGGED_CHARS = 300


class SubAgentReports(AgentLevel):
    """A sub-agent keeps its parent's view of it current, and sends its result as it ends."""

    def _from_tree(self, model: type[M], payload: Any, name: str) -> M | None:
        """An internal message, or None (logged) when it is malformed or not from this tree."""
        try:
            message = parse_payload(model, payload)
        except ValueError as error:
            workflow.logger.warning("ignored %s signal: %s", name, short_error(error))
            return None
        assert isinstance(message, TreeMessage)
        if message.token != self._token:
            workflow.logger.warning("ignored %s signal: it does not come from this tree", name)
            return None
        return message

    @workflow.signal(name="report_sub_agent_state")
    def report_sub_agent_state(self, payload: Any) -> None:
        """Internal: sent by a sub-agent whenever what it waits for changes (a `SubAgentReport`)."""
        report = self._from_tree(SubAgentReport, payload, "report_sub_agent_state")
        if report is None:
            return
        call = next((c for c in self._state.turn_calls if c.id == report.tool_call_id), None)
        if call is None or call.kind != "sub_agent" or call.status != "running":
            workflow.logger.warning(
                "ignored report for call %r: no such sub-agent runs", report.tool_call_id
            )
            return
        if report.continuation is not None:
            try:
                check_runtime_tree(report.continuation)
            except ValueError as error:
                workflow.logger.warning("ignored report for call %r: %s", call.id, error)
                return
        call.child_continuation = report.continuation
        self._mark_changed()

    @workflow.signal(name="report_sub_agent_result")
    def report_sub_agent_result(self, payload: Any) -> None:
        """Internal: sent by a sub-agent as it ends (a `SubAgentResult`)."""
        report = self._from_tree(SubAgentResult, payload, "report_sub_agent_result")
        if report is None:
            return
        call = next((c for c in self._state.turn_calls if c.id == report.tool_call_id), None)
        if call is None or call.status != "running" or call.child_workflow_id != report.child_id:
            workflow.logger.warning(
                "ignored result for call %r: no such sub-agent runs", report.tool_call_id
            )
            return
        call.child_output = report.output

    async def _report_result_to_parent(self, call_id: str, output: AgentRunOutput) -> None:
        """Send this sub-agent's output to its parent, which may have continued as new since
        it started this run and so not get the result as a child workflow's."""
        parent = workflow.info().parent
        assert parent is not None
        message = SubAgentResult(
            token=self._token,
            tool_call_id=call_id,
            child_id=workflow.info().workflow_id,
            output=output,
        )
        if payload_problem("the result for the parent", message) is None:
            handle = workflow.get_external_workflow_handle(parent.workflow_id)
            await signal_quietly(handle, SubAgentReports.report_sub_agent_result, message)

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
            if report == last:
                continue
            message = SubAgentReport(token=self._token, tool_call_id=call_id, continuation=report)
            problem = payload_problem("the report to the parent", message)
            if problem:
                workflow.logger.warning("could not report to the parent: %s", problem)
            else:
                await signal_quietly(handle, SubAgentReports.report_sub_agent_state, message)
            last = report


async def signal_quietly(
    handle: workflow.ExternalWorkflowHandle[Any], signal: Any, message: TreeMessage
) -> None:
    """Signal another level of the tree; if it has ended, log it and go on."""
    try:
        await handle.signal(signal, message)
    except CancelledError:
        raise  # this run is ending
    except Exception as error:
        workflow.logger.warning("could not signal %s: %s", handle.id, error)


def short_error(error: Exception) -> str:
    """An error's message for the log, cut short: a payload may be megabytes of junk."""
    text = str(error)
    return text if len(text) <= LOGGED_CHARS else f"{text[:LOGGED_CHARS]}..."


def parse_payload(model: type[M], payload: Any) -> M:
    """Validate a signal or update payload.

    Raises:
        ValueError: The payload does not fit `model`; the message says what is wrong.
    """
    try:
        return model.model_validate(payload)
    except pydantic.ValidationError as error:
        raise ValueError(f"invalid {model.__name__}: {validation_problems(error)}") from None
