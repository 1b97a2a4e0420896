"""The MCP tools a model call offers, read by reference: the run's recorded listing enters its
history once (the `list_mcp_tools` result), not with every model call."""

from __future__ import annotations

from collections import OrderedDict

import pydantic
from temporalio import activity
from temporalio.client import WorkflowQueryFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from agent_continuations.agent_definitions import Agent, McpTool, McpToolSpec, listing_digest
from agent_continuations.shared import JsonDict

SUMMARY_QUERY = "get_summary"  # `AgentWorkflow.get_summary`: the level's state, no messages
CACHED_LISTINGS = 64
_Listings = pydantic.TypeAdapter(dict[str, list[McpToolSpec]])


class McpToolSchemas:
    """The MCP tools' schemas of the runs a worker calls the model for, by listing digest."""

    def __init__(self) -> None:
        self._by_digest: OrderedDict[str, list[JsonDict]] = OrderedDict()

    async def schemas(self, agent: Agent, digest: str) -> list[JsonDict]:
        """The tools in the chat-completions format of the listing `digest` names, read from
        the calling workflow unless cached.

        Raises:
            ApplicationError: The workflow's listing cannot be read, or is not that one.
        """
        if not digest:
            return []
        key = f"{agent.name}/{digest}"
        if key in self._by_digest:
            self._by_digest.move_to_end(key)
            return self._by_digest[key]
        info = activity.info()
        handle = activity.client().get_workflow_handle(
            info.workflow_id or "", run_id=info.workflow_run_id
        )
        try:
            summary = await handle.query(SUMMARY_QUERY, result_type=dict)
            listings = _Listings.validate_python(summary.get("mcp_tools") or {})
        except (RPCError, WorkflowQueryFailedError, pydantic.ValidationError) as error:
            raise ApplicationError(
                f"cannot read the MCP tools of workflow {info.workflow_id}: {error}",
                type="McpToolsUnavailable",
            ) from None
        if listing_digest(listings) != digest:
            raise ApplicationError(
                f"the MCP tools of workflow {info.workflow_id} are not those of digest {digest}",
                type="McpToolsUnavailable",
            )
        tools = agent.with_mcp_tools(listings).tools
        schemas = [t.openai_schema() for t in tools if isinstance(t, McpTool)]
        self._by_digest[key] = schemas
        if len(self._by_digest) > CACHED_LISTINGS:
            self._by_digest.popitem(last=False)
        return schemas
