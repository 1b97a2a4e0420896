"""Saved histories of Pydantic AI runs replay against today's `AgentWorkflow` (re-record with
`python tests/histories/pydantic_ai/record.py`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

import pydantic_ai_agents as pa
from agent_continuations.plugin import AgentPlugin
from agent_continuations.testing import SCRIPTED_MODEL
from helpers import TEST_SECRETS

HISTORIES = sorted((Path(__file__).parent / "histories" / "pydantic_ai").glob("*.json"))


def test_histories_were_recorded():
    assert len(HISTORIES) == 3, "run `python tests/histories/pydantic_ai/record.py`"


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path):
    saved = json.loads(path.read_text())
    history = WorkflowHistory.from_json(saved["workflow_id"], saved["history"])
    plugin = AgentPlugin(pa.AGENTS, default_model=SCRIPTED_MODEL, secrets=TEST_SECRETS)
    replayer = Replayer(workflows=[], plugins=[plugin])
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure
