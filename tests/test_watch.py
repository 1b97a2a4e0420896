"""`agent-starter watch ID`: the run's tree as it goes, until it ends or waits for a person."""

from __future__ import annotations

from agent_continuations.cli._format import approve_command
from agent_continuations.workflows import AgentWorkflow
from helpers import running_worker, start_agent, wait_for_pending
from test_example_agents import PROMPT


async def test_watch_follows_the_tree_until_a_person_must_decide(
    dev_server_env, task_queue, starter
):
    client = dev_server_env.client
    async with running_worker(client, task_queue):
        handle = await start_agent(client, task_queue, "hr_agent", PROMPT)
        [entry] = await wait_for_pending(handle)
        before = len([e async for e in handle.fetch_history_events()])
        code, out, _ = await starter("watch", handle.id, "--interval", "0.1")
        assert code == 0
        lines = out.splitlines()
        assert lines[0].startswith(f"hr_agent ({handle.id}): turn 1, ")
        assert lines[1].endswith(": done") and lines[1].lstrip().startswith("send_email_tool")
        assert lines[2].lstrip().startswith("account_agent_tool") and lines[2].endswith("running")
        assert lines[3].lstrip().startswith("account_agent (") and ": turn 2, " in lines[3]
        assert (
            lines[4].lstrip().startswith("authorize_account") and "waits for a decision" in lines[4]
        )
        assert "Waits for a decision:" in out and entry["digest"] in out
        assert f"approve:   {approve_command(handle.id, entry)}\n" in out
        assert f"Reject with: agent-starter reject {handle.id} CALL_ID --digest DIGEST" in out
        # Watching reads queries only: the run's history did not grow.
        assert len([e async for e in handle.fetch_history_events()]) == before
        await handle.signal(AgentWorkflow.approve, {"tool_call_id": entry["path_ids"][-1]})
        await handle.result()
        code, out, _ = await starter("watch", handle.id)
        assert code == 0 and out.startswith("end_reason: completed")
        code, _, err = await starter("watch", handle.id, "--interval", "0")
        assert code == 2 and "give 0.1 to 3600 seconds" in err
