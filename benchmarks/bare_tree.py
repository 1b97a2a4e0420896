"""The bare tree: plain Temporal code of the agent tree's shape, without the agent runtime.

A module of its own, as a Temporal user would write it: the workflow sandbox executes it again
for every run, so it holds the tree and nothing else. Used by `waiting_agents.py` and
`round_trips.py`.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import activity, workflow


@activity.defn(name="bare_model")
async def bare_model(prompt: str) -> str:
    return f"reply to {prompt}"


@activity.defn(name="bare_tool")
async def bare_tool(name: str) -> str:
    return f"{name} done"


# The bare tree runs the activities the agent tree runs, in the same order: the root's model
# call, its tool beside the child; the child's model call, tool, model call, the approved tool
# and a last model call; then the root's last model call.
ACTIVITY_TIMEOUT = timedelta(seconds=30)


async def _model(prompt: str) -> str:
    return await workflow.execute_activity(
        bare_model, prompt, start_to_close_timeout=ACTIVITY_TIMEOUT
    )


async def _tool(name: str) -> str:
    return await workflow.execute_activity(bare_tool, name, start_to_close_timeout=ACTIVITY_TIMEOUT)


@workflow.defn(name="BareChild")
class BareChild:
    def __init__(self) -> None:
        self._approved = False

    @workflow.run
    async def run(self, prompt: str) -> str:
        await _model(prompt)
        await _tool("create_account")
        await _model(prompt)
        parent = workflow.info().parent
        assert parent is not None
        await workflow.get_external_workflow_handle(parent.workflow_id).signal("child_waiting")
        await workflow.wait_condition(lambda: self._approved)
        await _tool("authorize_account")
        return await _model(prompt)

    @workflow.signal(name="approve")
    def approve(self) -> None:
        self._approved = True


@workflow.defn(name="BareRoot")
class BareRoot:
    def __init__(self) -> None:
        self._waiting = False

    @workflow.run
    async def run(self, prompt: str) -> str:
        await _model(prompt)
        child = workflow.execute_child_workflow(
            BareChild.run, prompt, id=f"{workflow.info().workflow_id}-child"
        )
        await asyncio.gather(_tool("send_email_tool"), child)
        result = await _model(prompt)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return result

    @workflow.signal(name="child_waiting")
    def child_waiting(self) -> None:
        self._waiting = True

    @workflow.signal(name="approve")
    async def approve(self) -> None:
        child = workflow.get_external_workflow_handle(f"{workflow.info().workflow_id}-child")
        await child.signal(BareChild.approve)
        self._waiting = False

    @workflow.query(name="waiting")
    def waiting(self) -> bool:
        return self._waiting
