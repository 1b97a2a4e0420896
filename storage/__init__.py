"""Large payloads outside Temporal's history, through the SDK's external storage.

Payloads of `PAYLOAD_THRESHOLD_BYTES` or more (tool results, model replies, a conversation
carried over continue-as-new, a continuation) are kept by a `StorageDriver` and recorded in
history as a reference: a local directory by default, PostgreSQL for several machines.
"""

from agent_continuations.storage._config import (
    PAYLOAD_STORE_ENV,
    PAYLOAD_THRESHOLD_BYTES,
    check_payload_store,
    default_payload_directory,
    payload_driver,
    payload_storage,
)
from agent_continuations.storage._errors import PayloadStoreError
from agent_continuations.storage._local import LocalStorageDriver
from agent_continuations.storage._postgres import PostgresStorageDriver

__all__ = [
    "PAYLOAD_STORE_ENV",
    "PAYLOAD_THRESHOLD_BYTES",
    "LocalStorageDriver",
    "PayloadStoreError",
    "PostgresStorageDriver",
    "check_payload_store",
    "default_payload_directory",
    "payload_driver",
    "payload_storage",
]
