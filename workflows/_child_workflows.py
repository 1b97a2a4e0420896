"""A sub-agent's child workflow: started under an ID nobody can take, and its output taken
as its result or as it reported it by signal (after this level continued as new)."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

from agent_continuations.shared import AgentRunOutput, AgentWorkflowInput
from agent_continuations.workflows._input_seal import InputSeals
from agent_continuations.workflows._state import ToolCallState
from agent_continuations.workflows._tree_keys import TreeKeys

CHILD_ID_ATTEMPTS = 3


async def execute_child(
    child_input: AgentWorkflowInput,
    call: ToolCallState,
    summary: str,
    keys: TreeKeys,
    seals: InputSeals,
) -> AgentRunOutput | None:
    """Run a sub-agent as a child workflow whose ID nobody can take before it starts.

    The ID is `<parent ID>/<call ID>-<random>` (see `TreeKeys.child_id_suffix`), kept in the
    call's state; should a workflow with that ID exist all the same, another random part is
    drawn, a few times.
    The child outlives this run (`ABANDON`), so that this level can continue as new while
    it waits; it reports its result by signal too.

    Returns:
        The sub-agent's output, or None when every ID drawn was taken.

    Raises:
        ChildWorkflowError: The sub-agent failed, was terminated or timed out.
    """
    for attempt in range(CHILD_ID_ATTEMPTS):
        suffix = keys.child_id_suffix(call.id, attempt)
        call.child_workflow_id = f"{workflow.info().workflow_id}/{call.id}-{suffix}"
        try:
            handle = await workflow.start_child_workflow(
                workflow.info().workflow_type,  # a sub-agent runs on this same workflow type
                seals.seal(child_input, call.child_workflow_id),
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


async def reported_output(call: ToolCallState) -> AgentRunOutput:
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
