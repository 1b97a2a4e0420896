"""History size of a run and its continue-as-new chain, and its bytes per turn."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

SCHEDULED = EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED


@dataclass
class ChainHistory:
    """Event sizes of every run of a chain, and where each model call was scheduled."""

    runs: int
    events: int
    bytes: int
    largest_event: int
    # Bytes recorded before the n-th model call was scheduled (n = 0, 1, ...).
    bytes_before_turn: list[int]

    def bytes_per_turn(self, first: int, last: int) -> float:
        """History bytes per turn from turn `first` to turn `last` (1-based, `first < last`)."""
        return (self.bytes_before_turn[last] - self.bytes_before_turn[first]) / (last - first)


async def chain_history(
    client: Client, workflow_id: str, first_run_id: str | None, model_activity: str = "call_model"
) -> ChainHistory:
    """Read every run of the chain that starts at `first_run_id`, following continue-as-new."""
    runs = events = total = largest = 0
    before_turn: list[int] = []
    run_id = first_run_id
    while run_id:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        runs += 1
        for event in history.events:
            attributes = event.activity_task_scheduled_event_attributes
            if event.event_type == SCHEDULED and attributes.activity_type.name == model_activity:
                before_turn.append(total)
            size = event.ByteSize()
            total += size
            largest = max(largest, size)
        events += len(history.events)
        last = history.events[-1].workflow_execution_continued_as_new_event_attributes
        run_id = last.new_execution_run_id or None
    return ChainHistory(runs, events, total, largest, before_turn + [total])
