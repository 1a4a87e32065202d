"""A real ``diplokg serve`` on 127.0.0.1 for the web tests, and a tiny HTTP client.

The server runs the fixture dataset of ``tests/data/web`` (54 quads in five named
graphs, two competency questions) with a short query timeout and a small result
cap so that both limits can be tested quickly.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import pytest

WEB = Path(__file__).parent / "data" / "web"
TIMEOUT = 1.0
CAP = 50


@dataclass
class Reply:
    status: int
    headers: Message
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


@dataclass
class LiveServer:
    url: str
    port: int
    process: subprocess.Popen[bytes]

    def request(
        self,
        method: str,
        path: str,
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 10.0,
    ) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data = body.encode() if isinstance(body, str) else body
            conn.request(method, path, body=data, headers=headers or {})
            resp = conn.getresponse()
            return Reply(resp.status, resp.headers, resp.read())
        finally:
            conn.close()

    def tree_cpu_seconds(self) -> float:
        """CPU time (user + system) of the server and all its descendants, now."""
        children: dict[int, list[int]] = {}
        stats: dict[int, list[str]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid = int(entry.name)
            stats[pid] = fields
            children.setdefault(int(fields[1]), []).append(pid)
        total, stack = 0, [self.process.pid]
        while stack:
            pid = stack.pop()
            if pid in stats:
                total += int(stats[pid][11]) + int(stats[pid][12])
            stack.extend(children.get(pid, []))
        return total / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(*extra: str, root: Path = WEB, wait: float = 30) -> LiveServer:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIPLOKG_")}
    cmd = [sys.executable, "-m", "diplokg", "serve", "--root", str(root), "--port", str(port)]
    cmd += ["--workers", "1", "--threads", "4", "--query-timeout", str(TIMEOUT)]
    cmd += ["--result-cap", str(CAP), "--max-body", "100000", *extra]
    process = subprocess.Popen(cmd, env=env, start_new_session=True)
    server = LiveServer(f"http://127.0.0.1:{port}", port, process)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"diplokg serve exited with {process.returncode}")
        try:
            if server.request("GET", "/sparql?query=ASK%7B%7D", timeout=2).status == 200:
                return server
        except OSError:
            time.sleep(0.1)
    stop_server(server)
    raise RuntimeError(f"diplokg serve did not answer within {wait} s")


def stop_server(server: LiveServer) -> None:
    if server.process.poll() is None:
        os.killpg(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(5)


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    """``diplokg serve`` on a free port of 127.0.0.1, for the whole session."""
    server = start_server()
    yield server
    stop_server(server)
