"""Large payloads outside Temporal's history, through the SDK's external storage.

Payloads of `PAYLOAD_THRESHOLD_BYTES` or more (tool results, model replies, a conversation
carried over continue-as-new, a continuation) are kept by a `StorageDriver` and recorded in
history as a reference: a local directory by default, PostgreSQL for several machines. A
reference a workflow can never read is handler input it refuses (`AgentDataConverter`).
"""

from agent_continuations.storage._config import (
    PAYLOAD_STORE_ENV,
    PAYLOAD_THRESHOLD_BYTES,
    check_payload_store,
    default_payload_directory,
    payload_driver,
    payload_storage,
)
from agent_continuations.storage._errors import PayloadReferenceError, PayloadStoreError
from agent_continuations.storage._local import LocalStorageDriver
from agent_continuations.storage._postgres import PostgresStorageDriver
from agent_continuations.storage._unreadable import AgentDataConverter, AgentPayloadConverter

__all__ = [
    "PAYLOAD_STORE_ENV",
    "PAYLOAD_THRESHOLD_BYTES",
    "AgentDataConverter",
    "AgentPayloadConverter",
    "LocalStorageDriver",
    "PayloadReferenceError",
    "PayloadStoreError",
    "PostgresStorageDriver",
    "check_payload_store",
    "default_payload_directory",
    "payload_driver",
    "payload_storage",
]
