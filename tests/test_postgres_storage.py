"""`PostgresStorageDriver` against a real PostgreSQL server: storage, integrity, Temporal."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest
import pytest_asyncio
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    ExternalStorage,
    StorageDriverClaim,
    StorageDriverRetrieveContext,
    StorageDriverStoreContext,
)
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from agent_continuations.storage import PayloadReferenceError, PostgresStorageDriver
from blob_workflow import BlobInput, BlobWorkflow, make_blob

FIVE_MB = 5 * 1024 * 1024
STORE = StorageDriverStoreContext()
RETRIEVE = StorageDriverRetrieveContext()


def _payload(data: bytes) -> Payload:
    return Payload(metadata={"encoding": b"binary/plain"}, data=data)


@pytest.fixture
def table() -> str:
    return f"payloads_{uuid.uuid4().hex}"


@pytest_asyncio.fixture
async def driver(postgres_dsn: str, table: str) -> AsyncIterator[PostgresStorageDriver]:
    driver = PostgresStorageDriver(postgres_dsn, table=table)
    yield driver
    await driver.close()


@pytest_asyncio.fixture
async def db(postgres_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(postgres_dsn)
    yield connection
    await connection.close()


def _external(driver: PostgresStorageDriver) -> DataConverter:
    return dataclasses.replace(
        pydantic_data_converter,
        external_storage=ExternalStorage(drivers=[driver], payload_size_threshold=1024),
    )


async def test_payloads_of_every_size_come_back_as_stored(
    driver: PostgresStorageDriver, db: asyncpg.Connection, table: str
):
    payloads = [_payload(b""), _payload(b"small"), _payload(bytes(range(256)) * (FIVE_MB // 256))]
    claims = await driver.store(STORE, payloads)
    assert await driver.retrieve(RETRIEVE, list(reversed(claims))) == list(reversed(payloads))
    for payload, claim in zip(payloads, claims, strict=True):
        key = hashlib.sha256(payload.SerializeToString(deterministic=True)).hexdigest()
        assert claim == StorageDriverClaim(claim_data={"key": key})
    sizes = await db.fetch(f'SELECT size FROM "{table}" ORDER BY size')
    assert [row["size"] for row in sizes] == sorted(p.ByteSize() for p in payloads)


async def test_a_payload_stored_at_once_by_many_workers_is_one_row(
    driver: PostgresStorageDriver, postgres_dsn: str, db: asyncpg.Connection, table: str
):
    # A second driver has a pool of its own: its inserts race the first driver's for real.
    other = PostgresStorageDriver(postgres_dsn, table=table)
    shared, a, b = _payload(b"shared" * 1000), _payload(b"a"), _payload(b"b")
    try:
        results = await asyncio.gather(
            driver.store(STORE, [a, shared, b]),
            other.store(STORE, [b, shared, a]),
            driver.store(STORE, [shared, shared]),
        )
    finally:
        await other.close()
    first, second, twice = results
    assert first[1] == second[1] == twice[0] == twice[1]
    assert (first[0], first[2]) == (second[2], second[0])
    assert await db.fetchval(f'SELECT count(*) FROM "{table}"') == 3


async def test_an_unknown_key_is_refused_with_the_key_and_table(
    driver: PostgresStorageDriver, table: str
):
    await driver.store(STORE, [_payload(b"something else")])
    unknown = "0" * 64
    with pytest.raises(PayloadReferenceError, match=f"no payload.*table={table}, key={unknown}"):
        await driver.retrieve(RETRIEVE, [StorageDriverClaim(claim_data={"key": unknown})])


async def test_a_claim_without_a_hex_key_never_reaches_the_database(
    driver: PostgresStorageDriver, table: str
):
    for claim_data in ({}, {"key": "../etc/passwd"}, {"key": "A" * 64}):
        with pytest.raises(PayloadReferenceError, match="malformed payload claim"):
            await driver.retrieve(RETRIEVE, [StorageDriverClaim(claim_data=claim_data)])


async def test_a_tampered_row_is_refused_as_corrupted(
    driver: PostgresStorageDriver, db: asyncpg.Connection, table: str
):
    [claim] = await driver.store(STORE, [_payload(b"the real thing")])
    key = claim.claim_data["key"]
    await db.execute(f"UPDATE \"{table}\" SET data = data || '\\x00'::bytea WHERE key = $1", key)
    with pytest.raises(PayloadReferenceError, match=f"{key} in table {table} is corrupted"):
        await driver.retrieve(RETRIEVE, [claim])
    # Storing the same payload again (say, a new run) writes the row again.
    assert await driver.store(STORE, [_payload(b"the real thing")]) == [claim]
    assert await driver.retrieve(RETRIEVE, [claim]) == [_payload(b"the real thing")]


async def test_a_data_converter_keeps_only_a_reference_to_a_large_value(
    driver: PostgresStorageDriver,
):
    converter = _external(driver)
    large, small = "x" * FIVE_MB, "hello"
    encoded = await converter.encode([large, small])
    assert encoded[0].ByteSize() < 1024
    assert encoded[1].data == b'"hello"'
    assert await converter.decode(encoded, [str, str]) == [large, small]


def test_the_pool_follows_a_new_event_loop_once_the_old_one_is_closed(postgres_dsn: str):
    driver = PostgresStorageDriver(postgres_dsn, table=f"payloads_{uuid.uuid4().hex}")
    [claim] = asyncio.run(driver.store(STORE, [_payload(b"first loop")]))

    async def retrieve_and_close() -> list[Payload]:
        try:
            return await driver.retrieve(RETRIEVE, [claim])
        finally:
            await driver.close()

    assert asyncio.run(retrieve_and_close()) == [_payload(b"first loop")]


async def test_a_driver_refuses_a_second_event_loop_while_its_first_is_open(
    driver: PostgresStorageDriver,
):
    await driver.store(STORE, [_payload(b"this loop")])
    with pytest.raises(RuntimeError, match="another event loop that is still open"):
        await asyncio.to_thread(asyncio.run, driver.store(STORE, [_payload(b"another loop")]))


async def test_a_workflow_gets_a_five_megabyte_result_through_a_small_history(
    time_skipping_env: WorkflowEnvironment,
    driver: PostgresStorageDriver,
    db: asyncpg.Connection,
    table: str,
    task_queue: str,
):
    env_client = time_skipping_env.client
    client = Client(
        env_client.service_client,
        namespace=env_client.namespace,
        data_converter=_external(driver),
    )
    async with Worker(
        client, task_queue=task_queue, workflows=[BlobWorkflow], activities=[make_blob]
    ):
        handle = await client.start_workflow(
            BlobWorkflow.run,
            BlobInput(size=FIVE_MB),
            id=f"blob-{uuid.uuid4()}",
            task_queue=task_queue,
            execution_timeout=timedelta(seconds=60),
        )
        assert await handle.result() == await make_blob(BlobInput(size=FIVE_MB))
    history = await handle.fetch_history()
    assert sum(event.ByteSize() for event in history.events) < 100_000
    # The activity's result and the workflow's are the same payload: one row holds both.
    assert await db.fetchval(f'SELECT count(*) FROM "{table}" WHERE size > $1', FIVE_MB) == 1
