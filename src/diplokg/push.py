"""``diplokg push``: load ``dist/`` into a remote store, graph by graph, and verify it.

Each named graph of ``dist/diplokg.nq`` replaces the graph of the same IRI on the
remote store with one SPARQL 1.1 Graph Store Protocol ``PUT``
(https://www.w3.org/TR/sparql11-http-rdf-update/#http-put) of its triples as
N-Triples. Graphs under this dataset's ``{base}graph/`` that the remote store
holds and ``dist/`` does not (a source removed since the last push) are
``DELETE``-d. Then the triples of every graph are counted on the remote store
through its query endpoint and compared with ``dist/``: any difference is a
:class:`~diplokg.errors.PushMismatch` naming the graphs (exit 1).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pyoxigraph as ox

from diplokg.config import Settings
from diplokg.errors import BadGateway, InputError, PushMismatch
from diplokg.store import dump_path
from diplokg.store.dist import check_dist
from diplokg.store.remote import Endpoint, RemoteStore

#: Seconds one Graph Store request may take (a large graph is one request).
GSP_TIMEOUT = 600.0


@dataclass
class PushReport:
    """What a push did.

    Attributes:
        graphs: Graph IRI → triples, as pushed and verified.
        deleted: Graphs removed from the remote store (no longer in ``dist/``).
        seconds: Wall time of the push and the verification.
    """

    graphs: dict[str, int] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_text(self) -> str:
        """One line per graph, then a summary."""
        lines = [f"{n:>9}  {g}" for g, n in sorted(self.graphs.items())]
        lines += [f"  deleted  {g}" for g in self.deleted]
        total = sum(self.graphs.values())
        lines.append(
            f"pushed {len(self.graphs)} graphs, {total} triples in {self.seconds:.2f} s;"
            " counts verified on the remote store"
        )
        return "\n".join(lines)


def read_graphs(settings: Settings) -> dict[str, list[ox.Triple]]:
    """The triples of each named graph of ``dist/diplokg.nq``.

    Args:
        settings: Where ``dist/`` is.

    Returns:
        Graph IRI → its triples.

    Raises:
        NotFound: No ``dist/``.
        DistError: ``dist/`` is partial or corrupt.
    """
    check_dist(settings.dist_dir, full=True)
    graphs: dict[str, list[ox.Triple]] = defaultdict(list)
    for quad in ox.parse(path=str(dump_path(settings)), format=ox.RdfFormat.N_QUADS):
        if isinstance(quad.graph_name, ox.NamedNode):
            graphs[quad.graph_name.value].append(quad.triple)
    return dict(graphs)


def _graph_path(endpoint: Endpoint, iri: str) -> str:
    sep = "&" if "?" in endpoint.path else "?"
    return endpoint.path + sep + urlencode({"graph": iri})


def push(settings: Settings) -> PushReport:
    """Load ``dist/`` into the remote store and verify the counts.

    Args:
        settings: ``store_gsp_url`` (where to write), ``store_query_url`` (where
            to verify), ``dist`` and ``base``.

    Returns:
        What was pushed.

    Raises:
        InputError: A URL setting is missing.
        NotFound: No ``dist/``.
        DistError: ``dist/`` is partial or corrupt (nothing is pushed).
        StoreUnavailable: The remote store cannot be reached.
        BadGateway: The remote store refused a graph.
        PushMismatch: The remote counts differ from ``dist/`` afterwards.
    """
    if not settings.store_gsp_url:
        raise InputError(
            "push needs the remote store's Graph Store Protocol URL: set store_gsp_url"
            " (DIPLOKG_STORE_GSP_URL), e.g. http://127.0.0.1:7878/store"
        )
    started = time.monotonic()
    graphs = read_graphs(settings)
    gsp = Endpoint(settings.store_gsp_url)
    remote = RemoteStore(settings.store_query_url, base=settings.base, timeout=GSP_TIMEOUT)
    headers = {"Content-Type": "application/n-triples", "User-Agent": "diplokg"}
    for iri, triples in sorted(graphs.items()):
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
        assert body is not None
        status, _, answer = gsp.exchange("PUT", _graph_path(gsp, iri), body, headers, GSP_TIMEOUT)
        if status not in (200, 201, 204):
            raise BadGateway(
                f"the remote store refused graph <{iri}> with {status}: "
                + answer.decode("utf-8", "replace")[:300]
            )
    ours = settings.base + "graph/"
    before = remote.graphs()
    deleted = sorted(g for g in before if g.startswith(ours) and g not in graphs)
    for iri in deleted:
        status, _, answer = gsp.exchange(
            "DELETE", _graph_path(gsp, iri), None, {"User-Agent": "diplokg"}, GSP_TIMEOUT
        )
        if status not in (200, 204, 404):
            raise BadGateway(f"the remote store did not delete graph <{iri}>: {status}")
    gsp.close()
    remote.close()
    return verify(settings, {g: len(t) for g, t in graphs.items()}, deleted, started)


def verify(
    settings: Settings, expected: dict[str, int], deleted: list[str], started: float
) -> PushReport:
    """Compare the remote store's graph sizes with the expected ones.

    Args:
        settings: ``store_query_url`` and ``base``.
        expected: Graph IRI → triples in ``dist/``.
        deleted: Graphs the push deleted.
        started: ``time.monotonic()`` at the start of the push.

    Returns:
        The report.

    Raises:
        PushMismatch: One problem per graph that differs.
    """
    remote = RemoteStore(settings.store_query_url, base=settings.base, timeout=GSP_TIMEOUT)
    try:
        found = remote.graphs()
    finally:
        remote.close()
    ours = settings.base + "graph/"
    problems = []
    for iri in sorted(set(expected) | {g for g in found if g.startswith(ours)}):
        want, got = expected.get(iri, 0), found.get(iri, 0)
        if want != got:
            problems.append(f"<{iri}>: {want} triples in dist/, {got} on the remote store")
    if problems:
        raise PushMismatch(problems)
    return PushReport(dict(expected), deleted, time.monotonic() - started)
