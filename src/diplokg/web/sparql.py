"""``/sparql``: the SPARQL 1.1 Protocol query operation, read-only.

https://www.w3.org/TR/sparql11-protocol/#query-operation — a query by GET
``?query=``, by POST ``application/x-www-form-urlencoded`` or by POST
``application/sparql-query``, with ``default-graph-uri`` and ``named-graph-uri``.
Answers are negotiated (:mod:`diplokg.conneg`; a ``format`` parameter overrides
``Accept`` for links), carry an ETag and answer ``If-None-Match`` with 304.
Without a query: the Service Description
(https://www.w3.org/TR/sparql11-service-description/) in RDF, or the query page
for a browser. Updates by any route are refused with 403
(https://www.w3.org/TR/sparql11-protocol/#update-operation).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from flask import Blueprint, Response, current_app, render_template, request, url_for

from diplokg import conneg
from diplokg.config import Settings
from diplokg.errors import (
    Forbidden,
    InputError,
    NotAcceptable,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from diplokg.store import QueryRequest, QueryResult, Store
from diplokg.web import replay
from diplokg.web.description import describe_service
from diplokg.web.examples import load_examples
from diplokg.web.present import result_table

bp = Blueprint("sparql", __name__)

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"
FORBIDDEN_UPDATE = "SPARQL updates are not accepted: this service is read-only"


@dataclass
class ProtocolRequest:
    """The protocol parameters of one request.

    Attributes:
        query: The query, or ``None`` when there is none.
        default_graph_uris: ``default-graph-uri`` values.
        named_graph_uris: ``named-graph-uri`` values.
        params: Every parameter, decoded (for ``format`` and ``download``).
    """

    query: str | None
    default_graph_uris: tuple[str, ...] = ()
    named_graph_uris: tuple[str, ...] = ()
    params: dict[str, list[str]] = field(default_factory=dict)

    def first(self, name: str) -> str | None:
        """The first value of a parameter."""
        values = self.params.get(name)
        return values[0] if values else None


def _body() -> bytes:
    """The request body, refused (413) past ``max_body`` even when sent in chunks.

    With a Content-Length, Werkzeug refuses a body over ``MAX_CONTENT_LENGTH`` itself.
    A chunked body announces no length, and Werkzeug's stream would stop quietly at
    the limit (a truncated query); so the server's stream is read here, at most one
    byte past the limit.

    Raises:
        PayloadTooLarge: The body is longer than ``max_body``.
    """
    if request.content_length is not None or not request.environ.get("wsgi.input_terminated"):
        return request.get_data()
    limit = _settings().max_body
    stream = request.environ["wsgi.input"]
    parts: list[bytes] = []
    size = 0
    while size <= limit:
        part = stream.read(limit + 1 - size)
        if not part:
            break
        parts.append(part)
        size += len(part)
    if size > limit:
        raise PayloadTooLarge(f"the request body is longer than the {limit} byte limit")
    return b"".join(parts)


def _decode_pairs(raw: bytes, where: str) -> dict[str, list[str]]:
    try:
        pairs = parse_qsl(
            raw.decode("ascii"), keep_blank_values=True, encoding="utf-8", errors="strict"
        )
    except UnicodeDecodeError:
        raise InputError(f"the {where} is not valid UTF-8 (percent-encoded)") from None
    params: dict[str, list[str]] = {}
    for name, value in pairs:
        params.setdefault(name, []).append(value)
    return params


def read_protocol_request() -> ProtocolRequest:
    """Read the query and dataset of a request, whichever way it was sent.

    Returns:
        The parameters.

    Raises:
        Forbidden: An update (``update=``, ``application/sparql-update``).
        UnsupportedMediaType: A POST body in another media type (415).
        InputError: No content type, two queries, invalid UTF-8 (400).
    """
    params = _decode_pairs(request.query_string, "query string")
    body_query: str | None = None
    if request.method == "POST":
        mimetype = request.mimetype
        if not request.content_type:
            raise InputError(f"a POST needs a Content-Type: {FORM} or {DIRECT}")
        if mimetype == UPDATE:
            raise Forbidden(FORBIDDEN_UPDATE)
        if mimetype == FORM:
            for name, values in _decode_pairs(_body(), "form body").items():
                params.setdefault(name, []).extend(values)
        elif mimetype == DIRECT:
            charset = request.mimetype_params.get("charset", "utf-8")
            try:
                body_query = _body().decode(charset, errors="strict")
            except (UnicodeDecodeError, LookupError):
                raise InputError(f"the query body is not valid {charset}") from None
        else:
            raise UnsupportedMediaType(
                f"cannot read a POST body of type {mimetype}; send {FORM} or {DIRECT}"
            )
    if "update" in params or "using-graph-uri" in params or "using-named-graph-uri" in params:
        raise Forbidden(FORBIDDEN_UPDATE)
    queries = params.get("query", [])
    if body_query is not None:
        if queries:
            raise InputError("two queries: one in the body and one in the query parameter")
        queries = [body_query]
    if len(queries) > 1:
        raise InputError(f"{len(queries)} query parameters; send exactly one")
    if queries and not queries[0].strip():
        # An empty text is a valid (empty) SPARQL Update, but nobody sends one meaning it.
        raise InputError("the query is empty: send a SELECT, ASK, CONSTRUCT or DESCRIBE query")
    return ProtocolRequest(
        queries[0] if queries else None,
        tuple(params.get("default-graph-uri", [])),
        tuple(params.get("named-graph-uri", [])),
        params,
    )


@dataclass(frozen=True)
class Choice:
    """What to answer with: the page, or formats for each kind of result."""

    page: bool
    results: conneg.Format | None
    graph: conneg.Format | None


def choose(proto: ProtocolRequest) -> Choice:
    """Negotiate the response format (``format`` parameter first, then ``Accept``).

    Args:
        proto: The request's parameters.

    Returns:
        The choice.

    Raises:
        NotAcceptable: Nothing the client accepts is offered.
    """
    name = proto.first("format") or proto.first("output")
    if name:
        if name.lower() in ("html", "text/html"):
            return Choice(True, None, None)
        results = _maybe(name, conneg.RESULTS_FORMATS)
        graph = _maybe(name, conneg.GRAPH_FORMATS)
        if results is None and graph is None:
            raise NotAcceptable(
                f"unknown format {name!r}; offered: html, "
                + conneg.describe((*conneg.RESULTS_FORMATS, *conneg.GRAPH_FORMATS))
            )
        return Choice(False, results, graph)
    ranges = conneg.parse_accept(request.headers.get("Accept"))
    results = conneg.negotiate(ranges, conneg.RESULTS_FORMATS)
    graph = conneg.negotiate(ranges, conneg.GRAPH_FORMATS)
    best = max(
        conneg.format_quality(ranges, results) if results else 0.0,
        conneg.format_quality(ranges, graph) if graph else 0.0,
    )
    if conneg.format_quality(ranges, conneg.HTML) > best:
        return Choice(True, None, None)
    if results is None and graph is None:
        raise NotAcceptable(
            "nothing acceptable in Accept: "
            + (request.headers.get("Accept") or "")
            + "; offered: "
            + conneg.describe((*conneg.RESULTS_FORMATS, *conneg.GRAPH_FORMATS, conneg.HTML))
        )
    return Choice(False, results, graph)


def _maybe(name: str, offers: Sequence[conneg.Format]) -> conneg.Format | None:
    try:
        return conneg.by_name(name, offers)
    except NotAcceptable:
        return None


def _settings() -> Settings:
    settings: Settings = current_app.extensions["diplokg"]["settings"]
    return settings


def _store() -> Store:
    store: Store = current_app.extensions["diplokg"]["store"]
    return store


def _etag(*parts: object) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(repr(part).encode())
        h.update(b"\0")
    return h.hexdigest()[:32]


def _not_modified(etag: str) -> Response | None:
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
        response.set_etag(etag, weak=True)
        response.vary.add("Accept")
        return response
    return None


def endpoint_url() -> str:
    """The endpoint's public URL: the ``public_url`` setting, else where the request came."""
    public = _settings().public_url
    if public:
        return public.rstrip("/") + "/sparql"
    return request.host_url.rstrip("/") + "/sparql"


