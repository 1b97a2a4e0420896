"""Which agent each level of a continuation belongs to, and what its calls need."""

from __future__ import annotations

from agent_continuations.agent_definitions import Agent, AgentCatalog, UnknownAgentError
from agent_continuations.continuations._checks import call_arguments, where
from agent_continuations.continuations._errors import ContinuationImportError
from agent_continuations.continuations._tree import Level
from agent_continuations.continuations.format import agent_path_key
from agent_continuations.shared import JsonDict


def _called_names(level: JsonDict) -> set[str]:
    names = {
        tc["function"]["name"]
        for m in level["messages"]
        if m.get("role") == "assistant"
        for tc in m.get("tool_calls") or []
    }
    return names | {c["function"]["name"] for c in level.get("resume_request") or []}


def _tool_names(agent: Agent) -> set[str]:
    return {t.name for t in agent.tools} | {a.tool_name for a in agent.sub_agents}


def _has_tools(agent: Agent, names: set[str]) -> bool:
    """Whether the agent has tools of these names; any name may be one of its MCP servers'
    tools, which only its run lists (and refuses to the model if none is)."""
    return names <= _tool_names(agent) or bool(agent.mcp_servers)


def root_agent(agents: AgentCatalog, continuation: JsonDict, named: str | None) -> Agent:
    """The named agent, or the one agent of `agents` whose tools cover every call at the root
    (else, of the agents with MCP servers, whose tools only a run knows, the one that fits).

    Raises:
        ContinuationImportError: No such agent, or no single one fits.
    """
    if named:
        try:
            return agents.get(named)
        except UnknownAgentError as error:
            raise ContinuationImportError(str(error)) from None
    called = _called_names(continuation)
    fits = [a for a in agents if called <= _tool_names(a)]
    fits = fits or [a for a in agents if _has_tools(a, called)]
    first = continuation["messages"][0] if continuation["messages"] else {}
    same_instructions = [a for a in fits if a.instructions == first.get("content")]
    if len(same_instructions) == 1 or len(fits) == 1:
        return (same_instructions or fits)[0]
    calls = ", ".join(sorted(called)) or "no tools"
    if not fits:
        raise ContinuationImportError(f"no known agent has the tools it calls ({calls})")
    names = ", ".join(a.name for a in fits)
    raise ContinuationImportError(f"several agents fit ({names}): name the agent to resume")


def level_agent(root: Agent, level: Level, agents: dict[str, str]) -> Agent:
    """The agent of a level: the sub-agents named by its path's tool names, from the root.

    Raises:
        ContinuationImportError: A name on the path is not a sub-agent, the file's `agents`
            names another agent, or the level calls a tool its agent does not have.
    """
    agent = root
    for depth, name in enumerate(level.paths):
        sub_agent = agent.find_sub_agent(name)
        if sub_agent is None:
            at = where(level.path_ids[:depth])
            if agent.find_tool(name) is None:
                raise ContinuationImportError(f"{at}agent {agent.name!r} has no tool {name!r}")
            raise ContinuationImportError(
                f"{at}call {level.path_ids[depth]!r} nests a continuation, but {name!r} is "
                "a tool, not a sub-agent"
            )
        agent = sub_agent
    at = where(level.path_ids)
    expected = agents.get(agent_path_key(level.path_ids))
    if expected is not None and expected != agent.name:
        raise ContinuationImportError(
            f"{at}agents says {expected!r}, but the calls lead to agent {agent.name!r}"
        )
    called = _called_names(level.data)
    if not _has_tools(agent, called):
        unknown = called - _tool_names(agent)
        name = sorted(unknown)[0]
        raise ContinuationImportError(f"{at}agent {agent.name!r} has no tool {name!r}")
    return agent


def needs_approval(agent: Agent, call: JsonDict) -> bool:
    """Whether the agent's tool asks a person before running this call, as the run would; a
    call of an MCP server's tool, which only the run knows, counts as asking."""
    tool = agent.find_tool(call["function"]["name"])
    arguments = call_arguments(call)
    if (
        tool is None
        and agent.mcp_servers
        and agent.find_sub_agent(call["function"]["name"]) is None
    ):
        return True
    if tool is None or not isinstance(arguments, dict):
        return False  # the run will answer the model that its arguments are not usable
    try:
        return tool.requires_approval(tool.validate_arguments(arguments))
    except Exception:  # not valid, or a validator of the tool's own types raised
        return False  # the run will answer the model that its arguments do not fit
