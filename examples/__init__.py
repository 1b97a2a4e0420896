"""Example agents, loaded the way a user's agent module is (`--agents
agent_continuations.examples`, the worker's default).

`SCRIPTS` holds the replies of the offline `scripted` model for each example agent.
"""

from agent_continuations.examples.onboarding import ONBOARDING_SCRIPTS as SCRIPTS
from agent_continuations.examples.onboarding import account_agent, hr_agent

__all__ = ["SCRIPTS", "account_agent", "hr_agent"]
