"""`LocalStorageDriver`: payloads kept as files in a directory the worker and starter share."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    StorageDriver,
    StorageDriverClaim,
    StorageDriverRetrieveContext,
    StorageDriverStoreContext,
)

from agent_continuations.storage._errors import PayloadReferenceError, PayloadStoreError

_KEY = re.compile(r"[0-9a-f]{64}")


def payload_key(data: bytes) -> str:
    """The content address of a serialized payload: its SHA-256, in hex."""
    return hashlib.sha256(data).hexdigest()


def checked_key(claim: StorageDriverClaim) -> str:
    """The claim's key, refused unless it is a content address (so it names no other file)."""
    key = claim.claim_data.get("key", "")
    if not _KEY.fullmatch(key):
        raise PayloadReferenceError(f"malformed payload claim {dict(claim.claim_data)!r}")
    return key


def parsed_payload(key: str, data: bytes, where: str) -> Payload:
    """The payload stored under `key`, refused if its bytes do not hash to the key."""
    if payload_key(data) != key:
        raise PayloadReferenceError(
            f"payload {key} in {where} is corrupted: its content does not match"
        )
    return Payload.FromString(data)


class LocalStorageDriver(StorageDriver):
    """Keeps each payload in `<directory>/<aa>/<sha256>`: content-addressed, so a payload
    stored twice is one file, rewritten only if its content no longer matches its key.

    Every worker and starter of a deployment must see the same directory (one machine, or a
    shared file system); across machines use `PostgresStorageDriver`.
    """

    def __init__(self, directory: str | os.PathLike[str], name: str = "local") -> None:
        self._directory = Path(directory).expanduser()
        self._name = name

    @property
    def directory(self) -> Path:
        """Where the payloads are kept."""
        return self._directory

    def name(self) -> str:
        """The driver's name, recorded in each reference."""
        return self._name

    def type(self) -> str:
        """A stable name for this kind of driver."""
        return "agent-continuations.local"

    async def store(
        self, context: StorageDriverStoreContext, payloads: Sequence[Payload]
    ) -> list[StorageDriverClaim]:
        """Write each payload to its file (unless it is there already); return their keys."""
        try:
            return await asyncio.to_thread(self._store, payloads)
        except OSError as error:
            raise PayloadStoreError(f"cannot write to {self._directory}: {error}") from error

    async def retrieve(
        self, context: StorageDriverRetrieveContext, claims: Sequence[StorageDriverClaim]
    ) -> list[Payload]:
        """Read the payloads the claims name, checking each against its key."""
        return await asyncio.to_thread(self._retrieve, claims)

    def _path(self, key: str) -> Path:
        return self._directory / key[:2] / key

    def _store(self, payloads: Sequence[Payload]) -> list[StorageDriverClaim]:
        claims = []
        for payload in payloads:
            data = payload.SerializeToString(deterministic=True)
            key = payload_key(data)
            path = self._path(key)
            if not _intact(path, key):
                path.parent.mkdir(parents=True, exist_ok=True)
                # Written aside, then renamed: a reader never sees half a payload.
                with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as file:
                    file.write(data)
                os.replace(file.name, path)
            claims.append(StorageDriverClaim(claim_data={"key": key}))
        return claims

    def _retrieve(self, claims: Sequence[StorageDriverClaim]) -> list[Payload]:
        payloads = []
        for claim in claims:
            key = checked_key(claim)
            try:
                data = self._path(key).read_bytes()
            except FileNotFoundError:
                raise PayloadReferenceError(
                    f"payload {key} is not in {self._directory}: do the worker and the "
                    "starter share this payload directory?"
                ) from None
            payloads.append(parsed_payload(key, data, str(self._directory)))
        return payloads


def _intact(path: Path, key: str) -> bool:
    """Whether the file is there with the content of its key: a corrupted one is written again,
    so a run storing the same payload is not refused what an earlier run broke."""
    try:
        return payload_key(path.read_bytes()) == key
    except FileNotFoundError:
        return False
