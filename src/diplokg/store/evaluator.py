"""A query evaluator process: holds an Oxigraph store, checks, evaluates, serialises.

pyoxigraph 0.5 cannot cancel a running query from Python (its cancellation token
is Rust-only), so every query runs in a separate process that the web worker
kills when the timeout expires (see :mod:`diplokg.store.pool`). The process loads
the dataset, reports its graph sizes, then answers requests from a pipe one at a
time. Everything it sends back is already serialised, so the web worker only
copies bytes. Results formats: SPARQL 1.1 JSON, XML, CSV and TSV
(https://www.w3.org/TR/sparql11-results-json/ and siblings); graphs in the RDF
syntaxes pyoxigraph writes.
"""

from __future__ import annotations

import io
import itertools
import re
import resource
from collections.abc import Iterable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from diplokg import conneg
from diplokg.errors import (
    DiploKGError,
    EvaluationError,
    NotAcceptable,
    QuerySyntaxError,
)
from diplokg.store.base import QueryRequest, QueryResult
from diplokg.store.policy import QueryPlan, inspect_query, resolve_dataset

RESULTS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
GRAPHS = {
    "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "trig": ox.RdfFormat.TRIG,
    "nq": ox.RdfFormat.N_QUADS,
}
_POSITION = re.compile(r"error at (\d+):(\d+): ?(.*)", re.DOTALL)


def load_store(source: Path) -> ox.Store:
    """Load an N-Quads or TriG file into an in-memory Oxigraph store, or open a disk store.

    Args:
        source: The dump (``dist/diplokg.nq``), or the directory of an Oxigraph
            store on disk, which is opened read-only (see :mod:`diplokg.store.disk`).

    Returns:
        The store.
    """
    if source.is_dir():
        return ox.Store.read_only(str(source))
    store = ox.Store()
    fmt = ox.RdfFormat.TRIG if source.suffix == ".trig" else ox.RdfFormat.N_QUADS
    store.bulk_load(path=str(source), format=fmt)
    return store


def graph_sizes(store: ox.Store) -> dict[str, int]:
    """Count the triples of each named graph.

    Args:
        store: The store.

    Returns:
        Graph IRI → triples.
    """
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    sizes = {}
    for row in store.query(query):  # type: ignore[union-attr]
        g, n = row["g"], row["n"]
        if isinstance(g, ox.NamedNode) and n is not None:
            sizes[g.value] = int(n.value)
    return sizes


class _Full(Exception):
    """Raised inside a serialisation once it has written more rows than the cap."""