@bp.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    """The SPARQL endpoint: a query, the Service Description or the query page."""
    settings = _settings()
    if len(request.query_string) > settings.max_body:
        raise InputError(f"the query string is longer than the {settings.max_body} byte limit")
    proto = read_protocol_request()
    choice = choose(proto)
    if proto.query is None:
        if request.method == "POST":
            raise InputError(
                "no query: send a `query` parameter or an application/sparql-query body"
            )
        if choice.page:
            return _page(None, None)
        return _service_description(choice)
    if choice.page:
        return _page(proto, choice)
    return _answer(proto, choice)


def _request_for(proto: ProtocolRequest, choice: Choice) -> QueryRequest:
    assert proto.query is not None
    return QueryRequest(
        proto.query,
        proto.default_graph_uris,
        proto.named_graph_uris,
        choice.results.name if choice.results else None,
        choice.graph.name if choice.graph else None,
        _settings().result_cap,
    )


def _answer(proto: ProtocolRequest, choice: Choice) -> Response:
    store = _store()
    query_request = _request_for(proto, choice)
    version = store.version
    etag = _etag(version, query_request)
    cached = _not_modified(etag)
    if cached is not None:
        return cached
    result = store.query(query_request, _settings().query_timeout)
    if request.method == "GET":
        replay.mark(request.environ, version)
    fmt = conneg.by_name(
        result.format,
        conneg.RESULTS_FORMATS if result.form in ("select", "ask") else conneg.GRAPH_FORMATS,
    )
    response = Response(result.body, status=200, content_type=fmt.content_type)
    response.set_etag(etag, weak=True)
    response.vary.add("Accept")
    response.headers["Cache-Control"] = "public, max-age=60"
    if result.truncated:
        response.headers["X-SPARQL-MaxRows"] = str(_settings().result_cap)
    if proto.first("download"):
        response.headers["Content-Disposition"] = f'attachment; filename="query.{fmt.extension}"'
    return response


