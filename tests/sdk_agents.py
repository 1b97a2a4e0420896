"""Agents written with the OpenAI Agents SDK for the tests: the onboarding pair, whose tools
record each call they run, an agent with an output type, and one whose approval depends on the
arguments."""

from __future__ import annotations

from typing import Any

from agents import Agent, RunConfig, RunContextWrapper, Runner, RunState, function_tool
from agents.testing import ScriptedModel, assistant_message, function_call
from agents.tool_context import ToolContext
from pydantic import BaseModel

# Every tool call that ran, in order: (tool, arguments).
RAN: list[tuple[str, dict[str, Any]]] = []


@function_tool
def create_account(username: str) -> str:
    """Create a user account."""
    RAN.append(("create_account", {"username": username}))
    return f"Account {username} created."


@function_tool(needs_approval=True)
def authorize_account(username: str, security_level: int) -> str:
    """Grant an account access at a security level."""
    RAN.append(("authorize_account", {"username": username, "security_level": security_level}))
    return f"Account {username} authorized at security level {security_level}."


@function_tool
def send_email_tool(recipient: str, subject: str, message: str) -> str:
    """Send an email."""
    RAN.append(("send_email_tool", {"recipient": recipient}))
    return f"Email to {recipient} sent."


account_agent = Agent(
    name="sdk_account_agent",
    instructions="Create the account, then authorize it.",
    tools=[create_account, authorize_account],
)
hr_agent = Agent(
    name="sdk_hr_agent",
    instructions="Send a welcome email, then ask the account agent.",
    tools=[send_email_tool, account_agent.as_tool("account_tool", "Creates accounts.")],
)


async def _large_refund(context: RunContextWrapper[Any], arguments: dict[str, Any], _: str) -> bool:
    return arguments["amount"] > 100


@function_tool(needs_approval=_large_refund)
def refund(order_id: str, amount: float) -> str:
    """Pay back part of an order."""
    RAN.append(("refund", {"order_id": order_id, "amount": amount}))
    return f"Refunded {amount} on {order_id}."


@function_tool
def ticket(context: ToolContext[Any], subject: str) -> str:
    """Open a ticket; the SDK passes the tool its context."""
    RAN.append(("ticket", {"call_id": context.tool_call_id, "tool": context.tool_name}))
    return f"Ticket {context.tool_call_id} opened: {subject}"


refunds_agent = Agent(name="refunds_agent", instructions="Refund.", tools=[refund, ticket])


class Account(BaseModel):
    username: str
    security_level: int


account_reader = Agent(
    name="account_reader", instructions="Describe the account as JSON.", output_type=Account
)

AGENTS = [hr_agent, refunds_agent, account_reader]

EMAIL = {"recipient": "stzhang@example.com", "subject": "Welcome", "message": "Hello"}
SUB_AGENT_REQUEST = {"input": "Create and authorize stzhang."}
AUTHORIZE = {"username": "stzhang", "security_level": 2}
CREATE = {"username": "stzhang"}
# Replies of our `scripted` model for the agents above, run here.
SCRIPTS: dict[str, Any] = {
    "sdk_hr_agent": [
        {
            "tool_calls": [
                {"name": "send_email_tool", "arguments": EMAIL, "id": "call_email"},
                {"name": "account_tool", "arguments": SUB_AGENT_REQUEST, "id": "call_sub"},
            ]
        },
        {"content": "stzhang is onboarded."},
    ],
    "sdk_account_agent": [
        {"tool_calls": [{"name": "create_account", "arguments": CREATE, "id": "call_create"}]},
        {"tool_calls": [{"name": "authorize_account", "arguments": AUTHORIZE, "id": "call_auth"}]},
        {"content": "Account stzhang is ready."},
    ],
}


def sdk_model() -> ScriptedModel:
    """The SDK's own offline model playing the onboarding run up to its pause (the model calls
    come in this order: the HR agent's first turn, then the account agent's two)."""
    return ScriptedModel(
        [
            [
                function_call("send_email_tool", EMAIL, call_id="call_email"),
                function_call("account_tool", SUB_AGENT_REQUEST, call_id="call_sub"),
            ],
            [function_call("create_account", CREATE, call_id="call_create")],
            [function_call("authorize_account", AUTHORIZE, call_id="call_auth")],
            [assistant_message("Account stzhang is ready.")],
            [assistant_message("stzhang is onboarded.")],
        ]
    )


def sdk_config(model: ScriptedModel) -> RunConfig:
    return RunConfig(model=model, tracing_disabled=True)


async def paused_in_sdk() -> tuple[RunState[Any, Any], ScriptedModel]:
    """The onboarding run, run by the SDK until it waits for `authorize_account`."""
    model = sdk_model()
    result = await Runner.run(hr_agent, "Onboard stzhang.", run_config=sdk_config(model))
    assert [item.name for item in result.interruptions] == ["authorize_account"]
    return result.to_state(), model
