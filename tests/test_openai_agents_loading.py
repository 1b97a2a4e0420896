"""Loading OpenAI Agents SDK agents: what maps to our agents, and the one-line refusals of what
has no durable counterpart here."""

from __future__ import annotations

import types
from typing import Any

import pytest
from agents import Agent as SdkAgent
from agents import (
    AgentOutputSchema,
    AgentOutputSchemaBase,
    InputGuardrail,
    ModelSettings,
    OutputGuardrail,
    WebSearchTool,
    function_tool,
)
from agents.testing import ScriptedModel
from openai.types.shared import Reasoning

import sdk_agents
from agent_continuations.agent_definitions import AgentModuleError, module_agents
from agent_continuations.plugin import AgentPlugin


@function_tool
def lookup(order_id: str) -> str:
    """Look an order up."""
    return order_id


def load(*agents: SdkAgent[Any]) -> list[Any]:
    module = types.ModuleType("their_agents")
    module.AGENTS = list(agents)  # type: ignore[attr-defined]
    return module_agents("their_agents", module)


def test_a_module_of_sdk_agents_loads_with_tools_sub_agents_and_approval_rules():
    agents = {agent.name: agent for agent in module_agents("sdk_agents", sdk_agents)}
    assert sorted(agents) == ["account_reader", "refunds_agent", "sdk_hr_agent"]
    hr = agents["sdk_hr_agent"]
    assert hr.instructions == sdk_agents.hr_agent.instructions
    assert [t.name for t in hr.tools] == ["send_email_tool"]
    [account] = hr.sub_agents
    assert (account.name, account.tool_name, account.description) == (
        "sdk_account_agent",
        "account_tool",
        "Creates accounts.",
    )
    # The model sees the SDK's own schemas, and the sub-agent's request as `input`.
    schemas = {s["function"]["name"]: s["function"]["parameters"] for s in hr.openai_tools()}
    sdk_schema = sdk_agents.send_email_tool.params_json_schema
    assert schemas["send_email_tool"]["required"] == sdk_schema["required"]
    assert schemas["send_email_tool"]["additionalProperties"] is False
    assert schemas["account_tool"]["required"] == ["input"]
    authorize = account.find_tool("authorize_account")
    assert authorize is not None and authorize.requires_approval(sdk_agents.AUTHORIZE)
    assert not account.find_tool("create_account").requires_approval({"username": "x"})
    refund = agents["refunds_agent"].tools[0]
    assert refund.requires_approval({"order_id": "A", "amount": 500})
    assert not refund.requires_approval({"order_id": "A", "amount": 5})
    # A rejection goes back to the model, as the SDK does.
    assert hr.on_reject == "tell_model"


def test_the_same_sdk_agent_is_one_agent_here():
    first = load(sdk_agents.hr_agent, sdk_agents.account_agent)
    assert first[0].sub_agents[0] is first[1]
    assert load(sdk_agents.account_agent)[0] is first[1]


def test_model_and_settings_map_to_a_chat_completions_request():
    sdk = SdkAgent(
        name="tuned",
        instructions="Be brief.",
        model="gpt-4o-mini",
        model_settings=ModelSettings(
            temperature=0.2,
            max_tokens=50,
            tool_choice="required",
            presence_penalty=0.5,
            reasoning=Reasoning(effort="low"),
            extra_body={"seed_hint": 1},
        ),
        reset_tool_choice=False,
        tools=[lookup],
    )
    [agent] = load(sdk)
    assert agent.model == "gpt-4o-mini"
    settings = agent.model_settings
    assert (settings.temperature, settings.max_tokens, settings.tool_choice) == (
        0.2,
        50,
        "required",
    )
    assert settings.reset_tool_choice is False
    assert settings.extra_body == {
        "presence_penalty": 0.5,
        "reasoning_effort": "low",
        "seed_hint": 1,
    }


def test_an_agent_without_a_model_drops_the_sdk_defaults_of_its_default_model():
    [agent] = load(SdkAgent(name="plain", instructions="Hi."))
    assert agent.model is None
    assert agent.model_settings.extra_body is None


async def _no(*_: Any) -> Any:
    return None


REFUSED = [
    (SdkAgent(name="a", handoffs=[SdkAgent(name="b")]), "handoffs"),
    (SdkAgent(name="a", input_guardrails=[InputGuardrail(_no)]), "input guardrails"),
    (SdkAgent(name="a", output_guardrails=[OutputGuardrail(_no)]), "output guardrails"),
    (
        SdkAgent(name="a", tools=[WebSearchTool()]),
        "a WebSearchTool (only function and agent tools run)",
    ),
    (SdkAgent(name="a", instructions=lambda ctx, agent: "hi"), "callable instructions"),
    (SdkAgent(name="a", model=ScriptedModel()), "a ScriptedModel model object"),
    (SdkAgent(name="a", tool_use_behavior="stop_on_first_tool"), "tool_use_behavior"),
    (
        SdkAgent(name="a", model="m", model_settings=ModelSettings(truncation="auto")),
        "model setting truncation",
    ),
    (
        SdkAgent(name="a", model="m", model_settings=ModelSettings(temperature=7)),
        "model settings: temperature: Input should be less than or equal to 2",
    ),
    (
        SdkAgent(name="a", tools=[SdkAgent(name="b").as_tool("b", "B", needs_approval=True)]),
        "needs_approval on agent tool 'b'",
    ),
]


@pytest.mark.parametrize(("sdk", "feature"), REFUSED, ids=[f for _, f in REFUSED])
def test_what_has_no_durable_counterpart_is_refused_in_one_line(sdk: SdkAgent[Any], feature: str):
    with pytest.raises(AgentModuleError) as refused:
        load(sdk)
    message = str(refused.value)
    assert message.startswith("agent module 'their_agents': agent 'a'")
    assert feature in message
    assert "\n" not in message


def test_agent_plugin_takes_sdk_agents():
    plugin = AgentPlugin([sdk_agents.hr_agent])
    assert plugin.agents.names() == ["sdk_account_agent", "sdk_hr_agent"]
    with pytest.raises(TypeError, match="AgentPlugin runs agents, not str objects"):
        AgentPlugin(["hr_agent"])
    with pytest.raises(ValueError, match="agent 'a' uses handoffs"):
        AgentPlugin([SdkAgent(name="a", handoffs=[SdkAgent(name="b")])])


class _Exploding(AgentOutputSchemaBase):
    def is_plain_text(self) -> bool:
        return False

    def name(self) -> str:
        return "exploding"

    def json_schema(self) -> dict[str, Any]:
        return {"type": "object"}

    def is_strict_json_schema(self) -> bool:
        return False

    def validate_json(self, json_str: str) -> Any:
        raise RuntimeError("boom")


def test_output_types_are_asked_for_and_checked_as_the_sdk_reads_them():
    [numbers] = load(SdkAgent(name="numbers", output_type=list[int]))
    asked = numbers.model_settings.extra_body["response_format"]["json_schema"]
    assert asked["schema"] == AgentOutputSchema(list[int]).json_schema()
    # Not an object: the SDK wraps it as {"response": ...}, and the result is the value.
    assert numbers.output_check('{"response": [1, 2]}') == "[1,2]"
    for wrong in ("[1, 2]", '{"response": ["x"]}', "not json"):
        with pytest.raises(ValueError):
            numbers.output_check(wrong)
    [plain] = load(SdkAgent(name="plain", output_type=str))
    assert plain.output_check is None
    [custom] = load(SdkAgent(name="custom", output_type=_Exploding()))
    with pytest.raises(ValueError, match="cannot be checked: RuntimeError: boom"):
        custom.output_check("{}")