def _service_description(choice: Choice) -> Response:
    fmt = choice.graph
    if fmt is None:
        raise NotAcceptable(
            "the Service Description is RDF; offered: " + conneg.describe(conneg.GRAPH_FORMATS)
        )
    store = _store()
    url = endpoint_url()
    etag = _etag(store.version, url, fmt.name, "service-description")
    cached = _not_modified(etag)
    if cached is not None:
        return cached
    body = describe_service(url, store.graphs(), _settings().base, fmt.name)
    response = Response(body, status=200, content_type=fmt.content_type)
    response.set_etag(etag, weak=True)
    response.vary.add("Accept")
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def download_links(query: str, form: str) -> list[dict[str, str]]:
    """Links to the same query in every format that fits its form."""
    offers = conneg.RESULTS_FORMATS if form in ("select", "ask") else conneg.GRAPH_FORMATS
    return [
        {
            "label": f.label,
            "media_type": f.media_type,
            "href": url_for("sparql.sparql", query=query, format=f.name, download="1"),
        }
        for f in offers
    ]


def _page(proto: ProtocolRequest | None, choice: Choice | None) -> Response:
    settings = _settings()
    store = _store()
    examples = load_examples(settings.root)
    context: dict[str, Any] = {
        "examples": examples,
        "graphs": sorted(store.graphs().items()),
        "endpoint": endpoint_url(),
        "timeout": settings.query_timeout,
        "cap": settings.result_cap,
        "config_base": settings.base,
    }
    if proto is None or choice is None:
        response = Response(render_template("sparql.html", query=None, **context))
        response.vary.add("Accept")
        return response
    assert proto.query is not None
    page_choice = Choice(
        False, conneg.RESULTS_FORMATS[0], conneg.by_name("nt", conneg.GRAPH_FORMATS)
    )
    query_request = _request_for(proto, page_choice)
    etag = _etag(store.version, query_request, "page", examples, settings.public_url)
    cached = _not_modified(etag)
    if cached is not None:
        return cached
    result: QueryResult = store.query(query_request, settings.query_timeout)
    table = result_table(result, settings.base)
    html = render_template(
        "sparql.html",
        query=proto.query,
        result=result,
        table=table,
        downloads=download_links(proto.query, result.form),
        **context,
    )
    response = Response(html, mimetype="text/html")
    response.set_etag(etag, weak=True)
    response.vary.add("Accept")
    if result.truncated:
        response.headers["X-SPARQL-MaxRows"] = str(settings.result_cap)
    return response
