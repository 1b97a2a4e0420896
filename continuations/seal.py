"""Integrity seal of an exported agent output: an HMAC over everything but the open verdicts.

Configure the key with the environment variable `CONTINUATION_SEAL_KEY` (any string; use a
long random one, e.g. `python -c "import secrets; print(secrets.token_hex(32))"`). The
exporter seals with it and the importer verifies with it; without it, outputs go unsealed.

The HMAC-SHA256 covers a canonical JSON form of the output (sorted keys, compact separators,
UTF-8, non-ASCII kept) from which only the seal itself and the verdicts a person may set after
export are left out: the `approved` flag of every `approval_info` entry and of every `processed`
entry, at every depth of nested continuations. A person can therefore approve or reject after
export without breaking the seal, while a change to any message, tool call, its arguments, the
paths of `approval_info`, or the `decisions` record (who decided what earlier) does break it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from agent_continuations.continuations._tree import Level, fold_levels
from agent_continuations.continuations.format import SEAL_ALGORITHM
from agent_continuations.shared import JsonDict

SEAL_KEY_ENV = "CONTINUATION_SEAL_KEY"


class SealError(ValueError):
    """A seal is present and cannot be verified, or does not match."""


class SealStatus(StrEnum):
    """Outcome of a successful `verify_seal`."""

    VALID = "sealed and valid"
    UNSEALED = "unsealed"


def seal_key_from_env(environ: Mapping[str, str] = os.environ) -> bytes | None:
    """The seal key from `CONTINUATION_SEAL_KEY`, or None when it is unset or empty."""
    value = environ.get(SEAL_KEY_ENV)
    return value.encode("utf-8") if value else None


def _without_flags(level: Level, nested: dict[int, JsonDict]) -> JsonDict:
    stripped = dict(level.data)
    if isinstance(stripped.get("processed"), list):
        stripped["processed"] = [_drop_approved(entry) for entry in stripped["processed"]]
    if nested:
        stripped["resume_request"] = [
            {**call, "continuation": nested[i]} if i in nested else call
            for i, call in enumerate(stripped["resume_request"])
        ]
    return stripped


def _drop_approved(entry: Any) -> Any:
    if not isinstance(entry, dict):
        return entry
    return {key: value for key, value in entry.items() if key != "approved"}


def canonical_bytes(output: JsonDict) -> bytes:
    """The bytes the seal covers: the output without its seal and verdicts, as canonical JSON."""
    covered = {key: value for key, value in output.items() if key != "seal"}
    if isinstance(covered.get("continuation"), dict):
        covered["continuation"] = fold_levels(covered["continuation"], _without_flags)
    if isinstance(covered.get("approval_info"), list):
        covered["approval_info"] = [_drop_approved(entry) for entry in covered["approval_info"]]
    text = json.dumps(
        covered, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def _digest(output: JsonDict, key: bytes) -> str:
    return hmac.new(key, canonical_bytes(output), hashlib.sha256).hexdigest()


def seal_output(output: JsonDict, key: bytes) -> JsonDict:
    """A copy of the output with `"seal": {"alg": "HMAC-SHA256", "value": <hex>}`.

    Args:
        output: An agent output as a JSON object; an existing seal is replaced.
        key: The secret key.

    Raises:
        SealError: The key is empty.
    """
    if not key:
        raise SealError("cannot seal with an empty key")
    return {**output, "seal": {"alg": SEAL_ALGORITHM, "value": _digest(output, key)}}


def verify_seal(output: JsonDict, key: bytes | None, *, required: bool = False) -> SealStatus:
    """Check the output's seal, if it has one.

    Args:
        output: An agent output as a JSON object.
        key: The secret key, or None when none is configured.
        required: Refuse an unsealed output instead of reporting it.

    Returns:
        `SealStatus.VALID` for a matching seal, `SealStatus.UNSEALED` when there is none.

    Raises:
        SealError: The seal does not match (the output changed after sealing, or the key
            differs), is malformed, or cannot be checked because no key is configured; or
            there is no seal and `required` is set.
    """
    seal = output.get("seal")
    if seal is None:
        if required:
            raise SealError(
                "the continuation is unsealed, and a seal is required: resume it only by "
                "allowing unsealed files explicitly (--allow-unsealed)"
            )
        return SealStatus.UNSEALED
    if not isinstance(seal, dict) or seal.get("alg") != SEAL_ALGORITHM:
        raise SealError(f"unsupported seal {seal!r}: expected alg {SEAL_ALGORITHM!r}")
    if not key:
        raise SealError(f"the continuation is sealed but no key is configured: set {SEAL_KEY_ENV}")
    value = seal.get("value")
    if not isinstance(value, str) or not hmac.compare_digest(
        value.encode("utf-8"), _digest(output, key).encode("ascii")
    ):
        raise SealError(
            "the seal does not match: the continuation was changed after it was sealed, "
            "or it was sealed with another key"
        )
    return SealStatus.VALID
