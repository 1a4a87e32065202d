"""Resilience with real servers and processes: a remote store that is down, slow or
answering garbage; a web worker killed under load; a dist/ that is missing, partial
or corrupt."""

from __future__ import annotations

import gzip
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakestore import fake_store
from tests.live import (
    TIMEOUT,
    WEB,
    LiveServer,
    clean_env,
    free_port,
    push,
    start_oxigraph,
    start_server,
    stop_process,
    stop_server,
)

ASK = "/sparql?query=ASK%7B%3Fs%3Fp%3Fo%7D"
JSON = {"Accept": "application/json"}


def wait_listening(server: LiveServer, wait: float = 30) -> None:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"diplokg serve exited with {server.process.returncode}")
        try:
            server.request("GET", "/sparql", headers=JSON, timeout=2)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("diplokg serve did not listen")


@pytest.fixture
def remote_server() -> Iterator[tuple[LiveServer, int]]:
    """``diplokg serve --store remote`` pointed at a port where nothing listens yet."""
    port = free_port()
    server = start_server(
        "--store-query-url", f"http://127.0.0.1:{port}/query", backend="remote", check=False
    )
    try:
        wait_listening(server)
        yield server, port
    finally:
        stop_server(server)


def error_of(body: bytes) -> str:
    doc = json.loads(body)
    assert set(doc) <= {"ok", "status", "error", "detail"}
    assert doc["ok"] is False
    message: str = doc["error"]
    return message


def test_a_store_that_is_down_gives_503_then_the_app_recovers_by_itself(
    remote_server: tuple[LiveServer, int],
) -> None:
    server, port = remote_server
    for path in (ASK, "/", "/sparql"):
        start = time.monotonic()
        r = server.request("GET", path, headers=JSON)
        assert time.monotonic() - start < 2
        assert r.status == 503, path
        assert int(r.header("Retry-After") or 0) >= 1
        assert "cannot be reached" in error_of(r.body)
    # The store comes up on its port and is loaded: no restart of the app needed.
    oxigraph = start_oxigraph(port)
    try:
        assert push(oxigraph, WEB).returncode == 0
        r = server.request("GET", ASK)
        assert r.status == 200
        assert r.body == b'{"head":{},"boolean":true}'
        assert server.request("GET", "/", headers={"Accept": "text/html"}).status == 200
    finally:
        stop_process(oxigraph.process)
    # Down again, then back again.
    assert server.request("GET", ASK, headers=JSON).status == 503
    oxigraph = start_oxigraph(port)
    try:
        assert push(oxigraph, WEB).returncode == 0
        assert server.request("GET", ASK).status == 200
    finally:
        stop_process(oxigraph.process)


@pytest.mark.parametrize(
    ("mode", "status", "words"),
    [
        ("slow", 504, "did not answer within"),
        ("garbage", 502, "not SPARQL JSON results"),
        ("not-http", 502, "not HTTP"),
        ("error", 502, "answered 500"),
    ],
)
def test_a_misbehaving_store_gives_a_gateway_error_never_a_hang(
    mode: str, status: int, words: str
) -> None:
    with fake_store(mode) as fake:
        server = start_server("--store-query-url", fake.url, backend="remote", check=False)
        try:
            wait_listening(server)
            for _ in range(2):  # and again: nothing stuck
                start = time.monotonic()
                r = server.request("GET", ASK, headers=JSON, timeout=TIMEOUT + 10)
                elapsed = time.monotonic() - start
                assert r.status == status
                assert elapsed < TIMEOUT + 1.5
                assert int(r.header("Retry-After") or 0) >= 1
                assert words in error_of(r.body)
                assert "Traceback" not in r.text
        finally:
            stop_server(server)


# --- a web worker killed under load ----------------------------------------------


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid and stat[0] != "Z":
                out.append(int(entry.name))
    return sorted(out)


