"""A scriptable OpenAI-compatible HTTP server on 127.0.0.1, for the real `openai` client.

Owns: `POST /v1/chat/completions` (plain JSON, or server-sent events when the request says
`"stream": true`), `GET /v1/models` and `GET /v1/models/{id}`. Every request is recorded in
`.requests`. Answers are scripted: responses queued with `enqueue()` are used first, in order;
after that every chat completion answers `.reply_text`. Nothing here calls out anywhere.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypedDict

DEFAULT_REPLY = "Hi Bob,\n\nJust checking in on this — any thoughts?\n\nBest,\nAlice"
DEFAULT_MODEL = "test-model"


class RecordedRequest(TypedDict):
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: Any  # parsed JSON; None for GET; the raw text when it was not JSON


@dataclass
class ScriptedResponse:
    status: int = 200
    text: str | None = None  # completion content; None means `.reply_text`
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None  # raw body sent as is (for errors and malformed answers)
    delay: float = 0.0  # seconds to sleep before answering (for client timeouts)
    finish_reason: str = "stop"


def _completion(model: str, text: str, finish_reason: str, prompt: Any) -> dict[str, Any]:
    """A chat.completion shaped exactly as OpenAI's, so the openai client parses it."""
    prompt_tokens = max(1, len(json.dumps(prompt)) // 4)
    completion_tokens = max(1, len(text) // 4)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
        "system_fingerprint": "fp_test",
    }


def _error(status: int, message: str) -> bytes:
    kind = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error"}
    error = {"message": message, "type": kind.get(status, "api_error"), "param": None, "code": None}
    if status == 429:
        error.update(type="rate_limit_exceeded", code="rate_limit_exceeded")
    return json.dumps({"error": error}).encode()


class FakeLlm:
    """The server. `.base_url` is `http://127.0.0.1:PORT/v1`; `.stop()` ends it."""

    def __init__(self, models: list[str] | None = None) -> None:
        self.requests: list[RecordedRequest] = []
        self.reply_text = DEFAULT_REPLY
        self.models = models or [DEFAULT_MODEL]
        self._queue: list[ScriptedResponse] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()  # wakes scripted delays when the server stops
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.httpd.daemon_threads = True
        self.port: int = self.httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="fake-llm",
            daemon=True,
        )
        self._thread.start()

    # -- scripting ---------------------------------------------------------------------------
    def enqueue(
        self,
        status: int = 200,
        text: str | None = None,
        headers: dict[str, str] | None = None,
        body: bytes | str | dict[str, Any] | None = None,
        delay: float = 0.0,
        finish_reason: str = "stop",
    ) -> None:
        """Queue one answer. `body` replaces the whole response body (dicts become JSON)."""
        raw = json.dumps(body).encode() if isinstance(body, dict) else body
        raw = raw.encode() if isinstance(raw, str) else raw
        with self._lock:
            self._queue.append(
                ScriptedResponse(status, text, dict(headers or {}), raw, delay, finish_reason)
            )

    def reset(self) -> None:
        """Forget queued answers and recorded requests; the default reply text is restored."""
        with self._lock:
            self._queue.clear()
            self.requests.clear()
            self.reply_text = DEFAULT_REPLY

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """Recorded chat completion requests only, oldest first."""
        with self._lock:
            return [r for r in self.requests if r["path"].rstrip("/").endswith("/chat/completions")]

    @property
    def pending(self) -> int:
        """Queued answers not used yet."""
        with self._lock:
            return len(self._queue)

    def stop(self) -> None:
        self._stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(5)

    # -- internals ---------------------------------------------------------------------------
    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _next(self) -> ScriptedResponse:
        with self._lock:
            return self._queue.pop(0) if self._queue else ScriptedResponse(text=self.reply_text)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
                pass

            def _send(
                self,
                status: int,
                payload: bytes,
                headers: dict[str, str],
                content_type: str = "application/json",
            ) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test); nothing to tell

            def _record(self, body: Any) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                owner._record(
                    RecordedRequest(method=self.command, path=self.path, headers=headers, body=body)
                )

            def do_GET(self) -> None:
                self._record(None)
                path = self.path.split("?", 1)[0].rstrip("/")
                if path.endswith("/models"):
                    data = [_model(m) for m in owner.models]
                    self._send(200, json.dumps({"object": "list", "data": data}).encode(), {})
                elif "/models/" in path and path.rsplit("/", 1)[1] in owner.models:
                    self._send(200, json.dumps(_model(path.rsplit("/", 1)[1])).encode(), {})
                else:
                    self._send(404, _error(404, f"no route {self.path}"), {})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body: Any = json.loads(raw or b"{}")
                except ValueError:
                    self._record(raw.decode(errors="replace"))
                    self._send(400, _error(400, "request body is not JSON"), {})
                    return
                self._record(body)
                if not self.path.split("?", 1)[0].rstrip("/").endswith("/chat/completions"):
                    self._send(404, _error(404, f"no route {self.path}"), {})
                    return
                scripted = owner._next()
                if scripted.delay and owner._stopping.wait(scripted.delay):
                    return
                if scripted.body is not None:
                    self._send(scripted.status, scripted.body, scripted.headers)
                elif scripted.status != 200:
                    message = f"scripted error {scripted.status}"
                    self._send(scripted.status, _error(scripted.status, message), scripted.headers)
                else:
                    model = str(body.get("model") or DEFAULT_MODEL)
                    text = scripted.text if scripted.text is not None else owner.reply_text
                    completion = _completion(
                        model, text, scripted.finish_reason, body.get("messages")
                    )
                    if body.get("stream"):
                        self._stream(completion, scripted.headers)
                    else:
                        self._send(200, json.dumps(completion).encode(), scripted.headers)

            def _stream(self, completion: dict[str, Any], headers: dict[str, str]) -> None:
                """The same answer as server-sent chat.completion.chunk events."""
                text = completion["choices"][0]["message"]["content"]
                base = {k: completion[k] for k in ("id", "created", "model")}
                deltas: list[tuple[dict[str, Any], str | None]] = [({"role": "assistant"}, None)]
                deltas += [({"content": text[i : i + 16]}, None) for i in range(0, len(text), 16)]
                deltas.append(({}, completion["choices"][0]["finish_reason"]))
                events = b""
                for delta, finish in deltas:
                    chunk = {
                        **base,
                        "object": "chat.completion.chunk",
                        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                    }
                    events += b"data: " + json.dumps(chunk).encode() + b"\n\n"
                events += b"data: [DONE]\n\n"
                self._send(200, events, headers, content_type="text/event-stream")

        return Handler


def _model(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": 0, "owned_by": "test"}
