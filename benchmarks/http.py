"""HTTP benchmark: ``diplokg serve`` against ``oxigraph serve`` on the same dump.

One command::

    python -m benchmarks.http [--dump dist/diplokg.nq] [--connections 2] [--seconds 3] [--rounds 3]
        [--servers granian,gunicorn]

Starts the servers on 127.0.0.1 — ``diplokg serve`` once per WSGI server named
in ``--servers`` (``--server granian``, the default, and ``--server gunicorn``;
2 workers x 4 threads, one evaluator process per thread, the answer cache on)
and ``oxigraph serve`` in memory with ``--union-default-graph``, loaded with the
same N-Quads through its Graph Store endpoint — checks that all give the same
answer to each query, then for each query and server runs a bounded closed-loop
load: ``connections`` client processes, each with one keep-alive connection
sending the next request as soon as the previous answer is read, for ``seconds``
seconds, ``rounds`` times, alternating servers. Prints throughput (requests/s)
and p50/p99 latency (ms) — medians over the rounds — and the ratios of each
diplokg server to oxigraph, and writes them to ``benchmarks/results/http.json``.
The servers and the clients share the machine's cores, as they would on one
host. Only 127.0.0.1 is contacted, and every loop stops by itself.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
ENTITY = "https://w3id.org/diplokg/id/azerbaijan"


def queries(entity: str) -> dict[str, tuple[str, str]]:
    """The three queries: a small SELECT, an aggregate, a CONSTRUCT of one entity."""
    return {
        "select": (
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
            "SELECT ?s ?label WHERE { ?s rdfs:label ?label FILTER(lang(?label) = 'en') } "
            "ORDER BY ?s LIMIT 10",
            "application/sparql-results+json",
        ),
        "aggregate": (
            "SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class } "
            "GROUP BY ?class ORDER BY DESC(?n) ?class",
            "application/sparql-results+json",
        ),
        "construct": (
            f"CONSTRUCT {{ <{entity}> ?p ?o }} WHERE {{ <{entity}> ?p ?o }}",
            "text/turtle",
        ),
    }


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_http(url: str, seconds: float = 60) -> None:
    """Wait until a URL answers 200."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def start_diplokg(
    dump: Path, port: int, workers: int, threads: int, server: str = "granian"
) -> subprocess.Popen[bytes]:
    """Start `diplokg serve` on the dump, on a WSGI server (granian or gunicorn)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIPLOKG_")}
    cmd = [sys.executable, "-m", "diplokg", "serve", "--port", str(port)]
    cmd += ["--dist", str(dump.parent), "--root", str(dump.parent)]
    cmd += ["--workers", str(workers), "--threads", str(threads), "--server", server]
    return subprocess.Popen(cmd, env=env, start_new_session=True)


def start_oxigraph(dump: Path, port: int) -> subprocess.Popen[bytes]:
    """Start `oxigraph serve` in memory and load the dump into it."""
    exe = Path(sys.executable).with_name("oxigraph")
    cmd = [str(exe), "serve", "--bind", f"127.0.0.1:{port}", "--union-default-graph"]
    proc = subprocess.Popen(cmd, start_new_session=True, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("oxigraph serve did not start") from None
            time.sleep(0.05)
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/store",
        data=dump.read_bytes(),
        headers={"Content-Type": "application/n-quads"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=120) as r:
        assert r.status in (200, 201, 204), r.status
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server and its process group."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def raw_request(path: str, accept: str) -> bytes:
    """The bytes of a keep-alive GET."""
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {accept}\r\n"
        "Connection: keep-alive\r\n\r\n"
    ).encode()


def read_response(sock: socket.socket, buffer: bytearray) -> tuple[int, bytes]:
    """Read one HTTP/1.1 response with Content-Length or chunked encoding."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buffer += chunk
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    body = bytearray(rest)
    if b"content-length" in headers:
        length = int(headers[b"content-length"])
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            body += chunk
        buffer[:] = body[length:]
        return status, bytes(body[:length])
    # chunked
    out = bytearray()
    while True:
        while b"\r\n" not in body:
            body += sock.recv(65536)
        size_line, _, body_rest = bytes(body).partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        body = bytearray(body_rest)
        while len(body) < size + 2:
            body += sock.recv(65536)
        out += body[:size]
        body = body[size + 2 :]
        if size == 0:
            buffer[:] = body
            return status, bytes(out)


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def client(port: int, request: bytes, seconds: float, results: Any) -> None:
    """One closed-loop connection: send, read, repeat until the time is up.

    A server that closes the connection after a response (no keep-alive) is
    reconnected to, and the reconnection counts in that request's latency.
    """
    latencies: list[float] = []
    errors = 0
    sock = _connect(port)
    buffer = bytearray()
    end = time.perf_counter() + seconds
    while True:
        start = time.perf_counter()
        if start >= end:
            break
        try:
            sock.sendall(request)
            status, _ = read_response(sock, buffer)
        except (ConnectionError, OSError):
            sock.close()
            sock, buffer = _connect(port), bytearray()
            sock.sendall(request)
            status, _ = read_response(sock, buffer)
        latencies.append(time.perf_counter() - start)
        if status != 200:
            errors += 1
    sock.close()
    results.put((latencies, errors))


