"""A signal or update whose storage reference the worker can never read is dropped or refused
with the reason, and the run stays decidable: no workflow task fails (real dev server)."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.sdk.v1 import ExternalStorageReference
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import RawValue
from temporalio.converter import JSONProtoPayloadConverter
from temporalio.testing import WorkflowEnvironment

from agent_continuations.agent_definitions import Agent, tool
from agent_continuations.plugin import agent_data_converter
from agent_continuations.shared import ApprovalDecision, DecideInput
from agent_continuations.storage import LocalStorageDriver, payload_storage
from agent_continuations.workflows import AgentWorkflow
from helpers import (
    running_worker,
    start_agent,
    task_failures,
    tool_call,
    tool_results,
    wait_for_pending,
)

MISSING_KEY = "0" * 64


@tool(needs_approval=True)
def wire(amount: int) -> str:
    """Wire money."""
    return f"wired {amount}"


AGENTS = [Agent(name="unreadable_payee", instructions="Pay.", tools=[wire])]
SCRIPTS = {"unreadable_payee": [{"tool_calls": [tool_call("wire", amount=5)]}, {"content": "ok"}]}


def reference(driver: str, key: str) -> RawValue:
    """A reference to a stored payload, as the SDK's external storage writes one."""
    claim = ExternalStorageReference(driver_name=driver, claim_data={"key": key})
    payload = JSONProtoPayloadConverter().to_payload(claim)
    assert payload is not None
    payload.external_payloads.add().size_bytes = 70_000
    return RawValue(payload)


UNREADABLE = {
    "missing key": (reference("local", MISSING_KEY), f"payload {MISSING_KEY} is not in"),
    "path as key": (reference("local", "../../etc/passwd"), "malformed payload claim"),
    "unknown store": (reference("s3", MISSING_KEY), "No driver found with name 's3'"),
    "malformed": (
        RawValue(Payload(metadata=reference("local", "").payload.metadata, data=b"{")),
        "Failed parsing",
    ),
}


async def approve_and_finish(handle: WorkflowHandle, client: Client) -> None:
    """The run still lists its waiting call, takes a decision on it and completes."""
    [entry] = await wait_for_pending(handle)
    await handle.signal(AgentWorkflow.approve, ApprovalDecision(path_ids=entry["path_ids"]))
    output = await handle.result()
    assert output.end_reason == "completed"
    assert tool_results(output) == {"wire": "wired 5"}
    assert await task_failures(client, handle.id) == []


async def test_signals_with_unreadable_references_are_dropped(
    dev_server_env: WorkflowEnvironment, task_queue: str, caplog: pytest.LogCaptureFixture
):
    client = dev_server_env.client
    async with running_worker(client, task_queue, SCRIPTS, agents=AGENTS):
        handle = await start_agent(client, task_queue, "unreadable_payee", "pay")
        await wait_for_pending(handle)
        for raw, _ in UNREADABLE.values():
            for signal in ("approve", "reject", "no_such_signal"):
                await handle.signal(signal, raw)
        await approve_and_finish(handle, client)
    dropped = [r.getMessage() for r in caplog.records if "dropping the signal" in r.getMessage()]
    assert len(dropped) == 2 * len(UNREADABLE)  # the unknown signal is ignored by name
    logged = caplog.text
    for _, reason in UNREADABLE.values():
        assert reason in logged


@pytest.mark.parametrize(("raw", "reason"), UNREADABLE.values(), ids=UNREADABLE.keys())
async def test_an_update_with_an_unreadable_reference_is_refused_with_the_reason(
    dev_server_env: WorkflowEnvironment, task_queue: str, raw: RawValue, reason: str
):
    client = dev_server_env.client
    async with running_worker(client, task_queue, SCRIPTS, agents=AGENTS):
        handle = await start_agent(client, task_queue, "unreadable_payee", "pay")
        await wait_for_pending(handle)
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update("decide", raw)
        assert reason in str(refused.value.cause)
        await approve_and_finish(handle, client)


async def test_a_large_message_from_a_client_with_another_store_is_dropped_or_refused(
    dev_server_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
):
    elsewhere = await Client.connect(
        dev_server_env.client.service_client.config.target_host,
        data_converter=agent_data_converter(storage=payload_storage(LocalStorageDriver(tmp_path))),
    )
    async with running_worker(dev_server_env.client, task_queue, SCRIPTS, agents=AGENTS):
        handle = await start_agent(dev_server_env.client, task_queue, "unreadable_payee", "pay")
        [entry] = await wait_for_pending(handle)
        theirs = elsewhere.get_workflow_handle(handle.id)
        large = "x" * 70_000
        await theirs.signal(
            AgentWorkflow.reject, ApprovalDecision(path_ids=entry["path_ids"], reason=large)
        )
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await theirs.execute_update(
                AgentWorkflow.decide,  # type: ignore[arg-type]  # the handler takes raw input
                DecideInput(path_ids=entry["path_ids"], approved=False, reason=large),
            )
        assert "share this payload directory" in str(refused.value.cause)
        await approve_and_finish(handle, dev_server_env.client)
