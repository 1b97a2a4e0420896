"""Exporting a waiting run: the format's shapes, and the prototype's rules accept the export."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from agent_continuations.agent_definitions import AgentCatalog
from agent_continuations.agent_runs import export_run, resume_run
from agent_continuations.continuations import parse_agent_output
from agent_continuations.shared import ApprovalDecision
from agent_continuations.workflows import AgentWorkflow
from continuation_cases import DIRECTOR_PROMPT, SCRIPTS, director_agent
from helpers import running_worker, start_agent, wait_for_pending
from prototype_agent import from_definition

CATALOG = AgentCatalog([director_agent])

GOLDEN = Path(__file__).parent / "golden"
OUR_KEYS = ("format_version", "agents", "decisions", "usage")


async def _waiting_export(env: WorkflowEnvironment, task_queue: str) -> dict:
    client = env.client
    async with running_worker(client, task_queue, SCRIPTS):
        handle = await start_agent(client, task_queue, "director_agent", DIRECTOR_PROMPT)
        await wait_for_pending(handle)
        return await export_run(client, handle.id)


async def test_export_of_a_three_level_tree_matches_the_prototype(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    exported = await _waiting_export(time_skipping_env, task_queue)
    parse_agent_output(exported)
    assert exported["format_version"] == "1"
    assert exported["agents"] == {
        "": "director_agent",
        "call_director_agent_0_0": "hr_agent",
        "call_director_agent_0_0/call_hr_agent_0_1": "account_agent",
    }
    assert exported["decisions"] == []
    # Without our additions, the export is what the prototype returns at the same point, but
    # for the waiting call's verdict: null (open) where the prototype writes false.
    golden = json.loads((GOLDEN / "prototype_three_level_approval_required.json").read_text())
    [entry] = golden["approval_info"]
    assert entry["approved"] is False
    entry["approved"] = None
    assert {k: v for k, v in exported.items() if k not in OUR_KEYS} == golden


async def test_prototype_rules_finish_an_approved_export(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    exported = await _waiting_export(time_skipping_env, task_queue)
    approval_info = copy.deepcopy(exported["approval_info"])
    [entry] = approval_info
    assert entry["paths"] == ["hr_agent_tool", "account_agent_tool", "authorize_account"]
    entry["approved"] = True
    prototype = from_definition(director_agent, SCRIPTS)
    output = prototype.request(
        {"continuation": exported["continuation"], "approval_info": approval_info}
    )
    assert output["end_reason"] == "completed"
    assert output["result"] == "HR has onboarded stzhang."


async def test_an_untouched_export_resumes_waiting_for_the_same_call(
    time_skipping_env: WorkflowEnvironment, task_queue
):
    client = time_skipping_env.client
    async with running_worker(client, task_queue, SCRIPTS):
        original = await start_agent(client, task_queue, "director_agent", DIRECTOR_PROMPT)
        [waiting] = await wait_for_pending(original)
        exported = json.loads(json.dumps(await export_run(client, original.id)))
        await original.terminate("moved elsewhere")
        [entry] = exported["approval_info"]
        assert entry["approved"] is None  # open: no decision was taken
        # The workflow's own view of what waits is unchanged: unprocessed, not null.
        assert waiting["approved"] is False

        resumed = await resume_run(client, exported, CATALOG, task_queue=task_queue)
        [again] = await wait_for_pending(resumed)
        assert again["path_ids"] == entry["path_ids"]
        await resumed.signal(
            AgentWorkflow.approve, ApprovalDecision(path_ids=again["path_ids"], approver="gina")
        )
        output = await resumed.result()
    assert output.end_reason == "completed"
    assert output.result == "HR has onboarded stzhang."
    [decision] = output.decisions
    assert (decision.approved, decision.approver) == (True, "gina")
