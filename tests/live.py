"""A real ``diplokg serve`` on 127.0.0.1 for the web tests, and a tiny HTTP client.

The server runs the fixture dataset of ``tests/data/web`` (54 quads in five named
graphs, two competency questions) with a short query timeout and a small result
cap so that both limits can be tested quickly.

The session fixture ``backend`` is parametrised over the three stores, so every
test that uses ``live_server`` (or the linked-data servers) runs once per store:
``memory``, ``disk`` (a store directory in the session's temporary directory)
and ``remote`` (a real ``oxigraph serve`` on a free port of 127.0.0.1, loaded
with ``diplokg push``, stopped at the end of the session).
"""

from __future__ import annotations

import hashlib
import http.client
import json
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


BACKENDS = ("memory", "disk", "remote")


@dataclass
class LiveServer:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    backend: str = "memory"

    @property
    def timeout_status(self) -> int:
        """The status of a query cut by the timeout: 504 when a remote store is too slow."""
        return 504 if self.backend == "remote" else 503

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


def clean_env() -> dict[str, str]:
    """This process's environment without any ``DIPLOKG_*`` variable."""
    return {k: v for k, v in os.environ.items() if not k.startswith("DIPLOKG_")}


def write_manifest(dist: Path) -> None:
    """Write a ``manifest.json`` listing the files of a hand-made ``dist/`` as a build would."""
    files = {}
    for path in sorted(dist.iterdir()):
        if path.is_file() and path.name != "manifest.json":
            data = path.read_bytes()
            files[path.name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    (dist / "manifest.json").write_text(json.dumps({"files": files}, indent=2) + "\n")


def wait_until_up(server: LiveServer, wait: float, what: str = "diplokg serve") -> None:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{what} exited with {server.process.returncode}")
        try:
            if server.request("GET", "/sparql?query=ASK%7B%7D", timeout=2).status == 200:
                return
        except OSError:
            time.sleep(0.1)
    stop_server(server)
    raise RuntimeError(f"{what} did not answer within {wait} s")


def start_server(
    *extra: str, root: Path = WEB, wait: float = 30, backend: str = "memory", check: bool = True
) -> LiveServer:
    port = free_port()
    cmd = [sys.executable, "-m", "diplokg", "serve", "--root", str(root), "--port", str(port)]
    cmd += ["--workers", "1", "--threads", "4", "--query-timeout", str(TIMEOUT)]
    cmd += ["--result-cap", str(CAP), "--max-body", "100000", "--store", backend, *extra]
    process = subprocess.Popen(cmd, env=clean_env(), start_new_session=True)
    server = LiveServer(f"http://127.0.0.1:{port}", port, process, backend)
    if check:
        wait_until_up(server, wait)
    return server


def stop_server(server: LiveServer) -> None:
    stop_process(server.process)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


# --- oxigraph serve, the remote store -------------------------------------------


@dataclass
class Oxigraph:
    """A real ``oxigraph serve`` (in memory, default graph = union of the graphs)."""

    port: int
    process: subprocess.Popen[bytes]

    @property
    def query_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/query"

    @property
    def gsp_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/store"

    def args(self) -> list[str]:
        """The ``diplokg push`` options that point at this store."""
        return ["--store-query-url", self.query_url, "--store-gsp-url", self.gsp_url]


def start_oxigraph(port: int | None = None, timeout_s: float = 5) -> Oxigraph:
    """Start ``oxigraph serve`` on 127.0.0.1 and wait until it accepts connections."""
    port = port or free_port()
    exe = Path(sys.executable).with_name("oxigraph")
    cmd = [str(exe), "serve", "--bind", f"127.0.0.1:{port}", "--union-default-graph"]
    cmd += ["--timeout-s", f"{timeout_s:g}"]
    process = subprocess.Popen(
        cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return Oxigraph(port, process)
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop_process(process)
                raise RuntimeError("oxigraph serve did not start") from None
            time.sleep(0.05)


def push(oxigraph: Oxigraph, root: Path) -> subprocess.CompletedProcess[str]:
    """Load a project's ``dist/`` into the store with the real ``diplokg push``."""
    cmd = [sys.executable, "-m", "diplokg", "push", "--root", str(root), *oxigraph.args()]
    return subprocess.run(cmd, env=clean_env(), capture_output=True, text=True, timeout=120)


class Backends:
    """The stores a test session serves from: one ``oxigraph serve`` per pushed project."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.stores: dict[Path, Oxigraph] = {}

    def args(self, backend: str, root: Path) -> list[str]:
        """The ``diplokg serve`` options for a backend serving the project at ``root``."""
        if backend == "disk":
            return ["--store-path", str(self.tmp / f"disk-{abs(hash(root))}")]
        if backend == "remote":
            if root not in self.stores:
                oxigraph = start_oxigraph(timeout_s=TIMEOUT + 1)
                done = push(oxigraph, root)
                if done.returncode != 0:
                    stop_process(oxigraph.process)
                    raise RuntimeError(f"diplokg push failed: {done.stderr}")
                self.stores[root] = oxigraph
            return ["--store-query-url", self.stores[root].query_url]
        return []

    def settings(self, backend: str, root: Path) -> dict[str, object]:
        """The same as :meth:`args`, as ``Settings`` overrides (for an in-process app)."""
        args = self.args(backend, root)
        overrides: dict[str, object] = {"store": backend}
        for option, value in zip(args[::2], args[1::2], strict=True):
            overrides[option.removeprefix("--").replace("-", "_")] = value
        return overrides

    def close(self) -> None:
        for oxigraph in self.stores.values():
            stop_process(oxigraph.process)


@pytest.fixture(scope="session")
def backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backends]:
    """The disk stores' directory and the ``oxigraph serve`` processes of the session."""
    stores = Backends(tmp_path_factory.mktemp("stores"))
    yield stores
    stores.close()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The store the live servers of the session answer from (each test runs on each)."""
    name: str = request.param
    return name


@pytest.fixture(scope="session")
def live_server(backend: str, backends: Backends) -> Iterator[LiveServer]:
    """``diplokg serve`` on a free port of 127.0.0.1 on each backend, for the whole session."""
    server = start_server(*backends.args(backend, WEB), backend=backend)
    yield server
    stop_server(server)
