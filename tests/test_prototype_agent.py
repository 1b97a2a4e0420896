"""The prototype's resume rules, run on the HR → account example; golden files of its outputs.

Golden files under `tests/golden/` hold the prototype-shaped outputs the importer tests read.
After an intended change, rewrite them with `UPDATE_GOLDEN=1 pytest tests/test_prototype_agent.py`.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import Any

import pytest

from agent_continuations.agent_definitions import Agent
from agent_continuations.continuations.format import dump_agent_output, parse_agent_output
from agent_continuations.examples import SCRIPTS as EXAMPLE_SCRIPTS
from agent_continuations.examples import account_agent, hr_agent
from prototype_agent import PrototypeAgent, SuspendCondition, from_definition

GOLDEN = Path(__file__).parent / "golden"
PROMPT = "Onboard our new colleague stzhang, their email is stzhang@example.com, username: stzhang."

director_agent = Agent(
    name="director_agent",
    instructions="You run the office. Delegate onboarding to the HR agent.",
    sub_agents=[hr_agent],
)
SCRIPTS: dict[str, Any] = {
    **EXAMPLE_SCRIPTS,
    "director_agent": [
        {"tool_calls": [{"name": "hr_agent_tool", "arguments": {"prompt": PROMPT}}]},
        {"content": "HR has onboarded stzhang."},
    ],
}


def agent(
    root: Agent, conditions: dict[str, dict[str, SuspendCondition]] | None = None
) -> PrototypeAgent:
    return from_definition(root, SCRIPTS, conditions)


def fires_on_check(n: int) -> SuspendCondition:
    """A condition true on its n-th evaluation only (the prototype's counters are in-process)."""
    checks = itertools.count(1)
    return lambda: next(checks) == n


def through_json(output: dict[str, Any]) -> dict[str, Any]:
    """The output as it arrives after being written to a file."""
    return json.loads(json.dumps(output))


def decide(output: dict[str, Any], approved: bool) -> dict[str, Any]:
    """The resume input a person sends back: every approval_info entry set to `approved`."""
    output = through_json(output)
    entries = [{**entry, "approved": approved} for entry in output["approval_info"]]
    return {"continuation": output["continuation"], "approval_info": entries}


def check_golden(name: str, output: dict[str, Any]) -> None:
    path = GOLDEN / name
    text = json.dumps(output, indent=2, ensure_ascii=False) + "\n"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1"
    assert path.read_text(encoding="utf-8") == text, f"{path} is stale: run with UPDATE_GOLDEN=1"


def check_format(output: dict[str, Any]) -> None:
    """The output fits our format models and survives their round trip unchanged."""
    data = through_json(output)
    assert dump_agent_output(parse_agent_output(data)) == data


def tool_calls_answered(messages: list[dict[str, Any]]) -> tuple[set[str], set[str]]:
    calls = {tc["id"] for m in messages for tc in m.get("tool_calls") or []}
    answers = {m["tool_call_id"] for m in messages if m["role"] == "tool"}
    return calls, answers


def test_first_request_waits_for_the_nested_authorization():
    output = agent(hr_agent).request({"prompt": PROMPT})

    assert output["end_reason"] == "approval_required"
    [entry] = output["approval_info"]
    assert entry["paths"] == ["account_agent_tool", "authorize_account"]
    assert entry["path_ids"] == ["call_hr_agent_0_1", "call_account_agent_1_0"]
    assert json.loads(entry["tool_call"]["function"]["arguments"]) == {
        "username": "stzhang",
        "security_level": 2,
    }
    assert entry["approved"] is False
    [waiting] = output["continuation"]["resume_request"]
    assert waiting["function"]["name"] == "account_agent_tool"
    assert output["continuation"]["processed"] == [{"id": waiting["id"], "approved": False}]
    nested = waiting["continuation"]
    assert [c["id"] for c in nested["resume_request"]] == ["call_account_agent_1_0"]
    assert "continuation" not in output["continuation"]["messages"][2]["tool_calls"][1]
    check_format(output)
    check_golden("prototype_hr_approval_required.json", output)


def test_approving_the_nested_call_completes_with_every_call_answered():
    hr = agent(hr_agent)
    output = hr.request(decide(hr.request({"prompt": PROMPT}), approved=True))

    assert output["end_reason"] == "completed"
    assert "onboarded" in output["result"]
    calls, answers = tool_calls_answered(output["messages"])
    assert calls == answers == {"call_hr_agent_0_0", "call_hr_agent_0_1"}
    assert output["messages"][-2]["content"] == (
        "Account stzhang was created and authorized at security level 2."
    )
    check_format(output)


def test_rejecting_the_nested_call_stops_at_the_parent():
    hr = agent(hr_agent)
    output = hr.request(decide(hr.request({"prompt": PROMPT}), approved=False))

    assert output["end_reason"] == "rejected_tool_calls"
    [rejected] = output["rejected_tool_calls"]
    assert rejected["function"]["name"] == "account_agent_tool"
    calls, answers = tool_calls_answered(output["messages"])
    assert calls - answers == {"call_hr_agent_0_1"}
    check_format(output)


def test_quirk_a_top_level_rejection_is_recorded_as_an_approval():
    """The leaf's flag is always set true: at depth 1 the rejected call runs anyway.

    This project does not copy the quirk: its importer treats `approved` as the decision.
    """
    account = agent(account_agent)
    first = account.request({"prompt": "Create and authorize stzhang."})
    [entry] = first["approval_info"]
    assert entry["paths"] == ["authorize_account"]

    output = account.request(decide(first, approved=False))

    assert output["end_reason"] == "completed"
    assert output["messages"][-2] == {
        "role": "tool",
        "tool_call_id": entry["path_ids"][0],
        "content": "Account stzhang authorized at security level 2.",
    }


def test_three_levels_approved_at_depth_three():
    director = agent(director_agent)
    first = director.request({"prompt": "Please onboard stzhang."})
    [entry] = first["approval_info"]
    assert entry["paths"] == ["hr_agent_tool", "account_agent_tool", "authorize_account"]
    assert entry["path_ids"] == [
        "call_director_agent_0_0",
        "call_hr_agent_0_1",
        "call_account_agent_1_0",
    ]
    check_format(first)
    check_golden("prototype_three_level_approval_required.json", first)

    output = director.request(decide(first, approved=True))

    assert output["end_reason"] == "completed"
    assert output["result"] == "HR has onboarded stzhang."
    hr_answer = output["messages"][-2]
    assert hr_answer["tool_call_id"] == "call_director_agent_0_0"
    assert "onboarded" in hr_answer["content"]


def test_three_levels_rejected_at_depth_three_stops_at_the_top():
    director = agent(director_agent)
    output = director.request(decide(director.request({"prompt": "Onboard stzhang."}), False))

    assert output["end_reason"] == "rejected_tool_calls"
    assert [c["id"] for c in output["rejected_tool_calls"]] == ["call_director_agent_0_0"]


def test_resume_without_processed_flags_is_refused():
    first = through_json(agent(hr_agent).request({"prompt": PROMPT}))
    del first["continuation"]["processed"]

    with pytest.raises(ValueError, match="approved or rejected"):
        agent(hr_agent).request({"continuation": first["continuation"], "approval_info": []})


def test_suspended_before_the_final_answer_then_resumed():
    hr = agent(hr_agent, {"hr_agent": {"every_2_checks": fires_on_check(2)}})
    waiting = hr.request({"prompt": PROMPT})
    suspended = hr.request(decide(waiting, approved=True))

    assert suspended["end_reason"] == "suspended"
    assert suspended["suspend_list"] == ["every_2_checks"]
    assert set(suspended["continuation"]) == {"messages"}
    calls, answers = tool_calls_answered(suspended["continuation"]["messages"])
    assert calls == answers
    check_format(suspended)
    check_golden("prototype_hr_suspended.json", suspended)

    output = hr.request({"continuation": through_json(suspended)["continuation"]})

    assert output["end_reason"] == "completed"
    assert "onboarded" in output["result"]


def test_a_suspended_sub_agent_waits_in_its_parent_as_an_approved_entry():
    hr = agent(hr_agent, {"account_agent": {"every_2_checks": fires_on_check(2)}})
    first = hr.request({"prompt": PROMPT})

    assert first["end_reason"] == "approval_required"
    assert first["approval_info"] == [
        {"paths": ["account_agent_tool"], "path_ids": ["call_hr_agent_0_1"], "approved": True}
    ]
    nested = first["continuation"]["resume_request"][0]["continuation"]
    assert set(nested) == {"messages"}
    check_format(first)
    check_golden("prototype_hr_sub_agent_suspended.json", first)

    second = hr.request(decide(first, approved=True))
    assert [e["paths"] for e in second["approval_info"]] == [
        ["account_agent_tool", "authorize_account"]
    ]
    output = hr.request(decide(second, approved=True))

    assert output["end_reason"] == "completed"