def load(port: int, request: bytes, connections: int, seconds: float) -> dict[str, float]:
    """Run the clients in parallel processes; throughput and latency percentiles."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=client, args=(port, request, seconds, queue)) for _ in range(connections)
    ]
    for p in procs:
        p.start()
    latencies: list[float] = []
    errors = 0
    for _ in procs:
        lat, err = queue.get(timeout=seconds + 60)
        latencies += lat
        errors += err
    for p in procs:
        p.join(10)
    latencies.sort()
    n = len(latencies)
    return {
        "requests": n,
        "errors": errors,
        "throughput": n / seconds,
        "p50_ms": latencies[n // 2] * 1000,
        "p99_ms": latencies[min(n - 1, int(n * 0.99))] * 1000,
    }


def fetch(port: int, path: str, accept: str) -> tuple[int, bytes]:
    """One request on a new connection."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(raw_request(path, accept))
        return read_response(sock, bytearray())


def same_answer(a: bytes, b: bytes, accept: str) -> bool:
    """Whether two answers agree (bindings as a multiset, graphs by isomorphism)."""
    if accept == "text/turtle":
        from rdflib import Graph
        from rdflib.compare import isomorphic

        return isomorphic(
            Graph().parse(data=a, format="turtle"), Graph().parse(data=b, format="turtle")
        )
    rows_a = json.loads(a)["results"]["bindings"]
    rows_b = json.loads(b)["results"]["bindings"]

    def key(rows: list[Any]) -> list[str]:
        return sorted(json.dumps(r, sort_keys=True) for r in rows)

    return key(rows_a) == key(rows_b)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dump", type=Path, default=ROOT / "dist" / "diplokg.nq")
    parser.add_argument("--entity", default=ENTITY, help="IRI of the CONSTRUCT's entity")
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--servers", default="granian,gunicorn", help="WSGI servers of diplokg serve to measure"
    )
    parser.add_argument(
        "--output", type=Path, default=ROOT / "benchmarks" / "results" / "http.json"
    )
    args = parser.parse_args(argv)
    dump: Path = args.dump.resolve()
    if dump == (ROOT / "dist" / "diplokg.nq").resolve():
        from diplokg.config import Settings
        from diplokg.web.server import ensure_built

        ensure_built(Settings.from_env({}, root=ROOT))
    with tempfile.TemporaryDirectory(prefix="diplokg-bench-") as tmp:
        # diplokg serve reads {dist}/diplokg.nq; give it the dump under that name.
        served = Path(tmp) / "diplokg.nq"
        served.symlink_to(dump)
        if (dump.parent / "manifest.json").is_file():  # the server checks dist/ against it
            for path in dump.parent.iterdir():
                if path.is_file() and path.name != "diplokg.nq":
                    (Path(tmp) / path.name).symlink_to(path)
        ports = {f"diplokg-{name}": free_port() for name in args.servers.split(",")}
        procs = []
        try:
            for name, port in ports.items():
                server = name.removeprefix("diplokg-")
                procs.append(start_diplokg(served, port, args.workers, args.threads, server))
            ports["oxigraph"] = free_port()
            procs.append(start_oxigraph(dump, ports["oxigraph"]))
            for name, port in ports.items():
                if name != "oxigraph":
                    wait_http(f"http://127.0.0.1:{port}/sparql?query=ASK%7B%7D")
            report = run(args, ports)
        finally:
            for proc in procs:
                stop(proc)
    report["dump"] = str(dump)
    report["triples"] = sum(1 for line in dump.read_bytes().splitlines() if line.strip())
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {args.output}")
    return 0


