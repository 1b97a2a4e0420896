"""`Suspension`: a level suspends when a policy fires, and goes on when `resume` comes."""

from __future__ import annotations

from temporalio import workflow

from agent_continuations.agent_definitions import Agent
from agent_continuations.shared import AgentRunOutput, BudgetInput, ResumeSignalInput
from agent_continuations.workflows._continue_as_new import ContinueAsNew
from agent_continuations.workflows._level import Level
from agent_continuations.workflows._policy_check import fired_policies
from agent_continuations.workflows._state import ForwardedResume, PolicyState
from agent_continuations.workflows._status import LevelStatus
from agent_continuations.workflows._tree_messages import signal_quietly

PARENT_SUSPENDED = "parent_suspended"


class Suspension:
    """Checks the suspension policies between turns, waits for `resume` (or exits with the
    continuation), and passes `resume` down to suspended sub-agents (`apply_resume`)."""

    def __init__(self, level: Level, status: LevelStatus, continue_as_new: ContinueAsNew) -> None:
        self._level = level
        self._status = status
        self._continue_as_new = continue_as_new
        self._resume_budget: BudgetInput | None = None

    def fired(self, agent: Agent) -> list[str]:
        """The names of what says to suspend now: the agent's policies, a parking tree."""
        level = self._level
        policies = fired_policies(agent, level.state, level.input.options.max_turns, workflow.now())
        for policy in policies:
            if policy.error is not None:
                workflow.logger.warning(
                    "suspension policy %s raised: %s", policy.name, policy.error
                )
        fired = [policy.name for policy in policies]
        if level.parking:
            fired.append(PARENT_SUSPENDED)
        return fired

    async def suspend(self, fired: list[str]) -> AgentRunOutput | None:
        """Suspend: complete with the continuation, or wait for `resume` holding no worker."""
        level = self._level
        level.state.suspend_list = fired
        self._status.mark_changed()
        if level.input.options.exit_on_suspend:
            return level.parked_output("suspended", suspend_list=fired)
        await workflow.wait_condition(
            lambda: (
                self._resume_budget is not None or self._continue_as_new.should_continue_as_new()
            )
        )
        if self._resume_budget is None:  # junk signals piled up: go on in a new run, suspended
            await self._continue_as_new.continue_as_new_if_suggested()
        level.state.policy = PolicyState(
            turns_at_start=level.state.model_turns,
            tokens_at_start=level.state.total_tokens,
            started_at=workflow.now(),
            budget=self._resume_budget or BudgetInput(),
        )
        self._resume_budget = None
        level.parking = False
        level.state.suspend_list = []
        self._status.mark_changed()
        return None

    async def resume(self, request: ResumeSignalInput) -> None:
        """Resume this level if it is suspended and chosen, and pass `resume` down."""
        level = self._level
        path_ids = request.path_ids
        if level.state.suspend_list and not path_ids:
            self._resume_budget = request.budget or BudgetInput()
        for call in level.state.turn_calls:
            chosen = path_ids is None or (path_ids and path_ids[0] == call.id)
            suspended = call.child_continuation and call.child_continuation.needs_attention()
            if chosen and suspended and call.child_workflow_id:
                rest = None if path_ids is None else path_ids[1:]
                forwarded = ForwardedResume(
                    request=ResumeSignalInput(path_ids=rest, budget=request.budget),
                )
                handle = workflow.get_external_workflow_handle(call.child_workflow_id)
                await signal_quietly(handle, "apply_resume", forwarded, level.keys)
