"""The format's models: exact round trips, one-line errors, our additions, the schema file."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agent_continuations.continuations import flatten_approval_info
from agent_continuations.continuations.format import (
    ApprovalRequiredOutput,
    CompletedOutput,
    Continuation,
    ContinuationFormatError,
    Decision,
    FunctionCall,
    ToolCall,
    agent_path_key,
    dump_agent_output,
    parse_agent_output,
)
from agent_continuations.continuations.schema import SCHEMA_PATH, build_schema, render_schema
from agent_continuations.shared import DecisionRecord
from agent_continuations.workflows import AgentState, ToolCallState
from agent_continuations.workflows._continuation import build_continuation

GOLDEN = Path(__file__).parent / "golden"

AUTHORIZE = {
    "id": "call_leaf",
    "function": {"arguments": '{"username": "stzhang", "security_level": 2}', "name": "authorize"},
    "type": "function",
}
ASSISTANT = {
    "content": None,
    "refusal": None,
    "role": "assistant",
    "annotations": None,
    "audio": None,
    "function_call": None,
    "tool_calls": [AUTHORIZE],
}
CONVERSATION = [
    {"role": "developer", "content": "You manage accounts."},
    {"role": "user", "content": [{"type": "text", "text": "Authorize stzhang."}]},
    ASSISTANT,
]
APPROVAL_REQUIRED: dict[str, Any] = {
    "continuation": {
        "messages": [
            {"role": "developer", "content": "You onboard people."},
            {"role": "user", "content": "Onboard stzhang."},
            {
                "content": "On it.",
                "refusal": None,
                "role": "assistant",
                "annotations": [],
                "audio": None,
                "function_call": None,
                "tool_calls": [
                    {
                        "id": "call_parent",
                        "function": {
                            "arguments": '{"prompt": "Authorize stzhang."}',
                            "name": "acc",
                        },
                        "type": "function",
                        "x_vendor": {"index": 0},
                    }
                ],
            },
        ],
        "resume_request": [
            {
                "id": "call_parent",
                "function": {"arguments": '{"prompt": "Authorize stzhang."}', "name": "acc"},
                "type": "function",
                "continuation": {
                    "agent": "account_agent",
                    "messages": CONVERSATION,
                    "resume_request": [AUTHORIZE],
                    "processed": [{"id": "call_leaf", "approved": False}],
                },
            }
        ],
        "processed": [{"id": "call_parent", "approved": False, "note": None}],
        "agent": "hr_agent",
    },
    "approval_info": [
        {
            "paths": ["acc", "authorize"],
            "path_ids": ["call_parent", "call_leaf"],
            "tool_call": AUTHORIZE,
            "approved": True,
        }
    ],
    "end_reason": "approval_required",
    "format_version": "1",
    "agents": {"": "hr_agent", "call_parent": "account_agent"},
    "decisions": [
        {
            "tool_call_id": "call_earlier",
            "paths": ["send_email"],
            "path_ids": ["call_earlier"],
            "approved": True,
            "approver": "alice",
            "reason": None,
            "decided_at": "2026-11-27T11:29:57+00:00",
            "edited_arguments": None,
        }
    ],
    "seal": {"alg": "HMAC-SHA256", "value": "0" * 64},
    "x_exported_by": {"host": "worker-1"},
}
COMPLETED = {
    "result": "Done.",
    "messages": [
        *CONVERSATION,
        {"role": "tool", "tool_call_id": "call_leaf", "content": "ok", "name": "authorize"},
        {**ASSISTANT, "content": "Done.", "tool_calls": None},
    ],
    "end_reason": "completed",
}
REJECTED = {
    "messages": CONVERSATION,
    "rejected_tool_calls": [AUTHORIZE],
    "end_reason": "rejected_tool_calls",
    "decisions": [],
}
SUSPENDED = {
    "continuation": {"messages": CONVERSATION[:2]},
    "suspend_list": ["every_3_turns"],
    "end_reason": "suspended",
    "agents": {"": "account_agent"},
}
EXAMPLES = {
    "approval_required": APPROVAL_REQUIRED,
    "completed": COMPLETED,
    "rejected": REJECTED,
    "suspended": SUSPENDED,
    **{path.stem: json.loads(path.read_text()) for path in sorted(GOLDEN.glob("*.json"))},
}


@pytest.mark.parametrize("data", EXAMPLES.values(), ids=EXAMPLES.keys())
def test_round_trip_is_exact(data: dict[str, Any]):
    original = copy.deepcopy(data)
    output = parse_agent_output(data)
    assert dump_agent_output(output) == original
    assert data == original


def test_goldens_are_present():
    assert {
        "prototype_hr_approval_required",
        "prototype_hr_suspended",
        "prototype_hr_sub_agent_suspended",
        "prototype_three_level_approval_required",
    } <= set(EXAMPLES)


def test_parsed_output_is_typed():
    output = parse_agent_output(APPROVAL_REQUIRED)
    assert isinstance(output, ApprovalRequiredOutput)
    [waiting] = output.continuation.resume_request or []
    nested = waiting.continuation
    assert nested is not None and nested.resume_request is not None
    assert nested.resume_request[0].function.name == "authorize"
    assert output.decisions and output.decisions[0].approver == "alice"
    assert output.seal is not None and output.seal.alg == "HMAC-SHA256"


def _drop(*keys: str | int) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        for key in keys[:-1]:
            target = target[key]
        del target[keys[-1]]

    return mutate


def _set(value: Any, *keys: str | int) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return mutate


BAD_SHAPES = [
    (
        _drop("continuation", "resume_request", 0, "function", "name"),
        "continuation.resume_request[0].function.name: field required",
    ),
    (
        _set("5", "continuation", "resume_request", 0, "continuation", "processed", 0, "approved"),
        "continuation.resume_request[0].continuation.processed[0].approved: "
        "input should be a valid boolean",
    ),
    (_drop("end_reason"), "missing end_reason (one of completed, approval_required, suspended, "),
    (_set("done", "end_reason"), "end_reason: unknown value 'done' (one of completed, "),
    (
        _set(5, "continuation", "messages", 0, "content"),
        "continuation.messages[0].content: must be a string, a list of content part objects, "
        "or null",
    ),
    (
        _set("robot", "continuation", "messages", 0, "role"),
        "continuation.messages[0].role: input should be 'developer', ",
    ),
    (
        _set({"role": "tool", "content": "x"}, "continuation", "messages", 1),
        "continuation.messages[1]: a tool message needs a tool_call_id",
    ),
    (
        _set(["acc"], "approval_info", 0, "paths"),
        "approval_info[0]: paths and path_ids must be non-empty and of the same length",
    ),
    (_set("yes", "approval_info", 0, "approved"), "approval_info[0].approved: input should be"),
    (_set([], "continuation", "resume_request"), "continuation.resume_request must list"),
    (_set("2", "format_version"), "format_version: unsupported version '2' (this code reads '1')"),
    (_set({"": 1}, "agents"), "agents['']: input should be a valid string"),
    (
        _set("yesterday", "decisions", 0, "decided_at"),
        "decisions[0].decided_at: not an ISO 8601 date and time: 'yesterday'",
    ),
    (_set("abc", "seal", "value"), "seal.value: string should match pattern"),
    (_set({}, "continuation"), "continuation.messages: field required"),
]


@pytest.mark.parametrize(("mutate", "message"), BAD_SHAPES)
def test_bad_shapes_get_one_line_naming_where(
    mutate: Callable[[dict[str, Any]], None], message: str
):
    data = copy.deepcopy(APPROVAL_REQUIRED)
    mutate(data)
    with pytest.raises(ContinuationFormatError) as caught:
        parse_agent_output(data)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_several_problems_are_counted():
    data = copy.deepcopy(APPROVAL_REQUIRED)
    del data["approval_info"][0]["paths"]
    del data["approval_info"][0]["path_ids"]
    with pytest.raises(ContinuationFormatError, match=r"paths: field required \(and 1 more"):
        parse_agent_output(data)


def test_not_an_object():
    with pytest.raises(ContinuationFormatError, match="expected a JSON object, got list"):
        parse_agent_output([APPROVAL_REQUIRED])


def test_built_outputs_write_their_fixed_keys():
    call = ToolCall(id="call_1", function=FunctionCall(name="authorize", arguments="{}"))
    output = ApprovalRequiredOutput(
        continuation=Continuation(messages=[], resume_request=[call]), approval_info=[]
    )
    assert dump_agent_output(output) == {
        "end_reason": "approval_required",
        "continuation": {
            "messages": [],
            "resume_request": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "authorize", "arguments": "{}"},
                }
            ],
        },
        "approval_info": [],
    }
    assert dump_agent_output(CompletedOutput(result="x", messages=[]))["end_reason"] == "completed"


def test_decision_is_the_wire_form_of_the_runtime_record():
    assert set(Decision.model_fields) == set(DecisionRecord.model_fields)
    decision = parse_agent_output(APPROVAL_REQUIRED).decisions[0]  # type: ignore[index]
    record = decision.to_record()
    assert record.approver == "alice"
    assert record.decided_at.isoformat() == "2026-11-27T11:29:57+00:00"


def test_agent_path_key():
    assert agent_path_key([]) == ""
    assert agent_path_key(["call_a", "call_b"]) == "call_a/call_b"


def test_the_runtime_continuation_fits_the_format():
    waiting = ToolCallState(tool_call=AUTHORIZE, kind="tool", status="waiting_approval")
    state = AgentState(agent="account_agent", model="scripted", messages=CONVERSATION)
    state.turn_calls = [waiting]
    continuation = build_continuation(state).to_json()
    data = {
        "continuation": continuation,
        "approval_info": flatten_approval_info(continuation),
        "end_reason": "approval_required",
    }
    assert dump_agent_output(parse_agent_output(data)) == data


def test_schema_file_matches_the_models():
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render_schema(), (
        f"{SCHEMA_PATH.name} is out of date with continuations/format.py: "
        "run `python -m continuations.schema`"
    )


def test_schema_requires_end_reason_on_every_output():
    schema = build_schema()
    mapping = schema["discriminator"]["mapping"]
    assert set(mapping) == {"completed", "approval_required", "suspended", "rejected_tool_calls"}
    for ref in mapping.values():
        assert "end_reason" in schema["$defs"][ref.rsplit("/", 1)[1]]["required"]
