"""The `list_mcp_tools` and `call_mcp_tool` activities: an agent's MCP servers, as the worker
reaches them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, cast

import jsonschema
import pydantic
from mcp import ClientSession, MCPError, types
from pydantic import Field
from temporalio import activity
from temporalio.exceptions import ApplicationError

from agent_continuations.activities._catalog import catalog_agent, check_task_queue
from agent_continuations.activities._heartbeat import heartbeating
from agent_continuations.activities._mcp_connections import (
    ConnectionLostError,
    McpConnections,
    ServerStartError,
)
from agent_continuations.activities._mcp_results import result_text
from agent_continuations.activities._recordable import recordable
from agent_continuations.activities._tool_call import ToolCallOutput, check_approval_proof
from agent_continuations.agent_definitions import (
    AgentCatalog,
    McpServer,
    McpToolSpec,
)
from agent_continuations.shared import JsonDict

# What the chat-completions API takes as a function's name.
TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


class McpListInput(pydantic.BaseModel):
    """Input of the `list_mcp_tools` activity: one server of an agent."""

    agent: str
    server: str


class McpListOutput(pydantic.BaseModel):
    """The tools the server offers the agent (its allowed, not blocked tools)."""

    tools: list[McpToolSpec]


class McpCallInput(pydantic.BaseModel):
    """Input of the `call_mcp_tool` activity; the approval fields are `run_tool`'s."""

    agent: str
    server: str
    tool: str = Field(description="The tool's name as the agent offers it (with the prefix).")
    arguments: JsonDict
    idempotency_key: str = Field(
        "", description="Stable across retries of this call; sent in the request's `_meta`."
    )
    approval_key: str = ""
    approval_proof: str = ""


def _spec(tool: types.Tool, prefix: str = "") -> McpToolSpec | None:
    """The recorded form of a listed tool; None when its schema is no JSON schema or its name
    (with the agent's prefix) is not one a model API takes."""
    if not TOOL_NAME.fullmatch(prefix + tool.name):
        activity.logger.warning("left out MCP tool %r: not a usable tool name", tool.name)
        return None
    try:
        jsonschema.Draft202012Validator.check_schema(tool.input_schema)
    except jsonschema.SchemaError as error:
        activity.logger.warning("left out MCP tool %r: its schema is invalid: %s", tool.name, error)
        return None
    hints = tool.annotations
    return McpToolSpec(
        name=tool.name,
        description=tool.description or (hints.title if hints and hints.title else "") or "",
        input_schema=tool.input_schema,
        read_only=hints.read_only_hint if hints else None,
        destructive=hints.destructive_hint if hints else None,
    )


async def _listed(session: ClientSession) -> list[types.Tool]:
    tools: list[types.Tool] = []
    cursor: str | None = None
    while True:
        params = types.PaginatedRequestParams(cursor=cursor) if cursor else None
        page = await session.list_tools(params=params)
        tools += page.tools
        cursor = page.next_cursor
        if not cursor:
            return tools


class McpActivities:
    """The MCP activities for the servers of a worker's agents; stdio servers are started once
    per worker and kept until it stops (`close`).

    Args:
        agents: The agents whose servers this worker reaches.
    """

    def __init__(self, agents: AgentCatalog) -> None:
        self._agents = agents
        self._connections = McpConnections()

    def running(self) -> AbstractAsyncContextManager[None]:
        """The worker's run: the servers it started stop when it ends."""
        return self._running()

    @asynccontextmanager
    async def _running(self) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await self._connections.close()

    def _server(self, agent: str, name: str) -> McpServer:
        """The agent's server called `name`, if it may be reached on this task queue.

        Raises:
            ApplicationError: Non-retryable: no such server, or it is pinned to another queue.
        """
        servers = catalog_agent(self._agents, agent).mcp_servers
        server = next((s for s in servers if s.name == name), None)
        if server is None:
            raise ApplicationError(
                f"agent {agent!r} has no MCP server {name!r}",
                type="UnknownTool",
                non_retryable=True,
            )
        check_task_queue(server.activity_options.task_queue, f"MCP server {name!r} is reached")
        return server

    async def _use(self, server: McpServer, request: Any) -> Any:
        """`request` on a session with the server, its failures as `ApplicationError`s."""
        try:
            async with heartbeating():
                return await self._connections.use(server, request)
        except ServerStartError as error:  # a process that cannot start will not on a retry
            raise ApplicationError(
                str(error), type="McpServerUnavailable", non_retryable=True
            ) from None
        except ConnectionLostError as error:
            raise ApplicationError(str(error), type="McpConnectionLost") from None
        except (MCPError, RuntimeError) as error:  # RuntimeError: a result off its schema
            raise ApplicationError(
                f"MCP server {server.name!r} answered with an error: {error}",
                type="McpProtocolError",
                non_retryable=True,
            ) from None

    @activity.defn(name="list_mcp_tools")
    async def list_mcp_tools(self, input: McpListInput) -> McpListOutput:
        """The tools one of an agent's servers offers it, as the run records them."""
        server = self._server(input.agent, input.server)
        listed: list[types.Tool] = await self._use(server, _listed)
        specs = [_spec(t, server.prefix) for t in listed if server.offers(t.name)]
        output = McpListOutput(tools=[s for s in specs if s is not None])
        return recordable(output, f"the tools of MCP server {server.name!r}")

    @activity.defn(name="call_mcp_tool")
    async def call_mcp_tool(self, input: McpCallInput) -> ToolCallOutput:
        """Call a tool of an agent's MCP server, with the call's idempotency key in the
        request's `_meta`, and return what the model reads of its result."""
        server = self._server(input.agent, input.server)
        name = input.tool.removeprefix(server.prefix)
        if not input.tool.startswith(server.prefix) or not server.offers(name):
            raise ApplicationError(
                f"MCP server {server.name!r} has no tool {input.tool!r}",
                type="UnknownTool",
                non_retryable=True,
            )
        # An open map (PEP 728's `extra_items`), which the type checker does not know yet.
        meta = cast(types.RequestParamsMeta, {"idempotency_key": input.idempotency_key})

        async def call(session: ClientSession) -> types.CallToolResult:
            if self._agents.secrets:
                self._check_approval(server, name, await _listed(session), input)
            return await session.call_tool(name, input.arguments, meta=meta)

        result: types.CallToolResult = await self._use(server, call)
        text = result_text(result)
        if result.is_error:
            raise ApplicationError(
                text or "the server gave no reason", type="McpToolError", non_retryable=True
            )
        return recordable(ToolCallOutput(content=text), f"the result of tool {input.tool!r}")

    def _check_approval(
        self, server: McpServer, name: str, listed: list[types.Tool], input: McpCallInput
    ) -> None:
        """Where workers hold secrets, a call that needs approval (by the server's rules over
        what it lists now; any tool it no longer lists) runs only with the run's proof."""
        spec = next((s for t in listed if t.name == name and (s := _spec(t, server.prefix))), None)
        if spec is None or server.tool(spec).requires_approval(input.arguments):
            check_approval_proof(self._agents.secrets, input)
