"""Writes `onboarding_<version>.json`: the tests' onboarding run (`tests/sdk_agents.py`), paused
by an older `openai-agents` release on `authorize_account`, as its `RunState.to_json()`.

Run it in a venv of that release (not the project's):
`python -m venv /tmp/old && /tmp/old/bin/pip install openai-agents==0.22.3 &&
/tmp/old/bin/python tests/run_states/record.py`
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from agents import Agent, ModelResponse, RunConfig, Runner, Usage, function_tool
from agents.models.interface import Model
from agents.run_state import CURRENT_SCHEMA_VERSION
from openai.types.responses import ResponseFunctionToolCall


def _call(name: str, arguments: dict[str, Any], call_id: str) -> ResponseFunctionToolCall:
    return ResponseFunctionToolCall(
        id=call_id,
        call_id=call_id,
        type="function_call",
        name=name,
        arguments=json.dumps(arguments),
    )


class Replies(Model):
    """Plays the model's replies in order, offline."""

    def __init__(self, replies: list[list[Any]]) -> None:
        self._replies = replies

    async def get_response(self, *args: Any, **kwargs: Any) -> ModelResponse:
        return ModelResponse(output=self._replies.pop(0), usage=Usage(), response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


@function_tool
def create_account(username: str) -> str:
    """Create a user account."""
    return f"Account {username} created."


@function_tool(needs_approval=True)
def authorize_account(username: str, security_level: int) -> str:
    """Grant an account access at a security level."""
    return f"Account {username} authorized at security level {security_level}."


@function_tool
def send_email_tool(recipient: str, subject: str, message: str) -> str:
    """Send an email."""
    return f"Email to {recipient} sent."


async def main() -> None:
    account = Agent(name="sdk_account_agent", tools=[create_account, authorize_account])
    hr = Agent(
        name="sdk_hr_agent",
        tools=[send_email_tool, account.as_tool("account_tool", "Creates accounts.")],
    )
    email = {"recipient": "stzhang@example.com", "subject": "Welcome", "message": "Hello"}
    model = Replies(
        [
            [
                _call("send_email_tool", email, "call_email"),
                _call("account_tool", {"input": "Create and authorize stzhang."}, "call_sub"),
            ],
            [_call("create_account", {"username": "stzhang"}, "call_create")],
            [_call("authorize_account", {"username": "stzhang", "security_level": 2}, "call_auth")],  # noqa: E501
        ]
    )
    config = RunConfig(model=model, tracing_disabled=True)
    result = await Runner.run(hr, "Onboard stzhang.", run_config=config)
    path = Path(__file__).with_name(f"onboarding_{CURRENT_SCHEMA_VERSION}.json")
    path.write_text(json.dumps(result.to_state().to_json(), indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    asyncio.run(main())
