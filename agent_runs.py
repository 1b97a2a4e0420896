"""Client operations that move agent runs as continuations: export one, resume one."""

from __future__ import annotations

import uuid
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle

from continuations import import_continuation, run_output_to_json, seal_output
from payloads import AgentRunOutput, AgentWorkflowInput, JsonDict, RunOptions
from workflows import AgentWorkflow


class ExportError(RuntimeError):
    """The run has no continuation to export."""


async def export_run(client: Client, workflow_id: str, key: bytes | None = None) -> JsonDict:
    """The continuation of a run: waiting, suspended, between turns, or exited suspended.

    Args:
        client: A client using the pydantic data converter.
        workflow_id: The root workflow's ID.
        key: Seal the export with this key (see `continuations.seal`); unsealed without one.

    Raises:
        ExportError: The run ended without a continuation (completed, rejected or failed).
    """
    handle = client.get_workflow_handle(workflow_id, result_type=AgentRunOutput)
    description = await handle.describe()
    if description.status == WorkflowExecutionStatus.RUNNING:
        output: JsonDict = await handle.query(AgentWorkflow.get_continuation)
    else:
        result = await handle.result()
        if result.continuation is None:
            raise ExportError(
                f"run {workflow_id} ended with {result.end_reason}: it has no continuation"
            )
        output = run_output_to_json(result)
    return seal_output(output, key) if key else output


async def resume_run(
    client: Client,
    data: Any,
    *,
    task_queue: str,
    workflow_id: str | None = None,
    model: str | None = None,
    agent: str | None = None,
    key: bytes | None = None,
    options: RunOptions | None = None,
) -> WorkflowHandle[Any, AgentRunOutput]:
    """Check a continuation and start a run from it; nothing starts if the check fails.

    Args:
        client: A client using the pydantic data converter.
        data: The decoded continuation file (see `continuations.importing`).
        task_queue: Where the worker polls.
        workflow_id: The new run's ID; `<agent>-resumed-<uuid>` by default.
        model: Overrides the agents' models for the resumed tree.
        agent: The root agent, when the file does not say and its tools do not tell.
        key: The seal key.
        options: Run options, such as `exit_on_suspend`.

    Raises:
        ContinuationImportError: The continuation cannot be resumed; the message says why.
    """
    imported = import_continuation(data, agent=agent, key=key)
    return await client.start_workflow(
        AgentWorkflow.run,
        AgentWorkflowInput(
            agent=imported.agent,
            model=model,
            resume=imported.resume,
            options=options or RunOptions(),
        ),
        id=workflow_id or f"{imported.agent}-resumed-{uuid.uuid4().hex[:12]}",
        task_queue=task_queue,
    )