class _LineCounter(io.RawIOBase):
    """A sink that counts lines and stops the writer after ``limit`` of them."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.data = bytearray()
        self.lines = 0
        self.limit = limit

    def writable(self) -> bool:
        return True

    def write(self, chunk: Any) -> int:
        data = bytes(chunk)
        self.data += data
        self.lines += data.count(b"\n")
        if self.lines > self.limit:
            raise _Full
        return len(data)


def _select(
    solutions: ox.QuerySolutions, fmt: str, cap: int, max_rows: int | None
) -> tuple[bytes, int, bool]:
    """Serialise SELECT results, at most ``cap`` rows; says whether it cut.

    When the query's own LIMIT is within the cap, pyoxigraph writes the format
    directly. Otherwise the rows go through SPARQL TSV, one line per row (line
    breaks in literals are escaped), whose writer is stopped after ``cap`` rows
    — which stops the evaluation too — and pyoxigraph converts the kept rows.
    """
    if max_rows is not None and max_rows <= cap:
        body = solutions.serialize(format=RESULTS[fmt])
        assert body is not None
        return body, -1, False
    sink = _LineCounter(cap + 1)  # the header line and cap rows
    try:
        solutions.serialize(sink, format=ox.QueryResultsFormat.TSV)  # type: ignore[arg-type]
        truncated = False
    except _Full:  # pyoxigraph lets the writer's exception through
        truncated = True
    lines = bytes(sink.data).split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # what follows the last line break
    lines = lines[: cap + 1]  # complete lines: a row may be empty (all unbound)
    tsv = b"\n".join(lines) + b"\n"
    count = len(lines) - 1
    if fmt == "tsv":
        return tsv, count, truncated
    body = ox.parse_query_results(tsv, ox.QueryResultsFormat.TSV).serialize(format=RESULTS[fmt])
    assert body is not None
    return body, count, truncated


def _graph(
    triples: Iterable[ox.Triple], fmt: str, cap: int, prefixes: dict[str, str]
) -> tuple[bytes, int, bool]:
    items = list(itertools.islice(triples, cap + 1))
    truncated = len(items) > cap
    items = items[:cap]
    rdf_format = GRAPHS[fmt]
    data: list[Any] = items
    if rdf_format.supports_datasets:
        data = [ox.Quad(t.subject, t.predicate, t.object) for t in items]
    kwargs: dict[str, Any] = {}
    if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML):
        kwargs["prefixes"] = prefixes
    body = ox.serialize(data, format=rdf_format, **kwargs)
    assert body is not None
    return body, len(items), truncated


def _syntax_error(error: SyntaxError) -> QuerySyntaxError:
    text = str(error)
    match = _POSITION.match(text)
    if not match:
        return QuerySyntaxError(None, None, text)
    detail = match.group(3)
    # Oxigraph lists character classes after the tokens it expected; keep the tokens.
    detail = re.sub(r",? \[.*", "", detail, flags=re.DOTALL).strip() or detail[:300]
    return QuerySyntaxError(int(match.group(1)), int(match.group(2)), detail)


class Evaluator:
    """The query side of one evaluator process (also usable in-process in tests).

    Args:
        store: The loaded store.
        prefixes: Prefixes for Turtle, TriG and RDF/XML output.
    """

    def __init__(
        self,
        store: ox.Store,
        prefixes: dict[str, str] | None = None,
        sizes: dict[str, int] | None = None,
    ) -> None:
        self.store = store
        self.prefixes = prefixes or {}
        self.sizes = sizes if sizes is not None else graph_sizes(store)
        self.graph_iris = frozenset(self.sizes)

    def run(self, request: QueryRequest) -> QueryResult:
        """Check, evaluate and serialise one query.

        Args:
            request: The query.

        Returns:
            The serialised answer.

        Raises:
            DiploKGError: See :meth:`diplokg.store.base.Store.query`.
        """
        plan = QueryPlan(None) if request.internal else inspect_query(request.sparql)
        dataset = resolve_dataset(
            plan, request.default_graph_uris, request.named_graph_uris, self.graph_iris
        )
        if plan.form is not None:
            self._check_format(plan.form, request)
        kwargs: dict[str, Any] = {"use_default_graph_as_union": dataset.union}
        if not dataset.union:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in dataset.default]
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in dataset.named]
        try:
            answer = self.store.query(request.sparql, **kwargs)
            return self._serialise(answer, plan.form, request, plan.max_rows)
        except SyntaxError as error:
            if plan.syntax_error is not None:  # the reference parser's position
                raise QuerySyntaxError(*plan.syntax_error) from None
            raise _syntax_error(error) from None
        except DiploKGError:
            raise
        except (OSError, ValueError, TypeError, RuntimeError) as error:
            raise EvaluationError(f"query evaluation failed: {error}") from None

    def _check_format(self, form: str, request: QueryRequest) -> None:
        check_format(form, request)

    def _serialise(
        self, answer: Any, form: str | None, request: QueryRequest, max_rows: int | None = None
    ) -> QueryResult:
        return serialise(answer, form, request, self.prefixes, max_rows)


def check_format(form: str, request: QueryRequest) -> None:
    """Refuse a query form for which the client accepts no format.

    Args:
        form: ``select``, ``ask``, ``construct`` or ``describe``.
        request: The request with the negotiated formats.

    Raises:
        NotAcceptable: No acceptable format for that form.
    """
    if form in ("select", "ask") and request.results_format is None:
        raise NotAcceptable(
            f"no acceptable format for {form.upper()} results; offered: "
            + conneg.describe(conneg.RESULTS_FORMATS)
        )
    if form in ("construct", "describe") and request.graph_format is None:
        raise NotAcceptable(
            f"no acceptable format for {form.upper()} results; offered: "
            + conneg.describe(conneg.GRAPH_FORMATS)
        )


def serialise(
    answer: Any,
    form: str | None,
    request: QueryRequest,
    prefixes: dict[str, str],
    max_rows: int | None = None,
) -> QueryResult:
    """Serialise a pyoxigraph answer in the negotiated format, at most the cap.

    Args:
        answer: A ``QueryBoolean``, ``QuerySolutions`` or an iterable of triples.
        form: The query form when known (tells CONSTRUCT from DESCRIBE).
        request: The request (formats, result cap).
        prefixes: Prefixes for Turtle, TriG and RDF/XML output.
        max_rows: The query's own top-level LIMIT, when it has one.

    Returns:
        The serialised answer.

    Raises:
        NotAcceptable: No acceptable format for the answer's form.
    """
    cap = request.result_cap
    if isinstance(answer, ox.QueryBoolean):
        check_format("ask", request)
        fmt = request.results_format or "json"
        body = answer.serialize(format=RESULTS[fmt])
        assert body is not None
        return QueryResult("ask", fmt, body, 1, False)
    if isinstance(answer, ox.QuerySolutions):
        check_format("select", request)
        fmt = request.results_format or "json"
        body, count, truncated = _select(answer, fmt, cap, max_rows)
        return QueryResult("select", fmt, body, count, truncated)
    form = form if form in ("construct", "describe") else "construct"
    check_format(form, request)
    fmt = request.graph_format or "turtle"
    body, count, truncated = _graph(answer, fmt, cap, prefixes)
    return QueryResult(form, fmt, body, count, truncated)


def encode_error(error: BaseException) -> tuple[Any, ...]:
    """Turn an exception into a picklable tuple for the pipe."""
    if isinstance(error, QuerySyntaxError):
        return ("QuerySyntaxError", error.line, error.column, error.detail)
    if isinstance(error, DiploKGError):
        return (type(error).__name__, error.message)
    return ("EvaluationError", f"query evaluation failed: {type(error).__name__}")


def serve(
    conn: Connection,
    source: str,
    prefixes: dict[str, str],
    memory_mb: int,
    sizes: dict[str, int] | None = None,
) -> None:
    """Main loop of an evaluator process.

    Sends ``("ready", graph sizes)`` once the store is loaded, then for each
    :class:`QueryRequest` received sends ``("ok", QueryResult)`` or
    ``("error", …)``. Ends when the pipe closes.

    Args:
        conn: This end of the pipe.
        source: The dump to load, or a disk store's directory to open.
        prefixes: Output prefixes.
        memory_mb: Address-space limit in MiB (0: none).
        sizes: The graph sizes when already known (a disk store records them),
            so that they are not counted again.
    """
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or hard >= limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        evaluator = Evaluator(load_store(Path(source)), prefixes, sizes)
    except (OSError, SyntaxError, ValueError) as error:
        conn.send(("failed", f"cannot load {source}: {error}"))
        return
    conn.send(("ready", evaluator.sizes))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            reply: tuple[Any, ...] = ("ok", evaluator.run(request))
        except MemoryError:
            reply = ("error", "EvaluationError", "the query needed more memory than allowed")
        except Exception as error:
            reply = ("error", *encode_error(error))
        conn.send(reply)
