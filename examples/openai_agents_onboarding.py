"""The onboarding example written with the OpenAI Agents SDK (the `[openai-agents]` extra):
`agent-worker --agents agent_continuations.examples.openai_agents_onboarding` runs it here."""

from __future__ import annotations

from typing import Any

from agents import Agent, function_tool


@function_tool
def create_account(username: str) -> str:
    """Create a user account.

    Args:
        username: The new account's user name.
    """
    return f"Account {username} created."


@function_tool(needs_approval=True)
def authorize_account(username: str, security_level: int) -> str:
    """Grant an account access at a security level.

    Args:
        username: The account to authorize.
        security_level: Access level, from 1 (lowest) to 5.
    """
    return f"Account {username} authorized at security level {security_level}."


@function_tool
def send_email_tool(recipient: str, subject: str, message: str) -> str:
    """Send an email.

    Args:
        recipient: The recipient's email address.
        subject: The subject line.
        message: The body of the email.
    """
    return f"Email to {recipient} sent with subject {subject!r}."


account_agent = Agent(
    name="account_agent",
    instructions=(
        "You are an account manager. Create the requested account, then authorize it "
        "with the appropriate security level."
    ),
    tools=[create_account, authorize_account],
)

hr_agent = Agent(
    name="hr_agent",
    instructions=(
        "You are an HR assistant onboarding new colleagues: send them a welcome email, "
        "then ask the account agent to create and authorize their account."
    ),
    tools=[
        send_email_tool,
        account_agent.as_tool("account_agent_tool", "Creates user accounts and authorizes them."),
    ],
)

# Offline replies for the `scripted` model, one per model turn.
SCRIPTS: dict[str, list[dict[str, Any]]] = {
    "hr_agent": [
        {
            "tool_calls": [
                {
                    "name": "send_email_tool",
                    "arguments": {
                        "recipient": "stzhang@example.com",
                        "subject": "Welcome aboard!",
                        "message": "Welcome to the team, stzhang! Your account is on its way.",
                    },
                },
                {
                    "name": "account_agent_tool",
                    "arguments": {"input": "Create and authorize an account for stzhang."},
                },
            ]
        },
        {"content": "stzhang is onboarded: welcome email sent, account created and authorized."},
    ],
    "account_agent": [
        {"tool_calls": [{"name": "create_account", "arguments": {"username": "stzhang"}}]},
        {
            "tool_calls": [
                {
                    "name": "authorize_account",
                    "arguments": {"username": "stzhang", "security_level": 2},
                }
            ]
        },
        {"content": "Account stzhang was created and authorized at security level 2."},
    ],
}
