"""Answers replayed in front of Flask: a repeated SPARQL GET costs a dictionary lookup.

The answer cache of :mod:`diplokg.store.cached` saves the evaluation of a repeated
query, but each request still goes through Flask: routing, parsing the protocol
request, negotiating the format, hashing the ETag, building the response. That is
about 0.2-0.3 ms, several times what the HTTP server itself costs on granian
(benchmarks/HTTP.md). This WSGI middleware keeps the finished response of a
``GET /sparql`` that the endpoint marked as replayable (:func:`mark`) and sends
the same status, headers and body to the next ``GET`` with the same query string
and ``Accept`` header while the store's version is the same.

Only what the endpoint's answer depends on is in the key: the query string (the
query, the datasets, ``format``, ``download``), ``Accept`` and the data version.
A request that could be answered differently goes to Flask: one with
``If-None-Match`` (a 304 is Flask's), ``HEAD``, ``POST``, ``OPTIONS``, any other
path. Errors, pages and the Service Description are never marked, so never kept.
The replay never waits on the store: a remote store's version is used only while
it is fresh (:func:`~diplokg.store.cached.known_version`); past that the request
goes through the app, which asks the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from diplokg.store.cached import Recent, known_version

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from diplokg.store import Store

#: The environ key the endpoint sets to the data version its answer was made from.
MARK = "diplokg.replay"

Headers = list[tuple[str, str]]


def mark(environ: dict[str, Any], version: str) -> None:
    """Let the replay keep this request's response, made from data of ``version``."""
    environ[MARK] = version


class Replay:
    """WSGI middleware: replay kept answers, keep the marked ones.

    Args:
        app: The WSGI application (Flask's ``wsgi_app``).
        store: The store whose :attr:`~diplokg.store.base.Store.version` dates answers.
        path: The endpoint's path.
        entries: Most responses kept (least recently used first out).
        max_bytes: Largest answer kept: body, query string and ``Accept`` together.
    """

    def __init__(
        self,
        app: WSGIApplication,
        store: Store,
        path: str = "/sparql",
        entries: int = 256,
        max_bytes: int = 256 * 1024,
    ) -> None:
        self.app = app
        self.store = store
        self.path = path
        self.max_bytes = max_bytes
        self._kept: Recent[tuple[str, str, str], tuple[str, Headers, bytes]] = Recent(entries)

    @property
    def entries(self) -> int:
        """Most responses kept."""
        return self._kept.entries

    @property
    def hits(self) -> int:
        """How many requests a kept response answered."""
        return self._kept.hits

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Answer from the kept responses, or through the app (keeping what it marks)."""
        if (
            environ.get("REQUEST_METHOD") != "GET"
            or environ.get("PATH_INFO") != self.path
            or "HTTP_IF_NONE_MATCH" in environ
        ):
            return self.app(environ, start_response)
        version = known_version(self.store)
        if version is None:  # a remote store's, out of date: the app asks it
            return self.app(environ, start_response)
        query = environ.get("QUERY_STRING", "")
        accept = environ.get("HTTP_ACCEPT", "")
        kept = self._kept.get((version, query, accept))
        if kept is not None:
            status, headers, body = kept
            start_response(status, list(headers))  # a copy: a server may add to it
            return [body]
        return self._through(environ, start_response, (query, accept))

    def _through(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        request: tuple[str, str],
    ) -> Iterable[bytes]:
        sent: list[tuple[str, Headers]] = []

        def capture(status: str, headers: Headers, exc_info: Any = None) -> Callable[..., Any]:
            sent.append((status, list(headers)))
            if exc_info is not None:
                return start_response(status, headers, exc_info)
            return start_response(status, headers)

        body = self.app(environ, capture)
        version = environ.get(MARK)
        if version is None or not sent or not sent[-1][0].startswith("200 "):
            return body
        try:
            data = b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        if len(data) + len(request[0]) + len(request[1]) <= self.max_bytes:
            status, headers = sent[-1]
            self._kept.put((version, *request), (status, headers, data))
        return [data]
