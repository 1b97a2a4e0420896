"""Seals on a run's input (issue 15): a state carried over continue-as-new or handed to a
sub-agent counts only when the tree sealed it, and the decision records of a resume input only
when the starter sealed it with the key the workers hold."""

from __future__ import annotations

import copy
import uuid

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from agent_continuations.agent_definitions import Agent, tool
from agent_continuations.agent_runs import start_imported
from agent_continuations.continuations import import_continuation, seal_output
from agent_continuations.shared import AgentWorkflowInput, RunOptions
from agent_continuations.workflows import AgentWorkflow
from agent_continuations.workflows._start import UNSEALED_INPUT_MEMO
from helpers import running_worker, start_agent, tool_call, wait_for_pending
from test_example_agents import PROMPT
from test_import import CATALOG, FORGED, SCRIPTS, decided, golden

SEAL_KEY = b"input-seal-test-key"


async def test_a_carried_state_the_tree_did_not_seal_is_refused(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    client = time_skipping_env.client
    async with running_worker(client, task_queue):
        waiting = await start_agent(client, task_queue, "hr_agent", PROMPT)
        await wait_for_pending(waiting)
        state = await waiting.query(AgentWorkflow.get_state)
        await waiting.terminate("test over")  # before time skips to its approval timeout
        forged = await client.start_workflow(
            AgentWorkflow.run,
            AgentWorkflowInput(agent="hr_agent", carried_state=state.model_dump(mode="json")),
            id=f"forged-{uuid.uuid4().hex[:8]}",
            task_queue=task_queue,
        )
        output = await forged.result()
    assert output.end_reason == "error"
    assert output.error is not None and "carried-over state is not sealed" in output.error


@tool
def step(n: int) -> str:
    """Record a step."""
    return f"step {n} done"


def _steps(messages: list[dict]) -> dict:
    done = sum(1 for m in messages if m["role"] == "tool")
    return {"tool_calls": [tool_call("step", n=done + 1)]} if done < 40 else {"content": "done"}


async def test_a_sealed_carried_state_does_not_start_its_workflow_id_again(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    client = time_skipping_env.client
    agents = [Agent(name="stepper", instructions="Step.", tools=[step])]
    async with running_worker(client, task_queue, {"stepper": _steps}, agents=agents):
        handle = await start_agent(
            client, task_queue, "stepper", "go", options=RunOptions(history_event_limit=101)
        )
        assert (await handle.result()).result == "done"
        history = await client.get_workflow_handle(handle.id).fetch_history()  # the last run
        started = history.events[0].workflow_execution_started_event_attributes
        [carried] = await client.data_converter.decode(started.input.payloads, [AgentWorkflowInput])
        assert carried.carried_state is not None and carried.input_seal
        # The chain has ended; its last input, read in history, starts the same ID anew.
        again = await client.start_workflow(
            AgentWorkflow.run, carried, id=handle.id, task_queue=task_queue
        )
        output = await again.result()
    assert output.end_reason == "error"
    assert output.error is not None and "carried-over state is not sealed" in output.error


def _sealed_file_with_a_record() -> dict:
    waiting = decided(golden("prototype_hr_approval_required.json"), True)
    return seal_output({**waiting, "decisions": [copy.deepcopy(FORGED)]}, SEAL_KEY)


async def _resume(client: Client, task_queue: str, key: bytes | None, worker_key: bytes | None):
    imported = import_continuation(_sealed_file_with_a_record(), CATALOG, key=SEAL_KEY)
    assert [d.approver for d in imported.resume.decisions] == ["security-officer"]
    async with running_worker(client, task_queue, SCRIPTS, seal_key=worker_key):
        handle = await start_imported(client, imported, task_queue=task_queue, key=key)
        output = await handle.result()
        memo = await (await handle.describe()).memo()
    return output, memo


async def test_a_resume_input_sealed_with_the_workers_key_keeps_its_records(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    output, memo = await _resume(time_skipping_env.client, task_queue, SEAL_KEY, SEAL_KEY)
    assert output.end_reason == "completed"
    assert [d.approver for d in output.decisions][:1] == ["security-officer"]
    assert UNSEALED_INPUT_MEMO not in memo


async def test_an_unsealed_resume_input_loses_its_records_with_a_note(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    client = time_skipping_env.client
    # Unsealed (a workflow started directly), or sealed with a key the workers do not hold.
    for starter_key, worker_key in [(None, SEAL_KEY), (SEAL_KEY, None), (b"other-key", SEAL_KEY)]:
        output, memo = await _resume(client, task_queue, starter_key, worker_key)
        assert output.end_reason == "completed"  # the resumer's own decision still counts
        assert "security-officer" not in [d.approver for d in output.decisions]
        assert [d.reason for d in output.decisions] == ["decided in the imported continuation"]
        assert memo[UNSEALED_INPUT_MEMO].startswith("dropped 1 earlier decision record(s)")
