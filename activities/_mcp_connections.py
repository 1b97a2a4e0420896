"""Sessions with MCP servers: stdio servers started once per worker and kept (started again
when they have died), HTTP servers connected per use."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import IO, TypeVar

from mcp import ClientSession, MCPError, StdioServerParameters, stdio_client, types
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from agent_continuations.agent_definitions import HttpServer, McpServer, StdioServer

T = TypeVar("T")
STDERR_LINES = 20
START_TIMEOUT_SECONDS = 30.0
PING_TIMEOUT_SECONDS = 5.0


class ServerStartError(Exception):
    """A stdio server could not be started; the message ends with its stderr's last lines."""


class ConnectionLostError(Exception):
    """The connection to a server broke during a request (say, the server died)."""


def _tail(errlog: IO[str]) -> str:
    errlog.flush()
    errlog.seek(0)
    lines = [line for line in errlog.read().splitlines() if line.strip()][-STDERR_LINES:]
    return "\n".join(lines)


class _StdioProcess:
    """One running stdio server: a task owns its process and session (the SDK's transports
    must be entered and left in one task) until `close`."""

    def __init__(self, server: StdioServer) -> None:
        self._server = server
        # The process writes its stderr here; `close` closes it.
        self._errlog = tempfile.TemporaryFile("w+")  # noqa: SIM115
        self._ready: asyncio.Future[ClientSession] = asyncio.get_running_loop().create_future()
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._own())

    async def _own(self) -> None:
        server = self._server
        parameters = StdioServerParameters(
            command=server.command,
            args=list(server.args),
            env=dict(server.env) if server.env is not None else None,
            cwd=server.cwd,
        )
        try:
            async with (
                stdio_client(parameters, errlog=self._errlog) as (read, write),
                ClientSession(read, write) as session,
            ):
                await asyncio.wait_for(session.initialize(), START_TIMEOUT_SECONDS)
                self._ready.set_result(session)
                await self._stop.wait()
        except Exception as error:
            if not self._ready.done():
                self._ready.set_exception(error)

    async def session(self) -> ClientSession:
        """The initialized session.

        Raises:
            ServerStartError: The process did not start or did not answer `initialize`.
        """
        try:
            return await asyncio.shield(self._ready)
        except Exception as error:  # whatever stopped the process or its session
            why = leaf_error(error)
            problem = self.problem(f"MCP server {self._server.name!r} did not start: {why}")
            await self.close()
            raise ServerStartError(problem) from None

    def problem(self, what: str) -> str:
        """`what`, with the server's last lines of stderr."""
        tail = "" if self._errlog.closed else _tail(self._errlog)
        return f"{what}\n{tail}" if tail else what

    async def close(self) -> None:
        self._stop.set()
        await asyncio.gather(self._task, return_exceptions=True)
        self._errlog.close()


class McpConnections:
    """The MCP servers a worker talks to; stdio ones are kept between calls and runs."""

    def __init__(self) -> None:
        self._processes: dict[int, _StdioProcess] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    async def use(self, server: McpServer, request: Callable[[ClientSession], Awaitable[T]]) -> T:
        """Run `request` on a session with the server.

        Raises:
            ServerStartError: A stdio server cannot be started.
            ConnectionLostError: The connection broke during the request, or an HTTP server
                cannot be reached.
            MCPError: The server answered with an error.
        """
        if isinstance(server, StdioServer):
            process = await self._live_process(server)
            try:
                return await request(await process.session())
            except MCPError as error:
                if not _connection_closed(error):
                    raise
                if self._processes.get(id(server)) is process:  # not yet started again
                    del self._processes[id(server)]
                problem = process.problem(
                    f"the connection to MCP server {server.name!r} broke: {error}"
                )
                await process.close()
                raise ConnectionLostError(problem) from None
        assert isinstance(server, HttpServer)
        try:
            async with _http_session(server) as session:
                return await request(session)
        except Exception as error:  # the transport's task group fails with a group
            leaf = leaf_error(error)
            if isinstance(leaf, MCPError) and not _connection_closed(leaf):
                raise leaf from None
            raise ConnectionLostError(
                f"MCP server {server.name!r} at {server.url} failed: {leaf}"
            ) from None

    async def _live_process(self, server: StdioServer) -> _StdioProcess:
        """The server's process, started if it is not running or no longer answers."""
        async with self._locks.setdefault(id(server), asyncio.Lock()):
            process = self._processes.get(id(server))
            if process is not None:
                try:
                    session = await process.session()
                    await asyncio.wait_for(session.send_ping(), PING_TIMEOUT_SECONDS)
                    return process
                except (ServerStartError, MCPError, TimeoutError, OSError):
                    await process.close()  # it died: start it again
            process = self._processes[id(server)] = _StdioProcess(server)
            try:
                await process.session()
            except ServerStartError:
                self._processes.pop(id(server), None)
                raise
            return process

    async def close(self) -> None:
        """Stop every server this worker started."""
        processes, self._processes = list(self._processes.values()), {}
        await asyncio.gather(*(p.close() for p in processes), return_exceptions=True)


def _connection_closed(error: MCPError) -> bool:
    """The SDK's own error for a connection that ended (servers use the code for others too)."""
    return error.code == types.CONNECTION_CLOSED and error.message == "Connection closed"


@asynccontextmanager
async def _http_session(server: HttpServer) -> AsyncIterator[ClientSession]:
    """An initialized session with an HTTP server, for one use."""
    async with (
        create_mcp_http_client(headers=dict(server.headers)) as http,
        streamable_http_client(server.url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await asyncio.wait_for(session.initialize(), START_TIMEOUT_SECONDS)
        yield session


def leaf_error(error: BaseException) -> BaseException:
    """The first error an exception group (a task group's failure) holds, however nested."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error
