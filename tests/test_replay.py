"""Saved histories replay against today's `AgentWorkflow`: a change that would break running
workflows (non-determinism) fails here. Re-record with `python tests/histories/record.py`, once
the change ships as described in the failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from agent_continuations import examples
from agent_continuations.plugin import AgentPlugin
from agent_continuations.testing import SCRIPTED_MODEL
from helpers import TEST_SECRETS

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))
BREAKS_REPLAY = (
    "this change breaks the replay of runs the previous release started: ship it under a new "
    "Build ID (worker.py --deployment NAME --build-id NEW, then `agent-starter upgrade --all` "
    'moves waiting runs onto it; see the README\'s "Deploying a new version"), or keep the '
    "old code path behind `workflow.patched(...)`"
)


def test_histories_were_recorded():
    assert len(HISTORIES) >= 6, "run `python tests/histories/record.py`"


async def replay_failure(path: Path) -> Exception | None:
    """Why the saved history at `path` does not replay on this code; None when it does."""
    saved = json.loads(path.read_text())
    history = WorkflowHistory.from_json(saved["workflow_id"], saved["history"])
    # The agents, default model and workers' secrets the histories ran with.
    plugin = AgentPlugin([examples.hr_agent], default_model=SCRIPTED_MODEL, secrets=TEST_SECRETS)
    replayer = Replayer(workflows=[], plugins=[plugin])
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    return result.replay_failure


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path):
    failure = await replay_failure(path)
    assert failure is None, f"{BREAKS_REPLAY}: {failure}"
