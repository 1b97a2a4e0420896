"""`starter.py start` sets the run's activity timeouts: they reach the activities it schedules."""

from __future__ import annotations

from datetime import timedelta

from temporalio.api.enums.v1 import EventType

from helpers import running_worker, wait_for_pending
from test_example_agents import PROMPT


async def test_start_flags_set_the_scheduled_activities_timeouts(
    dev_server_env, task_queue, starter
):
    client = dev_server_env.client
    async with running_worker(client, task_queue):
        code, out, err = await starter(
            "start",
            "hr_agent",
            PROMPT,
            "--model-heartbeat-timeout",
            "9",
            "--tool-heartbeat-timeout",
            "7.5",
            "--tool-timeout",
            "40",
        )
        assert code == 0, err
        handle = client.get_workflow_handle(out.strip())
        await wait_for_pending(handle)  # the model and send_email have run by now
        scheduled = {
            event.activity_task_scheduled_event_attributes.activity_type.name: (
                event.activity_task_scheduled_event_attributes
            )
            async for event in handle.fetch_history_events()
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        }
        await handle.terminate("test over")
    model, tool = scheduled["call_model"], scheduled["run_tool"]
    assert model.heartbeat_timeout.ToTimedelta() == timedelta(seconds=9)
    assert model.start_to_close_timeout.ToTimedelta() == timedelta(seconds=300)  # the default
    assert tool.heartbeat_timeout.ToTimedelta() == timedelta(seconds=7.5)
    assert tool.start_to_close_timeout.ToTimedelta() == timedelta(seconds=40)


async def test_a_timeout_that_is_not_a_positive_number_is_a_usage_error(starter):
    code, out, err = await starter("start", "hr_agent", PROMPT, "--tool-heartbeat-timeout", "0")
    assert (code, out) == (2, "")
    assert err.splitlines()[-1].endswith(
        "argument --tool-heartbeat-timeout: give a number of seconds above 0, not '0'"
    )
