"""`ContinueAsNew`: the one place a level decides to go on in a new run, and does."""

from __future__ import annotations

from temporalio import workflow
from temporalio.workflow import ContinueAsNewVersioningBehavior

from agent_continuations.shared import AgentWorkflowInput
from agent_continuations.workflows._level import Level
from agent_continuations.workflows._start import input_receiver
from agent_continuations.workflows._state import (
    ANSWERED_STATUSES,
    ParentContinued,
    ToolCallState,
    TreeMessage,
    UpgradeRequest,
)
from agent_continuations.workflows._tree_messages import signal_quietly


def on_versioned_worker() -> bool:
    """Whether this run's workers are a Worker Deployment Version (an unversioned worker may not
    give a versioning behaviour: the server refuses its workflow task)."""
    version = workflow.info().get_current_deployment_version()
    return version is not None and bool(version.deployment_name)


class ContinueAsNew:
    """Continues a level as new when its history grows long, carrying its state over; or,
    once asked to upgrade, at its next wait, onto the deployment's current version."""

    def __init__(self, level: Level) -> None:
        self._level = level
        self.upgrading = False

    def should_continue_as_new(self) -> bool:
        """Whether the history is long, or an upgrade was asked for, and the level may move to
        a new run now.

        Not while a tool or model call runs (its result comes to this run only), nor while the
        level parks (it exits with its continuation instead); open calls that wait for a
        person, themselves or in their sub-agent, go over (sub-agents outlive the run and
        report their result by signal).
        """
        level = self._level
        info = workflow.info()
        history_is_long = (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() > level.input.options.history_event_limit
        )
        return (
            (history_is_long or self.upgrading)
            and not level.parking
            and all(call.waits_for_a_person() for call in self._open_calls())
        )

    def waits(self) -> bool:
        """Whether the level waits now: suspended, or every open call waits for a person (not
        between them, in a model call)."""
        state, open_calls = self._level.state, self._open_calls()
        return bool(state.suspend_list) or (
            bool(open_calls) and all(call.waits_for_a_person() for call in open_calls)
        )

    async def upgrade(self) -> None:
        """Move to the current version at the next wait, and ask the running sub-agents to."""
        if self.upgrading:
            return
        self.upgrading = True
        await self._signal_sub_agents("apply_upgrade", UpgradeRequest())

    async def continue_as_new_if_suggested(self) -> None:
        """Continue as new, once every handler has finished, if `should_continue_as_new`.

        An upgrade goes on with the first task on the current version (auto-upgrade); the new
        run is then pinned there, as versioned workers pin `AgentWorkflow`. Otherwise it stays
        on this one.
        """
        if self.should_continue_as_new():
            if self.upgrading:  # sub-agents started since the request move too
                await self._signal_sub_agents("apply_upgrade", UpgradeRequest())
            # This run will not see them end: they send their results by signal too.
            await self._signal_sub_agents("parent_continued", ParentContinued())
            await workflow.wait_condition(workflow.all_handlers_finished)
            upgrade = self.upgrading and on_versioned_worker()
            behavior = ContinueAsNewVersioningBehavior.AUTO_UPGRADE if upgrade else None
            workflow.continue_as_new(self._carried_over(), initial_versioning_behavior=behavior)

    def _open_calls(self) -> list[ToolCallState]:
        return [c for c in self._level.state.turn_calls if c.status not in ANSWERED_STATUSES]

    async def _signal_sub_agents(self, signal: str, message: TreeMessage) -> None:
        """Send a tree message to every sub-agent this level runs."""
        level = self._level
        for call in level.state.turn_calls:
            if call.kind == "sub_agent" and call.status == "running" and call.child_workflow_id:
                handle = workflow.get_external_workflow_handle(call.child_workflow_id)
                await signal_quietly(handle, signal, message, level.keys)

    def _carried_over(self) -> AgentWorkflowInput:
        """This run's input for the next run in the chain: the same level, from its state."""
        level = self._level
        carried = level.input.model_copy(
            update={
                "prompt": None,
                "resume": None,
                "carried_state": level.state.model_dump(mode="json"),
                **level.keys.for_child(),  # the sub-agents that run on know this tree's token
            }
        )
        return level.seals.seal(carried, input_receiver(carried))
