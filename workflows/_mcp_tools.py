"""`McpTools`: the level's MCP tools, listed once per run by an activity and kept in its state,
so that every part sees them as the agent's own tools (`Agent.find_tool`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from agent_continuations.activities import (
    McpActivities,
    McpCallInput,
    McpListInput,
    ToolCallOutput,
)
from agent_continuations.agent_definitions import ActivityOptions, McpToolSpec, listing_digest
from agent_continuations.workflows._calls import cause_message
from agent_continuations.workflows._level import Level
from agent_continuations.workflows._start import resume_calls

LIST_TIMEOUT = timedelta(minutes=1)
LIST_RETRIES = RetryPolicy(maximum_interval=timedelta(seconds=10), maximum_attempts=3)


class McpTools:
    """Lists the agent's MCP servers' tools at the run's start (unless its state has them, as
    after continue-as-new) and makes the level's agent one that has them."""

    def __init__(self, level: Level) -> None:
        self._level = level
        self._agent = level.agent  # as defined, without its servers' tools
        self._problem: str | None = None
        try:
            self._with_listed_tools()
        except ValueError as error:  # the worker's agent changed since the run listed them
            self._problem = str(error)

    def _with_listed_tools(self) -> None:
        """Give the level the agent with the tools its state records.

        Raises:
            ValueError: A server's tool has the name of another tool.
        """
        listings = self._level.state.mcp_tools
        if self._agent is not None and listings is not None:
            self._level.agent = self._agent.with_mcp_tools(listings)

    async def list_tools(self) -> str | None:
        """List the tools of every server the state has no list of; a fresh level resumed from
        a continuation then takes its imported calls. Returns why the run cannot go on, if so."""
        level, agent = self._level, self._agent
        if self._problem is not None:
            return self._problem
        if agent is None or not agent.mcp_servers or level.state.mcp_tools is not None:
            return None
        listings = {}
        for server in agent.mcp_servers:
            try:
                listed = await workflow.execute_activity_method(
                    McpActivities.list_mcp_tools,
                    McpListInput(agent=agent.name, server=server.name),
                    start_to_close_timeout=LIST_TIMEOUT,
                    retry_policy=LIST_RETRIES,
                    task_queue=server.activity_options.task_queue,
                    summary=f"list the tools of {server.name}",
                )
            except ActivityError as error:
                return (
                    f"cannot list the tools of MCP server {server.name!r}: {cause_message(error)}"
                )
            listings[server.name] = listed.tools
        level.state.mcp_tools = listings
        try:
            self._with_listed_tools()
        except ValueError as error:
            return str(error)
        assert level.agent is not None
        resume_calls(level.state, level.input, level.agent, workflow.now())
        return None


def tools_digest(listings: Mapping[str, Sequence[McpToolSpec]] | None) -> str:
    """The model activity's reference to the run's MCP tools; empty without any."""
    return listing_digest(listings) if listings else ""


async def call_mcp_tool(
    input: McpCallInput, options: ActivityOptions, summary: str
) -> ToolCallOutput:
    """Run one call of an MCP tool as the `call_mcp_tool` activity.

    Raises:
        ActivityError: The call failed; its cause says why.
    """
    return await workflow.execute_activity_method(
        McpActivities.call_mcp_tool,
        input,
        start_to_close_timeout=options.start_to_close_timeout,
        heartbeat_timeout=options.heartbeat_timeout,
        retry_policy=options.retry_policy,
        task_queue=options.task_queue,
        summary=summary,
    )
