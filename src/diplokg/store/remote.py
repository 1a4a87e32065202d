"""The remote backend: any SPARQL 1.1 endpoint, queried over HTTP.

Queries are forwarded with the SPARQL 1.1 Protocol
(https://www.w3.org/TR/sparql11-protocol/#query-via-post-urlencoded) after the
front end's policy has cleared them (:mod:`diplokg.store.policy`: read-only, no
``SERVICE``, no graph outside the dataset), since the remote store may allow
what this service refuses. The answer is asked for as SPARQL JSON results or
N-Triples, parsed with pyoxigraph and written again in the format the client
negotiated, cut at the result cap exactly as the local backends do.

The query timeout is the HTTP deadline of the whole exchange. A store that
cannot be reached gives :class:`~diplokg.errors.StoreUnavailable` (503), one
that does not answer in time :class:`~diplokg.errors.GatewayTimeout` (504), one
that answers an error or something that is not SPARQL
:class:`~diplokg.errors.BadGateway` (502) — all with ``Retry-After``. Nothing is
remembered of a failure: each thread keeps one keep-alive connection, dropped on
any error, so the service recovers by itself as soon as the store answers again.

The default graph of a query without a dataset must be the union of the named
graphs on the remote side too (``oxigraph serve --union-default-graph``; Fuseki's
``tdb2:unionDefaultGraph``).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import math
import threading
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

import pyoxigraph as ox

from diplokg.errors import (
    BadGateway,
    DiploKGError,
    GatewayTimeout,
    InputError,
    QuerySyntaxError,
    StoreUnavailable,
)
from diplokg.store.base import QueryRequest, QueryResult
from diplokg.store.evaluator import serialise
from diplokg.store.policy import QueryPlan, inspect_query, resolve_dataset

RESULTS_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
#: Seconds a client is told to wait before retrying when the store is down.
RETRY_DOWN = 5
#: Seconds the graph sizes (and so the version) are kept before being asked again.
SIZES_TTL = 5.0

SIZES_QUERY = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


class Endpoint:
    """An HTTP endpoint with one keep-alive connection per thread and a deadline per exchange.

    Args:
        url: The endpoint URL (``http://`` or ``https://``).

    Raises:
        InputError: Not an HTTP(S) URL.
    """

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError(f"not an HTTP URL for the remote store: {url!r}")
        self.url = url
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: set[http.client.HTTPConnection] = set()

    def _connection(self, timeout: float) -> tuple[http.client.HTTPConnection, bool]:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn, True
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        conn = cls(self.host, self.port, timeout=timeout)
        self._local.conn = conn
        with self._lock:
            self._open.add(conn)
        return conn, False

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with self._lock:
                self._open.discard(conn)
            conn.close()

    def close(self) -> None:
        """Close the connections of every thread."""
        with self._lock:
            conns, self._open = list(self._open), set()
        for conn in conns:
            conn.close()

    def exchange(
        self,
        method: str,
        path: str,
        body: bytes | None,
        headers: dict[str, str],
        timeout: float,
    ) -> tuple[int, str, bytes]:
        """Send one request and read the whole answer before the deadline.

        Args:
            method: The HTTP method.
            path: Path and query string, or ``""`` for the endpoint's own.
            body: The request body.
            headers: Request headers.
            timeout: Seconds for the whole exchange.

        Returns:
            Status, Content-Type and body.

        Raises:
            StoreUnavailable: The store cannot be reached.
            GatewayTimeout: No complete answer before the deadline.
            BadGateway: An answer that is not HTTP.
        """
        deadline = time.monotonic() + timeout
        retry = max(1, math.ceil(timeout))
        for attempt in (1, 2):
            conn, reused = self._connection(timeout)
            try:
                conn.timeout = max(0.001, deadline - time.monotonic())
                if conn.sock is not None:
                    conn.sock.settimeout(conn.timeout)
                conn.request(method, path or self.path, body=body, headers=headers)
                response = conn.getresponse()
                data = _read(response, conn, deadline)
                response.close()  # the connection stays open for the next request
                if response.will_close:
                    self._drop()
                return response.status, response.getheader("Content-Type", ""), data
            except TimeoutError:
                self._drop()
                raise GatewayTimeout(
                    f"the remote store at {self.url} did not answer within the {timeout:g} s"
                    " time limit",
                    retry,
                ) from None
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
                self._drop()
                if reused and attempt == 1:
                    continue  # a keep-alive connection the store had closed: once more, fresh
                raise StoreUnavailable(
                    f"the remote store at {self.url} closed the connection ({e}); try again"
                    " shortly",
                    RETRY_DOWN,
                ) from None
            except http.client.HTTPException as e:
                self._drop()
                raise BadGateway(
                    f"the remote store at {self.url} answered something that is not HTTP"
                    f" ({type(e).__name__})",
                    RETRY_DOWN,
                ) from None
            except OSError as e:
                self._drop()
                reason = e.strerror or type(e).__name__
                raise StoreUnavailable(
                    f"the remote store at {self.url} cannot be reached ({reason}); it may be down"
                    " or starting: try again shortly",
                    RETRY_DOWN,
                ) from None
        raise AssertionError("unreachable")  # pragma: no cover


def _read(
    response: http.client.HTTPResponse, conn: http.client.HTTPConnection, deadline: float
) -> bytes:
    chunks: list[bytes] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        if conn.sock is not None:
            conn.sock.settimeout(remaining)
        chunk = response.read1(1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _text(body: bytes, limit: int = 300) -> str:
    text = body.decode("utf-8", "replace").strip()
    return " ".join(text.split())[:limit]


class RemoteStore:
    """A SPARQL 1.1 endpoint behind this service's policy, timeout and cap.

    Args:
        query_url: The endpoint's query URL (e.g. ``http://127.0.0.1:7878/query``).
        base: The dataset namespace (to find the build's identifier in ``graph/meta``).
        prefixes: Prefixes for Turtle, TriG and RDF/XML output.
        timeout: Seconds for the store's own requests (graph sizes).

    Raises:
        InputError: No query URL, or not an HTTP one.
    """

    def __init__(
        self,
        query_url: str,
        base: str = "https://w3id.org/diplokg/",
        prefixes: dict[str, str] | None = None,
        timeout: float = 10.0,
    ) -> None:
        if not query_url:
            raise InputError(
                "the remote store needs its query URL: set store_query_url"
                " (DIPLOKG_STORE_QUERY_URL), e.g. http://127.0.0.1:7878/query"
            )
        self.endpoint = Endpoint(query_url)
        self.base = base
        self.prefixes = prefixes or {}
        self.timeout = timeout
        self._lock = threading.Lock()
        self._sizes: dict[str, int] | None = None
        self._version = ""
        self._fetched = 0.0

    # --- the dataset --------------------------------------------------------

    def _refresh(self) -> tuple[dict[str, int], str]:
        with self._lock:
            if self._sizes is not None and time.monotonic() - self._fetched < SIZES_TTL:
                return self._sizes, self._version
        sizes: dict[str, int] = {}
        for row in self._select(SIZES_QUERY):
            g, n = row.get("g"), row.get("n")
            if g is not None and g.get("type") == "uri" and n is not None:
                sizes[g["value"]] = int(n["value"])
        build = f"<{self.base}#build>"
        ident = "<http://purl.org/dc/terms/identifier>"
        rows = self._select(
            f"SELECT ?id WHERE {{ GRAPH <{self.base}graph/meta> {{ {build} {ident} ?id }} }}"
        )
        identifier = sorted(r["id"]["value"] for r in rows if "id" in r)
        text = json.dumps([sorted(sizes.items()), identifier])
        version = hashlib.sha256(text.encode()).hexdigest()[:16]
        with self._lock:
            self._sizes, self._version, self._fetched = sizes, version, time.monotonic()
        return sizes, version

    def _select(self, sparql: str) -> list[dict[str, Any]]:
        status, _, body = self._post(sparql, (), (), RESULTS_JSON, self.timeout)
        if status != 200:
            raise BadGateway(f"the remote store answered {status}: {_text(body)}", RETRY_DOWN)
        try:
            rows: list[dict[str, Any]] = json.loads(body)["results"]["bindings"]
        except (ValueError, KeyError, TypeError):
            raise BadGateway(
                f"the remote store at {self.endpoint.url} answered something that is not"
                " SPARQL JSON results",
                RETRY_DOWN,
            ) from None
        return rows

    @property
    def version(self) -> str:
        """Identifies the remote data: graph sizes and build identifier (refreshed every 5 s)."""
        return self._refresh()[1]

    @property
    def known_version(self) -> str | None:
        """The version if fetched less than 5 s ago, else ``None``; never asks the store."""
        with self._lock:
            if self._sizes is not None and time.monotonic() - self._fetched < SIZES_TTL:
                return self._version
        return None

    def graphs(self) -> dict[str, int]:
        """The named graphs: IRI → number of triples (refreshed every 5 s)."""
        return dict(self._refresh()[0])

    def triple_count(self) -> int:
        """Number of quads in the dataset."""
        return sum(self._refresh()[0].values())

    # --- queries ------------------------------------------------------------

    def _post(
        self,
        sparql: str,
        default: tuple[str, ...],
        named: tuple[str, ...],
        accept: str,
        timeout: float,
    ) -> tuple[int, str, bytes]:
        params = [("query", sparql)]
        params += [("default-graph-uri", g) for g in default]
        params += [("named-graph-uri", g) for g in named]
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": accept,
            "User-Agent": "diplokg",
        }
        return self.endpoint.exchange("POST", "", urlencode(params).encode(), headers, timeout)

    def query(self, request: QueryRequest, timeout: float) -> QueryResult:
        """Check the query here, then have the remote store answer it.

        See :meth:`diplokg.store.base.Store.query`; in addition:

        Raises:
            StoreUnavailable: The store cannot be reached (503).
            GatewayTimeout: The store did not answer in time (504).
            BadGateway: The store answered an error or not SPARQL (502).
        """
        started = time.monotonic()
        plan = QueryPlan(None) if request.internal else inspect_query(request.sparql)
        default, named = request.default_graph_uris, request.named_graph_uris
        if plan.from_default or plan.from_named or default or named:
            # Only this dataset's graphs. The dataset is sent as protocol parameters
            # (which override FROM, as the Protocol says): a store whose default graph
            # is the union of the graphs may ignore FROM (oxigraph serve does).
            dataset = resolve_dataset(plan, default, named, frozenset(self.graphs()))
            default, named = dataset.default, dataset.named
        if plan.form in ("select", "ask"):
            accept = RESULTS_JSON
        elif plan.form in ("construct", "describe"):
            accept = N_TRIPLES
        else:
            accept = f"{RESULTS_JSON}, {N_TRIPLES};q=0.9"
        remaining = max(0.001, timeout - (time.monotonic() - started))
        try:
            status, kind, body = self._post(request.sparql, default, named, accept, remaining)
        except GatewayTimeout:
            raise GatewayTimeout(
                f"the remote store at {self.endpoint.url} did not answer within the"
                f" {timeout:g} s time limit",
                max(1, math.ceil(timeout)),
            ) from None
        if status == 400:
            if plan.syntax_error is not None:  # the reference parser's position
                raise QuerySyntaxError(*plan.syntax_error)
            raise QuerySyntaxError(None, None, f"the store refused the query: {_text(body)}")
        if status != 200:
            raise BadGateway(
                f"the remote store at {self.endpoint.url} answered {status}: {_text(body)}",
                RETRY_DOWN,
            )
        answer = self._parse(kind, body)
        try:
            return serialise(answer, plan.form, request, self.prefixes, plan.max_rows)
        except DiploKGError:
            raise
        except (SyntaxError, ValueError, OSError) as error:
            raise BadGateway(
                f"the remote store's answer does not parse: {error}", RETRY_DOWN
            ) from None

    def _parse(self, kind: str, body: bytes) -> Any:
        media = kind.split(";")[0].strip().lower()
        try:
            if media == RESULTS_JSON:
                return ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
            if media in (N_TRIPLES, "text/turtle", "text/plain"):
                fmt = ox.RdfFormat.TURTLE if media == "text/turtle" else ox.RdfFormat.N_TRIPLES
                return [q.triple for q in ox.parse(body, format=fmt)]
        except (SyntaxError, ValueError) as error:
            raise BadGateway(
                f"the remote store at {self.endpoint.url} answered {media or 'no type'} that does"
                f" not parse: {str(error)[:200]}",
                RETRY_DOWN,
            ) from None
        raise BadGateway(
            f"the remote store at {self.endpoint.url} answered {media or 'no type'}, not SPARQL"
            f" results or N-Triples: {_text(body, 120)}",
            RETRY_DOWN,
        )

    def close(self) -> None:
        """Close the connections to the store."""
        self.endpoint.close()
