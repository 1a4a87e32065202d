"""Store benchmark: the competency questions on every backend, HTTP against ``oxigraph serve``.

One command::

    python -m benchmarks.stores [--scales article,10k,100k,1m] [--http-scales article]
        [--repeat 5] [--connections 2] [--seconds 3] [--rounds 3] [--work DIR]

For each scale (``article``: the repository's own ``dist/``, built first if
needed; ``10k``, ``100k``, ``1m``: a project from :mod:`benchmarks.generate`),
it:

1. runs every competency question (``queries/*.rq``) on pyoxigraph called
   directly (an in-memory ``Store``, the query, the answer serialised as SPARQL
   JSON) and through each backend's :class:`~diplokg.store.Store` — ``memory``,
   ``disk`` (the policy check, the pipe to the evaluator process) and ``remote``
   (the policy check, HTTP to a real ``oxigraph serve``, the answer parsed and
   written again) — and reports median milliseconds and the ratios to direct;
2. measures the disk store's start-up: opening an already loaded store
   in-process, and ``diplokg serve --store disk`` from exec to its first answer;
3. at the ``--http-scales``, runs the HTTP benchmark of :mod:`benchmarks.http`
   (a SELECT, an aggregate, a one-entity CONSTRUCT; ``connections`` closed-loop
   clients, ``rounds`` rounds of ``seconds``, servers alternating) for
   ``diplokg serve`` on the memory and disk stores, each with its answer cache
   (the default) and without (``--query-cache 0``), on granian (the default
   server) and, for the memory store, on gunicorn too (``--server gunicorn``),
   and ``oxigraph serve`` on the same data, in the same run.

Generated scales are not run through ``diplokg build`` (its reasoning and SHACL
take minutes at 10k and are measured by :mod:`benchmarks.build_bench`): their
``dist/`` holds the asserted named graphs assembled with Oxigraph in the build's
layout (``graph/ontology``, ``graph/shapes``, ``graph/facts/{id}`` with the
source text, ``graph/background``), without ``graph/inferred``. The article's is
the real build. The table is printed and written to ``benchmarks/results/stores.md``
(the numbers to ``stores.json``). Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox

from benchmarks import http as bench_http
from diplokg.config import CANONICAL_BASE, Settings
from diplokg.errors import DiploKGError
from diplokg.store import QueryRequest, Store, open_store
from diplokg.store.disk import prepare
from diplokg.store.dist import check_dist, dump_digest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
GRAPH = CANONICAL_BASE + "graph/"
SCHEMA_TEXT = ox.NamedNode("http://schema.org/text")
#: Targets of the issue, for the ratios.
TARGET_THROUGHPUT, TARGET_P99, TARGET_STARTUP = 0.5, 2.0, 2.0
#: Seconds one competency question may take on a backend (then reported as not answered).
QUERY_TIMEOUT = 30.0
SCALE_ORDER = ["article", "10k", "100k", "1m"]


# --- datasets ------------------------------------------------------------------


def _turtle(path: Path, rel: str, graph: str) -> list[ox.Quad]:
    g = ox.NamedNode(graph)
    triples = ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=CANONICAL_BASE + rel)
    return [ox.Quad(t.subject, t.predicate, t.object, g) for t in triples]


def assemble(project: Path, dist: Path) -> None:
    """Write ``dist/diplokg.nq`` and its manifest from a generated project (asserted graphs)."""
    quads: list[ox.Quad] = []
    for name in ("diplokg.ttl", "alignment.ttl"):
        if (project / "ontology" / name).is_file():
            quads += _turtle(project / "ontology" / name, f"ontology/{name}", GRAPH + "ontology")
    for path in sorted((project / "ontology" / "shapes").glob("*.ttl")):
        quads += _turtle(path, f"ontology/shapes/{path.name}", GRAPH + "shapes")
    for text in sorted((project / "data" / "sources").glob("*.txt")):
        sid = text.stem
        graph = GRAPH + f"facts/{sid}"
        quads += _turtle(text.with_suffix(".ttl"), f"data/sources/{sid}.ttl", graph)
        facts = project / "data" / "facts" / f"{sid}.ttl"
        if facts.is_file():
            quads += _turtle(facts, f"data/facts/{sid}.ttl", graph)
        quads.append(
            ox.Quad(
                ox.NamedNode(CANONICAL_BASE + f"id/{sid}"),
                SCHEMA_TEXT,
                ox.Literal(text.read_text(encoding="utf-8")),
                ox.NamedNode(graph),
            )
        )
    for path in sorted((project / "data" / "background").glob("*.ttl")):
        quads += _turtle(path, f"data/background/{path.name}", GRAPH + "background")
    dist.mkdir(parents=True, exist_ok=True)
    body = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    assert body is not None
    (dist / "diplokg.nq").write_bytes(body)
    manifest = {
        "note": "benchmarks/stores.py: asserted graphs of a generated project, no build",
        "files": {"diplokg.nq": {"bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()}},
    }
    (dist / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def dataset(scale: str, work: Path) -> Path:
    """The ``dist/`` of a scale, made when missing."""
    if scale == "article":
        from diplokg.web.server import ensure_built

        ensure_built(Settings.from_env({}, root=ROOT))
        return ROOT / "dist"
    from benchmarks.generate import SCALES, generate

    dist = work / scale / "dist"
    if not (dist / "manifest.json").is_file():
        project = work / scale / "project"
        started = time.monotonic()
        generate(project, SCALES[scale])
        assemble(project, dist)
        print(f"[{scale}] dataset made in {time.monotonic() - started:.1f} s", flush=True)
    return dist


def triples_in(dist: Path) -> int:
    """Quads in the dump (one per line)."""
    with (dist / "diplokg.nq").open("rb") as f:
        return sum(1 for line in f if line.strip())


# --- competency questions ---------------------------------------------------------


def competency_questions() -> dict[str, str]:
    """``cqNN-slug`` → query text."""
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted((ROOT / "queries").glob("*.rq"))}


def _median_ms(fn: Any, repeat: int) -> float:
    fn()  # warm: caches, the policy's parse of this text
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def direct_times(dist: Path, cqs: dict[str, str], repeat: int, cap: int) -> dict[str, float]:
    """Pyoxigraph called directly: query, at most ``cap`` rows written as SPARQL JSON.

    The cap is applied as the backends apply it (the evaluator's writer stops
    after ``cap`` rows, which stops the evaluation), without the process hop.
    """
    from diplokg.store.evaluator import _graph, _select

    store = ox.Store()
    store.bulk_load(path=str(dist / "diplokg.nq"), format=ox.RdfFormat.N_QUADS)

    def run(q: str) -> None:
        answer = store.query(q, use_default_graph_as_union=True)
        if isinstance(answer, ox.QueryBoolean):
            answer.serialize(format=ox.QueryResultsFormat.JSON)
        elif isinstance(answer, ox.QuerySolutions):
            _select(answer, "json", cap, None)
        else:
            _graph(answer, "nt", cap, {})

    return {name: _median_ms(lambda q=q: run(q), repeat) for name, q in cqs.items()}


def store_times(store: Store, cqs: dict[str, str], repeat: int, cap: int) -> dict[str, float]:
    """Through the store interface, as the web layer calls it, with the result cap."""
    out = {}
    for name, q in cqs.items():
        request = QueryRequest(q, results_format="json", graph_format="nt", result_cap=cap)
        try:
            out[name] = _median_ms(lambda r=request: store.query(r, QUERY_TIMEOUT), repeat)
        except DiploKGError as error:  # e.g. a remote store that computes the whole answer
            print(f"  {name}: {type(error).__name__}: {error}", flush=True)
            out[name] = float("nan")
    return out


# --- processes ---------------------------------------------------------------------


def start_oxigraph(dist: Path) -> tuple[subprocess.Popen[bytes], int]:
    """``oxigraph serve`` in memory, loaded with the dump."""
    port = bench_http.free_port()
    return bench_http.start_oxigraph(dist / "diplokg.nq", port), port


def start_diplokg(
    dist: Path, store: str, store_path: Path, workers: int, threads: int, *extra: str
) -> tuple[subprocess.Popen[bytes], int, float]:
    """``diplokg serve`` on a backend; returns the process, its port and its start-up time."""
    port = bench_http.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIPLOKG_")}
    cmd = [sys.executable, "-m", "diplokg", "serve", "--port", str(port)]
    cmd += ["--dist", str(dist), "--root", str(dist.parent), "--store", store]
    cmd += ["--store-path", str(store_path), "--workers", str(workers), "--threads", str(threads)]
    cmd += extra
    started = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}/sparql?query=ASK%7B%7D"
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return proc, port, time.monotonic() - started
        except OSError:
            if proc.poll() is not None or time.monotonic() - started > 600:
                bench_http.stop(proc)
                raise RuntimeError(f"diplokg serve --store {store} did not start") from None
            time.sleep(0.02)


def push(dist: Path, port: int) -> float:
    """``diplokg push`` into ``oxigraph serve``; seconds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIPLOKG_")}
    cmd = [sys.executable, "-m", "diplokg", "push", "--dist", str(dist), "--root", str(dist.parent)]
    cmd += ["--store-gsp-url", f"http://127.0.0.1:{port}/store"]
    cmd += ["--store-query-url", f"http://127.0.0.1:{port}/query"]
    started = time.monotonic()
    subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=3600)
    return time.monotonic() - started


