"""What the in-process stand-ins share (the GCS stand-in, and the tests' IAM and token endpoint):
an HTTP server on 127.0.0.1, on a free port, answering every request in a thread of its own."""

from __future__ import annotations

import http.server
import threading
from typing import Self


class HTTPStub:
    """Subclasses answer requests in `answer`; ``with Stub(...) as stub:`` serves on ``stub.endpoint_url``."""

    def __init__(self) -> None:
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stub.answer(self)

            do_HEAD = do_PUT = do_POST = do_DELETE = do_GET

            def log_message(self, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name=type(self).__name__, daemon=True)

    def answer(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        raise NotImplementedError

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
