"""The floor: the bare tree without activities, what the server itself takes for it."""

from __future__ import annotations

from bare_tree import BareRoot
from temporalio import workflow


@workflow.defn(name="FloorChild")
class FloorChild:
    def __init__(self) -> None:
        self._approved = False

    @workflow.run
    async def run(self, prompt: str) -> str:
        parent = workflow.info().parent
        assert parent is not None
        await workflow.get_external_workflow_handle(parent.workflow_id).signal("child_waiting")
        await workflow.wait_condition(lambda: self._approved)
        return prompt

    @workflow.signal(name="approve")
    def approve(self) -> None:
        self._approved = True


@workflow.defn(name="FloorRoot")
class FloorRoot(BareRoot):
    @workflow.run
    async def run(self, prompt: str) -> str:
        result = await workflow.execute_child_workflow(
            FloorChild.run, prompt, id=f"{workflow.info().workflow_id}-child"
        )
        await workflow.wait_condition(workflow.all_handlers_finished)
        return result
