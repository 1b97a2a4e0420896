"""Example agents, loaded the way a user's agent module is (`--agents examples`, the default).

`SCRIPTS` holds the replies of the offline `scripted` model for each example agent.
"""

from examples.onboarding import ONBOARDING_SCRIPTS as SCRIPTS
from examples.onboarding import account_agent, hr_agent

__all__ = ["SCRIPTS", "account_agent", "hr_agent"]
