"""The pure parts of MCP servers on an agent: which tools it offers, which calls wait, how
arguments are checked and what the model reads of a result."""

from __future__ import annotations

import pytest
from mcp import types

from agent_continuations.activities._mcp_results import result_text
from agent_continuations.agent_definitions import (
    Agent,
    HttpServer,
    InvalidArgumentsError,
    McpToolSpec,
    StdioServer,
)

SCHEMA = {
    "type": "object",
    "properties": {"path": {"type": "string"}, "force": {"type": "boolean"}},
    "required": ["path"],
}


def spec(name: str, read_only: bool | None = None) -> McpToolSpec:
    return McpToolSpec(name=name, input_schema=SCHEMA, read_only=read_only)


def waits(server: StdioServer, tool: McpToolSpec, **arguments: object) -> bool:
    return server.tool(tool).requires_approval({"path": "a", **arguments})


def test_by_default_only_read_only_tools_run_at_once() -> None:
    server = StdioServer(name="fs", command="fs-server")
    assert not waits(server, spec("read", read_only=True))
    assert waits(server, spec("write", read_only=False))
    assert waits(server, spec("unsure"))  # no annotation: it may change things


def test_rules_by_name_then_globs_in_order_then_the_server() -> None:
    server = StdioServer(
        name="fs",
        command="fs-server",
        needs_approval=False,
        approvals={
            "delete_*": True,
            "delete_tmp": lambda args: bool(args.get("force")),
            "*": True,
            "read": False,
        },
    )
    assert not waits(server, spec("delete_tmp"))  # its name comes before any glob
    assert waits(server, spec("delete_tmp"), force=True)
    assert waits(server, spec("delete_all", read_only=True))  # the first glob that matches
    assert waits(server, spec("anything", read_only=True))
    assert not waits(server, spec("read"))
    plain = StdioServer(name="fs", command="fs-server", needs_approval=False)
    assert not waits(plain, spec("write", read_only=False))


def test_a_predicate_that_raises_asks_a_person() -> None:
    server = StdioServer(name="fs", command="x", approvals={"write": lambda args: args["nope"]})
    assert waits(server, spec("write", read_only=True))


def test_allowed_and_blocked_tools() -> None:
    server = StdioServer(
        name="git", command="x", allowed_tools=["git_*"], blocked_tools=["git_reset"]
    )
    assert server.offers("git_status") and not server.offers("git_reset")
    assert not server.offers("shell")


def test_arguments_are_checked_against_the_listed_schema() -> None:
    tool = StdioServer(name="fs", command="x", prefix="fs_").tool(spec("write"))
    assert tool.name == "fs_write" and tool.parameters_schema() == SCHEMA
    assert tool.validate_arguments({"path": "a"}) == {"path": "a"}
    with pytest.raises(InvalidArgumentsError, match="'path' is a required property"):
        tool.validate_arguments({"force": True})
    with pytest.raises(InvalidArgumentsError, match="force: 'yes' is not of type 'boolean'"):
        tool.validate_arguments({"path": "a", "force": "yes"})


def test_listed_tools_join_the_agents_and_a_clash_says_what_to_do() -> None:
    agent = Agent(name="a", instructions="x", mcp_servers=[StdioServer(name="s", command="x")])
    assert agent.with_mcp_tools({}) is agent
    offered = agent.with_mcp_tools({"s": [spec("read"), spec("write")]})
    assert [t.name for t in offered.tools] == ["read", "write"] and offered.find_tool("write")
    with pytest.raises(ValueError, match="duplicate tool names: \\['read'\\]: give the MCP"):
        agent.with_mcp_tools({"s": [spec("read"), spec("read")]})


@pytest.mark.parametrize(
    ("server", "problem"),
    [
        (lambda: StdioServer(name=" ", command="x"), "needs a name"),
        (lambda: StdioServer(name="s", command=""), "needs a command"),
        (lambda: HttpServer(name="h", url="localhost:80"), r"needs an http\(s\) URL"),
        (
            lambda: Agent(
                name="a",
                instructions="x",
                mcp_servers=[
                    StdioServer(name="s", command="x"),
                    HttpServer(name="s", url="http://h"),
                ],
            ),
            "two MCP servers of the same name",
        ),
    ],
)
def test_malformed_servers_are_refused(server, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        server()


def test_results_as_the_model_reads_them() -> None:
    result = types.CallToolResult(
        content=[
            types.TextContent(text="done"),
            types.AudioContent(data="AAAA", mime_type="audio/wav"),
            types.ResourceLink(uri="file:///a.txt", name="a.txt", mime_type="text/plain"),
            types.EmbeddedResource(
                resource=types.TextResourceContents(uri="file:///b.txt", text="inside b")
            ),
            types.EmbeddedResource(
                resource=types.BlobResourceContents(uri="file:///c.bin", blob="not base64!")
            ),
        ],
        structured_content={"count": 2},
    )
    assert result_text(result).splitlines() == [
        "done",
        "[audio: audio/wav, 3 bytes, not played]",
        "[resource link: file:///a.txt (a.txt, text/plain)]",
        "[resource file:///b.txt]",
        "inside b",
        "[resource file:///c.bin: binary, undecodable data, not shown]",
        '{"count": 2}',
    ]
    said = types.CallToolResult(
        content=[types.TextContent(text='{"count": 2}')], structured_content={"count": 2}
    )
    assert result_text(said) == '{"count": 2}'  # not twice
