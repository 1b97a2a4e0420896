"""`starter.py resume FILE` refuses a bad file with one line, before it connects to anything.

No server runs here: the address names a closed port, so a file that passed every check ends
with "cannot reach a Temporal server" (its import was checked first), and any other error is
the file's.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agent_continuations.cli import amain
from agent_continuations.continuations import SEAL_KEY_ENV, seal_output
from helpers import one_error_line

GOLDEN = Path(__file__).parent / "golden"
NO_SERVER = "127.0.0.1:1"
UNREACHABLE = "cannot reach a Temporal server"
KEY = "refusal-test-key"
Build = Callable[[], bytes]


def golden(name: str = "prototype_hr_approval_required.json") -> dict[str, Any]:
    return json.loads((GOLDEN / name).read_text(encoding="utf-8"))


def sealed() -> dict[str, Any]:
    return seal_output(golden(), KEY.encode())


def with_extra(output: dict[str, Any], value: bytes) -> bytes:
    """The output's JSON with an extra top-level key whose value is `value`, written raw."""
    return json.dumps(output)[:-1].encode() + b', "extra": ' + value + b"}"


async def resume(
    path: Path, capsys: pytest.CaptureFixture[str], *flags: str
) -> tuple[int, str, str]:
    code = await amain(["--address", NO_SERVER, "resume", str(path), *flags])
    out, err = capsys.readouterr()
    return code, out, err


def _edited(edit: Callable[[dict[str, Any]], None]) -> Build:
    def build() -> bytes:
        output = golden()
        edit(output)
        return json.dumps(output).encode()

    return build


def _leaf(output: dict[str, Any]) -> dict[str, Any]:
    return output["continuation"]["resume_request"][0]["continuation"]


def _approval_info_twice(output: dict[str, Any]) -> None:
    output["approval_info"].append(copy.deepcopy(output["approval_info"][0]))
    output["approval_info"][0]["approved"] = True  # even agreeing entries are refused
    output["approval_info"][1]["approved"] = True


def _call_twice(output: dict[str, Any]) -> None:
    calls = _leaf(output)["resume_request"]
    calls.append({**calls[0], "function": {**calls[0]["function"], "arguments": "{}"}})


def _processed_twice(output: dict[str, Any]) -> None:
    output["continuation"]["processed"].append({"id": "call_hr_agent_0_1", "approved": True})


def _processed_for_nothing(output: dict[str, Any]) -> None:
    _leaf(output)["processed"].append({"id": "call_smuggled", "approved": True})


def _arguments_too_deep(output: dict[str, Any]) -> None:
    for call in (_leaf(output)["resume_request"][0], output["approval_info"][0]["tool_call"]):
        call["function"]["arguments"] = "[" * 100_000


def _surrogate_key(output: dict[str, Any]) -> None:
    output["continuation"]["messages"][1]["\ud800"] = "x"


