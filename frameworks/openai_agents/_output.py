"""An SDK agent's `output_type`: the schema the model is asked for, and the check of its final
answer, whose validated value is the run's result as JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from agents import AgentOutputSchema, AgentOutputSchemaBase, ModelBehaviorError
from pydantic import TypeAdapter, ValidationError

from agent_continuations.shared import validation_problems

_WRAPPER_KEY = "response"


def _schema(output_type: Any) -> AgentOutputSchemaBase | None:
    if output_type is None or output_type is str:
        return None
    if isinstance(output_type, AgentOutputSchemaBase):
        return None if output_type.is_plain_text() else output_type
    return AgentOutputSchema(output_type)


def response_format(output_type: Any) -> dict[str, Any]:
    """The chat-completions `response_format` asking for the output type, as the SDK sends it;
    empty for plain text."""
    schema = _schema(output_type)
    if schema is None:
        return {}
    return {
        "response_format": {
            "type": "json_schema",
            "json_schema": {
                "name": "final_output",
                "strict": schema.is_strict_json_schema(),
                "schema": schema.json_schema(),
            },
        }
    }


def output_check(output_type: Any) -> Callable[[str], str] | None:
    """A check of the final answer against the output type, returning the value as JSON text;
    None for plain text.

    The check raises `ValueError` where the SDK raises `ModelBehaviorError`: the run ends. It
    runs in workflow code, so a type's answer is validated with pydantic alone (the SDK's
    `validate_json` also records a tracing span); a custom `AgentOutputSchemaBase` validates
    with its own `validate_json`.
    """
    schema = _schema(output_type)
    if schema is None:
        return None
    if isinstance(output_type, AgentOutputSchemaBase):
        return lambda text: _json(_custom_value(output_type, text))
    adapter: TypeAdapter[Any] = TypeAdapter(output_type)
    wrapped = getattr(schema, "_is_wrapped", False)  # non-object types come as {"response": x}

    def check(text: str) -> str:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"not JSON: {error}") from None
        if wrapped:
            if not isinstance(data, dict) or set(data) != {_WRAPPER_KEY}:
                raise ValueError(f'expected {{"{_WRAPPER_KEY}": ...}}')
            data = data[_WRAPPER_KEY]
        try:
            value = adapter.validate_python(data)
        except ValidationError as error:
            raise ValueError(
                f"does not fit the output type: {validation_problems(error)}"
            ) from None
        except Exception as error:  # a validator of the user's own type may raise anything
            raise ValueError(f"cannot be checked: {type(error).__name__}: {error}") from None
        try:
            return adapter.dump_json(value).decode()
        except Exception as error:
            raise ValueError(f"cannot be written as JSON: {error}") from None

    return check


def _custom_value(schema: AgentOutputSchemaBase, text: str) -> Any:
    try:
        return schema.validate_json(text)
    except ModelBehaviorError as error:
        raise ValueError(str(error)) from None
    except Exception as error:  # the user's own schema may raise anything
        raise ValueError(f"cannot be checked: {type(error).__name__}: {error}") from None


def _json(value: Any) -> str:
    try:
        return json.dumps(value, default=str)
    except (ValueError, RecursionError) as error:
        raise ValueError(f"cannot be written as JSON: {error}") from None
