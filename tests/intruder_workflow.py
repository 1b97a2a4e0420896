"""A workflow of someone else's, on its own task queue, that schedules the agents' `run_tool`
(or `call_mcp_tool`) activity directly: the attack they must refuse for calls that need
approval."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError


@workflow.defn(name="IntruderWorkflow")
class IntruderWorkflow:
    @workflow.run
    async def run(self, request: dict[str, Any]) -> str:
        """Run `run_tool` (or `request["activity"]`) with `request["input"]` on
        `request["task_queue"]`; what came back."""
        try:
            result = await workflow.execute_activity(
                request.get("activity", "run_tool"),
                request["input"],
                task_queue=request["task_queue"],
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        except ActivityError as error:
            return f"refused: {error.cause}"
        return f"ran: {result}"
