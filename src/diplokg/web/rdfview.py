"""Shared helpers of the linked-data pages: IRIs ↔ paths, negotiation, caching, display.

- IRIs under the dataset namespace map to the same path on this server
  (``{base}id/x`` ↔ ``/id/x``); IRIs are turned into URIs for links as RFC 3987
  §3.1 says (non-ASCII characters percent-encoded as UTF-8) and back as §3.2
  says (only percent-encoded non-ASCII and unreserved characters decoded), so an
  IRI that needs escaping survives the round trip.
- Documents are negotiated (RFC 9110 §12.5.1, :mod:`diplokg.conneg`) between HTML
  and the RDF syntaxes, or chosen by a ``.ext`` suffix or ``?_mediatype=``.
- Responses carry a strong ETag derived from the store version and answer
  ``If-None-Match`` with 304 (RFC 9110 §13.1.2), ``Vary: Accept`` and ``Link``
  headers to their alternates (RFC 8288).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from flask import Flask, Response, current_app, request
from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from diplokg import __version__, conneg
from diplokg.config import Settings
from diplokg.describe import Description, Reader, describe
from diplokg.errors import NotAcceptable
from diplokg.namespaces import prefixes_for, shorten
from diplokg.store import Store

#: The formats of a resource's document, in the server's order of preference.
DOCUMENT_FORMATS: tuple[conneg.Format, ...] = (
    conneg.HTML,
    *(conneg.by_name(n, conneg.GRAPH_FORMATS) for n in ("turtle", "jsonld", "nt", "rdfxml")),
)
#: RDF only (``/ontology`` and others also serve these).
RDF_FORMATS = DOCUMENT_FORMATS[1:]
#: rdflib's names of the RDF syntaxes.
RDFLIB = {"turtle": "turtle", "jsonld": "json-ld", "nt": "nt", "rdfxml": "xml"}
#: Characters kept as they are when an IRI becomes a URI path (RFC 3986 pchar, ``/``, ``%``).
PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_PCT = re.compile(rb"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def settings() -> Settings:
    """The app's settings."""
    value: Settings = current_app.extensions["diplokg"]["settings"]
    return value


def store() -> Store:
    """The app's store."""
    value: Store = current_app.extensions["diplokg"]["store"]
    return value


def reader() -> Reader:
    """A reader over the app's store."""
    s = settings()
    return Reader(store(), s.base, s.query_timeout)


def iri_to_path(iri: str, base: str) -> str | None:
    """The local path of an IRI under the namespace, as a URI path (RFC 3987 §3.1).

    Args:
        iri: The IRI.
        base: The dataset namespace.

    Returns:
        ``/id/x`` for ``{base}id/x`` (a fragment kept as ``#frag``), ``None`` outside.
    """
    if not iri.startswith(base):
        return None
    local, hash_, frag = iri[len(base) :].partition("#")
    path = "/" + quote(local, safe=PATH_SAFE)
    return path + (hash_ + quote(frag, safe=PATH_SAFE + "?") if hash_ else "")


def path_to_iri(raw_path: str, base: str) -> str:
    """The IRI of a raw request path (still percent-encoded), RFC 3987 §3.2.

    Only percent-encoded octets that form non-ASCII UTF-8 characters or ASCII
    unreserved characters are decoded; any other ``%XX`` stays, and characters a
    client left unencoded but an IRI cannot hold (space, ``<``, ``"``…) are encoded,
    so the result is always a valid IRI that can be written into a query.

    Args:
        raw_path: e.g. ``/id/caf%C3%A9``.
        base: The dataset namespace.

    Returns:
        e.g. ``{base}id/café``.
    """
    data = raw_path.lstrip("/").encode("latin-1", "replace")
    out = bytearray()
    i = 0
    while i < len(data):
        m = _PCT.match(data, i)
        if m:
            octet = int(m.group(1), 16)
            if octet >= 0x80 or octet in _UNRESERVED:
                out.append(octet)
            else:
                out += m.group(0).upper()
            i = m.end()
        else:
            out.append(data[i])
            i += 1
    # Octets that are not UTF-8 stay percent-encoded (surrogateescape keeps them apart).
    text = out.decode("utf-8", "surrogateescape")
    return base + "".join(_iri_char(c) for c in text)


def _iri_char(c: str) -> str:
    code = ord(c)
    if 0xDC80 <= code <= 0xDCFF:
        return f"%{code - 0xDC00:02X}"
    if code <= 0x20 or code == 0x7F or c in '<>"{}|\\^`':
        return "".join(f"%{b:02X}" for b in c.encode("utf-8"))
    return c


def raw_path() -> str:
    """The request path as the client sent it (percent-encoding intact)."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if isinstance(raw, str) and raw.startswith("/"):
        path = raw.split("?", 1)[0]
        root = request.script_root
        return path[len(root) :] if root and path.startswith(root) else path
    return quote(request.path, safe=PATH_SAFE)


def public_root() -> str:
    """This server's public URL without the trailing slash."""
    public = settings().public_url
    return (public or request.host_url).rstrip("/")


def href(term: Node) -> str | None:
    """Where a term links on a page: the local path for namespace IRIs, else the IRI."""
    if not isinstance(term, URIRef):
        return None
    local = iri_to_path(str(term), settings().base)
    if local is not None:
        return local
    return str(term) if str(term).startswith(("http://", "https://")) else None


