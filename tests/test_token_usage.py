"""Tokens per level and rolled up over the tree: output, exported file and current details."""

from __future__ import annotations

from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.testing import WorkflowEnvironment

from agent_continuations.agent_definitions import Agent, tool
from agent_continuations.continuations import parse_agent_output, run_output_to_json
from agent_continuations.shared import TokenUsage
from agent_continuations.workflows import AgentWorkflow
from chat_server import ChatServer, Completion
from helpers import running_worker, start_agent, wait_for_pending

MODEL = "test-model"


@tool(needs_approval=True)
def drop_table(name: str) -> str:
    """Drop a table.

    Args:
        name: The table.
    """
    return f"dropped {name}"


CHILD = Agent(name="usage-child", instructions="Answer.", tool_name="ask_child")
GATED = Agent(name="usage-gated", instructions="Drop.", tools=[drop_table], tool_name="ask_gated")
ROOT = Agent(name="usage-root", instructions="Delegate.", sub_agents=[CHILD, GATED])
AGENTS = [ROOT]


def usage(total: int) -> TokenUsage:
    """What the chat server counts for replies of `total` tokens each."""
    return TokenUsage(
        prompt_tokens=total // 2, completion_tokens=total - total // 2, total_tokens=total
    )


async def test_a_sub_agents_tokens_roll_up_into_the_parents(
    time_skipping_env: WorkflowEnvironment, task_queue: str
) -> None:
    ask = {"name": "ask_child", "arguments": {"prompt": "what?"}}
    replies = [Completion(tool_calls=[ask], total_tokens=10), Completion("42", total_tokens=100)]
    client = time_skipping_env.client
    with ChatServer(*replies, Completion("It is 42.", total_tokens=20)) as server:
        async with running_worker(
            client, task_queue, model_activities=server.model_activities(), agents=AGENTS
        ):
            handle = await start_agent(client, task_queue, ROOT.name, "ask", MODEL)
            output = await handle.result()
    assert output.end_reason == "completed", output.error
    assert output.usage == usage(10) + usage(20)
    assert output.tree_usage == usage(10) + usage(20) + usage(100)
    exported = run_output_to_json(output)
    assert exported["usage"]["total"] == output.tree_usage.model_dump()
    parse_agent_output(exported)


async def test_a_waiting_trees_tokens_are_in_its_continuation_and_details(
    time_skipping_env: WorkflowEnvironment, task_queue: str
) -> None:
    ask = {"name": "ask_gated", "arguments": {"prompt": "drop t"}}
    drop = {"name": "drop_table", "arguments": {"name": "t"}}
    replies = [Completion(tool_calls=[ask], total_tokens=10), Completion(tool_calls=[drop])]
    client = time_skipping_env.client
    with ChatServer(*replies) as server:
        async with running_worker(
            client, task_queue, model_activities=server.model_activities(), agents=AGENTS
        ):
            handle = await start_agent(client, task_queue, ROOT.name, "drop", MODEL)
            [entry] = await wait_for_pending(handle)
            exported = await handle.query(AgentWorkflow.get_continuation)
            metadata = await handle.query(
                "__temporal_workflow_metadata", result_type=WorkflowMetadata
            )
            await handle.terminate("test done")
    call_id = entry["path_ids"][0]
    assert exported["usage"] == {
        "total": (usage(10) + usage(42)).model_dump(),
        "levels": {"": usage(10).model_dump(), call_id: usage(42).model_dump()},
    }
    parse_agent_output(exported)
    assert metadata.current_details.splitlines()[-1] == ("Tokens: 52 (prompt 26, completion 26).")
