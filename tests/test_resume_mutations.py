"""Mutated golden files: `resume` either passes its checks or says why in one line, never a
traceback. No server runs: a file that passes has its run's input encoded as a client would,
then the test stops it."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from temporalio.api.operatorservice.v1 import ListSearchAttributesResponse
from temporalio.contrib.pydantic import pydantic_data_converter

import continuation_cases  # noqa: F401  (registers the three-level golden's director_agent)
from agent_continuations.cli import _continuations, amain
from agent_continuations.cli._errors import CliError
from agent_continuations.continuations import SEAL_KEY_ENV, seal_output
from agent_continuations.workflows import SEARCH_ATTRIBUTE_KEYS

GOLDEN = Path(__file__).parent / "golden"
GOLDENS = {path.name: json.loads(path.read_text()) for path in sorted(GOLDEN.glob("*.json"))}
KEY = "mutation-test-key"
CHECKED = "the file passed its checks"
# Stand-ins written as strings, then swapped for JSON that `json.dumps` cannot write itself.
HUGE = "\x00huge"
DEEP = "\x00deep"
RAW = {json.dumps(HUGE): "9" * 4400, json.dumps(DEEP): "[" * 900 + "0" + "]" * 900}
REPLACEMENTS = st.sampled_from(
    [None, True, 0, -1, 2**70, 1.5, "", "x", [], {}, "\ud800", float("nan"), float("-inf")]
    + [HUGE, DEEP]
)
JUNK = st.sampled_from([b""] * 6 + [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"}", b'"'])

Loc = tuple[Any, ...]


def _locations(value: Any, loc: Loc = ()) -> Iterator[Loc]:
    yield loc
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _locations(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _locations(item, (*loc, index))


def _mutate(data: Any, loc: Loc, replacement: Any, delete: bool) -> Any:
    if not loc:
        return replacement
    parent = data
    for part in loc[:-1]:
        parent = parent[part]
    if delete:
        del parent[loc[-1]]
    else:
        parent[loc[-1]] = replacement
    return data


@st.composite
def mutated_files(draw: st.DrawFn) -> tuple[bytes, bool]:
    """A golden file, maybe sealed, after a few mutations; and whether to set the seal key."""
    data = copy.deepcopy(GOLDENS[draw(st.sampled_from(sorted(GOLDENS)))])
    keyed = draw(st.booleans())
    if keyed and draw(st.booleans()):
        data = seal_output(data, KEY.encode())
    for _ in range(draw(st.integers(0, 3))):
        loc = draw(st.sampled_from(list(_locations(data))))
        data = _mutate(data, loc, draw(REPLACEMENTS), draw(st.booleans()))
    text = json.dumps(data)
    for stand_in, raw in RAW.items():
        text = text.replace(stand_in, raw)
    encoded = text.encode()
    junk = draw(JUNK)  # now and then, bytes that are not UTF-8 or not JSON
    at = draw(st.integers(0, len(encoded)))
    return encoded[:at] + junk + encoded[at:], keyed


class _NoServer:
    """A client stand-in: a namespace with the agent search attributes, which encodes the
    run's input and memo as a real client would, then stops."""

    namespace = "default"

    def __init__(self) -> None:
        names = {key.name: key.indexed_value_type for key in SEARCH_ATTRIBUTE_KEYS}
        response = ListSearchAttributesResponse(custom_attributes=names)
        self.operator_service = mock.Mock(
            list_search_attributes=mock.AsyncMock(return_value=response)
        )

    async def start_workflow(self, run: Any, arg: Any, *, memo: dict[str, Any], **_: Any) -> Any:
        await pydantic_data_converter.encode([arg, *memo.values()])
        raise CliError(CHECKED)


async def _no_server(args: Any) -> _NoServer:
    return _NoServer()


@pytest.fixture(scope="module")
def file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mutations") / "run.json"


@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated=mutated_files(), allow_unsealed=st.booleans())
def test_a_mutated_file_is_checked_or_refused_in_one_line(
    file: Path, mutated: tuple[bytes, bool], allow_unsealed: bool
):
    raw, keyed = mutated
    file.write_bytes(raw)
    argv = ["resume", str(file), *(["--allow-unsealed"] if allow_unsealed else [])]
    environment = {SEAL_KEY_ENV: KEY if keyed else ""}
    stderr = io.StringIO()
    with (
        mock.patch.dict(os.environ, environment),
        mock.patch.object(_continuations, "client_for", _no_server),
        contextlib.redirect_stderr(stderr),
    ):
        code = asyncio.run(amain(argv))
    *notes, last = stderr.getvalue().splitlines()
    assert code == 1
    assert last.startswith("error: ") and "Traceback" not in stderr.getvalue()
    if last != f"error: {CHECKED}":
        assert not notes, stderr.getvalue()  # a refusal is the only line
    assert all(note.startswith("note: ") for note in notes)
