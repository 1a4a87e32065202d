"""The store interface the web layer reads through, whatever the backend.

A backend answers a SPARQL 1.1 query (https://www.w3.org/TR/sparql11-query/)
already serialised in the format the client negotiated, applying the read-only
policy of :mod:`diplokg.store.policy`, the timeout and the result cap; and it
describes its dataset (named graphs and their sizes) for the Service Description.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class QueryResult:
    """A query's answer, serialised.

    Attributes:
        form: ``select``, ``ask``, ``construct`` or ``describe``.
        format: Name of the format of :attr:`body` (see :mod:`diplokg.conneg`).
        body: The serialised results.
        count: Rows (SELECT), triples (CONSTRUCT/DESCRIBE) or 1 (ASK) in the body;
            -1 when not counted (a SELECT whose own LIMIT is within the cap).
        truncated: Whether the result cap cut the answer.
    """

    form: str
    format: str
    body: bytes
    count: int
    truncated: bool


@dataclass(frozen=True)
class QueryRequest:
    """One query and how to answer it.

    Attributes:
        sparql: The query text.
        default_graph_uris: The protocol's ``default-graph-uri`` values.
        named_graph_uris: The protocol's ``named-graph-uri`` values.
        results_format: Format name for SELECT/ASK, ``None`` if none is acceptable.
        graph_format: Format name for CONSTRUCT/DESCRIBE, ``None`` if none is acceptable.
        result_cap: Most rows or triples to return.
        internal: A query the server wrote itself (the linked-data pages), never a
            client's: a backend may skip the read-only policy check, which costs more
            than evaluating it. It names no dataset and uses no ``SERVICE``.
    """

    sparql: str
    default_graph_uris: tuple[str, ...] = ()
    named_graph_uris: tuple[str, ...] = ()
    results_format: str | None = "json"
    graph_format: str | None = "turtle"
    result_cap: int = 10000
    internal: bool = False


class Store(Protocol):
    """What the web layer needs from a store backend."""

    @property
    def version(self) -> str:
        """Identifies the data; changes whenever the data does (used in ETags)."""
        ...

    def query(self, request: QueryRequest, timeout: float) -> QueryResult:
        """Answer a query.

        Args:
            request: The query, its dataset and the formats to answer in.
            timeout: Seconds the evaluation may take; it is stopped after.

        Returns:
            The serialised answer.

        Raises:
            QuerySyntaxError: The query does not parse (400).
            Forbidden: An update, ``SERVICE`` or a graph outside the dataset (403).
            NotAcceptable: No acceptable format for the query's form (406).
            QueryTimeout: The evaluation was stopped by the timeout (503).
            ServiceUnavailable: No evaluator became free in time, or the remote
                store cannot be reached (503).
            GatewayTimeout: The remote store did not answer in time (504).
            BadGateway: The remote store answered an error or not SPARQL (502).
            EvaluationError: The evaluation failed (500).
        """
        ...

    def graphs(self) -> dict[str, int]:
        """The named graphs: IRI → number of triples."""
        ...

    def triple_count(self) -> int:
        """Number of quads in the dataset."""
        ...

    def close(self) -> None:
        """Release processes and files."""
        ...
