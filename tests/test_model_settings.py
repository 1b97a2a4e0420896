"""Model settings per agent and per run, as the loopback chat server receives them."""

from __future__ import annotations

from typing import Any

from temporalio.testing import WorkflowEnvironment

from agent_continuations.activities import ModelCallInput
from agent_continuations.agent_definitions import Agent, AgentCatalog, tool
from agent_continuations.shared import ModelSettings, RunOptions
from agent_continuations.workflows import AgentWorkflow
from chat_server import ChatServer, Completion
from helpers import running_worker, start_agent

MODEL = "test-model"
SETTING_KEYS = ("temperature", "top_p", "max_tokens", "tool_choice", "seed", "stop")


@tool
def ping(host: str) -> str:
    """Ping a host.

    Args:
        host: The host's name.
    """
    return f"{host} is up"


PLAIN = Agent(name="settings-plain", instructions="Ping hosts.", tools=[ping])
TUNED = Agent(
    name="settings-tuned",
    instructions="Ping hosts.",
    tools=[ping],
    model_settings=ModelSettings(
        temperature=0.2,
        max_tokens=50,
        tool_choice="required",
        seed=7,
        stop=["END"],
        extra_body={"cache_prompt": True},
        instructions_role="system",
    ),
)
STUBBORN = Agent(
    name="settings-stubborn",
    instructions="Ping hosts.",
    tools=[ping],
    model_settings=ModelSettings(tool_choice="ping", reset_tool_choice=False),
)
AGENTS = [PLAIN, TUNED, STUBBORN]
PING = {"name": "ping", "arguments": {"host": "db"}}


async def _bodies(
    env: WorkflowEnvironment, task_queue: str, agent: Agent, options: RunOptions | None = None
) -> tuple[list[dict[str, Any]], Any]:
    """Run `agent` through one tool turn and an answer; the request bodies and the output."""
    client = env.client
    with ChatServer(Completion(tool_calls=[PING]), Completion("db is up.")) as server:
        async with running_worker(
            client, task_queue, model_activities=server.model_activities(), agents=AGENTS
        ):
            handle = await start_agent(
                client, task_queue, agent.name, "ping db", MODEL, options=options
            )
            output = await handle.result()
    assert output.end_reason == "completed", output.error
    return [r.body for r in server.requests], output


async def test_defaults_send_no_settings(
    time_skipping_env: WorkflowEnvironment, task_queue: str
) -> None:
    (first, second), _ = await _bodies(time_skipping_env, task_queue, PLAIN)
    for body in (first, second):
        assert not set(SETTING_KEYS) & set(body)
        assert body["parallel_tool_calls"] is True
        assert body["messages"][0]["role"] == "developer"


async def test_agent_settings_reach_the_request_and_a_forced_tool_choice_resets(
    time_skipping_env: WorkflowEnvironment, task_queue: str
) -> None:
    (first, second), output = await _bodies(time_skipping_env, task_queue, TUNED)
    assert {k: first[k] for k in SETTING_KEYS if k in first} == {
        "temperature": 0.2,
        "max_tokens": 50,
        "tool_choice": "required",
        "seed": 7,
        "stop": ["END"],
    }
    assert first["cache_prompt"] is True  # extra_body is merged into the body
    assert second["tool_choice"] == "auto"  # after a turn with tool calls
    # The instructions are sent as `system`; the run's messages keep `developer`.
    assert first["messages"][0] == {"role": "system", "content": TUNED.instructions}
    assert output.messages[0] == {"role": "developer", "content": TUNED.instructions}


async def test_a_run_overrides_the_agents_settings_field_by_field(
    time_skipping_env: WorkflowEnvironment, task_queue: str
) -> None:
    options = RunOptions(
        model_settings=ModelSettings(temperature=0.9, instructions_role="developer")
    )
    (first, _), _ = await _bodies(time_skipping_env, task_queue, TUNED, options)
    assert (first["temperature"], first["max_tokens"], first["seed"]) == (0.9, 50, 7)
    assert first["messages"][0]["role"] == "developer"


async def test_reset_tool_choice_off_keeps_forcing_a_named_tool(
    time_skipping_env: WorkflowEnvironment, task_queue: str
) -> None:
    (first, second), _ = await _bodies(time_skipping_env, task_queue, STUBBORN)
    named = {"type": "function", "function": {"name": "ping"}}
    assert first["tool_choice"] == second["tool_choice"] == named


async def test_tool_settings_are_left_out_without_tools() -> None:
    agent = Agent(
        name="settings-no-tools",
        instructions="Chat.",
        model_settings=ModelSettings(tool_choice="required", parallel_tool_calls=False, top_p=0.5),
    )
    messages = [{"role": "developer", "content": "Chat."}, {"role": "user", "content": "Hi"}]
    with ChatServer(Completion("Hi.")) as server:
        activities = server.model_activities().for_agents(AgentCatalog([agent]))
        await activities.call_model(
            ModelCallInput(
                agent=agent.name, model=MODEL, messages=messages, settings=agent.model_settings
            )
        )
    [request] = server.requests
    assert request.body["top_p"] == 0.5
    assert not {"tool_choice", "parallel_tool_calls", "tools"} & set(request.body)


async def test_starter_start_takes_model_settings(dev_server_env, task_queue, starter) -> None:
    with ChatServer(Completion("pong")) as server:
        client = dev_server_env.client
        async with running_worker(
            client, task_queue, model_activities=server.model_activities(), agents=AGENTS
        ):
            code, out, err = await starter(
                "start", PLAIN.name, "ping db", "--model", MODEL, "--wait",
                "--model-setting", "temperature=0",
                "--model-setting", 'stop=["END", "STOP"]',
                "--model-setting", "tool_choice=none",
            )  # fmt: skip
    assert code == 0, err
    body = server.requests[0].body
    assert (body["temperature"], body["stop"], body["tool_choice"]) == (0, ["END", "STOP"], "none")
    assert "tokens: 42 (prompt 21, completion 21)" in out
    handle = client.get_workflow_handle_for(AgentWorkflow.run, out.splitlines()[0])
    output = await handle.result()
    assert output.tree_usage.total_tokens == output.usage.total_tokens == 42


async def test_starter_refuses_bad_model_settings(starter) -> None:
    code, _, err = await starter("start", PLAIN.name, "hi", "--model-setting", "warmth=1")
    assert code == 2 and "unknown model setting 'warmth'" in err
    code, _, err = await starter("start", PLAIN.name, "hi", "--model-setting", "temperature=hot")
    assert code == 1
    assert err.strip() == (
        "error: bad --model-setting: temperature: Input should be a valid number, "
        "unable to parse string as a number"
    )
