"""Storage references a workflow can never read, turned into input its handlers refuse.

The SDK retrieves every external-storage reference of a workflow activation before any workflow
code runs (`temporalio.bridge.worker.decode_activation`). A reference it cannot retrieve failed
that workflow task, and every retry of it: one signal or update naming a key the store lacks, a
malformed key or a store this worker does not have (a starter with another store sends such
references by accident) wedged its run.

`AgentDataConverter` retrieves such a reference as an *unreadable* payload carrying the reason,
which `AgentPayloadConverter` refuses to decode with that reason. A handler input that cannot be
decoded is one the SDK already handles: it drops the signal with one log line, and refuses the
update with the reason. Any other unreadable payload (an activity's result, the workflow's
input) fails its task with the reason, as before; a client or activity decoding one (the SDK's
`DataConverter.decode` reads references the same way) gets the `PayloadReferenceError`.

Only a reference that can never be read becomes unreadable: a `PayloadReferenceError` of the
driver, or a reference the SDK cannot parse (`RuntimeError`) or route to a driver (`ValueError`).
A store that does not answer still fails the task, which Temporal retries until the store is
back, so a replay reads what the first run read.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    EncodingPayloadConverter,
)

from agent_continuations.storage._errors import PayloadReferenceError

UNREADABLE_ENCODING = "binary/agent-continuations-unreadable-reference"
_NEVER_READABLE = (PayloadReferenceError, ValueError, RuntimeError)


class AgentDataConverter(DataConverter):
    """A data converter that reads a storage reference that can never be retrieved as an
    unreadable payload, so a workflow's handlers refuse it instead of every task failing."""

    async def _external_retrieve_payload_sequence(
        self, payloads: Sequence[Payload]
    ) -> list[Payload]:
        try:
            return await super()._external_retrieve_payload_sequence(payloads)
        except _NEVER_READABLE as error:
            if len(payloads) == 1:
                return [_unreadable(error)]
        # One bad reference among several: the others are read on their own.
        return [
            retrieved
            for payload in payloads
            for retrieved in await self._external_retrieve_payload_sequence([payload])
        ]


class AgentPayloadConverter(PydanticPayloadConverter):
    """The pydantic payload converter, refusing an unreadable payload with its reason."""

    def __init__(self) -> None:
        # `DataConverter` makes a payload converter for each payload's serialization context,
        # at every workflow task: its converters are made once per process instead, and so
        # the pydantic converter's cache of type adapters (thread-safe) is kept. Making them
        # each time took 5% of a worker's CPU (py-spy, benchmarks/waiting_agents.py).
        CompositePayloadConverter.__init__(self, *_shared_converters())


@functools.cache
def _shared_converters() -> tuple[EncodingPayloadConverter, ...]:
    """The converters `PydanticPayloadConverter` makes, then the unreadable payloads' one."""
    return (*PydanticPayloadConverter().converters.values(), _UnreadableConverter())


class _UnreadableConverter(EncodingPayloadConverter):
    @property
    def encoding(self) -> str:
        return UNREADABLE_ENCODING

    def to_payload(self, value: Any) -> Payload | None:
        return None  # only retrieval makes these

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        raise PayloadReferenceError(payload.data.decode())


def _unreadable(error: Exception) -> Payload:
    return Payload(
        metadata={"encoding": UNREADABLE_ENCODING.encode()},
        data=f"unreadable storage reference: {error}".encode(),
    )
