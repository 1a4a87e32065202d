"""Content negotiation: media-type tables and ``Accept`` parsing.

Implements proactive negotiation as RFC 9110 §12.5.1 describes it: media ranges
with q-values, wildcards (``*/*``, ``type/*``) and parameters, the most specific
matching range deciding the quality of an offer. The tables name every format the
SPARQL endpoint writes — the SPARQL 1.1 results formats for SELECT and ASK
(https://www.w3.org/TR/sparql11-protocol/#query-success) and RDF syntaxes for
CONSTRUCT and DESCRIBE — with their preferred media type, aliases and the
``format`` parameter names links use. The web layer asks this module which
format to answer in; it holds no web code itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from diplokg.errors import NotAcceptable


@dataclass(frozen=True)
class Format:
    """One representation the server can write.

    Attributes:
        name: Short name, used by the ``format`` parameter and in file names.
        media_type: The media type sent in ``Content-Type``.
        aliases: Other media types a client may ask for it by.
        extension: File extension for downloads.
        label: Human-readable name.
        kind: ``results`` (SELECT/ASK), ``graph`` (CONSTRUCT/DESCRIBE) or ``page``.
        names: Extra values of the ``format`` parameter that select it.
    """

    name: str
    media_type: str
    aliases: tuple[str, ...]
    extension: str
    label: str
    kind: str
    names: tuple[str, ...] = ()

    @property
    def media_types(self) -> tuple[str, ...]:
        """The preferred media type followed by the aliases."""
        return (self.media_type, *self.aliases)

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` header value (textual types say UTF-8)."""
        textual = self.media_type.startswith("text/") or self.media_type.endswith(
            ("+json", "+xml", "/json", "/xml", "n-triples", "n-quads", "trig")
        )
        return f"{self.media_type}; charset=utf-8" if textual else self.media_type


#: Formats of SELECT and ASK results, in the server's order of preference.
RESULTS_FORMATS: tuple[Format, ...] = (
    Format(
        "json",
        "application/sparql-results+json",
        ("application/json",),
        "srj",
        "SPARQL JSON",
        "results",
        ("srj",),
    ),
    Format(
        "xml",
        "application/sparql-results+xml",
        ("application/xml", "text/xml"),
        "srx",
        "SPARQL XML",
        "results",
        ("srx",),
    ),
    Format("csv", "text/csv", (), "csv", "CSV", "results"),
    Format("tsv", "text/tab-separated-values", (), "tsv", "TSV", "results"),
)

#: Formats of CONSTRUCT and DESCRIBE results, in the server's order of preference.
GRAPH_FORMATS: tuple[Format, ...] = (
    Format("turtle", "text/turtle", ("application/x-turtle",), "ttl", "Turtle", "graph", ("ttl",)),
    Format(
        "nt",
        "application/n-triples",
        (),
        "nt",
        "N-Triples",
        "graph",
        ("ntriples", "n-triples"),
    ),
    Format(
        "jsonld",
        "application/ld+json",
        ("application/json",),
        "jsonld",
        "JSON-LD",
        "graph",
        ("json-ld", "json"),
    ),
    Format(
        "rdfxml",
        "application/rdf+xml",
        ("application/xml", "text/xml"),
        "rdf",
        "RDF/XML",
        "graph",
        ("rdf", "xml", "rdf-xml"),
    ),
    Format("trig", "application/trig", (), "trig", "TriG", "graph"),
    Format("nq", "application/n-quads", (), "nq", "N-Quads", "graph", ("nquads", "n-quads")),
)

#: The HTML query page.
HTML = Format("html", "text/html", ("application/xhtml+xml",), "html", "HTML", "page")

#: Formats of error bodies, by kind (see :func:`error_kind`).
ERROR_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("json", ("application/json", "application/sparql-results+json", "application/ld+json")),
    ("text", ("text/plain", "text/csv", "text/tab-separated-values", "text/turtle")),
    ("html", ("text/html", "application/xhtml+xml")),
    ("xml", ("application/xml", "text/xml", "application/sparql-results+xml")),
)


