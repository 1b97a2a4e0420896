"""A scriptable chat-completions server on a loopback port, for tests of the real HTTP path.

Each request takes the next reply from the server's queue: a `Completion` (text or tool calls)
or an `HttpError` (status, JSON error body, headers such as `retry-after`). Every request is
recorded so tests can count attempts and read what the client sent.

It deliberately builds its JSON by hand instead of reusing the scripted model's code, so the
two cannot agree on a mistake.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from agent_continuations.activities import ModelActivities

COMPLETIONS_PATH = "/v1/chat/completions"


@dataclass(frozen=True)
class Completion:
    """A 200 reply: an assistant message with `content` and/or tool calls.

    Each tool call is `{"name": ..., "arguments": {...}}`, optionally with an `"id"`.
    """

    content: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    total_tokens: int = 42


@dataclass(frozen=True)
class HttpError:
    """An error reply in the OpenAI error shape, with optional extra headers."""

    status: int
    message: str = "scripted failure"
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RawMessage:
    """A 200 reply whose assistant message is given as it is, well-formed or not."""

    message: Any


Reply = Completion | HttpError | RawMessage


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    received_at: float


class ChatServer:
    """A chat-completions server on `127.0.0.1` and a free port, running in a thread.

    Args:
        replies: Answers to the coming requests, in order.
        then: The answer once `replies` is used up; without it, a 400 saying so.
    """

    def __init__(self, *replies: Reply, then: Reply | None = None) -> None:
        self._replies: deque[Reply] = deque(replies)
        self._then = then
        self._lock = threading.Lock()
        self._served = 0
        self.requests: list[RecordedRequest] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        # A short poll interval keeps `shutdown()` (and so each test) fast.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        """The base URL to give an `openai` client."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def model_activities(self) -> ModelActivities:
        """Model activities whose models go to this server."""
        return ModelActivities(base_url=self.url, api_key="test")

    def __enter__(self) -> ChatServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def _answer(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any, dict]:
        """Record a request and pick its reply: (status, JSON body, extra headers)."""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            body = {"unparsed": raw.decode(errors="replace")}
        with self._lock:
            self.requests.append(RecordedRequest(path, headers, body, time.monotonic()))
            if path != COMPLETIONS_PATH:
                return _error(HttpError(404, f"no route {path}"))
            reply = self._replies.popleft() if self._replies else self._then
            self._served += 1
            number = self._served
        if reply is None:
            return _error(HttpError(400, f"chat server has no reply left for request {number}"))
        if isinstance(reply, HttpError):
            return _error(reply)
        return 200, _completion(reply, body.get("model", ""), number), {}


def _error(error: HttpError) -> tuple[int, Any, dict]:
    body = {"error": {"message": error.message, "type": "test_error", "code": None}}
    return error.status, body, dict(error.headers)


def _completion(reply: Completion | RawMessage, model: str, number: int) -> dict[str, Any]:
    if isinstance(reply, RawMessage):
        return _wrapped(reply.message, model, number, 42)
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": call.get("id", f"call_{number}_{i}"),
                "type": "function",
                "function": {"name": call["name"], "arguments": json.dumps(call["arguments"])},
            }
            for i, call in enumerate(reply.tool_calls)
        ]
    return _wrapped(message, model, number, reply.total_tokens)


def _wrapped(message: Any, model: str, number: int, total_tokens: int) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-test-{number}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls"
                if isinstance(message, dict) and message.get("tool_calls")
                else "stop",
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": total_tokens // 2,
            "completion_tokens": total_tokens - total_tokens // 2,
            "total_tokens": total_tokens,
        },
    }


def _handler_for(server: ChatServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, body, extra = server._answer(self.path, headers, raw)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    return Handler
