"""A Pydantic AI model behind a chat-completions client: our `call_model` activity asks it as
it asks any server, and it answers with what the Pydantic AI `Model` replied.

The agent's structured output is checked here: the model's `final_result` call (or JSON
text) is validated against the output type, and the model is asked again, in the same
activity, until it fits or the agent's output retries are spent.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import httpx2
import openai
import pydantic
from pydantic_ai import ModelHTTPError
from pydantic_ai.exceptions import ModelAPIError
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models import Model, ModelRequestParameters, infer_model
from pydantic_ai.settings import ModelSettings as PydanticAIModelSettings
from pydantic_ai.tools import ToolDefinition

from agent_continuations.frameworks.pydantic_ai._messages import (
    MessageConversionError,
    chat_to_model_messages,
    response_message,
)
from agent_continuations.shared import JsonDict, chat_completion

OUTPUT_TOOL = "final_result"
WRAPPED_KEY = "response"


@dataclass(frozen=True)
class StructuredOutput:
    """The agent's output type, offered to the model as the `final_result` tool.

    Attributes:
        adapter: Validates the output.
        wrapped: The type's schema is not an object, so the tool takes `{"response": ...}`.
        retries: How often the model may be asked again after an output that does not fit.
    """

    adapter: pydantic.TypeAdapter[Any]
    wrapped: bool
    retries: int

    @classmethod
    def of(cls, output_type: Any, retries: int) -> StructuredOutput:
        adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(output_type)
        return cls(adapter, adapter.json_schema().get("type") != "object", retries)

    def tool(self) -> ToolDefinition:
        schema = self.adapter.json_schema()
        if self.wrapped:
            schema = {
                "type": "object",
                "properties": {WRAPPED_KEY: schema},
                "required": [WRAPPED_KEY],
            }
        return ToolDefinition(
            name=OUTPUT_TOOL,
            parameters_json_schema=schema,
            description="The final response which ends this conversation",
            kind="output",
        )

    def validated_json(self, arguments: dict[str, Any] | str) -> str:
        """The output as JSON text.

        Raises:
            pydantic.ValidationError: It does not fit the output type.
        """
        if isinstance(arguments, str):
            value = self.adapter.validate_json(arguments)
        else:
            data = arguments.get(WRAPPED_KEY) if self.wrapped else arguments
            value = self.adapter.validate_python(data)
        return self.adapter.dump_json(value).decode()


class _ModelFailed(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _settings(body: JsonDict) -> PydanticAIModelSettings:
    settings: dict[str, Any] = {
        name: body[name]
        for name in (
            "temperature",
            "top_p",
            "max_tokens",
            "seed",
            "parallel_tool_calls",
            "presence_penalty",
            "frequency_penalty",
            "logit_bias",
        )
        if body.get(name) is not None
    }
    stop = body.get("stop")
    if stop is not None:
        settings["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    return PydanticAIModelSettings(**settings)  # type: ignore[typeddict-item]


def _function_tools(body: JsonDict) -> list[ToolDefinition]:
    return [
        ToolDefinition(
            name=tool["function"]["name"],
            parameters_json_schema=tool["function"].get("parameters") or {"type": "object"},
            description=tool["function"].get("description"),
        )
        for tool in body.get("tools") or []
    ]


class PydanticAIModelTransport(httpx2.AsyncBaseTransport):
    """Answers `POST /chat/completions` with a Pydantic AI model.

    Args:
        model: The model, or its name (`provider:model`), built on the first request.
        output: The agent's structured output, if it has one.
    """

    def __init__(self, model: Model | str, output: StructuredOutput | None) -> None:
        self._model = model
        self._output = output

    def _resolved(self) -> Model:
        if isinstance(self._model, str):
            try:
                self._model = infer_model(self._model)
            except Exception as error:  # the provider's own checks: a key, a package
                raise _ModelFailed(400, f"model {self._model!r}: {error}") from None
        return self._model

    async def _request(
        self, history: list[ModelMessage], body: JsonDict, output_tools: list[ToolDefinition]
    ) -> ModelResponse:
        parameters = ModelRequestParameters(
            function_tools=_function_tools(body),
            output_mode="tool" if output_tools else "text",
            output_tools=output_tools,
            allow_text_output=not output_tools,
        )
        model = self._resolved()
        try:
            return await model.request(history, _settings(body), parameters)
        except ModelHTTPError as error:
            raise _ModelFailed(error.status_code, str(error)) from None
        except ModelAPIError as error:  # unreachable, timed out: may pass
            raise _ModelFailed(503, str(error)) from None
        except Exception as error:
            raise _ModelFailed(
                400, f"the Pydantic AI model raised {type(error).__name__}: {error}"
            ) from None

    async def _answer(self, body: JsonDict) -> tuple[JsonDict, tuple[int, int]]:
        history = chat_to_model_messages(body.get("messages") or [])
        output = self._output
        tokens = [0, 0]
        attempts = 1 + (output.retries if output else 0)
        problem = ""
        for _ in range(attempts):
            response = await self._request(history, body, [output.tool()] if output else [])
            tokens[0] += response.usage.input_tokens
            tokens[1] += response.usage.output_tokens
            if output is None:
                return response_message(response), (tokens[0], tokens[1])
            calls = [p for p in response.parts if isinstance(p, ToolCallPart)]
            final = next((c for c in calls if c.tool_name == OUTPUT_TOOL), None)
            if final is None and calls:
                return response_message(response), (tokens[0], tokens[1])
            text = "".join(p.content for p in response.parts if isinstance(p, TextPart))
            try:
                content = output.validated_json(final.args_as_dict() if final else text)
            except (pydantic.ValidationError, ValueError) as error:
                problem = str(error).splitlines()[0]
                errors = (
                    error.errors(include_url=False)
                    if isinstance(error, pydantic.ValidationError)
                    else str(error)
                )
                history = [*history, response, _retry_request(final, errors)]
                continue
            return {"role": "assistant", "content": content}, (tokens[0], tokens[1])
        raise _ModelFailed(
            400, f"the model's output does not fit the agent's output type: {problem}"
        )

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(await request.aread())
        try:
            message, usage = await self._answer(body)
        except _ModelFailed as error:
            return _error(error.status, str(error))
        except MessageConversionError as error:  # e.g. the model answered with a file
            return _error(400, f"the Pydantic AI model's reply cannot be used here: {error}")
        return httpx2.Response(
            200,
            json=chat_completion(
                f"chatcmpl-{uuid.uuid4().hex}", body.get("model", ""), message, *usage
            ),
        )


def _error(status: int, message: str) -> httpx2.Response:
    one_line = " ".join(message.split())  # the run's error is one line
    return httpx2.Response(status, json={"error": {"message": one_line, "type": "model_error"}})


def _retry_request(final: ToolCallPart | None, errors: Any) -> ModelRequest:
    """The request asking the model again after an output that does not fit."""
    if final is not None:
        return ModelRequest(
            parts=[
                ToolReturnPart(
                    tool_name=OUTPUT_TOOL,
                    content=errors,
                    tool_call_id=final.tool_call_id,
                    outcome="retried",
                )
            ]
        )
    return ModelRequest(
        parts=[
            UserPromptPart(
                content=f"Your answer does not fit the output type: {errors}. "
                f"Call {OUTPUT_TOOL} with it."
            )
        ]
    )


def model_client(model: Model | str, output: StructuredOutput | None) -> openai.AsyncOpenAI:
    """A chat-completions client whose server is `model`, answering in-process."""
    return openai.AsyncOpenAI(
        api_key="pydantic-ai",
        base_url="http://pydantic-ai.model/v1",
        max_retries=0,
        http_client=httpx2.AsyncClient(transport=PydanticAIModelTransport(model, output)),
    )