@dataclass(frozen=True)
class MediaRange:
    """One element of an ``Accept`` header.

    Attributes:
        type: Main type, lower case, possibly ``*``.
        subtype: Subtype, lower case, possibly ``*``.
        params: Parameters other than ``q``, names lower case.
        q: Quality, 0 to 1.
    """

    type: str
    subtype: str
    params: tuple[tuple[str, str], ...]
    q: float

    @property
    def specificity(self) -> int:
        """How specific the range is: 0 for ``*/*`` up to 3 with parameters."""
        if self.type == "*":
            return 0
        if self.subtype == "*":
            return 1
        return 3 if self.params else 2

    def matches(self, media_type: str) -> bool:
        """Whether the range covers a media type (parameters ignored but ``charset``)."""
        main, _, sub = media_type.lower().partition("/")
        if self.type != "*" and self.type != main:
            return False
        if self.subtype != "*" and self.subtype != sub:
            return False
        # A range that asks for a parameter we do not produce does not match,
        # except charset (we always write UTF-8).
        return all(name == "charset" and value.lower() == "utf-8" for name, value in self.params)


def _split_params(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def parse_accept(header: str | None) -> list[MediaRange]:
    """Parse an ``Accept`` header; malformed elements are skipped.

    Args:
        header: The header value; ``None`` or empty means ``*/*``.

    Returns:
        The media ranges, in header order.
    """
    if header is None or not header.strip():
        return [MediaRange("*", "*", (), 1.0)]
    ranges = []
    for element in _split_elements(header):
        pieces = _split_params(element)
        main, _, sub = pieces[0].strip().lower().partition("/")
        if not main or not sub or " " in main or " " in sub:
            continue
        q = 1.0
        params = []
        for piece in pieces[1:]:
            name, _, value = piece.partition("=")
            name, value = name.strip().lower(), value.strip().strip('"')
            if not name:
                continue
            if name == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
            else:
                params.append((name, value))
        ranges.append(MediaRange(main, sub, tuple(params), q))
    return ranges


def _split_elements(header: str) -> Iterable[str]:
    current: list[str] = []
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            yield "".join(current)
            current = []
        else:
            current.append(ch)
    yield "".join(current)


def _match(ranges: Sequence[MediaRange], media_types: Iterable[str]) -> tuple[int, float]:
    best = (-1, 0.0)
    for media_type in media_types:
        for r in ranges:
            if r.matches(media_type) and (r.specificity, r.q) > best:
                best = (r.specificity, r.q)
    return best


def quality(ranges: Sequence[MediaRange], media_type: str) -> float:
    """The quality a client gives a media type: that of the most specific matching range.

    Args:
        ranges: The parsed ``Accept`` header.
        media_type: The media type offered.

    Returns:
        The q-value, 0 if no range matches.
    """
    return _match(ranges, [media_type])[1]


def format_quality(ranges: Sequence[MediaRange], fmt: Format) -> float:
    """The quality of a format: the most specific range matching any of its media types.

    So ``application/sparql-results+json;q=0, */*`` excludes SPARQL JSON even though
    ``*/*`` covers its alias ``application/json``.
    """
    return _match(ranges, fmt.media_types)[1]


def negotiate(ranges: Sequence[MediaRange], offers: Sequence[Format]) -> Format | None:
    """Choose the offer the client prefers; ties go to the earlier offer.

    Args:
        ranges: The parsed ``Accept`` header.
        offers: The formats on offer, in the server's order of preference.

    Returns:
        The chosen format, or ``None`` when none is acceptable.
    """
    best, best_q = None, 0.0
    for fmt in offers:
        q = format_quality(ranges, fmt)
        if q > best_q:
            best, best_q = fmt, q
    return best


def by_name(name: str, offers: Sequence[Format]) -> Format:
    """Find a format by ``format`` parameter value: a short name or a media type.

    Args:
        name: e.g. ``json``, ``ttl`` or ``text/csv``.
        offers: Where to look.

    Returns:
        The format.

    Raises:
        NotAcceptable: No offered format has that name.
    """
    key = name.strip().lower()
    for fmt in offers:
        if key == fmt.name or key in fmt.names or key == fmt.extension:
            return fmt
    for fmt in offers:
        if key.split(";")[0].strip() in fmt.media_types:
            return fmt
    raise NotAcceptable(f"unknown format {name!r}; offered: {describe(offers)}")


def describe(offers: Iterable[Format]) -> str:
    """List formats for an error message: ``json (application/sparql-results+json), …``."""
    return ", ".join(f"{f.name} ({f.media_type})" for f in offers)


def error_kind(ranges: Sequence[MediaRange]) -> str:
    """Choose the format of an error body: ``json``, ``text``, ``html`` or ``xml``.

    Args:
        ranges: The parsed ``Accept`` header.

    Returns:
        The kind the client prefers; JSON when it does not say.
    """
    best, best_q = "json", 0.0
    for kind, types in ERROR_KINDS:
        q = _match(ranges, types)[1]
        if q > best_q:
            best, best_q = kind, q
    return best
