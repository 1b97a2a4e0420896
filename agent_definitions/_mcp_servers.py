"""MCP servers on an agent: where a worker reaches them, which of their tools the agent offers,
and which calls wait for a person."""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import jsonschema
import pydantic

from agent_continuations.agent_definitions._activity_options import ActivityOptions
from agent_continuations.agent_definitions._tool import (
    ApprovalPredicate,
    InvalidArgumentsError,
    Tool,
)

ApprovalRule = bool | ApprovalPredicate


class McpToolSpec(pydantic.BaseModel):
    """One tool as a server listed it: what the run records, so that a replay, a continued
    run and its approvals see the same tools.

    Attributes:
        name: The tool's name on its server (without the agent's prefix).
        description: What the tool does, for the model.
        input_schema: The JSON schema of its arguments.
        read_only: The server's `readOnlyHint`; None when it said nothing.
        destructive: The server's `destructiveHint`; None when it said nothing.
    """

    name: str
    description: str = ""
    input_schema: dict[str, Any] = pydantic.Field(default_factory=dict)
    read_only: bool | None = None
    destructive: bool | None = None


def _matches(name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


@dataclass(frozen=True, kw_only=True)
class McpServer:
    """What every MCP server on an agent has; use `StdioServer` or `HttpServer`.

    Tool names must be unique across an agent's tools, sub-agents and servers: a clash is
    refused when the run lists the tools, so give a server a `prefix`, or leave the clashing
    tool out with `allowed_tools` / `blocked_tools`.

    Attributes:
        name: Unique among the agent's servers; runs record its tools under this name.
        prefix: Put before each of its tools' names in what the model sees (`git_` → ...).
        allowed_tools: Only these tools (names or globs on the server's own names); all when None.
        blocked_tools: Never these tools (names or globs), even when allowed.
        needs_approval: Whether a call waits for a person, for every tool not named in
            `approvals`: True, False, or a predicate over the arguments. None (the default)
            follows the server's annotations: a tool not marked read-only (`readOnlyHint`)
            waits.
        approvals: Per tool, by name or glob (a name before any glob, then globs in order):
            True, False, or a predicate over the arguments; over `needs_approval`.
        approval_timeout: Reject a waiting call as "timed out" after this long.
        editable: False refuses approvals that change a call's arguments.
        activity_options: Timeouts, retry policy and task queue of the `call_mcp_tool`
            activity (the `list_mcp_tools` activity takes the task queue too).
    """

    name: str
    prefix: str = ""
    allowed_tools: Sequence[str] | None = None
    blocked_tools: Sequence[str] = ()
    needs_approval: ApprovalRule | None = None
    approvals: Mapping[str, ApprovalRule] = field(default_factory=dict)
    approval_timeout: timedelta | None = None
    editable: bool = True
    activity_options: ActivityOptions = ActivityOptions()

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("an MCP server needs a name")

    def offers(self, tool_name: str) -> bool:
        """Whether the agent offers the server's tool `tool_name` to its model."""
        allowed = self.allowed_tools is None or _matches(tool_name, self.allowed_tools)
        return allowed and not _matches(tool_name, self.blocked_tools)

    def approval_rule(self, spec: McpToolSpec) -> ApprovalRule:
        """Whether a call of this tool waits for a person (see `approvals`)."""
        if spec.name in self.approvals:
            return self.approvals[spec.name]
        for pattern, rule in self.approvals.items():
            if fnmatch.fnmatchcase(spec.name, pattern):
                return rule
        if self.needs_approval is not None:
            return self.needs_approval
        return spec.read_only is not True

    def tool(self, spec: McpToolSpec) -> McpTool:
        """The agent's tool for one listed tool of this server."""
        return McpTool(
            name=self.prefix + spec.name,
            description=spec.description,
            server=self.name,
            spec=spec,
            needs_approval=self.approval_rule(spec),
            approval_timeout=self.approval_timeout,
            editable=self.editable,
            activity_options=self.activity_options,
        )


@dataclass(frozen=True, kw_only=True)
class StdioServer(McpServer):
    """A server the worker starts as a process and talks to over its stdin and stdout; started
    once per worker and kept, started again when it has died.

    Attributes:
        command: The program (a path, or a name on PATH).
        args: Its arguments.
        env: Variables for it, over a small safe set of the worker's (PATH, HOME, ...).
        cwd: Its working directory; the worker's by default.
    """

    command: str
    args: Sequence[str] = ()
    env: Mapping[str, str] | None = None
    cwd: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.command.strip():
            raise ValueError(f"MCP server {self.name!r} needs a command")


@dataclass(frozen=True, kw_only=True)
class HttpServer(McpServer):
    """A server reached over streamable HTTP.

    Attributes:
        url: Its MCP endpoint, e.g. `http://127.0.0.1:8000/mcp`.
        headers: Sent with every request (say, `Authorization`); they stay on the worker.
    """

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"MCP server {self.name!r} needs an http(s) URL, not {self.url!r}")


def _no_function(**arguments: Any) -> Any:
    raise RuntimeError("an MCP tool runs on its server, through the call_mcp_tool activity")


class _AnyArguments(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")


@dataclass(frozen=True, kw_only=True)
class McpTool(Tool):
    """A tool of an MCP server as an agent offers it: approvals, edits and pending calls treat
    it as any tool; its arguments are checked against the schema the server listed.

    Attributes:
        server: The name of its server on the agent.
        spec: The tool as the server listed it.
    """

    function: Any = _no_function
    arguments_model: type[pydantic.BaseModel] = _AnyArguments
    server: str
    spec: McpToolSpec

    def parameters_schema(self) -> dict[str, Any]:
        """The server's schema of the tool's arguments."""
        return self.spec.input_schema or {"type": "object", "properties": {}}

    def validate_arguments(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Check arguments against the server's schema.

        Raises:
            InvalidArgumentsError: They do not fit it.
        """
        validator = jsonschema.Draft202012Validator(self.parameters_schema())
        problems = [
            f"{'.'.join(str(p) for p in error.absolute_path) or 'arguments'}: {error.message}"
            for error in validator.iter_errors(dict(arguments))
        ]
        if problems:
            raise InvalidArgumentsError("; ".join(sorted(problems)[:5]))
        return dict(arguments)


def mcp_tools(
    servers: Sequence[McpServer], listings: Mapping[str, Sequence[McpToolSpec]]
) -> list[McpTool]:
    """The tools the servers offered when the run listed them (`list_mcp_tools` kept only the
    allowed ones): what a run offers does not change under it, even if the worker's do."""
    return [server.tool(spec) for server in servers for spec in listings.get(server.name, ())]


def listing_digest(listings: Mapping[str, Sequence[McpToolSpec]]) -> str:
    """A digest of recorded listings: the model activity's reference to them."""
    data = {
        name: [spec.model_dump(mode="json") for spec in specs] for name, specs in listings.items()
    }
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]
