"""A fault-injecting HTTP proxy on 127.0.0.1, in front of a real S3 server (SeaweedFS).

Requests pass through byte for byte (the client's ``Host`` included: SigV4 signs it, so the
server checks the signature the client made for the proxy's address), unless a rule matches:

- ``answer(status, code)``: an S3 error document instead of the server's answer
  (503 SlowDown, 500 InternalError, ...), the request never reaching the server;
- ``reset()``: the connection closed with a TCP reset before any answer;
- ``hold(seconds)``: no answer at all for that long (a server that stopped answering);
- ``lose_answer()``: the request reaches the server (an upload is stored), then the
  connection is reset before its answer reaches the client;
- ``cut_body()``: the server's answer starts, and the connection is reset halfway through its body.

Each rule applies to the requests it matches (by method and a piece of the path or query)
``times`` times (None: always). ``requests`` records what the client sent, in order.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import socketserver
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

Action = Callable[["_Exchange"], None]


@dataclass
class Rule:
    action: Action
    method: str | None
    contains: str | None
    times: int | None
    hits: int = 0

    def matches(self, method: str, target: str) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        return (self.method in (None, method)) and (self.contains is None or self.contains in target)


@dataclass
class _Exchange:
    """One request as the proxy read it, and the two ends it can answer or cut."""

    client: socket.socket
    method: str
    target: str
    raw: bytes  # the request exactly as it goes to the server
    upstream: tuple[str, int]
    stopping: threading.Event = field(repr=False)

    def forward(self) -> tuple[bytes, bytes]:
        """Send the request to the server; its answer's head and body (re-framed with Content-Length)."""
        with socket.create_connection(self.upstream, timeout=30) as server:
            server.sendall(self.raw)
            response = http.client.HTTPResponse(server, method=self.method)
            response.begin()
            body = response.read()
            headers = [
                (name, value)
                for name, value in response.getheaders()
                if name.lower() not in ("transfer-encoding", "content-length", "connection")
            ]
        head = f"HTTP/1.1 {response.status} {response.reason}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers)
        head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        return head.encode("latin-1"), body

    def reset(self) -> None:
        """Close the client's connection with a TCP reset (SO_LINGER 0), not a clean FIN."""
        with contextlib.suppress(OSError):
            self.client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.client.close()


def answer(status: int, code: str) -> Action:
    def act(exchange: _Exchange) -> None:
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>injected by the '
            f"test proxy</Message><RequestId>fault</RequestId></Error>"
        ).encode()
        head = (
            f"HTTP/1.1 {status} {http.client.responses.get(status, 'Error')}\r\nContent-Type: application/xml\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        exchange.client.sendall(head.encode() + body)
        exchange.client.close()

    return act


def reset() -> Action:
    return lambda exchange: exchange.reset()


def hold(seconds: float) -> Action:
    def act(exchange: _Exchange) -> None:
        exchange.stopping.wait(seconds)
        exchange.reset()

    return act


def lose_answer() -> Action:
    def act(exchange: _Exchange) -> None:
        exchange.forward()  # the server did the work (an upload is stored) ...
        exchange.reset()  # ... and the client never hears of it

    return act


def cut_body() -> Action:
    def act(exchange: _Exchange) -> None:
        head, body = exchange.forward()
        exchange.client.sendall(head + body[: len(body) // 2])
        exchange.reset()

    return act


class FaultProxy:
    """The proxy; ``with FaultProxy(port) as proxy:`` serves on ``proxy.endpoint_url`` until the block ends."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.requests: list[tuple[str, str]] = []
        self._rules: list[Rule] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._serve(self.request)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add(self, action: Action, *, method: str | None = None, contains: str | None = None, times: int | None = 1) -> Rule:
        rule = Rule(action, method, contains, times)
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self.requests.clear()

    def count(self, method: str, contains: str = "") -> int:
        with self._lock:
            return sum(m == method and contains in target for m, target in self.requests)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()  # held answers end now
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def _serve(self, client: socket.socket) -> None:
        """One request per connection (the answers say Connection: close)."""
        client.settimeout(30)
        with contextlib.suppress(OSError):
            request = _read_request(client)
            if request is None:
                return
            method, target, raw = request
            with self._lock:
                self.requests.append((method, target))
                rule = next((r for r in self._rules if r.matches(method, target)), None)
                if rule is not None:
                    rule.hits += 1
            exchange = _Exchange(client, method, target, raw, self.upstream, self._stopping)
            if rule is not None:
                rule.action(exchange)
                return
            head, body = exchange.forward()
            client.sendall(head + body)
        with contextlib.suppress(OSError):
            client.close()


def _read_request(client: socket.socket) -> tuple[str, str, bytes] | None:
    """The next request on ``client``: method, target and the bytes to send on (with its body;
    an ``Expect: 100-continue`` is answered here and not passed on: SigV4 does not sign it)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = client.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = [line for line in lines[1:] if not line.lower().startswith("expect:")]
    fields = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
    if fields.get("expect", "").lower() == "100-continue":
        client.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
    if fields.get("transfer-encoding", "").lower() == "chunked":
        body = _read_chunked(client, body)
    else:
        length = int(fields.get("content-length", "0"))
        while len(body) < length:
            chunk = client.recv(65536)
            if not chunk:
                return None
            body += chunk
    raw = "\r\n".join([lines[0], *headers]).encode("latin-1") + b"\r\n\r\n" + body
    return method, target, raw


def _read_chunked(client: socket.socket, data: bytes) -> bytes:
    """The whole chunked body, still chunked (passed on as sent), ending with its last chunk."""
    while not data.endswith(b"0\r\n\r\n"):
        chunk = client.recv(65536)
        if not chunk:
            break
        data += chunk
    return data
