"""What a client does with agent runs: start one, decide its waiting calls, export it as a
continuation, resume one from a continuation."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError

from agent_continuations.agent_definitions import AgentCatalog
from agent_continuations.continuations import (
    ContinuationImportError,
    ImportedContinuation,
    import_continuation,
    run_output_to_json,
    seal_output,
)
from agent_continuations.frameworks.openai_agents import (
    RunStateError,
    continuation_from_run_state,
    is_run_state,
)
from agent_continuations.run_page import run_details, run_summary
from agent_continuations.shared import (
    AgentRunOutput,
    AgentWorkflowInput,
    DecideInput,
    JsonDict,
    RunOptions,
)
from agent_continuations.workflows import (
    SEARCH_ATTRIBUTE_KEYS,
    SEARCH_ATTRIBUTE_TYPES,
    AgentWorkflow,
    sealed_with_key,
)

# The memo key under which a resumed run records where it came from: whether its file was
# sealed, whether unsealed files were allowed, who resumed it and from which file.
IMPORT_MEMO = "continuation_import"


def create_search_attributes_command(namespace: str = "default") -> str:
    """The `temporal` commands that add the agent search attributes to a namespace, one per
    type (the command takes one `--type`), joined by `&&`."""
    by_type: dict[str, list[str]] = {}
    for name, kind in SEARCH_ATTRIBUTE_TYPES.items():
        by_type.setdefault(kind, []).append(name)
    return " && ".join(
        f"temporal operator search-attribute create --namespace {namespace} "
        + " ".join(f"--name {name}" for name in names)
        + f" --type {kind}"
        for kind, names in by_type.items()
    )


async def missing_search_attributes(client: Client) -> list[str]:
    """The agent search attributes the client's namespace lacks: all of them when the server
    cannot say (the time-skipping test server cannot)."""
    names = [key.name for key in SEARCH_ATTRIBUTE_KEYS]
    try:
        response = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
    except RPCError:
        return names
    return [name for name in names if name not in response.custom_attributes]


async def with_search_attributes(
    client: Client, options: RunOptions, warn: Callable[[str], None]
) -> RunOptions:
    """`options` with `search_attributes` on where the namespace has them; else a warning.

    A workflow can do no I/O, so the run learns from its starter whether it may upsert them.
    """
    missing = await missing_search_attributes(client)
    if not missing:
        return options.model_copy(update={"search_attributes": True})
    command = create_search_attributes_command(client.namespace)
    warn(
        f"warning: namespace {client.namespace!r} lacks the search attributes "
        f"{', '.join(missing)}: the run works, but only `pending ID` and the run's own page "
        f"show what it waits for; add them with `{command}`"
    )
    return options


def _ignore(_: str) -> None:
    pass


async def start_run(
    client: Client,
    agent: str,
    prompt: str,
    *,
    task_queue: str,
    workflow_id: str | None = None,
    model: str | None = None,
    options: RunOptions | None = None,
    execution_timeout: timedelta | None = None,
    warn: Callable[[str], None] = _ignore,
    agents: AgentCatalog | None = None,
) -> WorkflowHandle[Any, AgentRunOutput]:
    """Start `agent` on `prompt`. The run keeps the agent search attributes current where the
    namespace has them; where it lacks them, `warn` is told how to add them.

    Args:
        client: A client using the pydantic data converter (`AgentPlugin`).
        agent: The agent's name, as the worker knows it.
        prompt: The user message the run starts from.
        task_queue: Where the worker polls.
        workflow_id: The run's ID; `<agent>-<random>` by default.
        model: The model for the whole tree, over the agents' own and the worker's default.
        options: Run options (timeouts, `exit_on_suspend`, model settings, ...).
        execution_timeout: End the run (as timed out) after this long.
        warn: Told, in one line, what the namespace lacks.
        agents: The agents, if this client has them: the run's page then shows its tree.

    Raises:
        WorkflowAlreadyStartedError: A workflow with that ID exists.
    """
    options = await with_search_attributes(client, options or RunOptions(), warn)
    workflow_id = workflow_id or f"{agent}-{uuid.uuid4().hex[:8]}"
    return await client.start_workflow(
        AgentWorkflow.run,
        AgentWorkflowInput(agent=agent, prompt=prompt, model=model, options=options),
        id=workflow_id,
        task_queue=task_queue,
        execution_timeout=execution_timeout,
        static_summary=run_summary(agent, prompt),
        static_details=run_details(workflow_id, agent, agents),
    )


async def decide_run(
    run: WorkflowHandle[Any, Any],
    decision: DecideInput,
    rpc_timeout: timedelta | None = None,
) -> str:
    """Decide one waiting call of a run (at any depth) through its `decide` update.

    Args:
        run: The root run's handle (`client.get_workflow_handle(ID)`, or `start_run`'s).
        decision: Which call (`path_ids`, `digest`), approved or not, by whom, why.
        rpc_timeout: How long to wait for a worker to answer.

    Returns:
        What the run made of it, e.g. "approved hr_agent > authorize_account (call_1)".

    Raises:
        WorkflowUpdateFailedError: The run refused the decision; its cause says why.
    """
    return await run.execute_update(
        AgentWorkflow.decide,  # type: ignore[arg-type]  # the handler takes raw input
        decision,
        rpc_timeout=rpc_timeout,
    )


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
    key: bytes | None = None,
    agents: AgentCatalog | None = None,
) -> WorkflowHandle[Any, AgentRunOutput]:
    """Start a run from a checked continuation, its origin kept in the memo `IMPORT_MEMO`.

    Args:
        client: A client using the pydantic data converter.
        imported: What `continuations.import_continuation` made of the file.
        task_queue: Where the worker polls.
        workflow_id: The new run's ID; `<agent>-resumed-<uuid>` by default.
        model: Overrides the agents' models for the resumed tree.
        options: Run options, such as `exit_on_suspend`.
        key: The seal key: the input is sealed with it, so that workers holding the key or
            secrets take in the decision records the continuation carries.
        agents: The agents, if this client has them: the run's page then shows its tree.
    """
    workflow_id = workflow_id or f"{imported.agent}-resumed-{uuid.uuid4().hex[:12]}"
    input = AgentWorkflowInput(
        agent=imported.agent,
        model=model,
        resume=imported.resume,
        options=options or RunOptions(),
    )
    return await client.start_workflow(
        AgentWorkflow.run,
        sealed_with_key(input, workflow_id, key) if key else input,
        id=workflow_id,
        task_queue=task_queue,
        static_summary=run_summary(imported.agent, None),
        static_details=run_details(workflow_id, imported.agent, agents),
        memo={IMPORT_MEMO: imported.import_record()},
    )


async def resume_run(
    client: Client,
    data: Any,
    agents: AgentCatalog,
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
        data: The decoded continuation file (see `continuations.importing`), or a paused
            OpenAI Agents SDK run (`RunState.to_json()`).
        agents: The agents the run may belong to (the worker's).
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
    if is_run_state(data):  # a paused OpenAI Agents SDK run
        try:
            data = continuation_from_run_state(data, agents)
        except RunStateError as error:
            raise ContinuationImportError(str(error)) from None
    imported = import_continuation(
        data,
        agents,
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
        key=key,
        agents=agents,
    )
