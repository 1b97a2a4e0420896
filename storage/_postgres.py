"""`PostgresStorageDriver`: Temporal payloads too large for history, kept in a PostgreSQL table.

Rows are content-addressed (the key is the SHA-256 of the payload's deterministic bytes), so
workers that store the same payload at once share one row, and a row that does not hash to its
key is refused instead of decoded.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Sequence

import asyncpg
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    StorageDriver,
    StorageDriverClaim,
    StorageDriverRetrieveContext,
    StorageDriverStoreContext,
)

from agent_continuations.storage._errors import PayloadReferenceError, PayloadStoreError
from agent_continuations.storage._local import checked_key, parsed_payload, payload_key

_TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
# A worker stores and retrieves a handful of payloads at a time; a few connections serve it.
_POOL_MAX_SIZE = 4
# A statement that hangs (a lost server, a lock never released) fails the task instead.
_COMMAND_TIMEOUT_SECONDS = 60.0
# What a lost, refusing or timed-out database raises (asyncio's TimeoutError is an OSError).
_DATABASE_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)


class PostgresStorageDriver(StorageDriver):
    """Stores Temporal payloads in a PostgreSQL table, one row per distinct payload.

    The table (`key text primary key, data bytea, size bigint, created_at timestamptz`) is
    created on first use. The connection pool is opened on first use too and belongs to the
    event loop that opened it: use a driver from one event loop at a time (a worker's). Once
    that loop is closed, the next use from another loop opens a new pool.

    Args:
        dsn: libpq connection string or URI, e.g. `postgresql://user@host:5432/db`.
        table: Name of the table (a plain SQL identifier, created if missing).
        name: Name of this driver instance in `ExternalStorage.drivers` and in the references
            kept in workflow history: never change it while runs may hold references.

    Raises:
        ValueError: If `table` is not a plain SQL identifier.
    """

    def __init__(self, dsn: str, *, table: str = "agent_payloads", name: str = "postgres"):
        if not _TABLE_NAME.fullmatch(table):
            raise ValueError(f"table must be a plain SQL identifier, not {table!r}")
        self._dsn = dsn
        self._table = table
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._opening: asyncio.Task[asyncpg.Pool] | None = None
        # The loop check and the task it starts must happen as one step, even across threads.
        self._bind_lock = threading.Lock()

    def name(self) -> str:
        """The name of this driver instance, as given to the constructor."""
        return self._name

    def type(self) -> str:
        """The driver's stable type name, the same for every instance."""
        return "agent-continuations.postgres"

    async def store(
        self, context: StorageDriverStoreContext, payloads: Sequence[Payload]
    ) -> list[StorageDriverClaim]:
        """Stores payloads, each distinct one once, and returns a claim for each.

        Args:
            context: The workflow or activity the payloads belong to (not used: content
                addressing shares rows across runs).
            payloads: The payloads to store.

        Returns:
            One claim (`{"key": sha256 hex}`) per payload, in order.

        Raises:
            PayloadStoreError: If the database cannot be reached or refuses the insert.
        """
        if not payloads:
            return []
        rows: dict[str, bytes] = {}
        keys: list[str] = []
        for payload in payloads:
            data = payload.SerializeToString(deterministic=True)
            key = payload_key(data)
            rows[key] = data
            keys.append(key)
        # Rows are inserted in key order so two workers storing overlapping batches wait for
        # each other's uncommitted keys in the same order and cannot deadlock.
        ordered = sorted(rows)
        try:
            pool = await self._pool()
            await pool.execute(
                f"INSERT INTO {self._quoted()} (key, data, size)"
                " SELECT k, d, octet_length(d) FROM unnest($1::text[], $2::bytea[]) AS t(k, d)"
                # A row whose data no longer matches its key (corrupted) is written again.
                " ORDER BY k ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data, size ="
                f" EXCLUDED.size WHERE {self._quoted()}.data IS DISTINCT FROM EXCLUDED.data",
                ordered,
                [rows[key] for key in ordered],
            )
        except _DATABASE_ERRORS as err:
            raise PayloadStoreError(
                f"PostgresStorageDriver could not store [table={self._table}, keys={ordered}]"
            ) from err
        return [StorageDriverClaim(claim_data={"key": key}) for key in keys]

    async def retrieve(
        self, context: StorageDriverRetrieveContext, claims: Sequence[StorageDriverClaim]
    ) -> list[Payload]:
        """Fetches the payloads of claims in one query and checks each against its key.

        Args:
            context: Not used.
            claims: Claims returned by `store`.

        Returns:
            One payload per claim, in order.

        Raises:
            PayloadStoreError: If a claim has no valid key, its row is missing or corrupted,
                or the database cannot be reached or refuses the query.
        """
        keys = [checked_key(claim) for claim in claims]
        if not keys:
            return []
        try:
            pool = await self._pool()
            records = await pool.fetch(
                f"SELECT key, data FROM {self._quoted()} WHERE key = ANY($1::text[])",
                sorted(set(keys)),
            )
        except _DATABASE_ERRORS as err:
            raise PayloadStoreError(
                f"PostgresStorageDriver could not retrieve [table={self._table}, keys={keys}]"
            ) from err
        found: dict[str, bytes] = {record["key"]: record["data"] for record in records}
        payloads = []
        for key in keys:
            data = found.get(key)
            if data is None:
                raise PayloadReferenceError(
                    f"PostgresStorageDriver has no payload [table={self._table}, key={key}]"
                )
            payloads.append(parsed_payload(key, data, f"table {self._table}"))
        return payloads

    async def close(self) -> None:
        """Closes the connection pool, if one is open; the next use opens a new one.

        Raises:
            RuntimeError: If called from another event loop while the pool's own loop is open.
        """
        loop = asyncio.get_running_loop()
        with self._bind_lock:
            opening, bound = self._opening, self._loop
            if opening is None or bound is None:
                return
            if bound is not loop and not bound.is_closed():
                raise RuntimeError(self._other_loop_message())
            self._opening = self._loop = None
        # The connections of a closed loop went with it; only the current loop's can be closed.
        if bound is loop:
            try:
                pool = await opening
            except Exception:
                return  # it never opened: nothing to close
            await pool.close()

    def _quoted(self) -> str:
        return f'"{self._table}"'

    def _other_loop_message(self) -> str:
        return (
            f"PostgresStorageDriver {self._name!r} has a pool on another event loop that is"
            " still open; give each event loop a driver of its own"
        )

    async def _pool(self) -> asyncpg.Pool:
        """The pool of the running event loop, opened (and the table created) on first use."""
        loop = asyncio.get_running_loop()
        with self._bind_lock:
            if self._loop is not loop:
                if self._loop is not None and not self._loop.is_closed():
                    raise RuntimeError(self._other_loop_message())
                self._loop, self._opening = loop, loop.create_task(self._open())
            opening = self._opening
        assert opening is not None
        try:
            # Shielded: one caller being cancelled must not cancel the opening the others await.
            return await asyncio.shield(opening)
        except Exception:
            # A failed opening is forgotten so the next call tries again.
            with self._bind_lock:
                if self._opening is opening:
                    self._opening = self._loop = None
            raise

    async def _open(self) -> asyncpg.Pool:
        pool = await asyncpg.create_pool(
            self._dsn,
            min_size=1,
            max_size=_POOL_MAX_SIZE,
            command_timeout=_COMMAND_TIMEOUT_SECONDS,
        )
        try:
            async with pool.acquire() as connection, connection.transaction():
                # Concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalog:
                # workers opening at once take turns on a lock named after the table.
                await connection.execute(
                    "SELECT pg_advisory_xact_lock(hashtext($1))", f"payload table {self._table}"
                )
                await connection.execute(
                    f"CREATE TABLE IF NOT EXISTS {self._quoted()} ("
                    " key text PRIMARY KEY CHECK (key ~ '^[0-9a-f]{64}$'),"
                    " data bytea NOT NULL,"
                    " size bigint NOT NULL,"
                    " created_at timestamptz NOT NULL DEFAULT now())"
                )
        except BaseException:
            await pool.close()
            raise
        return pool