def first_entity(dist: Path) -> str:
    """An entity with a label, for the one-entity CONSTRUCT (the article's: Azerbaijan)."""
    if dist == ROOT / "dist":
        return bench_http.ENTITY
    store = ox.Store()
    store.bulk_load(path=str(dist / "diplokg.nq"), format=ox.RdfFormat.N_QUADS)
    q = (
        "SELECT ?s WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l "
        f"FILTER(STRSTARTS(STR(?s), '{CANONICAL_BASE}id/')) }} ORDER BY ?s LIMIT 1"
    )
    rows = list(store.query(q, use_default_graph_as_union=True))  # type: ignore[arg-type]
    return str(rows[0]["s"].value)


# --- HTTP --------------------------------------------------------------------------


def http_bench(
    dist: Path, store_path: Path, args: argparse.Namespace
) -> dict[str, dict[str, dict[str, float]]]:
    """The three queries over HTTP: diplokg (memory, disk; granian, gunicorn) and oxigraph serve."""
    entity = first_entity(dist)
    queries = bench_http.queries(entity)
    servers: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    try:
        oxi, oxi_port = start_oxigraph(dist)
        servers["oxigraph"] = (oxi, oxi_port)
        # The answer cache (query_cache) on, as served by default, and off; on granian
        # (the default server) and on gunicorn, the alternative.
        nocache = ("--query-cache", "0")
        gunicorn = ("--server", "gunicorn")
        for name, backend, extra in (
            ("diplokg-memory-granian", "memory", ()),
            ("diplokg-memory-gunicorn", "memory", gunicorn),
            ("diplokg-memory-nocache-granian", "memory", nocache),
            ("diplokg-memory-nocache-gunicorn", "memory", nocache + gunicorn),
            ("diplokg-disk-granian", "disk", ()),
            ("diplokg-disk-nocache-granian", "disk", nocache),
        ):
            proc, port, _ = start_diplokg(
                dist, backend, store_path, args.workers, args.threads, *extra
            )
            servers[name] = (proc, port)
        paths = {
            name: {
                s: ("/query?" if s == "oxigraph" else "/sparql?") + urlencode({"query": q})
                for s in servers
            }
            for name, (q, _) in queries.items()
        }
        for name, (_, accept) in queries.items():
            answers = {
                s: bench_http.fetch(port, paths[name][s], accept)
                for s, (_, port) in servers.items()
            }
            for s, (status, body) in answers.items():
                assert status == 200, f"{s} answered {status} to {name}"
                assert bench_http.same_answer(body, answers["oxigraph"][1], accept), (s, name)
            for s, (_, port) in servers.items():
                bench_http.load(port, bench_http.raw_request(paths[name][s], accept), 1, 0.3)
        out: dict[str, dict[str, dict[str, float]]] = {}
        for name, (_, accept) in queries.items():
            rounds: dict[str, list[dict[str, float]]] = {s: [] for s in servers}
            for _ in range(args.rounds):
                for s, (_, port) in servers.items():
                    request = bench_http.raw_request(paths[name][s], accept)
                    rounds[s].append(bench_http.load(port, request, args.connections, args.seconds))
            out[name] = {
                s: {
                    key: statistics.median(r[key] for r in runs)
                    for key in ("throughput", "p50_ms", "p99_ms")
                }
                | {"errors": float(sum(r["errors"] for r in runs))}
                for s, runs in rounds.items()
            }
            print(
                f"  http {name}: "
                + ", ".join(
                    f"{s} {v['throughput']:.0f}/s p99 {v['p99_ms']:.2f} ms"
                    for s, v in out[name].items()
                ),
                flush=True,
            )
        return out
    finally:
        for proc, _ in servers.values():
            bench_http.stop(proc)


