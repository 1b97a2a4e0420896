"""Agents for the crash tests, loaded by a real `worker.py --agents crash_agents` process.

Every tool appends one JSON line per start and per finish to the ledger file that
`CRASH_LEDGER` names, with its idempotency key, attempt and process ID, so a test can count
how often each call really ran and on which worker.
"""

from __future__ import annotations

import json
import os
import time

from agent_continuations.agent_definitions import Agent, current_tool_call, tool

LEDGER_ENV = "CRASH_LEDGER"
CHAT_MODEL = "crash-model"  # not `scripted`: served by the test's chat server
SLOW_FIRST_ATTEMPT_SECONDS = 120  # far longer than any test waits: the worker is killed first


def _note(event: str) -> None:
    call = current_tool_call()
    entry = {
        "event": event,
        "tool": call.tool,
        "key": call.idempotency_key,
        "attempt": call.attempt,
        "pid": os.getpid(),
    }
    with open(os.environ[LEDGER_ENV], "a", encoding="utf-8") as ledger:
        ledger.write(json.dumps(entry) + "\n")


@tool
def quick(note: str) -> str:
    """Note something at once."""
    _note("start")
    _note("done")
    return f"noted {note}"


@tool
def slow(note: str) -> str:
    """Note something slowly: the first attempt outlasts its worker, a retry is quick."""
    _note("start")
    if current_tool_call().attempt == 1:
        time.sleep(SLOW_FIRST_ATTEMPT_SECONDS)
    _note("done")
    return f"slowly noted {note}"


@tool(needs_approval=True)
def guarded(note: str) -> str:
    """Note something a person approved."""
    _note("start")
    _note("done")
    return f"noted {note} with approval"


def _call(name: str, **arguments: str) -> dict[str, object]:
    return {"tool_calls": [{"name": name, "arguments": arguments}]}


AGENTS = [
    Agent(name="model_crash", instructions="Note, then answer.", model=CHAT_MODEL, tools=[quick]),
    Agent(name="tool_crash", instructions="Note quickly and slowly.", tools=[quick, slow]),
    Agent(name="approval_crash", instructions="Note, then ask.", tools=[quick, guarded]),
    Agent(
        name="parent_crash",
        instructions="Note, then delegate.",
        tools=[quick],
        sub_agents=[Agent(name="child_crash", instructions="Note twice.", tools=[quick, slow])],
    ),
]

SCRIPTS = {
    "tool_crash": [
        {
            "tool_calls": [
                {"name": "quick", "arguments": {"note": "fast"}},
                {"name": "slow", "arguments": {"note": "slow"}},
            ]
        },
        {"content": "Both noted."},
    ],
    "approval_crash": [
        _call("quick", note="before asking"),
        _call("guarded", note="approved"),
        {"content": "Noted with approval."},
    ],
    "parent_crash": [
        _call("quick", note="parent"),
        _call("child_crash_tool", prompt="Note twice."),
        {"content": "The child noted twice."},
    ],
    "child_crash": [
        _call("quick", note="child"),
        _call("slow", note="child"),
        {"content": "Noted twice."},
    ],
}
