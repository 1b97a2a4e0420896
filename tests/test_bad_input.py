"""Bad signals and updates never fail a run: signals are logged and ignored, updates refused."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from agent_continuations.agent_definitions import Agent, tool
from agent_continuations.shared import DecideInput
from agent_continuations.workflows import AgentWorkflow
from helpers import running_worker, start_agent, tool_call, tool_results, wait_for_pending


@tool(needs_approval=True)
def wire(amount: int) -> str:
    """Wire money."""
    return f"wired {amount}"


AGENTS = [Agent(name="bad_input_bank", instructions="Wire.", tools=[wire])]
SCRIPTS = {"bad_input_bank": [{"tool_calls": [tool_call("wire", amount=5)]}, {"content": "ok"}]}


async def _refusal(handle: WorkflowHandle, payload: object) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await handle.execute_update(AgentWorkflow.decide, payload)
    return str(failure.value.cause)


async def test_bad_signals_and_updates_leave_the_run_waiting(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, SCRIPTS, agents=AGENTS):
        handle = await start_agent(client, task_queue, "bad_input_bank", "wire 5")
        [entry] = await wait_for_pending(handle)
        call_id = entry["path_ids"][0]

        await handle.signal(AgentWorkflow.approve, "not an object")
        await handle.signal(AgentWorkflow.approve, {"reason": "names no call"})
        await handle.signal(AgentWorkflow.approve, {"tool_call_id": "call_unknown"})
        await handle.signal(
            AgentWorkflow.approve, {"tool_call_id": call_id, "arguments": {"amount": "lots"}}
        )
        await handle.signal(AgentWorkflow.reject, {"tool_call_id": call_id, "surprise": 1})
        await handle.signal("launch_missiles", {"tool_call_id": call_id})
        assert await handle.query(AgentWorkflow.pending_approvals) == [entry]

        assert "no call 'call_unknown' is waiting" in await _refusal(
            handle, DecideInput(tool_call_id="call_unknown", approved=True)
        )
        assert "edited arguments do not fit wire: amount:" in await _refusal(
            handle, DecideInput(tool_call_id=call_id, approved=True, arguments={"amount": "x"})
        )
        assert "give tool_call_id or path_ids" in await _refusal(handle, {"approved": True})
        assert "only be edited when approving" in await _refusal(
            handle, {"tool_call_id": call_id, "approved": False, "arguments": {"amount": 1}}
        )
        assert await handle.query(AgentWorkflow.pending_approvals) == [entry]

        answer = await handle.execute_update(
            AgentWorkflow.decide, DecideInput(tool_call_id=call_id, approved=True)
        )
        assert answer == f"approved wire ({call_id})"
        again = await _refusal(handle, DecideInput(tool_call_id=call_id, approved=False))
        # Refused either way: decided but not yet run, or already run and gone.
        assert "already decided" in again or f"no call '{call_id}' is waiting" in again
        output = await handle.result()
    assert output.end_reason == "completed"
    assert tool_results(output) == {"wire": "wired 5"}