# --- one scale ---------------------------------------------------------------------


def run_scale(scale: str, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Every measurement at one scale."""
    dist = dataset(scale, work)
    result: dict[str, Any] = {"scale": scale, "triples": triples_in(dist)}
    print(f"[{scale}] {result['triples']} quads in {dist}", flush=True)
    cqs = competency_questions()
    store_path = work / scale / "store"
    times: dict[str, dict[str, float]] = {"direct": direct_times(dist, cqs, args.repeat, args.cap)}

    # Disk: load once (timed), then the start-up of an already loaded store.
    started = time.monotonic()
    prepare(store_path, dist / "diplokg.nq", dump_digest(check_dist(dist, full=False)))
    result["disk_load_s"] = time.monotonic() - started

    base = {"root": dist.parent, "dist": dist, "threads": 1, "query_memory": 0, "query_cache": 0}
    for backend in ("memory", "disk"):
        started = time.monotonic()
        store = open_store(Settings.from_env({}, store=backend, store_path=store_path, **base))
        result[f"{backend}_open_s"] = time.monotonic() - started
        try:
            times[backend] = store_times(store, cqs, args.repeat, args.cap)
        finally:
            store.close()

    oxi = bench_http.free_port()
    exe = str(Path(sys.executable).with_name("oxigraph"))
    oxi_proc = subprocess.Popen(
        [exe, "serve", "--bind", f"127.0.0.1:{oxi}", "--union-default-graph"],
        start_new_session=True,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_port(oxi)
        result["push_s"] = push(dist, oxi)
        url = f"http://127.0.0.1:{oxi}/query"
        store = open_store(Settings.from_env({}, store="remote", store_query_url=url, **base))
        try:
            times["remote"] = store_times(store, cqs, args.repeat, args.cap)
        finally:
            store.close()
    finally:
        bench_http.stop(oxi_proc)
    result["cq_ms"] = times

    # diplokg serve --store disk on the loaded store: exec to first answer.
    startups = []
    for _ in range(args.startup_runs):
        proc, _, seconds = start_diplokg(dist, "disk", store_path, 1, 1)
        bench_http.stop(proc)
        startups.append(seconds)
    result["disk_serve_startup_s"] = statistics.median(startups)
    print(
        f"[{scale}] disk: load {result['disk_load_s']:.2f} s, open {result['disk_open_s']:.3f} s,"
        f" serve to first answer {result['disk_serve_startup_s']:.2f} s",
        flush=True,
    )
    if scale in args.http_scales:
        result["http"] = http_bench(dist, store_path, args)
    return result


def _wait_port(port: int, seconds: float = 30) -> None:
    import socket

    deadline = time.monotonic() + seconds
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("oxigraph serve did not start") from None
            time.sleep(0.05)


# --- report ------------------------------------------------------------------------


def _gmean(values: list[float]) -> float:
    values = [v for v in values if v == v]  # NaN: not answered in time
    return statistics.geometric_mean(values) if values else float("nan")


def _sum(values: Any) -> str:
    values = list(values)
    done = [v for v in values if v == v]
    missing = len(values) - len(done)
    return f"{sum(done):.1f}" + (
        f" ({missing} not answered in {QUERY_TIMEOUT:g} s)" if missing else ""
    )


def _ms(v: float) -> str:
    return f"{v:.2f}" if v == v else "—"


def report(results: list[dict[str, Any]], args: argparse.Namespace, command: str) -> str:
    """The Markdown report."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    load = os.getloadavg()[0]
    lines = [
        "# Store benchmark",
        "",
        f"`{command}` — {now}, {platform.machine()}, {os.cpu_count()} CPUs,"
        f" Python {platform.python_version()}, load average {load:.1f} at the end."
        " The machine is shared with other jobs.",
        "",
        *sorted({f"- {r['scale']}: measured by {r['run']}" for r in results if "run" in r}),
        "",
        "## Competency questions on each backend (median ms per query, ratio to pyoxigraph direct)",
        "",
        "`direct`: pyoxigraph in process, answer serialised as SPARQL JSON. `memory`/`disk`:",
        "the store interface (policy, pipe to the evaluator process). `remote`: policy, HTTP",
        "to `oxigraph serve`, answer parsed and written again. Everywhere at most the result",
        f"cap ({args.cap:,} rows or triples, as served) is written; direct uses the same capped",
        "writer as the evaluator. Ratio: geometric mean over the",
        f"{len(results[0]['cq_ms']['direct']) if results else 0} queries of backend / direct.",
        "",
        "| scale | quads | direct ms (sum) | memory ms (sum) | disk ms (sum) | remote ms (sum) |"
        " memory / direct | disk / direct | remote / direct |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        t = r["cq_ms"]
        ratios = {
            b: _gmean([t[b][q] / t["direct"][q] for q in t["direct"] if t["direct"][q] > 0])
            for b in ("memory", "disk", "remote")
        }
        lines.append(
            f"| {r['scale']} | {r['triples']:,} | {_sum(t['direct'].values())} |"
            f" {_sum(t['memory'].values())} | {_sum(t['disk'].values())} |"
            f" {_sum(t['remote'].values())} | {ratios['memory']:.2f} | {ratios['disk']:.2f} |"
            f" {ratios['remote']:.2f} |"
        )
    lines += ["", "Per query (ms: direct / memory / disk / remote):", ""]
    for r in results:
        t = r["cq_ms"]
        lines.append(
            f"- **{r['scale']}**: "
            + "; ".join(
                f"{q.split('-')[0]} {_ms(t['direct'][q])}/{_ms(t['memory'][q])}/"
                f"{_ms(t['disk'][q])}/{_ms(t['remote'][q])}"
                for q in t["direct"]
            )
        )
    lines += [
        "",
        "## Disk store start-up",
        "",
        "| scale | quads | load s (0: the store already held this dist/) |"
        " open a loaded store s (in process) |"
        " `diplokg serve --store disk` exec → first answer s | target ≤ 2 s at 1M |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        ok = "met" if r["disk_serve_startup_s"] <= TARGET_STARTUP else "missed"
        target = ok if r["scale"] == "1m" else f"({ok} at this scale)"
        lines.append(
            f"| {r['scale']} | {r['triples']:,} | {r['disk_load_s']:.2f} | {r['disk_open_s']:.3f} |"
            f" {r['disk_serve_startup_s']:.2f} | {target} |"
        )
    lines += [
        "",
        "`diplokg push` into `oxigraph serve`: "
        + ", ".join(f"{r['scale']} {r['push_s']:.1f} s" for r in results)
        + ".",
        "",
    ]
    http = [r for r in results if "http" in r]
    if http:
        lines += [
            "## Over HTTP against `oxigraph serve` (same data, same run)",
            "",
            f"{args.connections} closed-loop connections x {args.seconds:g} s, median of"
            f" {args.rounds} rounds, servers alternating; `diplokg serve` with"
            f" {args.workers} workers x {args.threads} threads, on the store and the WSGI server"
            " its name ends with (`nocache`: `--query-cache 0`). Targets on the article graph:"
            f" throughput ≥ {TARGET_THROUGHPUT}x oxigraph serve's, p99 ≤ {TARGET_P99}x its p99.",
            "",
            "| scale | query | server | req/s | p50 ms | p99 ms | errors | throughput ratio |"
            " p99 ratio | targets |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in http:
            for q, servers in r["http"].items():
                peer = servers["oxigraph"]
                for s, v in servers.items():
                    if s == "oxigraph":
                        ratio, p99, verdict = "1", "1", ""
                    else:
                        tr = v["throughput"] / peer["throughput"]
                        pr = v["p99_ms"] / peer["p99_ms"]
                        ratio, p99 = f"{tr:.2f}", f"{pr:.2f}"
                        verdict = " / ".join(
                            [
                                "throughput " + ("met" if tr >= TARGET_THROUGHPUT else "missed"),
                                "p99 " + ("met" if pr <= TARGET_P99 else "missed"),
                            ]
                        )
                    lines.append(
                        f"| {r['scale']} | {q} | {s} | {v['throughput']:.0f} | {v['p50_ms']:.2f} |"
                        f" {v['p99_ms']:.2f} | {v['errors']:.0f} | {ratio} | {p99} | {verdict} |"
                    )
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="article,10k,100k")
    parser.add_argument("--http-scales", default="article")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--startup-runs", type=int, default=3)
    parser.add_argument(
        "--cap", type=int, default=10000, help="result cap, direct and backends (as served)"
    )
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "diplokg-stores")
    parser.add_argument("--output", type=Path, default=RESULTS / "stores.md")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the servers on the way out
    args.http_scales = set(args.http_scales.split(","))
    command = "python -m benchmarks.stores " + " ".join(argv if argv is not None else sys.argv[1:])
    # Scales measured before (stores.json) are kept; a scale measured now replaces its row.
    previous = args.output.with_suffix(".json")
    kept = json.loads(previous.read_text()) if previous.is_file() else []
    results = [r for r in kept if r["scale"] not in args.scales.split(",")]
    for scale in args.scales.split(","):
        results.append(run_scale(scale, args.work, args))
        results[-1]["run"] = (
            f"`{command.strip()}`, {datetime.now(UTC).isoformat(timespec='minutes')}"
        )
        results.sort(key=lambda r: SCALE_ORDER.index(r["scale"]))
        text = report(results, args, command.strip())
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)
        args.output.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    print("\n" + text)
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
