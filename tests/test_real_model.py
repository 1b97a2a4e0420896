"""Runs against a real model: SmolLM2-135M-Instruct on llama.cpp's server, through `openai`.

Deselect with `-m "not real_model"`. At temperature 0 the replies are deterministic on one
machine; the assertions hold for what any proper tool call looks like, not for exact words.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from typing import Any

import pytest

from agent_continuations.activities import ModelActivities, ModelCallInput
from agent_continuations.agent_definitions import Agent, AgentCatalog, tool
from agent_continuations.shared import JsonDict, ModelSettings
from agent_continuations.workflows import AgentWorkflow
from helpers import running_worker

pytestmark = pytest.mark.real_model
MODEL = "smollm2"
INSTRUCTIONS = "You create user accounts with the create_account tool."
CREATED: list[str] = []


@tool(needs_approval=True)
def create_account(username: str) -> str:
    """Create a user account.

    Args:
        username: The new user's name.
    """
    CREATED.append(username)
    return f"created account {username}"


ACCOUNTS = Agent(
    name="real-model-accounts",
    instructions=INSTRUCTIONS,
    model=MODEL,
    tools=[create_account],
    max_turns=2,
    model_settings=ModelSettings(
        tool_choice="required", temperature=0, max_tokens=200, instructions_role="system"
    ),
)
AGENTS = [ACCOUNTS]


def _activities(url: str) -> ModelActivities:
    return ModelActivities(base_url=f"{url}/v1", api_key="local")


async def test_a_real_models_tool_call_is_approved_with_the_cli_and_the_run_ends(
    real_model_url: str, dev_server_env, task_queue: str, starter
) -> None:
    client = dev_server_env.client
    CREATED.clear()
    async with running_worker(
        client, task_queue, model_activities=_activities(real_model_url), agents=AGENTS
    ):
        code, out, err = await starter(
            "start", ACCOUNTS.name, "Create an account for alice.", "--exit-on-suspend", "--wait"
        )
        assert code == 0, err
        workflow_id, waiting = out.splitlines()[0], out
        assert "create_account" in waiting and "Waiting for a decision" in waiting
        handle = client.get_workflow_handle_for(AgentWorkflow.run, workflow_id)
        # A turn budget of 2: at most two calls wait, then the run ends either way.
        for _ in range(ACCOUNTS.max_turns):
            if not await handle.query(AgentWorkflow.pending_approvals):
                break
            code, out, err = await starter("approve", workflow_id, "--all", "--yes")
            assert code == 0, err
            await _settled(handle)
        output = await handle.result()
    assert output.end_reason in ("completed", "suspended"), output.error
    if output.end_reason == "suspended":
        assert output.suspend_list == ["max_turns"]
    assistant = [m for m in output.messages if m["role"] == "assistant"]
    first_call = assistant[0]["tool_calls"][0]["function"]
    assert first_call["name"] == "create_account"
    assert "alice" in json.loads(first_call["arguments"])["username"].lower()
    assert CREATED and "alice" in CREATED[0].lower()
    # The server took the tool's result and answered a second time.
    assert len(assistant) == 2
    assert output.usage.total_tokens > 0 and output.tree_usage == output.usage
    code, out, _ = await starter("result", workflow_id)
    assert code == 0 and f"tokens: {output.tree_usage.total_tokens} " in out


async def _settled(handle: Any) -> None:
    """Wait until the run waits for a person again or has ended."""
    for _ in range(600):
        description = await handle.describe()
        if description.status is None or description.status.name != "RUNNING":
            return
        state = await handle.query(AgentWorkflow.get_state)
        if any(c.status == "waiting_approval" and c.decision is None for c in state.turn_calls):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the run neither ended nor waited for a decision within 60 s")


def _apply_template(url: str, messages: list[JsonDict]) -> str:
    """The prompt llama.cpp renders from `messages` with the model's chat template."""
    request = urllib.request.Request(
        f"{url}/apply-template",
        data=json.dumps({"messages": messages}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        return str(json.loads(reply.read())["prompt"])


async def test_instructions_role_system_fixes_the_servers_handling_of_developer(
    real_model_url: str,
) -> None:
    messages = [
        {"role": "developer", "content": INSTRUCTIONS},
        {"role": "user", "content": "Create an account for alice."},
    ]
    replies = {}
    for role in ("developer", "system"):
        settings = ACCOUNTS.model_settings.model_copy(update={"instructions_role": role})
        output = (
            await _activities(real_model_url)
            .for_agents(AgentCatalog(AGENTS))
            .call_model(
                ModelCallInput(
                    agent=ACCOUNTS.name, model=MODEL, messages=messages, settings=settings
                )
            )
        )
        replies[role] = output.message
    # The model's chat template knows no `developer` role: it puts its own default system
    # prompt first, and the instructions become a turn of an unknown role.
    developer_prompt = _apply_template(real_model_url, messages)
    system_prompt = _apply_template(
        real_model_url, [{**messages[0], "role": "system"}, messages[1]]
    )
    assert "<|im_start|>developer" in developer_prompt
    assert system_prompt.startswith(f"<|im_start|>system\n{INSTRUCTIONS}")
    assert INSTRUCTIONS not in developer_prompt.split("<|im_start|>developer")[0]
    # With `system` the reply is the proper tool call; with `developer` it is not that call.
    [call] = replies["system"]["tool_calls"]
    assert call["function"]["name"] == "create_account"
    assert json.loads(call["function"]["arguments"])["username"].lower() == "alice"
    assert replies["developer"] != replies["system"]
    assert _call_summary(replies["developer"]) != _call_summary(replies["system"])


def _call_summary(message: JsonDict) -> Any:
    """A reply's tool names and arguments (IDs differ on every call), or its text."""
    calls = message.get("tool_calls") or []
    return [(c["function"]["name"], c["function"]["arguments"]) for c in calls] or message.get(
        "content"
    )