def display(term: Node, labels: dict[Node, Literal] | None = None) -> str:
    """A term for a person: its label, else a compact IRI, else the literal's text."""
    if labels and term in labels:
        return str(labels[term])
    if isinstance(term, URIRef):
        return shorten(term, settings().base)
    return str(term)


def choose(offers: Sequence[conneg.Format], suffix: str | None = None) -> conneg.Format:
    """Choose a representation: by suffix, ``?_mediatype=``/``?format=``, else ``Accept``.

    Args:
        offers: The formats on offer, preferred first.
        suffix: A file extension from the URL (``ttl``, ``html``…), if any.

    Returns:
        The format.

    Raises:
        NotAcceptable: Nothing on offer is acceptable (406).
    """
    explicit = suffix or request.args.get("_mediatype") or request.args.get("format")
    if explicit:
        for fmt in offers:
            if explicit in (fmt.extension, fmt.name, *fmt.names, *fmt.media_types):
                return fmt
        raise NotAcceptable(f"unknown format {explicit!r}; offered: {conneg.describe(offers)}")
    chosen = conneg.negotiate(conneg.parse_accept(request.headers.get("Accept")), offers)
    if chosen is None:
        raise NotAcceptable(f"none of the offered formats is acceptable: {conneg.describe(offers)}")
    return chosen


def suffix_of(path: str, offers: Sequence[conneg.Format]) -> tuple[str, str | None]:
    """Split a known format extension off a path: ``x.ttl`` → (``x``, ``ttl``)."""
    stem, dot, ext = path.rpartition(".")
    if dot and stem and any(ext == f.extension for f in offers):
        return stem, ext
    return path, None


def serialise(graph: Graph, fmt: conneg.Format) -> bytes:
    """Write a graph in an RDF format with the project's prefixes.

    Args:
        graph: The graph.
        fmt: One of :data:`RDF_FORMATS`.

    Returns:
        The bytes.
    """
    out = Graph(bind_namespaces="none")
    for prefix, ns in prefixes_for(settings().base).items():
        out.bind(prefix, ns)
    out += graph
    if fmt.name == "jsonld":
        context = {p: ns for p, ns in prefixes_for(settings().base).items()}
        return out.serialize(format="json-ld", context=context, encoding="utf-8")
    return out.serialize(format=RDFLIB[fmt.name], encoding="utf-8")


def etag(*parts: object) -> str:
    """A strong entity tag from the parts that decide a representation (and the version)."""
    h = hashlib.sha256()
    for part in (__version__, *parts):
        h.update(repr(part).encode())
        h.update(b"\0")
    return h.hexdigest()[:32]


def not_modified(tag: str) -> Response | None:
    """A 304 when ``If-None-Match`` holds the tag (weak comparison for GET, RFC 9110)."""
    if request.if_none_match.contains_weak(tag):
        response = Response(status=304)
        response.set_etag(tag)
        response.vary.add("Accept")
        return response
    return None


@dataclass(frozen=True)
class Alternate:
    """One representation of a page, for ``Link`` headers and the page's links."""

    href: str
    format: conneg.Format


def alternates(path: str, offers: Sequence[conneg.Format]) -> list[Alternate]:
    """The suffix URLs of every representation of a document path."""
    return [Alternate(f"{path}.{f.extension}", f) for f in offers]


def finish(
    body: bytes | str,
    fmt: conneg.Format,
    tag: str,
    links: Sequence[Alternate] = (),
    status: int = 200,
    canonical: str | None = None,
) -> Response:
    """A negotiated response with its ETag, ``Vary: Accept`` and ``Link`` headers."""
    response = Response(body, status=status, content_type=fmt.content_type)
    response.set_etag(tag)
    response.vary.add("Accept")
    response.headers["Cache-Control"] = "public, max-age=300"
    parts = [
        f'<{a.href}>; rel="alternate"; type="{a.format.media_type}"'
        for a in links
        if a.format != fmt
    ]
    if canonical:
        parts.insert(0, f'<{canonical}>; rel="canonical"')
    own = next((a.href for a in links if a.format == fmt), None)
    if own is not None:  # the negotiated representation's own URL (RFC 9110 §8.7)
        response.headers["Content-Location"] = own
    if parts:
        response.headers["Link"] = ", ".join(parts)
    return response


class DescriptionCache:
    """The most recently read descriptions, by store version and IRI (thread-safe).

    A document is asked for in several formats (and its IRI first, for the 303);
    each representation is written from the same description, read once.
    """

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self.items: OrderedDict[tuple[str, str], Description] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, iri: URIRef) -> Description:
        """The description of an IRI, from the cache or the store."""
        key = (store().version, str(iri))
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
                return found
        desc = describe(reader(), iri)
        with self.lock:
            self.items[key] = desc
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return desc


def description(iri: URIRef) -> Description:
    """The description of an IRI, read through the app's cache."""
    cache: DescriptionCache = current_app.extensions["diplokg_descriptions"]
    return cache.get(iri)


def init_app(app: Flask) -> None:
    """Add the description cache and make the display helpers available to templates."""
    app.extensions["diplokg_descriptions"] = DescriptionCache()
    app.jinja_env.globals.update(ld_href=href, ld_display=display, ld_shorten=_shorten)


def _shorten(term: Node) -> str:
    return shorten(term, settings().base)