# Each case: the file's bytes, whether a seal key is set, and what the one line says.
CASES: dict[str, tuple[Build, bool, str]] = {
    "not UTF-8": (
        lambda: json.dumps(golden()).replace("stzhang", "stzhäng").encode("cp1252"),
        False,
        "not UTF-8 text (byte 0xe4",
    ),
    "a lone surrogate in a string": (
        lambda: json.dumps(golden()).replace('"Onboard', '"\\ud800Onboard').encode(),
        False,
        "continuation.messages[1].content: text with a lone surrogate",
    ),
    "a lone surrogate in a key": (
        _edited(_surrogate_key),
        False,
        "continuation.messages[1]: a key holds text with a lone surrogate",
    ),
    "nesting 900 deep": (
        lambda: with_extra(golden(), b"[" * 900 + b"1" + b"]" * 900),
        False,
        "extra[0]: nested deeper than 100 levels",
    ),
    "nesting 100,000 deep": (
        lambda: b"[" * 100_000 + b"]" * 100_000,
        False,
        "nested deeper than 100 levels",
    ),
    "an integer over 4,300 digits": (
        lambda: with_extra(golden(), b"9" * 4301),
        False,
        "not JSON: Exceeds the limit (4300 digits)",
    ),
    "NaN in a sealed file": (
        lambda: with_extra(sealed(), b"NaN"),
        True,
        "extra: nan is not a JSON number",
    ),
    "Infinity in a sealed file": (
        lambda: with_extra(sealed(), b"[1, -Infinity]"),
        True,
        "extra[1]: -inf is not a JSON number",
    ),
    "a number too large for a float": (
        lambda: with_extra(sealed(), b"1e400"),
        True,
        "extra: inf is not a JSON number",
    ),
    "no seal while a key is set": (
        lambda: json.dumps(golden()).encode(),
        True,
        "the continuation is unsealed, and a seal is required: resume it only by allowing "
        "unsealed files explicitly (--allow-unsealed)",
    ),
    "a null seal while a key is set": (
        lambda: json.dumps({**golden(), "seal": None}).encode(),
        True,
        "the continuation is unsealed, and a seal is required: resume it only by allowing "
        "unsealed files explicitly (--allow-unsealed)",
    ),
    "two approval_info entries for one call": (
        _edited(_approval_info_twice),
        False,
        "approval_info[1] repeats the entry for call_hr_agent_0_1 > call_account_agent_1_0",
    ),
    "one id twice in resume_request": (
        _edited(_call_twice),
        False,
        "at call_hr_agent_0_1: resume_request lists call 'call_account_agent_1_0' more than once",
    ),
    "one id twice in processed": (
        _edited(_processed_twice),
        False,
        "processed lists call 'call_hr_agent_0_1' more than once",
    ),
    "a processed entry for no waiting call": (
        _edited(_processed_for_nothing),
        False,
        "at call_hr_agent_0_1: processed names call 'call_smuggled', which does not wait in "
        "resume_request",
    ),
    "arguments nested too deeply to read": (
        _edited(_arguments_too_deep),
        False,
        "the arguments of call 'call_account_agent_1_0' are nested too deeply to read",
    ),
}


@pytest.mark.parametrize(("build", "keyed", "says"), CASES.values(), ids=CASES.keys())
async def test_a_bad_file_is_one_line_and_exit_code_1(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    build: Build,
    keyed: bool,
    says: str,
):
    if keyed:
        monkeypatch.setenv(SEAL_KEY_ENV, KEY)
    else:
        monkeypatch.delenv(SEAL_KEY_ENV, raising=False)
    file = tmp_path / "run.json"
    file.write_bytes(build())
    code, out, err = await resume(file, capsys)
    assert (code, out) == (1, "")
    assert one_error_line(err).startswith(f"error: {file}: {says}")


async def test_the_file_is_checked_before_connecting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv(SEAL_KEY_ENV, KEY)
    file = tmp_path / "run.json"
    file.write_text(json.dumps(sealed()))
    code, _, err = await resume(file, capsys)
    assert code == 1 and UNREACHABLE in one_error_line(err)  # checked, then no server

    file.write_text(json.dumps(golden()))
    code, _, err = await resume(file, capsys, "--allow-unsealed")
    assert code == 1 and UNREACHABLE in one_error_line(err)

    code, _, err = await resume(tmp_path / "missing.json", capsys)
    assert code == 1 and "cannot read" in one_error_line(err)


async def test_an_unsealed_files_decisions_are_dropped_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv(SEAL_KEY_ENV, raising=False)
    file = tmp_path / "run.json"
    record = {
        "tool_call_id": "call_account_agent_1_0",
        "paths": ["account_agent_tool", "authorize_account"],
        "path_ids": ["call_hr_agent_0_1", "call_account_agent_1_0"],
        "approved": True,
        "approver": "security-officer",
        "decided_at": "2026-11-27T12:00:00+00:00",
    }
    file.write_text(json.dumps({**golden(), "decisions": [record]}))
    code, _, err = await resume(file, capsys)
    note, error = err.splitlines()
    assert note == (
        f"note: {file} is unsealed, so its 1 earlier decision record(s) are not taken into "
        "the run's record"
    )
    assert code == 1 and UNREACHABLE in one_error_line(error)
