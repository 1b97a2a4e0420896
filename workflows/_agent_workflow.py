"""`AgentWorkflow`: one agent's loop; sub-agents run as child workflows of the same type."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from activities import ModelActivities, ModelCallInput
from agent_definitions import Agent, UnknownAgentError, get_agent
from payloads import (
    AgentRunOutput,
    AgentWorkflowInput,
    BudgetInput,
    JsonDict,
    PolicyState,
    ResumePoint,
)
from workflows._calls import call_kind, cause_message, resumed_call
from workflows._policy_check import fired_policies
from workflows._state import AgentState, ToolCallState
from workflows._turns import TurnCalls

MODEL_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1), maximum_attempts=10)
PARENT_SUSPENDED = "parent_suspended"


@workflow.defn(name="AgentWorkflow")
class AgentWorkflow(TurnCalls):
    """Runs one agent: model calls and tool calls as activities, sub-agents as child workflows.

    People decide on waiting tool calls with the `approve` / `reject` signals or the `decide`
    update, and resume suspended levels with `resume`, always sent to the root: messages for
    levels inside sub-agents are passed down.
    """

    @workflow.init
    def __init__(self, input: AgentWorkflowInput) -> None:
        self._input = input
        try:
            self._agent: Agent | None = get_agent(input.agent)
        except UnknownAgentError:
            self._agent = None
        model = input.model or (self._agent.model if self._agent else "")
        start = input.resume or ResumePoint(messages=self._first_messages(input))
        self._state = AgentState(
            agent=input.agent,
            model=model,
            messages=list(start.messages),
            decisions=list(start.decisions),
            model_turns=start.model_turns,
            total_tokens=start.total_tokens,
            policy=start.policy,
        )
        if self._agent is not None:
            now = workflow.now()
            self._state.turn_calls = [resumed_call(self._agent, c, now) for c in start.calls]
            self._state.decisions += [c.decision for c in self._state.turn_calls if c.decision]
        self._forwarded: set[tuple[str, ...]] = set()
        self._call_tasks: dict[str, asyncio.Task[None]] = {}
        self._stop_reason: str | None = None
        self._parking = False
        self._resume_budget: BudgetInput | None = None
        self._changed = False

    def _first_messages(self, input: AgentWorkflowInput) -> list[JsonDict]:
        instructions = self._agent.instructions if self._agent else ""
        return [
            {"role": "developer", "content": instructions},
            {"role": "user", "content": input.prompt or ""},
        ]

    @workflow.run
    async def run(self, input: AgentWorkflowInput) -> AgentRunOutput:
        """Loop model → tools until the model answers without tool calls or a call is rejected."""
        if self._agent is None:
            return self._output("error", error=f"unknown agent {input.agent!r}")
        if input.prompt is None and input.resume is None:
            return self._output("error", error="give a prompt or a continuation to resume")
        reporter = None
        if input.sub_agent_call_id:
            reporter = asyncio.create_task(self._report_to_parent(input.sub_agent_call_id))
        output = await self._loop(self._agent)
        if reporter:
            reporter.cancel()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return output

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
            fired = fired_policies(agent, self._state)
            if self._parking:
                fired.append(PARENT_SUSPENDED)
            if fired:
                ended = await self._suspend(fired)
                if ended:
                    return ended
            workflow.set_current_details(f"Calling the model (turn {self._state.model_turns + 1}).")
            try:
                reply = await workflow.execute_activity_method(
                    ModelActivities.call_model,
                    ModelCallInput(
                        agent=agent.name, model=self._state.model, messages=self._state.messages
                    ),
                    start_to_close_timeout=timedelta(seconds=options.model_timeout_seconds),
                    heartbeat_timeout=timedelta(seconds=options.model_heartbeat_seconds),
                    retry_policy=MODEL_RETRY,
                )
            except ActivityError as error:
                return self._output("error", error=cause_message(error))
            self._state.model_turns += 1
            self._state.total_tokens += reply.total_tokens
            self._state.messages.append(reply.message)
            tool_calls: list[JsonDict] = reply.message.get("tool_calls") or []
            if not tool_calls:
                return self._output("completed", result=reply.message.get("content") or "")
            self._state.turn_calls = [
                ToolCallState(tool_call=tc, kind=call_kind(agent, tc)) for tc in tool_calls
            ]
            ended = await self._finish_turn(agent)
            if ended:
                return ended

    def _history_is_long(self) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() > self._input.options.history_event_limit
        )

    def _carried_over(self) -> AgentWorkflowInput:
        """This run's input for the next run in the chain: the same level, from its state."""
        return self._input.model_copy(
            update={
                "prompt": None,
                "resume": ResumePoint(
                    messages=self._state.messages,
                    decisions=self._state.decisions,
                    model_turns=self._state.model_turns,
                    total_tokens=self._state.total_tokens,
                    policy=self._state.policy,
                ),
            }
        )

    async def _suspend(self, fired: list[str]) -> AgentRunOutput | None:
        """Suspend: complete with the continuation, or wait for `resume` holding no worker."""
        self._state.suspend_list = fired
        self._mark_changed()
        if self._input.options.exit_on_suspend:
            return self._parked_output("suspended", suspend_list=fired)
        await workflow.wait_condition(lambda: self._resume_budget is not None)
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
