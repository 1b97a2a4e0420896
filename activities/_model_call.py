"""The `call_model` activity: one chat-completions call through the real `openai` client."""

from __future__ import annotations

import copy
import email.utils
import os
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx2
import openai
from pydantic import BaseModel, Field
from temporalio import activity
from temporalio.client import WorkflowQueryFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from agent_continuations.activities._catalog import catalog_agent
from agent_continuations.activities._conversation import (
    CONVERSATION_QUERY,
    AddedMessage,
    ConversationCache,
    ConversationMismatch,
    ConversationPage,
    ConversationPageInput,
    ConversationRef,
    produced_key,
)
from agent_continuations.activities._heartbeat import heartbeating
from agent_continuations.activities._mcp_schemas import McpToolSchemas
from agent_continuations.activities._recordable import recordable
from agent_continuations.activities._tracing import traced
from agent_continuations.agent_definitions import Agent, AgentCatalog
from agent_continuations.shared import JsonDict, ModelSettings, TokenUsage, WithoutDefaults

RETRYABLE_STATUS = frozenset({408, 409, 429})
# Names the agent on requests to the clients given by model name (`model_clients`), such as
# the scripted model of `agent_continuations.testing`, which answers per agent.
AGENT_HEADER = "x-agent-name"


class ModelCallInput(WithoutDefaults):
    """Input of the `call_model` activity. Tools are looked up from the agent's name; those of
    its MCP servers are read from the workflow, by the digest of the run's listing.

    `AgentWorkflow` passes its conversation by reference (`conversation`): the activity reads
    the messages from the workflow that scheduled it. Other callers may pass `messages`.
    """

    agent: str
    model: str
    conversation: ConversationRef | None = None
    added: list[AddedMessage] = Field(
        default_factory=list,
        description="The conversation's last messages, added since the level's previous call: "
        "a worker that has the ones before finds the conversation without asking the workflow.",
    )
    messages: list[JsonDict] = Field(default_factory=list)
    settings: ModelSettings = Field(default_factory=ModelSettings)
    mcp_tools_digest: str = Field(
        "", description="The run's listing of its MCP servers' tools (`listing_digest`)."
    )


class ModelCallOutput(BaseModel):
    """The assistant message the model returned, and the tokens it used."""

    message: JsonDict
    total_tokens: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def usage(self) -> TokenUsage:
        """The call's tokens."""
        return TokenUsage(
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            total_tokens=self.total_tokens,
        )


def _sent_messages(messages: list[JsonDict], settings: ModelSettings) -> list[JsonDict]:
    """The messages as sent: the instructions in the role the settings ask for."""
    role = settings.instructions_role
    if role is None or role == "developer":
        return messages
    return [{**m, "role": role} if m.get("role") == "developer" else m for m in messages]


def _with_body(
    arguments: dict[str, Any], messages: list[JsonDict], tools: list[JsonDict]
) -> dict[str, Any]:
    """`arguments` with the messages and tools in `extra_body`. They are in the API's JSON
    form already, and the client's per-field transform of its parameters is slow: 0.8 s of the
    worker's CPU (holding its event loop) for 1,800 messages, measured here."""
    body = {**(arguments.get("extra_body") or {}), "messages": messages}
    if tools:
        body["tools"] = tools
    return {**arguments, "extra_body": body}


def _tool_choice(choice: str | JsonDict) -> Any:
    """A `tool_choice` in the API's form: a tool's name becomes the named-function object."""
    if isinstance(choice, str) and choice not in ("auto", "required", "none"):
        return {"type": "function", "function": {"name": choice}}
    return choice


def request_arguments(settings: ModelSettings, has_tools: bool) -> dict[str, Any]:
    """The `chat.completions.create` arguments the settings give (those set, only).

    Args:
        settings: The call's merged settings.
        has_tools: Whether the request offers tools: tool settings are sent only then.
    """
    arguments: dict[str, Any] = {
        name: value
        for name in ("temperature", "top_p", "max_tokens", "seed", "stop", "extra_body")
        if (value := getattr(settings, name)) is not None
    }
    if has_tools:
        parallel = settings.parallel_tool_calls
        arguments["parallel_tool_calls"] = True if parallel is None else parallel
        if settings.tool_choice is not None:
            arguments["tool_choice"] = _tool_choice(settings.tool_choice)
    return arguments


def _retry_after(headers: httpx2.Headers) -> timedelta | None:
    """The server's requested delay from `retry-after-ms` or `retry-after` (seconds or a date)."""
    if ms := headers.get("retry-after-ms"):
        try:
            return timedelta(milliseconds=max(0.0, float(ms)))
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return timedelta(seconds=max(0.0, float(value)))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None  # A malformed header must not hide the provider's error.
    return timedelta(seconds=max(0.0, parsed.timestamp() - time.time()))


def provider_error(error: openai.APIError) -> ApplicationError:
    """Map an `openai` error to an `ApplicationError` that Temporal retries only if it may pass."""
    if isinstance(error, openai.APIStatusError):
        status = error.status_code
        retryable = status in RETRYABLE_STATUS or status >= 500
        return ApplicationError(
            f"model API error {status}: {error.message}",
            type=f"ModelAPIError{status}",
            non_retryable=not retryable,
            next_retry_delay=_retry_after(error.response.headers) if retryable else None,
        )
    # Connection failures and timeouts may pass: let Temporal retry them.
    return ApplicationError(f"model API unreachable: {error}", type="ModelAPIConnectionError")


