"""`AgentWorkflow`: one agent's loop; sub-agents run as child workflows of the same type."""

from __future__ import annotations

import asyncio
from typing import Any

import pydantic
from temporalio import workflow
from temporalio.exceptions import ActivityError

from agent_continuations.activities import DigestChain, ModelActivities, ModelCallInput
from agent_continuations.agent_definitions import Agent, UnknownAgentError, catalog_for
from agent_continuations.shared import (
    AgentRunOutput,
    AgentWorkflowInput,
    BudgetInput,
    EndReason,
    JsonDict,
    ModelSettings,
    ResumePoint,
    payload_problem,
    validation_problems,
)
from agent_continuations.workflows._activity_options import MODEL_CALL_DEFAULTS, effective_options
from agent_continuations.workflows._calls import (
    call_kind,
    cause_message,
    checked_reply,
    resumed_call,
)
from agent_continuations.workflows._policy_check import fired_policies
from agent_continuations.workflows._search_attributes import AgentSearchValues
from agent_continuations.workflows._state import AgentState, PolicyState, ToolCallState
from agent_continuations.workflows._turns import TurnCalls

PARENT_SUSPENDED = "parent_suspended"


@workflow.defn(name="AgentWorkflow")
class AgentWorkflow(TurnCalls):
    """Runs one agent: model calls and tool calls as activities, sub-agents as child workflows.

    People decide on waiting tool calls with the `approve` / `reject` signals or the `decide`
    update, and resume suspended levels with `resume`, always sent to the root: messages for
    levels inside sub-agents are passed down.
    """

    # The input is typed `AgentWorkflowInput | Any` so that a malformed one still reaches the
    # workflow, which ends with the problem, instead of failing every workflow task.
    @workflow.init
    def __init__(self, input: AgentWorkflowInput | Any) -> None:
        self._input_problem: str | None = None
        self._agent: Agent | None = None
        self._default_model: str | None = None
        carried: AgentState | None = None
        try:
            self._input = AgentWorkflowInput.model_validate(input)
            if self._input.carried_state is not None:
                carried = AgentState.model_validate(self._input.carried_state)
        except pydantic.ValidationError as error:
            self._input_problem = f"invalid workflow input: {validation_problems(error)}"
            self._input = AgentWorkflowInput(agent="")
        if self._input_problem is None:
            catalog = catalog_for(workflow.info().task_queue)
            try:
                self._agent = catalog.get(self._input.agent)
            except UnknownAgentError:
                self._input_problem = f"unknown agent {self._input.agent!r}"
            self._default_model = catalog.default_model
        # The root draws its tree's secret; sub-agents get it in their input.
        self._token = self._input.tree_token or workflow.uuid4().hex
        self._state = carried or self._start_state(self._input)
        self._digests = DigestChain()  # of `_state.messages`, which only grows
        self._call_tasks: dict[str, asyncio.Task[None]] = {}
        self._stop_reason: str | None = None
        self._parking = False
        self._resume_budget: BudgetInput | None = None
        self._changed = False
        self._moved_out: JsonDict | None = None
        self._end_reason: EndReason | None = None
        self._search_values: AgentSearchValues | None = None

    def _start_state(self, input: AgentWorkflowInput) -> AgentState:
        """The level's state from its prompt, or from the resume point of an import."""
        instructions = self._agent.instructions if self._agent else ""
        first = [
            {"role": "developer", "content": instructions},
            {"role": "user", "content": input.prompt or ""},
        ]
        start = input.resume or ResumePoint(messages=first)
        state = AgentState(
            agent=input.agent,
            model=input.model or (self._agent and self._agent.model) or self._default_model or "",
            messages=list(start.messages),
            decisions=list(start.decisions),
        )
        if self._agent is not None:
            now = workflow.now()
            state.turn_calls = [resumed_call(self._agent, c, now) for c in start.calls]
            state.decisions += [c.decision for c in state.turn_calls if c.decision]
        return state

    @workflow.run
    async def run(self, input: AgentWorkflowInput | Any) -> AgentRunOutput:
        """Loop model → tools until the model answers without tool calls or a call is rejected."""
        input = self._input
        if self._input_problem is not None or self._agent is None:
            return self._ended(self._output("error", error=self._input_problem))
        if input.prompt is None and input.resume is None and input.carried_state is None:
            return self._ended(
                self._output("error", error="give a prompt or a continuation to resume")
            )
        if not self._state.model:
            return self._ended(self._output("error", error=no_model_problem(self._agent.name)))
        self._update_search_attributes()
        reporter = None
        if input.sub_agent_call_id:
            reporter = asyncio.create_task(self._report_to_parent(input.sub_agent_call_id))
        output = self._ended(_fitting(await self._loop_until_moved_out(self._agent)))
        if reporter:
            reporter.cancel()
        if input.sub_agent_call_id:
            await self._report_result_to_parent(input.sub_agent_call_id, output)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return output

    def _ended(self, output: AgentRunOutput) -> AgentRunOutput:
        """The run's output, once its search attributes and current details say how it ended."""
        self._end_reason = output.end_reason
        self._update_search_attributes()
        why = f": {output.error}" if output.error else ""
        workflow.set_current_details(f"Ended: {output.end_reason}{why}")
        return output

    async def _loop_until_moved_out(self, agent: Agent) -> AgentRunOutput:
        """Run the agent loop; a `move_out` stops it, its calls and its sub-agents."""
        loop = asyncio.create_task(self._loop(agent))
        await workflow.wait_condition(lambda: loop.done() or self._moved_out is not None)
        if loop.done():
            return loop.result()
        self._stop_reason = "the run moved out to its continuation"
        for task in [loop, *self._call_tasks.values()]:
            task.cancel()
        await asyncio.gather(loop, *self._call_tasks.values(), return_exceptions=True)
        moved = self._moved_out
        assert moved is not None
        if moved.get("resume_request"):
            return self._output("approval_required", continuation=moved)
        return self._output(
            "suspended", continuation=moved, suspend_list=moved.get("suspend_list") or []
        )

    async def _loop(self, agent: Agent) -> AgentRunOutput:
        options = self._input.options
        if self._state.policy.started_at is None:
            self._state.policy.started_at = workflow.now()
        if self._state.turn_calls:
            ended = await self._finish_turn(agent)
            if ended:
                return ended
        while True:
            if self._history_is_long():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(self._carried_over())
            fired = fired_policies(agent, self._state, options.max_turns)
            if self._parking:
                fired.append(PARENT_SUSPENDED)
            if fired:
                ended = await self._suspend(fired)
                if ended:
                    return ended
            workflow.set_current_details(
                f"Calling the model (turn {self._state.model_turns + 1}; "
                f"{self._state.total_tokens} tokens so far)."
            )
            model_input = ModelCallInput(
                agent=agent.name,
                model=self._state.model,
                conversation=self._digests.ref(self._state.messages),
                settings=self._model_settings(agent),
            )
            model_options = effective_options(
                agent.model_activity_options,
                MODEL_CALL_DEFAULTS,
                options.model_timeout_seconds,
                options.model_heartbeat_seconds,
            )
            try:
                reply = await workflow.execute_activity_method(
                    ModelActivities.call_model,
                    model_input,
                    start_to_close_timeout=model_options.start_to_close_timeout,
                    heartbeat_timeout=model_options.heartbeat_timeout,
                    retry_policy=model_options.retry_policy,
                    task_queue=model_options.task_queue,
                )
            except ActivityError as error:
                return self._output("error", error=cause_message(error))
            self._state.model_turns += 1
            self._state.add_usage(reply.usage)
            try:
                message = checked_reply(reply.message, self._state.model_turns)
            except ValueError as error:
                return self._output("error", error=f"the model's reply is malformed: {error}")
            self._state.messages.append(message)
            tool_calls: list[JsonDict] = message.get("tool_calls") or []
            if not tool_calls:
                return self._output("completed", result=_text(message.get("content")))
            self._state.turn_calls = [
                ToolCallState(tool_call=tc, kind=call_kind(agent, tc)) for tc in tool_calls
            ]
            ended = await self._finish_turn(agent)
            if ended:
                return ended

    def _model_settings(self, agent: Agent) -> ModelSettings:
        """The agent's model settings with the run's over them; a forced `tool_choice` is sent
        as `auto` right after a turn with tool calls, unless `reset_tool_choice` is off."""
        settings = self._input.options.model_settings.merged_over(agent.model_settings)
        forced = settings.tool_choice not in (None, "auto", "none")
        last = self._state.messages[-1] if self._state.messages else {}
        after_tools = last.get("role") == "tool"
        if forced and after_tools and settings.reset_tool_choice is not False:
            return settings.model_copy(update={"tool_choice": "auto"})
        return settings

    async def _suspend(self, fired: list[str]) -> AgentRunOutput | None:
        """Suspend: complete with the continuation, or wait for `resume` holding no worker."""
        self._state.suspend_list = fired
        self._mark_changed()
        if self._input.options.exit_on_suspend:
            return self._parked_output("suspended", suspend_list=fired)
        await workflow.wait_condition(
            lambda: self._resume_budget is not None or self._history_is_long()
        )
        if self._resume_budget is None:  # junk signals piled up: go on in a new run, suspended
            await workflow.wait_condition(workflow.all_handlers_finished)
            workflow.continue_as_new(self._carried_over())
        self._state.policy = PolicyState(
            turns_at_start=self._state.model_turns,
            tokens_at_start=self._state.total_tokens,
            started_at=workflow.now(),
            budget=self._resume_budget or BudgetInput(),
        )
        self._resume_budget = None
        self._parking = False
        self._state.suspend_list = []
        self._mark_changed()
        return None


def no_model_problem(agent: str) -> str:
    """Why a run of `agent` cannot start: no model is named anywhere."""
    return (
        f"agent {agent!r} has no model: name one with the run's --model, the agent's model= "
        "or the worker's AGENT_MODEL"
    )


def _text(content: Any) -> str:
    """A reply's content as text: content parts are joined."""
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return content or ""


def _fitting(output: AgentRunOutput) -> AgentRunOutput:
    """The output, without its messages if it would not fit in a payload: the result still
    gets through, and the messages are in the run's history."""
    problem = payload_problem("the run's output", output)
    if not problem:
        return output
    left_out = f"{problem}: its messages were left out"
    error = f"{output.error}; {left_out}" if output.error else left_out
    return output.model_copy(update={"messages": [], "error": error})
