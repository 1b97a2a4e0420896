"""An MCP server the tests start (stdio, or streamable HTTP with `--http PORT`), written with the
`mcp` SDK: tools that answer, fail, take their time, crash the server, and log each call with
the idempotency key its request's `_meta` carried (to the file `MCP_TEST_LOG` names).

With `MCP_TEST_START_ONCE` naming a file, the server starts only while that file does not
exist (it creates it): started again, it writes why to stderr and exits."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from mcp import MCPError
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ImageContent, TextContent, ToolAnnotations

server = MCPServer("test-server")
READ_ONLY = ToolAnnotations(read_only_hint=True)


def _log(ctx: Context, event: str) -> None:
    meta = ctx.request_context.meta or {}
    key = meta.get("idempotency_key", "") if isinstance(meta, dict) else ""
    path = os.environ.get("MCP_TEST_LOG")
    request = ctx.request_context.request  # over HTTP: its headers
    header = request.headers.get("x-agent") if request is not None else None
    via = f" x-agent={header}" if header else ""
    if path:
        with open(path, "a") as log:
            log.write(f"{event} {key} pid={os.getpid()}{via}\n")


@server.tool(annotations=READ_ONLY)
def echo(text: str, ctx: Context) -> str:
    """Say the text back."""
    _log(ctx, f"echo:{text}")
    return f"echo: {text}"


@server.tool(annotations=READ_ONLY)
def stats(numbers: list[float]) -> dict[str, float]:
    """The sum and the largest of some numbers (structured content)."""
    return {"sum": sum(numbers), "max": max(numbers)}


@server.tool()
def record(text: str, ctx: Context) -> str:
    """Write the text down (changes things: needs approval by default)."""
    _log(ctx, f"record:{text}")
    return f"recorded {text}"


@server.tool(annotations=READ_ONLY)
def fail(message: str) -> str:
    """Always fails with the message (an `isError` result)."""
    raise ToolError(message)


@server.tool(annotations=READ_ONLY)
def broken(message: str) -> str:
    """Always answers with a protocol error (a JSON-RPC error, not a result)."""
    raise MCPError(-32603, message)


@server.tool(annotations=READ_ONLY)
async def slow(seconds: float, ctx: Context) -> str:
    """Wait some seconds, then answer."""
    _log(ctx, "slow:start")
    await asyncio.sleep(seconds)
    _log(ctx, "slow:end")
    return f"waited {seconds}s"


@server.tool(annotations=READ_ONLY)
def crash_once(ctx: Context) -> str:
    """Kill the server the first time (the marker file `MCP_TEST_LOG`.crashed says it did)."""
    _log(ctx, "crash_once")
    marker = Path(os.environ.get("MCP_TEST_LOG", "mcp-test") + ".crashed")
    if not marker.exists():
        marker.touch()
        os._exit(3)
    return "survived"


@server.tool(name="two words", annotations=READ_ONLY)
def two_words() -> str:
    """A tool whose name no model API takes."""
    return "unreachable"


@server.tool(annotations=READ_ONLY)
def big(size: int) -> str:
    """A text of `size` characters."""
    return "x" * size


@server.tool(annotations=READ_ONLY)
def picture() -> list[TextContent | ImageContent]:
    """A caption and a tiny picture."""
    return [
        TextContent(text="a red dot"),
        ImageContent(data="iVBORw0KGgo=", mime_type="image/png"),
    ]


def _refuse_a_second_start() -> None:
    once = os.environ.get("MCP_TEST_START_ONCE")
    if not once:
        return
    if Path(once).exists():
        print("test server: the license was already used; cannot start", file=sys.stderr)
        sys.exit(2)
    Path(once).touch()


if __name__ == "__main__":
    print("test server starting", file=sys.stderr, flush=True)
    _refuse_a_second_start()
    if len(sys.argv) == 3 and sys.argv[1] == "--http":
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run()
