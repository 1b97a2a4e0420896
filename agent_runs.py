"""Client operations that move agent runs as continuations: export one, resume one."""

from __future__ import annotations

import uuid
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle

from continuations import (
    ImportedContinuation,
    import_continuation,
    run_output_to_json,
    seal_output,
)
from payloads import AgentRunOutput, AgentWorkflowInput, JsonDict, RunOptions
from workflows import AgentWorkflow

# The memo key under which a resumed run records where it came from: whether its file was
# sealed, whether unsealed files were allowed, who resumed it and from which file.
IMPORT_MEMO = "continuation_import"


class ExportError(RuntimeError):
    """The run has no continuation to export."""


async def export_run(
    client: Client, workflow_id: str, key: bytes | None = None, *, move: bool = False
) -> JsonDict:
    """The continuation of a run: waiting, suspended, between turns, or exited suspended.

    Args:
        client: A client using the pydantic data converter.
        workflow_id: The root workflow's ID.
        key: Seal the export with this key (see `continuations.seal`); unsealed without one.
        move: End the running run in the same step (the `move_out` update), so the exported
            continuation is the only live copy; the run's result keeps it too.

    Raises:
        ExportError: The run ended without a continuation (completed, rejected or failed).
        WorkflowUpdateFailedError: The run refused to move out (it is a sub-agent).
    """
    handle = client.get_workflow_handle(workflow_id, result_type=AgentRunOutput)
    description = await handle.describe()
    if description.status == WorkflowExecutionStatus.RUNNING:
        output: JsonDict = await (
            handle.execute_update(AgentWorkflow.move_out)
            if move
            else handle.query(AgentWorkflow.get_continuation)
        )
    else:
        result = await handle.result()
        if result.continuation is None:
            raise ExportError(
                f"run {workflow_id} ended with {result.end_reason}: it has no continuation"
            )
        output = run_output_to_json(result)
    return seal_output(output, key) if key else output


async def start_imported(
    client: Client,
    imported: ImportedContinuation,
    *,
    task_queue: str,
    workflow_id: str | None = None,
    model: str | None = None,
    options: RunOptions | None = None,
) -> WorkflowHandle[Any, AgentRunOutput]:
    """Start a run from a checked continuation, its origin kept in the memo `IMPORT_MEMO`.

    Args:
        client: A client using the pydantic data converter.
        imported: What `continuations.import_continuation` made of the file.
        task_queue: Where the worker polls.
        workflow_id: The new run's ID; `<agent>-resumed-<uuid>` by default.
        model: Overrides the agents' models for the resumed tree.
        options: Run options, such as `exit_on_suspend`.
    """
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
        memo={IMPORT_MEMO: imported.import_record()},
    )


async def resume_run(
    client: Client,
    data: Any,
    *,
    task_queue: str,
    workflow_id: str | None = None,
    model: str | None = None,
    agent: str | None = None,
    key: bytes | None = None,
    allow_unsealed: bool = False,
    resumed_by: str | None = None,
    source: str | None = None,
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
        key: The seal key; with one, only sealed files resume unless `allow_unsealed`.
        allow_unsealed: Resume an unsealed file although a key is given (the memo says so).
        resumed_by: Who resumes: the approver recorded for the decisions the file applies.
        source: Where the file came from (e.g. its name), recorded with those decisions.
        options: Run options, such as `exit_on_suspend`.

    Raises:
        ContinuationImportError: The continuation cannot be resumed; the message says why.
    """
    imported = import_continuation(
        data,
        agent=agent,
        key=key,
        allow_unsealed=allow_unsealed,
        resumed_by=resumed_by,
        source=source,
    )
    return await start_imported(
        client,
        imported,
        task_queue=task_queue,
        workflow_id=workflow_id,
        model=model,
        options=options,
    )