def run(args: argparse.Namespace, ports: dict[str, int]) -> dict[str, Any]:
    """Check every server agrees with oxigraph serve, then measure every query on each.

    Args:
        args: The command line (entity, connections, seconds, rounds).
        ports: Server name → port; ``oxigraph`` is the peer, every other name a
            ``diplokg serve``.

    Returns:
        Per query: each server's medians, and each diplokg server's ratios to oxigraph.
    """
    QUERIES = queries(args.entity)
    paths = {
        name: {
            s: ("/query?" if s == "oxigraph" else "/sparql?") + urlencode({"query": q})
            for s in ports
        }
        for name, (q, _) in QUERIES.items()
    }
    for name, (_, accept) in QUERIES.items():
        answers = {s: fetch(ports[s], paths[name][s], accept) for s in ports}
        for server, (status, _) in answers.items():
            assert status == 200, f"{server} answered {status} to {name}"
        for server, (_, body) in answers.items():
            assert same_answer(body, answers["oxigraph"][1], accept), (server, name)
        # Warm up every server.
        for server in ports:
            load(ports[server], raw_request(paths[name][server], accept), 1, 0.3)
    results: dict[str, Any] = {
        "entity": args.entity,
        "connections": args.connections,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "queries": {},
    }
    header = f"{'query':<10} {'server':<17} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}"
    print(
        f"bounded load: {args.connections} connections x {args.seconds:g} s, "
        f"median of {args.rounds} rounds\n{header}"
    )
    for name, (_, accept) in QUERIES.items():
        rounds: dict[str, list[dict[str, float]]] = {s: [] for s in ports}
        for _ in range(args.rounds):
            for server in ports:
                request = raw_request(paths[name][server], accept)
                rounds[server].append(load(ports[server], request, args.connections, args.seconds))
        summary: dict[str, Any] = {}
        for server, runs in rounds.items():
            summary[server] = {
                key: statistics.median(r[key] for r in runs)
                for key in ("throughput", "p50_ms", "p99_ms")
            }
            summary[server]["errors"] = sum(r["errors"] for r in runs)
            s = summary[server]
            print(
                f"{name:<10} {server:<17} {s['throughput']:>9.0f} {s['p50_ms']:>8.2f}"
                f" {s['p99_ms']:>8.2f} {s['errors']:>6.0f}"
            )
        peer = summary["oxigraph"]
        summary["ratio"] = {}
        for server in ports:
            if server == "oxigraph":
                continue
            ours = summary[server]
            r = summary["ratio"][server] = {
                "throughput": ours["throughput"] / peer["throughput"],
                "p50": ours["p50_ms"] / peer["p50_ms"],
                "p99": ours["p99_ms"] / peer["p99_ms"],
            }
            print(
                f"{name:<10} {'ratio':<17} {r['throughput']:>9.2f} {r['p50']:>8.2f}"
                f" {r['p99']:>8.2f}   ({server} / oxigraph)"
            )
        results["queries"][name] = summary
    return results


if __name__ == "__main__":
    sys.exit(main())
