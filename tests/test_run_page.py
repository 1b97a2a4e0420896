"""What a run's page in the Web UI says (issue 20): summary and details of a root, descriptions
of every signal, update and query, and an input without its unset fields."""

from __future__ import annotations

from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.testing import WorkflowEnvironment

from agent_continuations.agent_definitions import AgentCatalog
from agent_continuations.agent_runs import start_run
from agent_continuations.run_page import SUMMARY_PROMPT_CHARS, run_summary
from agent_continuations.shared import AgentWorkflowInput, RunOptions
from helpers import SHARED_AGENTS, running_worker, wait_for_pending
from test_example_agents import PROMPT


def test_the_summary_names_the_agent_and_shortens_the_prompt():
    assert run_summary("hr_agent", "Onboard\n  stzhang") == "hr_agent: Onboard stzhang"
    long = run_summary("hr_agent", "x" * 500)
    assert long == f"hr_agent: {'x' * (SUMMARY_PROMPT_CHARS - 1)}…"
    assert run_summary("hr_agent", None) == "hr_agent: resumed from a continuation"


def test_an_input_leaves_out_what_was_not_given():
    given = AgentWorkflowInput(agent="hr_agent", prompt="go", options=RunOptions(max_turns=5))
    assert given.model_dump(mode="json") == {
        "agent": "hr_agent",
        "prompt": "go",
        "options": {"max_turns": 5},
    }
    assert AgentWorkflowInput.model_validate(given.model_dump(mode="json")) == given


async def test_a_root_says_what_it_is_and_every_handler_what_it_does(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    client = time_skipping_env.client
    async with running_worker(client, task_queue):
        handle = await start_run(
            client, "hr_agent", PROMPT, task_queue=task_queue, agents=AgentCatalog(SHARED_AGENTS)
        )
        await wait_for_pending(handle)
        described = await handle.describe()
        metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
        await handle.terminate("test over")
    assert await described.static_summary() == run_summary("hr_agent", PROMPT)
    assert (await described.static_summary() or "").startswith(f"hr_agent: {PROMPT[:40]}")
    details = await described.static_details()
    assert details is not None
    assert "- **account_agent**, sub-agent of hr_agent" in details
    assert f"agent-starter pending {handle.id}" in details
    definition = metadata.definition
    handlers = [*definition.signal_definitions, *definition.update_definitions]
    handlers += [q for q in definition.query_definitions if not q.name.startswith("__")]
    assert {h.name for h in handlers} >= {"approve", "reject", "decide", "resume", "move_out"}
    assert all(h.description for h in handlers), [h.name for h in handlers if not h.description]
    internal = {h.name for h in handlers if h.description.startswith("Internal:")}
    assert internal >= {"apply_decision", "park", "report_sub_agent_result"}
    assert "approve" not in internal
