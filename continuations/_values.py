"""Plain JSON checks run before any other: the file's bytes, and values every later step can
write back out (to the seal's canonical form, to Temporal's payloads, to a person's screen)."""

from __future__ import annotations

import json
import math
from typing import Any

from agent_continuations.continuations._errors import ContinuationFormatError
from agent_continuations.continuations.format import json_path

# Deeper than any real tree (each sub-agent level adds three) and far below the depth at which
# pydantic's serializer and Python's recursion give up.
MAX_DEPTH = 100
# Python refuses to turn longer integers into text (`sys.set_int_max_str_digits`).
_INT_LIMIT = 10**4300


def loads_continuation(raw: bytes) -> Any:
    """Decode a continuation file's bytes as UTF-8 JSON.

    Raises:
        ContinuationFormatError: The bytes are not UTF-8, not JSON, or JSON that Python cannot
            hold (nested too deep for the parser, an integer over 4,300 digits).
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ContinuationFormatError(
            f"not UTF-8 text (byte {raw[error.start]:#04x} at offset {error.start})"
        ) from None
    try:
        return json.loads(text)
    except RecursionError:
        raise ContinuationFormatError(f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as error:  # JSONDecodeError, or an integer too long to convert
        raise ContinuationFormatError(f"not JSON: {error}") from None


def _problem(value: Any) -> str | None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "text with a lone surrogate, which is not Unicode"
    elif isinstance(value, float) and not math.isfinite(value):
        return f"{value} is not a JSON number"
    elif isinstance(value, int) and abs(value) >= _INT_LIMIT:
        return "an integer of more than 4,300 digits"
    return None


def check_values(data: Any) -> None:
    """Refuse decoded JSON holding what cannot be written back out as JSON in UTF-8.

    Raises:
        ContinuationFormatError: Nesting deeper than `MAX_DEPTH`, a string or key with a lone
            surrogate, NaN or an infinity, or an integer over 4,300 digits; the message says
            where.
    """
    stack: list[tuple[Any, tuple[int | str, ...]]] = [(data, ())]
    while stack:
        value, loc = stack.pop()
        if len(loc) > MAX_DEPTH:
            top = json_path(loc[:2])
            raise ContinuationFormatError(f"{top}: nested deeper than {MAX_DEPTH} levels")
        items: list[tuple[int | str, Any]] = []
        if isinstance(value, dict):
            items = list(value.items())
        elif isinstance(value, list):
            items = list(enumerate(value))
        # A bad key is named by where its object is, since the key itself cannot be printed.
        problem = _problem(value) or next(
            (f"a key holds {p}" for name, _ in items if (p := _problem(name))), None
        )
        if problem:
            raise ContinuationFormatError(f"{json_path(loc)}: {problem}" if loc else problem)
        stack.extend((item, (*loc, name)) for name, item in items)
