"""The `run_tool` activity: runs one plain tool function with validated arguments."""

from __future__ import annotations

import asyncio
import hmac
import inspect
import json
from typing import Protocol

import pydantic
from pydantic import Field
from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from agent_continuations.activities._catalog import catalog_agent, check_task_queue
from agent_continuations.activities._conversation import ConversationCache, produced_key
from agent_continuations.activities._heartbeat import heartbeating
from agent_continuations.activities._recordable import recordable
from agent_continuations.activities._signed_approval import SignedApproval, signature_problem
from agent_continuations.activities._tracing import traced
from agent_continuations.agent_definitions import (
    AgentCatalog,
    ApprovalNeeded,
    Tool,
    ToolCallContext,
    WorkerSecrets,
    tool_call_context,
)
from agent_continuations.continuations import tool_message
from agent_continuations.shared import JsonDict, WithoutDefaults, validation_problems

# The failure type of a call whose tool raised `ApprovalNeeded`: the workflow then waits for
# a decision and runs the call again, approved.
APPROVAL_NEEDED = "ApprovalNeeded"


class ToolCallInput(WithoutDefaults):
    """Input of the `run_tool` activity."""

    agent: str
    tool: str
    arguments: JsonDict
    idempotency_key: str = Field(
        "", description="Stable across retries of this call: workflow ID, turn and call ID."
    )
    tool_call_id: str = Field(
        "", description="The model's ID of the call, under which the worker keeps its result."
    )
    approval_key: str = Field("", description="The workers' secret `approval_proof` is under.")
    approval_proof: str = Field(
        "",
        description="For a call that needed approval: proof, under the workers' secret, that "
        "the scheduling run approved exactly this call (see `WorkerSecrets.approval_proof`).",
    )
    signed_approval: SignedApproval | None = Field(
        None, description="For a call decided by an approver: their signed decision."
    )
    approved: bool = Field(
        False, description="A person approved the call; with the workers' secret, proven."
    )


class ApprovableCall(Protocol):
    """What a tool activity's input carries to prove that its call was approved."""

    tool: str
    arguments: JsonDict
    idempotency_key: str
    approval_key: str
    approval_proof: str


def check_approval_proof(secrets: WorkerSecrets, input: ApprovableCall) -> None:
    """For a call that needs approval: where workers hold secrets, it runs only with proof that
    the agent run scheduling it approved it, not for any other workflow, run or arguments.

    Raises:
        ApplicationError: Non-retryable: no valid proof.
    """
    if not secrets:
        return
    run_id = activity.info().workflow_run_id or ""
    expected = ""
    if input.approval_key in secrets:
        expected = secrets.approval_proof(
            input.approval_key, run_id, input.idempotency_key, input.tool, input.arguments
        )
    if not expected or not hmac.compare_digest(expected, input.approval_proof):
        raise ApplicationError(
            f"tool {input.tool!r} needs approval: this call carries no proof that the agent "
            "run scheduling it approved it",
            type="ApprovalProofMissing",
            non_retryable=True,
        )


class ToolCallOutput(pydantic.BaseModel):
    """A tool's result as the text the model will read."""

    content: str


def _call_context(input: ToolCallInput) -> ToolCallContext:
    """What the tool may read through `agent_definitions.current_tool_call()`."""
    info = activity.info()
    # Calls scheduled before the workflow set keys have none: the workflow run's ID and the
    # activity's ID are as stable across retries, and as unique.
    key = (
        input.idempotency_key
        or f"{info.workflow_run_id or info.activity_run_id}/{info.activity_id}"
    )
    return ToolCallContext(
        idempotency_key=key,
        attempt=info.attempt,
        agent=input.agent,
        tool=input.tool,
        approved=input.approved,
    )


