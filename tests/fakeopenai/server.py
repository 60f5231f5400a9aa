"""FakeOpenAI: `POST /v1/chat/completions` over real HTTP for the real `openai` client.

    with FakeOpenAI() as fake:
        fake.reply("```python\\nx = 1\\n```")        # scripted answers, in order
        fake.fail(429, headers={"retry-after": "0"})  # or an error answer
        client = openai.OpenAI(base_url=fake.base_url, api_key="test", max_retries=0)

Every request body is kept in `fake.requests`. With nothing scripted it answers `default_reply`,
or what `fake.responder(request_body)` returns when one is set (a model that reads the prompt).
"""
from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass

from werkzeug.wrappers import Request, Response

from ..loopback import LoopbackServer

API_KEY = "sk-test-armadilhas"


@dataclass
class _Scripted:
    status: int
    content: str | None
    headers: dict
    delay: float


class FakeOpenAI(LoopbackServer):
    URL_SUFFIX = "/v1"
    THREAD_NAME = "fake-openai"

    def __init__(self, api_key: str = API_KEY, default_reply: str = "I cannot help with that."):
        self.api_key = api_key
        self.default_reply = default_reply
        self.requests: list[dict] = []
        self._script: deque[_Scripted] = deque()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.responder = None  # (request body) -> reply text, when nothing is scripted
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests answered at once (concurrency limits)


    def reply(self, content: str, delay: float = 0.0) -> None:
        with self._lock:
            self._script.append(_Scripted(200, content, {}, delay))

    def fail(self, status: int, headers: dict | None = None, times: int = 1) -> None:
        with self._lock:
            for _ in range(times):
                self._script.append(_Scripted(status, None, dict(headers or {}), 0.0))

    def _wsgi(self, environ, start_response):
        return self._handle(Request(environ))(environ, start_response)

    def _handle(self, request: Request) -> Response:
        if request.method != "POST" or request.path != "/v1/chat/completions":
            return _error(404, f"Unknown request URL: {request.method} {request.path}", "invalid_request_error")
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _error(401, "Incorrect API key provided.", "invalid_request_error", code="invalid_api_key")
        try:
            body = json.loads(request.get_data() or b"{}")
        except ValueError:
            return _error(400, "We could not parse the JSON body of your request.", "invalid_request_error")
        with self._lock:
            self.requests.append(body)
            step = self._script.popleft() if self._script else None
        if step is None:
            step = _Scripted(200, self.responder(body) if self.responder else self.default_reply, {}, 0.0)
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if step.delay:
                time.sleep(step.delay)
        finally:
            with self._lock:
                self.in_flight -= 1
        if step.status != 200:
            kind = "rate_limit_exceeded" if step.status == 429 else "server_error"
            response = _error(step.status, "Scripted failure from the fake.", kind)
            response.headers.update(step.headers)
            return response
        return _json(200, self._completion(body, step.content or ""))

    def _completion(self, body: dict, content: str) -> dict:
        prompt_chars = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
        return {
            "id": f"chatcmpl-fake{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "unknown"),
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }],
            "usage": {"prompt_tokens": prompt_chars // 4, "completion_tokens": len(content) // 4,
                      "total_tokens": (prompt_chars + len(content)) // 4},
            "system_fingerprint": None,
        }


def _json(status: int, body: dict) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _error(status: int, message: str, kind: str, code: str | None = None) -> Response:
    return _json(status, {"error": {"message": message, "type": kind, "param": None, "code": code}})