class ModelActivities:
    """The `call_model` activity and the `openai` clients it calls.

    Args:
        model_clients: Clients for particular model names (such as the scripted model of
            `agent_continuations.testing`); every other model goes to the configured server.
        base_url: The OpenAI-compatible server; `OPENAI_BASE_URL` or OpenAI by default.
        api_key: Its key; `OPENAI_API_KEY` by default.
        conversation_cache: The worker's cache of the conversations it has read.
    """

    def __init__(
        self,
        model_clients: Mapping[str, openai.AsyncOpenAI] | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        conversation_cache: ConversationCache | None = None,
    ) -> None:
        self._conversations = conversation_cache or ConversationCache()
        self._mcp_schemas = McpToolSchemas()
        self._model_clients = dict(model_clients or {})
        self._base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        self._api_key = api_key or os.environ.get("OPENAI_API_KEY")
        self._remote: openai.AsyncOpenAI | None = None
        self._agents = AgentCatalog()
        # Each agent's tools in the API's form, by its name, with the agent they are of:
        # pydantic builds a tool's JSON schema anew each time (0.16 ms a call for hr_agent's).
        self._tools_of: dict[str, tuple[Agent, list[JsonDict]]] = {}

    @property
    def conversation_cache(self) -> ConversationCache:
        """The worker's cache of conversations, which `ToolActivities` adds results to."""
        return self._conversations

    def for_agents(self, agents: AgentCatalog) -> ModelActivities:
        """These activities, for the agents of `agents`, sharing clients and cache."""
        bound = copy.copy(self)
        bound._agents = agents
        return bound

    def _client(self, model: str) -> openai.AsyncOpenAI:
        if model in self._model_clients:
            return self._model_clients[model]
        if self._remote is None:
            if not self._api_key:
                raise ApplicationError(
                    f"model {model!r} needs OPENAI_API_KEY in the worker's environment "
                    "(any value for servers without keys, e.g. Ollama)",
                    type="ModelConfigurationError",
                    non_retryable=True,
                )
            # Temporal owns retries, so the client makes exactly one attempt.
            self._remote = openai.AsyncOpenAI(
                api_key=self._api_key, base_url=self._base_url, max_retries=0
            )
        return self._remote

    def _tool_schemas(self, agent: Agent) -> list[JsonDict]:
        """The agent's own tools and sub-agents in the chat-completions `tools` format."""
        known = self._tools_of.get(agent.name)
        if known is None or known[0] is not agent:
            known = self._tools_of[agent.name] = (agent, agent.openai_tools())
        return known[1]

    async def conversation(self, input: ModelCallInput) -> list[JsonDict]:
        """The conversation: `input.messages`, or the messages its reference names, read
        from the cache and, for what the cache lacks, from the calling workflow."""
        if input.conversation is None:
            return input.messages
        info = activity.info()
        workflow_id = info.workflow_id or ""
        workflow = activity.client().get_workflow_handle(workflow_id, run_id=info.workflow_run_id)

        async def fetch(page: ConversationPageInput) -> ConversationPage:
            return await workflow.query(CONVERSATION_QUERY, page, result_type=ConversationPage)

        try:
            return await self._conversations.messages(
                workflow_id, input.conversation, fetch, input.added
            )
        except (ConversationMismatch, RPCError, WorkflowQueryFailedError) as error:
            raise ApplicationError(
                f"cannot read the conversation from workflow {workflow_id}: {error}",
                type="ConversationUnavailable",
            ) from None

    @activity.defn(name="call_model")
    async def call_model(self, input: ModelCallInput) -> ModelCallOutput:
        """Ask the model for the next assistant message of an agent's conversation."""
        agent = catalog_agent(self._agents, input.agent)
        async with heartbeating():
            messages = await self.conversation(input)
        mcp_tools = await self._mcp_schemas.schemas(agent, input.mcp_tools_digest)
        tools = self._tool_schemas(agent) + mcp_tools
        settings = request_arguments(input.settings, bool(tools))
        own = agent.model_client is not None or input.model in self._model_clients
        headers = {AGENT_HEADER: agent.name} if own else None
        attributes = {
            "gen_ai.operation.name": "chat",
            "gen_ai.agent.name": agent.name,
            "gen_ai.request.model": input.model,
        }
        with traced(f"chat {input.model}", attributes) as span:
            try:
                async with heartbeating():
                    client = agent.model_client or self._client(input.model)
                    completion = await client.chat.completions.create(
                        model=input.model,
                        messages=[],  # sent in the body below, as are the tools
                        extra_headers=headers,
                        **_with_body(settings, _sent_messages(messages, input.settings), tools),
                    )
            except openai.APIError as error:
                raise provider_error(error) from error
            usage = completion.usage
            span.set_attributes(
                {
                    "gen_ai.usage.input_tokens": usage.prompt_tokens if usage else 0,
                    "gen_ai.usage.output_tokens": usage.completion_tokens if usage else 0,
                }
            )
        if not completion.choices:
            raise ApplicationError("model returned no choices", type="ModelEmptyResponse")
        message = completion.choices[0].message.model_dump(mode="json")
        output = recordable(
            ModelCallOutput(
                message=message,
                total_tokens=usage.total_tokens if usage else 0,
                prompt_tokens=usage.prompt_tokens if usage else 0,
                completion_tokens=usage.completion_tokens if usage else 0,
            ),
            "the model's reply",
        )
        if input.conversation is not None:  # the workflow's next call finds the reply here
            workflow_id = activity.info().workflow_id or ""
            self._conversations.remember(workflow_id, produced_key(None), output.message)
        return output