class ToolActivities:
    """The `run_tool` activity for the tools of a worker's agents.

    Args:
        agents: The agents whose tools this worker runs.
        conversation_cache: Where results are kept for the next model call to find (the
            model activities' cache, see `ModelActivities.conversation_cache`).
    """

    def __init__(
        self, agents: AgentCatalog, conversation_cache: ConversationCache | None = None
    ) -> None:
        self._agents = agents
        self._conversations = conversation_cache

    def _tool(self, input: ToolCallInput) -> Tool:
        """The tool the call names, if it may run on this activity's task queue.

        Raises:
            ApplicationError: Non-retryable: no such tool, or it is pinned to another queue.
        """
        tool = catalog_agent(self._agents, input.agent).find_tool(input.tool)
        if tool is None:
            raise ApplicationError(
                f"agent {input.agent!r} has no tool {input.tool!r}",
                type="UnknownTool",
                non_retryable=True,
            )
        check_task_queue(tool.activity_options.task_queue, f"tool {input.tool!r} runs")
        return tool

    def _check_approval(self, tool: Tool, input: ToolCallInput) -> None:
        """Where workers hold secrets, a call that needs approval runs only with proof that the
        agent run scheduling it approved it: not for any other workflow, run or arguments. A
        call of a tool with approvers also needs one's signed decision (`signature_problem`).

        Raises:
            ApplicationError: Non-retryable: no valid proof or signature.
        """
        problem = signature_problem(
            self._agents.approver_keys,
            catalog_agent(self._agents, input.agent),
            tool,
            input.signed_approval,
            activity.info().workflow_id or "",
            input.arguments,
        )
        if problem is not None:
            raise ApplicationError(
                f"refused: {problem}", type="ApprovalSignatureInvalid", non_retryable=True
            )
        if input.approved or tool.requires_approval(input.arguments):
            check_approval_proof(self._agents.secrets, input)

    @activity.defn(name="run_tool")
    async def run_tool(self, input: ToolCallInput) -> ToolCallOutput:
        """Run a tool of one of the worker's agents and return its result as text.

        While it runs, the tool can read its call's idempotency key and attempt number with
        `current_tool_call()`.
        """
        tool = self._tool(input)
        self._check_approval(tool, input)
        try:
            # Arguments arrive as JSON; validating turns them back into the function's own types.
            arguments = dict(tool.arguments_model.model_validate(input.arguments))
        except pydantic.ValidationError as error:
            problems = validation_problems(error)
            raise ApplicationError(
                f"arguments of tool {input.tool!r} do not fit its schema: {problems}",
                type="InvalidToolArguments",
                non_retryable=True,
            ) from error
        # `asyncio.to_thread` copies the context, so sync tools see the call as async ones do.
        attributes = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.agent.name": input.agent,
            "gen_ai.tool.name": input.tool,
            "agent_continuations.idempotency_key": input.idempotency_key,
        }
        with (
            traced(f"execute_tool {input.tool}", attributes),
            tool_call_context(_call_context(input)),
        ):
            async with heartbeating():
                try:
                    if inspect.iscoroutinefunction(tool.function):
                        result = await tool.function(**arguments)
                    else:
                        result = await asyncio.to_thread(tool.function, **arguments)
                except ApprovalNeeded as asked:
                    if input.approved:
                        raise ApplicationError(
                            f"tool {input.tool!r} asked for approval again after it was approved",
                            type="ApprovalNeededAgain",
                            non_retryable=True,
                        ) from None
                    raise ApplicationError(
                        f"tool {input.tool!r} needs approval: {asked}",
                        type=APPROVAL_NEEDED,
                        non_retryable=True,
                        category=ApplicationErrorCategory.BENIGN,  # expected: not logged as failed
                    ) from None
        # The tool has run: what follows can only fail the same way again, so it is not retried.
        try:
            content = result if isinstance(result, str) else json.dumps(result, default=str)
        except (ValueError, RecursionError) as error:
            raise ApplicationError(
                f"the result of tool {input.tool!r} cannot be written as JSON: {error}",
                type="UnreadableToolResult",
                non_retryable=True,
            ) from None
        output = recordable(ToolCallOutput(content=content), f"the result of tool {input.tool!r}")
        if self._conversations is not None and input.tool_call_id:
            self._conversations.remember(
                activity.info().workflow_id or "",
                produced_key(input.tool_call_id),
                tool_message(input.tool_call_id, output.content),
            )
        return output
