"""What a root run's page in the Temporal Web UI says before anything happens: its static
summary (the agent and the prompt) and static details (the agent tree and how to decide)."""

from __future__ import annotations

from agent_continuations.agent_definitions import Agent, AgentCatalog

SUMMARY_PROMPT_CHARS = 80

HOW_TO_DECIDE = """\
**How to decide.** When the run waits, its *Current Details* (under User Metadata) list every \
waiting call with its arguments and the JSON to send. Open **More Actions → Send a Signal**, \
pick `approve` or `reject`, and paste that JSON as the input. From a shell: \
`agent-starter pending {workflow_id}`, then the `approve` command it prints."""


def run_summary(agent: str, prompt: str | None) -> str:
    """The run's one-line summary: its agent and its prompt, shortened."""
    if prompt is None:
        return f"{agent}: resumed from a continuation"
    text = " ".join(prompt.split())
    if len(text) > SUMMARY_PROMPT_CHARS:
        text = text[: SUMMARY_PROMPT_CHARS - 1] + "…"
    return f"{agent}: {text}"


def _tree_lines(agent: Agent, parent: str | None = None) -> list[str]:
    tools = ", ".join(f"`{t.name}`" for t in agent.tools) or "none"
    of = f", sub-agent of {parent}" if parent else ""
    lines = [f"- **{agent.name}**{of} (tools: {tools})"]
    for sub_agent in agent.sub_agents:
        lines += _tree_lines(sub_agent, agent.name)
    return lines


def run_details(workflow_id: str, agent: str, agents: AgentCatalog | None = None) -> str:
    """The run's details in Markdown: the agent tree, when `agents` knows the agent, and how a
    person decides a waiting call."""
    parts = []
    if agents is not None and agent in agents.names():  # else only the worker knows it
        parts.append("**Agents**\n" + "\n".join(_tree_lines(agents.get(agent))))
    parts.append(HOW_TO_DECIDE.format(workflow_id=workflow_id))
    return "\n\n".join(parts)
