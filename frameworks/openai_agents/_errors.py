"""The errors of the OpenAI Agents SDK integration."""


class UnsupportedAgentError(ValueError):
    """An SDK agent uses a feature that has no durable counterpart here; the message is one
    line naming the agent and the feature."""


class RunStateError(ValueError):
    """A RunState cannot be imported or exported; the message is one line saying why."""
