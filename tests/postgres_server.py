"""A throwaway PostgreSQL server from the system's binaries (Debian: `apt-get install postgresql`).

PostgreSQL refuses to run as root, so as root (CI) the server runs as the `postgres` system user
the Debian package creates, in a temporary directory that user owns.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

SERVER_USER = "postgres"
START_TIMEOUT_SECONDS = 30


def _bindir() -> Path | None:
    """Where `initdb`, `pg_ctl` and `postgres` are: Debian's newest version, else `pg_config`."""
    debian = sorted(
        (Path(path).parent for path in glob.glob("/usr/lib/postgresql/*/bin/initdb")),
        key=lambda bindir: int(bindir.parent.name) if bindir.parent.name.isdigit() else -1,
    )
    if debian:
        return debian[-1]
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        found = Path(out.stdout.strip())
        if out.returncode == 0 and (found / "initdb").exists():
            return found
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(tmp: Path) -> list[str]:
    """The command prefix that runs a server binary as a user PostgreSQL accepts."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("PostgreSQL refuses root, and `runuser` is missing to run it as another user")
    try:
        shutil.chown(tmp, SERVER_USER, SERVER_USER)
    except LookupError:
        pytest.skip(f"PostgreSQL refuses root, and there is no {SERVER_USER!r} user to run it as")
    return [runuser, "-u", SERVER_USER, "--"]


def _run(command: list[str], tmp: Path, log: Path | None = None) -> None:
    # The server user may not be allowed into the caller's working directory.
    done = subprocess.run(
        command, cwd=tmp, capture_output=True, text=True, timeout=START_TIMEOUT_SECONDS
    )
    if done.returncode != 0:
        server_log = log.read_text() if log is not None and log.exists() else ""
        raise RuntimeError(
            f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
            f"{server_log}"
        )


@contextmanager
def postgres_server() -> Iterator[str]:
    """Runs a PostgreSQL server on a free loopback port for as long as the block lasts.

    Yields:
        The server's DSN: user `postgres`, trust authentication, database `postgres`.
    """
    bindir = _bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL binaries (Debian: apt-get install postgresql)")
    tmp = Path(tempfile.mkdtemp(prefix="pg-test-"))
    try:
        as_user = _as_server_user(tmp)
        data, log, port = tmp / "data", tmp / "server.log", _free_port()
        _run(
            [
                *as_user,
                str(bindir / "initdb"),
                f"--pgdata={data}",
                f"--username={SERVER_USER}",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
            tmp,
        )
        # Durability is of no use to a test server: fsync off keeps the 5 MB writes quick.
        options = (
            f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        pg_ctl = [*as_user, str(bindir / "pg_ctl"), f"--pgdata={data}"]
        _run(
            [*pg_ctl, f"--log={log}", "--wait", f"--timeout={START_TIMEOUT_SECONDS}",
             f"--options={options}", "start"],
            tmp,
            log,
        )  # fmt: skip
        try:
            yield f"postgresql://{SERVER_USER}@127.0.0.1:{port}/postgres"
        finally:
            _run([*pg_ctl, "--mode=fast", "--wait", "stop"], tmp, log)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
