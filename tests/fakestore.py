"""A misbehaving SPARQL store on 127.0.0.1 for the resilience tests: a real TCP server.

Modes: ``slow`` (reads the request, never answers), ``garbage`` (200 with a body
that is not SPARQL JSON), ``not-http`` (bytes that are not an HTTP response),
``error`` (500), ``json`` (a fixed, valid SPARQL JSON answer). Every request it
reads is recorded, so a test can also check that nothing was sent.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

VALID = b'{"head":{"vars":["g","n"]},"results":{"bindings":[]}}'


class FakeStore:
    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.requests: list[bytes] = []
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.listener.settimeout(0.2)
        self.port: int = self.listener.getsockname()[1]
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/query"

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(30)
            while not self.stopped.is_set():
                data = b""
                try:
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            return
                        data += chunk
                    head, _, body = data.partition(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n"):
                        if line.lower().startswith(b"content-length:"):
                            length = int(line.split(b":")[1])
                    while len(body) < length:
                        body += conn.recv(65536)
                except OSError:
                    return
                self.requests.append(head + b"\r\n\r\n" + body)
                if self.mode == "slow":
                    self.stopped.wait(60)
                    return
                if self.mode == "not-http":
                    conn.sendall(b"garbage, not HTTP at all\r\n\r\n")
                    return
                if self.mode == "garbage":
                    self._answer(conn, 200, "application/sparql-results+json", b"<<<garbage>>>")
                elif self.mode == "error":
                    self._answer(conn, 500, "text/plain", b"internal failure of the store")
                else:
                    self._answer(conn, 200, "application/sparql-results+json", VALID)

    @staticmethod
    def _answer(conn: socket.socket, status: int, kind: str, body: bytes) -> None:
        head = f"HTTP/1.1 {status} X\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n\r\n"
        conn.sendall(head.encode() + body)

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(2)
        self.listener.close()


@contextmanager
def fake_store(mode: str) -> Iterator[FakeStore]:
    store = FakeStore(mode)
    try:
        yield store
    finally:
        store.close()
        time.sleep(0.05)