@pytest.mark.parametrize("name", ["granian", "gunicorn"])
def test_connections_made_while_a_worker_is_stuck_go_to_the_other(name: str) -> None:
    """Connections never wait on a worker that does not accept, and survive its death.

    With one listening socket per worker (``SO_REUSEPORT``, granian's own choice on
    Linux) the kernel would queue about half of them on the stopped worker, and
    reset them when it is killed.
    """
    server = start_server("--server", name, "--workers", "2", "--threads", "2")
    try:
        deadline = time.monotonic() + 20
        while len(children(server.process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = children(server.process.pid)
        assert len(workers) == 2
        os.kill(workers[0], signal.SIGSTOP)
        try:
            statuses: list[int | str] = []

            def one() -> None:
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
                try:
                    conn.request("GET", ASK, headers={"Connection": "close"})
                    statuses.append(conn.getresponse().status)
                except (OSError, http.client.HTTPException) as error:
                    statuses.append(repr(error))
                finally:
                    conn.close()

            threads = [threading.Thread(target=one) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(3)
        finally:
            os.kill(workers[0], signal.SIGKILL)
        for t in threads:
            t.join(10)
        assert statuses == [200] * 8
    finally:
        stop_server(server)


@pytest.mark.parametrize("name", ["granian", "gunicorn"])
@pytest.mark.parametrize("reconnect", [False, True], ids=["keep-alive", "connection-per-request"])
def test_a_killed_worker_is_replaced_with_no_failures_beyond_those_in_flight(
    name: str, reconnect: bool
) -> None:
    """Each client has at most one request in flight, so at most that many may fail.

    A new connection per request keeps connections waiting to be accepted: they
    must be taken by the other worker, not reset with the dead one.
    """
    server = start_server("--server", name, "--workers", "2", "--threads", "2")
    try:
        deadline = time.monotonic() + 20
        while len(children(server.process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = children(server.process.pid)
        assert len(workers) == 2
        connections = 4 if reconnect else 2
        headers = {"Connection": "close"} if reconnect else {}
        stop = threading.Event()
        ok = [0] * connections
        failed = [0] * connections

        def client(i: int) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            while not stop.is_set():
                try:
                    if reconnect:
                        conn.close()
                        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
                    conn.request("GET", ASK, headers=headers)
                    r = conn.getresponse()
                    body = r.read()
                    if r.status == 200 and body.endswith(b"true}"):
                        ok[i] += 1
                    else:
                        failed[i] += 1
                except (OSError, http.client.HTTPException):
                    failed[i] += 1
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            conn.close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        before = sum(ok)
        os.kill(workers[0], signal.SIGKILL)
        time.sleep(3)
        stop.set()
        for t in threads:
            t.join(10)
        assert before > 10
        assert sum(ok) > before + 10  # the load went on
        assert sum(failed) <= connections  # at most the requests in flight
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            now = children(server.process.pid)
            if len(now) == 2 and workers[0] not in now:
                break
            time.sleep(0.1)
        assert len(now) == 2
        assert workers[0] not in now  # replaced
        assert all(server.request("GET", ASK).status == 200 for _ in range(6))
    finally:
        stop_server(server)


# --- a graceful stop ---------------------------------------------------------------

# About two million rows to count on the fixture: a second or two, well within the
# graceful stop's 5 s.
SLOW = (
    "/sparql?query=SELECT%20(COUNT(*)%20AS%20%3Fn)%20%7B%20%3Fa%20%3Fb%20%3Fc%20.%20"
    "%3Fd%20%3Fe%20%3Ff%20.%20%3Fg%20%3Fh%20%3Fi%20.%20VALUES%20%3Fx%20%7B"
    + "%20".join(str(i) for i in range(1, 41))
    + "%7D%20%7D"
)


def descendants(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        kids = children(stack.pop())
        found += kids
        stack += kids
    return found


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_server_after_the_requests_in_flight(sig: signal.Signals) -> None:
    server = start_server("--query-timeout", "20")
    tree = descendants(server.process.pid)
    assert tree  # workers, their forkservers and evaluators
    replies: list[int] = []

    def slow() -> None:
        replies.append(server.request("GET", SLOW, headers=JSON, timeout=30).status)

    client = threading.Thread(target=slow)
    try:
        client.start()
        time.sleep(0.5)
        server.process.send_signal(sig)  # the server process only, not its group
        client.join(30)
        assert replies == [200]
        assert server.process.wait(15) == 0
    finally:
        stop_server(server)
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection(("127.0.0.1", server.port)),
    ):
        pass
    deadline = time.monotonic() + 5
    while any(Path(f"/proc/{pid}").exists() for pid in tree) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in tree if Path(f"/proc/{pid}").exists()]  # no process left behind


# --- dist/ missing, partial or corrupt ---------------------------------------------


def corrupt(dist: Path, case: str) -> None:
    if case == "missing-file":
        (dist / "diplokg.ttl.gz").unlink()
    elif case == "no-manifest":
        (dist / "manifest.json").unlink()
    elif case == "truncated-nquads":
        data = (dist / "diplokg.nq").read_bytes()
        (dist / "diplokg.nq").write_bytes(data[: len(data) // 2])
    elif case == "bad-gzip":
        path = dist / "diplokg.nq.gz"
        damaged = bytearray(path.read_bytes())
        damaged[20:60] = b"\x00" * 40  # same size, not the same bytes
        path.write_bytes(bytes(damaged))
        with pytest.raises((OSError, EOFError, zlib.error)):
            gzip.decompress(bytes(damaged))
    elif case == "digest-mismatch":
        manifest = json.loads((dist / "manifest.json").read_text())
        manifest["files"]["diplokg.nq"]["sha256"] = "0" * 64
        (dist / "manifest.json").write_text(json.dumps(manifest))
    else:
        raise AssertionError(case)


CASES = {
    "missing-file": "diplokg.ttl.gz is missing",
    "no-manifest": "manifest.json is missing",
    "truncated-nquads": "diplokg.nq has",
    "bad-gzip": "diplokg.nq.gz does not match its sha256",
    "digest-mismatch": "diplokg.nq does not match its sha256",
}


@pytest.mark.parametrize("backend", ["memory", "disk"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_broken_dist_stops_start_up_with_what_to_do(
    built_copy: Path, tmp_path: Path, case: str, backend: str
) -> None:
    corrupt(built_copy / "dist", case)
    port = free_port()
    cmd = [sys.executable, "-m", "diplokg", "serve", "--root", str(built_copy)]
    cmd += ["--port", str(port), "--workers", "1", "--threads", "1", "--store", backend]
    cmd += ["--store-path", str(tmp_path / "store")]
    done = subprocess.run(cmd, env=clean_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert CASES[case] in done.stderr
    assert "diplokg build" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "store").exists()  # nothing was loaded
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection(("127.0.0.1", port), timeout=1),
    ):
        pass


def test_no_dist_and_nothing_to_build_from_stops_start_up(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "diplokg", "serve", "--root", str(tmp_path)]
    cmd += ["--port", str(free_port()), "--store", "disk"]
    done = subprocess.run(cmd, env=clean_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "no dataset" in done.stderr
    assert "diplokg build" in done.stderr
