"""A loopback OpenAI-compatible chat-completions server that scripts an N-turn agent.

Usage: python benchmarks/loopback_model.py [--port 0]

Prints its base URL (``http://127.0.0.1:PORT/v1``) as the first line and serves until killed.
Or in-process: ``with LoopbackModel() as model: model.base_url``.

The request's ``model`` is ``turns-N``. The server is stateless: it counts the ``tool`` messages
in the request and, while fewer than N, answers with one call to the tool ``lookup``; then it
answers ``done after N lookups``. Stdlib only, so any benchmark's virtualenv can run it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

__all__ = ["LOOKUP_RESULT_CHARS", "LoopbackModel", "lookup_result", "reply_for"]

LOOKUP_RESULT_CHARS = 1000
_MODEL_NAME = re.compile(r"turns-(\d+)")
_USAGE = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}


def lookup_result(query: str) -> str:
    """The benchmark tool's answer: ``query`` repeated to exactly 1,000 characters.

    Args:
        query: What the model asked to look up.

    Returns:
        A deterministic string of ``LOOKUP_RESULT_CHARS`` characters.
    """
    unit = f"{query}; " if query else "-"
    return (unit * (LOOKUP_RESULT_CHARS // len(unit) + 1))[:LOOKUP_RESULT_CHARS]


class BadRequest(ValueError):
    """A request this server cannot answer (answered with HTTP 400)."""


def reply_for(request: dict[str, Any]) -> dict[str, Any]:
    """The chat-completion response to one request body.

    Args:
        request: The decoded JSON body of ``POST /v1/chat/completions``.

    Returns:
        An OpenAI ``chat.completion`` object.

    Raises:
        BadRequest: The model is not ``turns-N`` or the messages are malformed.
    """
    model = request.get("model")
    match = _MODEL_NAME.fullmatch(model) if isinstance(model, str) else None
    if match is None:
        raise BadRequest(f"model must be 'turns-N', got {model!r}")
    messages = request.get("messages")
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        raise BadRequest("messages must be a list of objects")
    turns = int(match.group(1))
    done = sum(1 for m in messages if m.get("role") == "tool")
    if done < turns:
        k = done + 1
        message: dict[str, Any] = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": f"call_{k}",
                    "type": "function",
                    "function": {"name": "lookup", "arguments": json.dumps({"query": f"item {k}"})},
                }
            ],
        }
        finish_reason = "tool_calls"
    else:
        message = {"role": "assistant", "content": f"done after {turns} lookups"}
        finish_reason = "stop"
    return {
        "id": f"chatcmpl-loopback-{done}",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": _USAGE,
    }


def _error(message: str) -> dict[str, Any]:
    error = {"message": message, "type": "invalid_request_error", "param": None, "code": None}
    return {"error": error}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse one connection for many turns

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send(404, _error(f"no route {self.path}"))
            return
        try:
            request = json.loads(body)
            if not isinstance(request, dict):
                raise BadRequest("the body must be a JSON object")
            self._send(200, reply_for(request))
        except ValueError as exc:  # BadRequest and json.JSONDecodeError are ValueErrors
            self._send(400, _error(str(exc)))

    def do_GET(self) -> None:  # noqa: N802
        if self.path.rstrip("/") == "/v1/models":
            model = {"id": "turns-N", "object": "model", "created": 0, "owned_by": "loopback"}
            self._send(200, {"object": "list", "data": [model]})
        else:
            self._send(404, _error(f"no route {self.path}"))

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # a benchmark makes thousands of requests: log none


class LoopbackModel:
    """The server on a background thread, as a context manager.

    Args:
        port: The port on 127.0.0.1; 0 picks a free one.
    """

    def __init__(self, port: int = 0) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, ``http://127.0.0.1:PORT/v1``."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> LoopbackModel:
        """Serve on a daemon thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve on the calling thread until interrupted, then close the socket."""
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> LoopbackModel:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    args = parser.parse_args()
    model = LoopbackModel(args.port)
    # SIGTERM ends the process as quietly as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(model.base_url, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        model.serve_forever()


if __name__ == "__main__":
    main()
