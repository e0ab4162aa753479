"""An OpenAI-compatible HTTP server on loopback, for the real `openai` client to talk to.

`POST /v1/chat/completions` and `GET /v1/models`. Every request is recorded. Answers are scripted:
queued responses (`enqueue`) are served first, in order, then the default `reply_text`.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Scripted:
    status: int = 200
    text: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None  # raw body, for malformed answers
    delay: float = 0.0


class FakeLlm:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.reply_text = "Hi,\n\nJust checking in on my note below. Any thoughts?\n\nBest,\nAlice"
        self.models = ["test-model"]
        self._queue: list[Scripted] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _send(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                owner._record(self, None)
                if self.path.rstrip("/").endswith("/models"):
                    data = {"object": "list", "data": [{"id": m, "object": "model", "created": 0, "owned_by": "test"} for m in owner.models]}
                    self._send(200, json.dumps(data).encode(), {})
                else:
                    self._send(404, b'{"error": {"message": "not found"}}', {})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                owner._record(self, body)
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(404, b'{"error": {"message": "not found"}}', {})
                    return
                scripted = owner._next()
                if scripted.delay:
                    time.sleep(scripted.delay)
                if scripted.body is not None:
                    self._send(scripted.status, scripted.body, scripted.headers)
                    return
                if scripted.status != 200:
                    error = {"error": {"message": f"scripted {scripted.status}", "type": "test", "code": None}}
                    self._send(scripted.status, json.dumps(error).encode(), scripted.headers)
                    return
                text = scripted.text if scripted.text is not None else owner.reply_text
                completion = {
                    "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()),
                    "model": body.get("model", "test-model"),
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
                }
                self._send(200, json.dumps(completion).encode(), scripted.headers)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="fake-llm", daemon=True)
        self._thread.start()

    def _record(self, handler: BaseHTTPRequestHandler, body: Any) -> None:
        with self._lock:
            self.requests.append({"method": handler.command, "path": handler.path,
                                  "headers": {k.lower(): v for k, v in handler.headers.items()}, "body": body})

    def _next(self) -> Scripted:
        with self._lock:
            return self._queue.pop(0) if self._queue else Scripted()

    def enqueue(self, status: int = 200, text: str | None = None, headers: dict[str, str] | None = None,
                body: bytes | None = None, delay: float = 0.0) -> None:
        with self._lock:
            self._queue.append(Scripted(status, text, headers or {}, body, delay))

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self.requests.clear()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
