"""Which store keeps large payloads: `AGENT_PAYLOAD_STORE`, a directory or a PostgreSQL URL."""

from __future__ import annotations

import os
from pathlib import Path

from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    ExternalStorage,
    StorageDriver,
    StorageDriverRetrieveContext,
    StorageDriverStoreContext,
)

from agent_continuations.storage._errors import PayloadStoreError
from agent_continuations.storage._local import LocalStorageDriver
from agent_continuations.storage._postgres import PostgresStorageDriver

PAYLOAD_STORE_ENV = "AGENT_PAYLOAD_STORE"
# Payloads from this size on are kept in the store, with a reference in history. Small enough
# that a conversation carried over continue-as-new is a reference once it is of any size.
PAYLOAD_THRESHOLD_BYTES = 64 * 1024


def default_payload_directory() -> Path:
    """`$XDG_DATA_HOME/agent-continuations/payloads` (`~/.local/share/...` by default)."""
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "agent-continuations" / "payloads"


def payload_driver(location: str | None = None) -> StorageDriver:
    """The driver for `location`: a `postgresql://` URL or a directory.

    Args:
        location: Where payloads go; `AGENT_PAYLOAD_STORE`, else `default_payload_directory()`.
    """
    location = location or os.environ.get(PAYLOAD_STORE_ENV) or ""
    if location.startswith(("postgresql://", "postgres://")):
        return PostgresStorageDriver(location)
    return LocalStorageDriver(location or default_payload_directory())


def payload_storage(
    driver: StorageDriver | None = None, threshold: int = PAYLOAD_THRESHOLD_BYTES
) -> ExternalStorage:
    """External storage for the data converter: payloads of `threshold` bytes or more go to
    `driver` (by default `payload_driver()`), with a small reference in history."""
    return ExternalStorage(drivers=[driver or payload_driver()], payload_size_threshold=threshold)


async def check_payload_store(storage: ExternalStorage | None) -> None:
    """Store a small payload and read it back, so a worker with a store it cannot use stops
    at start instead of failing its first large payload.

    Raises:
        PayloadStoreError: No store is configured, or it refused; the message says which.
    """
    if storage is None:
        raise PayloadStoreError("the client has no external storage for large payloads")
    probe = Payload(metadata={"encoding": b"binary/plain"}, data=b"agent-continuations probe")
    for driver in storage.drivers:
        try:
            claims = await driver.store(StorageDriverStoreContext(), [probe])
            back = await driver.retrieve(StorageDriverRetrieveContext(), claims)
        except Exception as error:
            cause = f" ({error.__cause__})" if error.__cause__ else ""
            raise PayloadStoreError(f"payload store {driver.name()!r}: {error}{cause}") from error
        if back != [probe]:
            raise PayloadStoreError(f"payload store {driver.name()!r} gave back another payload")
