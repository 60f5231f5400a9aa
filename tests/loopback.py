"""A WSGI app served on 127.0.0.1 (a free port) in a thread: the base of the test fakes that the
real clients (PyGithub, openai) talk to over HTTP."""
from __future__ import annotations

import threading

from werkzeug.serving import WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # keep test output clean
        pass


class LoopbackServer:
    """Subclasses define `_wsgi(environ, start_response)`; `URL_SUFFIX` is appended to the base URL."""

    URL_SUFFIX = ""
    THREAD_NAME = "loopback-fake"

    _server = None
    base_url = ""

    def start(self):
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_QuietHandler)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}{self.URL_SUFFIX}"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name=self.THREAD_NAME, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _wsgi(self, environ, start_response):  # pragma: no cover - overridden
        raise NotImplementedError
