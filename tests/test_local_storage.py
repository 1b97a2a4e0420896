"""The local payload store: content-addressed files, checked when read."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    StorageDriverClaim,
    StorageDriverRetrieveContext,
    StorageDriverStoreContext,
)

from agent_continuations.storage import (
    LocalStorageDriver,
    PayloadReferenceError,
    payload_driver,
)

STORE = StorageDriverStoreContext()
RETRIEVE = StorageDriverRetrieveContext()


def _payload(data: bytes) -> Payload:
    return Payload(metadata={"encoding": b"binary/plain"}, data=data)


async def test_payloads_round_trip_and_a_repeated_one_is_one_file(tmp_path: Path):
    driver = LocalStorageDriver(tmp_path)
    big, small = _payload(b"x" * 5_000_000), _payload(b"hello")
    claims = await driver.store(STORE, [big, small, big])
    assert claims[0] == claims[2] != claims[1]
    assert await driver.retrieve(RETRIEVE, claims) == [big, small, big]
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 2


async def test_a_tampered_or_missing_payload_is_refused_with_the_reason(tmp_path: Path):
    driver = LocalStorageDriver(tmp_path)
    [claim] = await driver.store(STORE, [_payload(b"original")])
    [path] = [p for p in tmp_path.rglob("*") if p.is_file()]
    path.write_bytes(_payload(b"forged").SerializeToString())
    with pytest.raises(PayloadReferenceError, match="corrupted"):
        await driver.retrieve(RETRIEVE, [claim])
    path.unlink()
    with pytest.raises(PayloadReferenceError, match="share this payload directory"):
        await driver.retrieve(RETRIEVE, [claim])


async def test_a_corrupted_payload_is_written_again_when_it_is_stored_again(tmp_path: Path):
    driver = LocalStorageDriver(tmp_path)
    payload = _payload(b"original")
    [claim] = await driver.store(STORE, [payload])
    [path] = [p for p in tmp_path.rglob("*") if p.is_file()]
    path.write_bytes(b"half a payl")
    assert await driver.store(STORE, [payload]) == [claim]
    assert await driver.retrieve(RETRIEVE, [claim]) == [payload]


@pytest.mark.parametrize("key", ["../../etc/passwd", "", "A" * 64, "0" * 63])
async def test_a_claim_that_is_not_a_content_address_is_refused(tmp_path: Path, key: str):
    with pytest.raises(PayloadReferenceError, match="malformed payload claim"):
        await LocalStorageDriver(tmp_path).retrieve(
            RETRIEVE, [StorageDriverClaim(claim_data={"key": key})]
        )


def test_the_store_is_a_directory_unless_a_postgresql_url_is_given(tmp_path: Path):
    driver = payload_driver(str(tmp_path))
    assert isinstance(driver, LocalStorageDriver) and driver.directory == tmp_path
