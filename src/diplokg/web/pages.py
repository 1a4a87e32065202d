"""``/`` (home) and ``/timeline``: the ways into the dataset for a person.

The home page says what the dataset is, gives its counts and lists every entity
by class; an RDF client asking for ``/`` gets the VoID description (the dataset
IRI is the namespace itself). The timeline is server-side SVG
(https://www.w3.org/TR/SVG2/) with a ``<title>`` and ``<desc>`` and, beside it,
the same events as an ordered list: no JavaScript, no external resources.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, Response, render_template
from rdflib import Literal, URIRef
from rdflib.term import Node

from diplokg.describe import Reader, sparql_term, values
from diplokg.namespaces import OA, RDF, VOID, graph_iri
from diplokg.void import partition_fragment
from diplokg.web import rdfview
from diplokg.web.void import manifest, void_response

bp = Blueprint("pages", __name__)

LAYOUT = "pages-1"
FIRST_YEAR, LAST_YEAR = 1990, 2020


@dataclass
class Entry:
    """One entity in the index."""

    iri: URIRef
    label: str
    href: str | None


@dataclass
class ClassIndex:
    """The entities of one class."""

    iri: URIRef
    label: str
    href: str | None
    anchor: str
    entries: list[Entry] = field(default_factory=list)


def _labels(reader: Reader, iris: list[URIRef]) -> dict[Node, Literal]:
    return reader.labels(iris) if iris else {}


def counts(reader: Reader) -> dict[str, int]:
    """The dataset's headline counts, read through the store."""
    ns = reader.ns
    row = reader.select(
        "SELECT (COUNT(DISTINCT ?x) AS ?entities) WHERE { ?x ?p ?o "
        f"FILTER(isIRI(?x) && STRSTARTS(STR(?x), {Literal(str(ns.id)).n3()})) }}"
    )[0]
    facts = reader.select(f"SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE {{ ?f a {ns.dkg.Fact.n3()} }}")[
        0
    ]
    evidence = reader.select(
        f"SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE {{ ?a a {OA.Annotation.n3()} }}"
    )[0]
    sources = reader.select(
        f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a {ns.dkg.Source.n3()} }}"
    )[0]
    store = rdfview.store()
    graphs = store.graphs()
    return {
        "triples": store.triple_count(),
        "graphs": len(graphs),
        "inferred": graphs.get(str(graph_iri(reader.base, "inferred")), 0),
        "entities": int(str(row["entities"])),
        "facts": int(str(facts["n"])),
        "evidence": int(str(evidence["n"])),
        "sources": int(str(sources["n"])),
    }


def entity_index(reader: Reader) -> list[ClassIndex]:
    """Every entity under ``{base}id/`` grouped by its asserted classes."""
    ns = reader.ns
    inferred = sparql_term(graph_iri(reader.base, "inferred"))
    rows = reader.select(
        f"SELECT DISTINCT ?x ?c WHERE {{ GRAPH ?g {{ ?x {RDF.type.n3()} ?c }} "
        f"FILTER(?g != {inferred} && STRSTARTS(STR(?x), {Literal(str(ns.id)).n3()})) }}"
    )
    members: dict[URIRef, set[URIRef]] = {}
    for row in rows:
        x, c = row["x"], row["c"]
        if isinstance(x, URIRef) and isinstance(c, URIRef):
            members.setdefault(c, set()).add(x)
    everything = sorted({x for xs in members.values() for x in xs} | set(members))
    labels = _labels(reader, everything)
    out = []
    for cls, xs in members.items():
        label = rdfview.display(cls, labels)
        entries = sorted(
            (Entry(x, rdfview.display(x, labels), rdfview.href(x)) for x in xs),
            key=lambda e: e.label.casefold(),
        )
        # the fragment of the class's VoID partition, so that {base}#class-… resolves here
        anchor = partition_fragment("class", cls)[1:]
        out.append(ClassIndex(cls, label, rdfview.href(cls), anchor, entries))
    out.sort(key=lambda c: c.label.casefold())
    return out


@dataclass
class PropertyUse:
    """A property used in the data: its label, where it is documented, how often it is used."""

    iri: URIRef
    label: str
    href: str | None
    anchor: str
    count: int


def property_uses(reader: Reader) -> list[PropertyUse]:
    """Every property of the data with its number of triples (as its VoID partition says)."""
    meta = sparql_term(graph_iri(reader.base, "meta"))
    rows = reader.select(
        f"SELECT ?p ?n WHERE {{ GRAPH {meta} {{ ?part {VOID.property.n3()} ?p ; "
        f"{VOID.triples.n3()} ?n }} }}"
    )
    iris = [r["p"] for r in rows if isinstance(r["p"], URIRef)]
    labels = _labels(reader, iris)
    out = [
        PropertyUse(
            r["p"],
            rdfview.display(r["p"], labels),
            rdfview.href(r["p"]),
            partition_fragment("property", r["p"])[1:],
            int(str(r["n"])),
        )
        for r in rows
        if isinstance(r["p"], URIRef)
    ]
    out.sort(key=lambda u: (-u.count, u.label.casefold()))
    return out


def sources(reader: Reader) -> list[Entry]:
    """The sources the data is drawn from, with their labels."""
    rows = reader.select(f"SELECT DISTINCT ?s WHERE {{ ?s a {reader.ns.dkg.Source.n3()} }}")
    iris = sorted(r["s"] for r in rows if isinstance(r["s"], URIRef))
    labels = _labels(reader, iris)
    return [Entry(s, rdfview.display(s, labels), rdfview.href(s)) for s in iris]


@bp.route("/", methods=["GET"])
def home() -> Response:
    """The home page, or the VoID description for an RDF client."""
    fmt = rdfview.choose(rdfview.DOCUMENT_FORMATS)
    if fmt.kind != "page":
        return void_response(fmt)
    store = rdfview.store()
    tag = rdfview.etag(store.version, LAYOUT, "home", rdfview.public_root())
    cached = rdfview.not_modified(tag)
    if cached is not None:
        return cached
    reader = rdfview.reader()
    links = rdfview.alternates("/.well-known/void", rdfview.DOCUMENT_FORMATS)
    html = render_template(
        "ld_home.html",
        counts=counts(reader),
        index=entity_index(reader),
        sources=sources(reader),
        properties=property_uses(reader),
        base=rdfview.settings().base,
        manifest=manifest(),
        alternates=links[1:],
    )
    return rdfview.finish(html, fmt, tag, links)


# ---------------------------------------------------------------- timeline


@dataclass
class TimelineItem:
    """One event or period on the timeline."""

    iri: URIRef
    label: str
    href: str | None
    start: float
    end: float | None
    when: str
    evidence: str | None
    lane: int = 0


def year_fraction(value: str) -> float | None:
    """A date as a year with fraction: ``1992-03`` → 1992.17; ``None`` if unreadable."""
    parts = value.strip().split("-")
    try:
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 else 1
        day = int(parts[2][:2]) if len(parts) > 2 else 1
    except (ValueError, IndexError):
        return None
    return year + (month - 1) / 12 + (day - 1) / 365


def timeline_items(reader: Reader) -> list[TimelineItem]:
    """Every dated fact of the dataset between 1990 and 2020, with one evidence link."""
    dkg = reader.ns.dkg
    rows = reader.select(
        f"SELECT ?f ?k ?v WHERE {{ ?f a {dkg.Fact.n3()} . "
        f"{values('k', [dkg.date, dkg.startDate, dkg.endDate])} ?f ?k ?v }}"
    )
    dates: dict[URIRef, dict[str, str]] = {}
    for row in rows:
        f, k = row["f"], row["k"]
        if isinstance(f, URIRef) and isinstance(k, URIRef):
            dates.setdefault(f, {})[k.split("#")[-1]] = str(row["v"])
    iris = sorted(dates)
    if not iris:
        return []
    labels = reader.labels(iris)
    evidence: dict[Node, URIRef] = {}
    for row in reader.select(
        f"SELECT ?f (MIN(STR(?a)) AS ?ev) WHERE {{ {values('f', iris)} "
        f"?a {OA.hasBody.n3()} ?f }} GROUP BY ?f"
    ):
        evidence[row["f"]] = URIRef(str(row["ev"]))
    items = []
    for iri in iris:
        d = dates[iri]
        start_text = d.get("date") or d.get("startDate")
        end_text = d.get("endDate")
        start = year_fraction(start_text) if start_text else None
        end = year_fraction(end_text) if end_text else None
        when = start_text or ""
        if start is None:
            if end is None:
                continue
            # An end alone ("until January 2018") is drawn as a point where it ends.
            start, end, when = end, None, f"until {end_text}"
        if end is not None and end < start:
            end = None
        if not (FIRST_YEAR <= start <= LAST_YEAR + 1):
            continue
        if end_text and "startDate" in d:
            when = f"{start_text} to {end_text}"
        elif "startDate" in d and "date" not in d:
            when = f"since {start_text}"
            end = float(LAST_YEAR + 1)
        ev = evidence.get(iri)
        items.append(
            TimelineItem(
                iri,
                rdfview.display(iri, labels),
                rdfview.href(iri),
                start,
                end,
                when,
                rdfview.href(ev) if ev is not None else None,
            )
        )
    items.sort(key=lambda i: (i.start, i.label.casefold()))
    return items


@dataclass
class Layout:
    """Geometry of the timeline SVG."""

    width: int = 1200
    left: int = 40
    right: int = 40
    top: int = 40
    lane_height: int = 34
    axis_gap: int = 30
    char_width: float = 6.4
    max_chars: int = 46

    def x(self, year: float) -> float:
        """Horizontal position of a (fractional) year."""
        span = LAST_YEAR + 1 - FIRST_YEAR
        inner = self.width - self.left - self.right
        return round(self.left + (year - FIRST_YEAR) / span * inner, 1)


def label_left(item: TimelineItem, layout: Layout) -> bool:
    """Whether an item's label goes left of its dot (it would overflow on the right)."""
    text = min(len(item.label), layout.max_chars) * layout.char_width + 14
    return layout.x(item.start) + text > layout.width - 4


def assign_lanes(items: list[TimelineItem], layout: Layout) -> int:
    """Put each item in the first lane where it and its label overlap nothing; return lanes."""
    lanes: list[list[tuple[float, float]]] = []
    for item in items:
        x0 = layout.x(item.start)
        text = min(len(item.label), layout.max_chars) * layout.char_width + 14
        x_end = layout.x(item.end) if item.end else x0
        span = (
            (x0 - text - 14, max(x_end, x0) + 8)
            if label_left(item, layout)
            else (
                x0 - 14,
                max(x_end, x0 + text),
            )
        )
        for index, taken in enumerate(lanes):
            if all(span[1] < a or span[0] > b for a, b in taken):
                item.lane = index
                taken.append(span)
                break
        else:
            item.lane = len(lanes)
            lanes.append([span])
    return max(1, len(lanes))


def short(label: str, limit: int) -> str:
    """Cut a label to a number of characters, with an ellipsis."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _timeline_context() -> dict[str, object]:
    items = timeline_items(rdfview.reader())
    layout = Layout()
    lanes = assign_lanes(items, layout)
    height = layout.top + lanes * layout.lane_height + layout.axis_gap + 30
    axis_y = layout.top + lanes * layout.lane_height + 10
    years = [
        {"year": y, "x": layout.x(y), "major": y % 5 == 0} for y in range(FIRST_YEAR, LAST_YEAR + 2)
    ]
    shapes = []
    for item in items:
        y = layout.top + item.lane * layout.lane_height
        x0 = layout.x(item.start)
        shapes.append(
            {
                "item": item,
                "x": x0,
                "y": y,
                "x_end": layout.x(item.end) if item.end else None,
                "text": short(item.label, layout.max_chars),
                "left": label_left(item, layout),
            }
        )
    return {
        "items": items,
        "shapes": shapes,
        "years": years,
        "width": layout.width,
        "height": height,
        "axis_y": axis_y,
        "first": FIRST_YEAR,
        "last": LAST_YEAR,
    }


@bp.route("/timeline", methods=["GET"])
def timeline() -> Response:
    """The partnership's events, 1990 to 2020, as an SVG timeline and a list."""
    tag = rdfview.etag(rdfview.store().version, LAYOUT, "timeline")
    cached = rdfview.not_modified(tag)
    if cached is not None:
        return cached
    html = render_template("ld_timeline.html", **_timeline_context())
    return rdfview.finish(html, rdfview.DOCUMENT_FORMATS[0], tag)


@bp.route("/timeline.svg", methods=["GET"])
def timeline_svg() -> Response:
    """The timeline alone, as an SVG image (links and titles included)."""
    tag = rdfview.etag(rdfview.store().version, LAYOUT, "timeline.svg")
    cached = rdfview.not_modified(tag)
    if cached is not None:
        return cached
    svg = '<?xml version="1.0" encoding="utf-8"?>\n' + render_template(
        "_ld_timeline_svg.html", **_timeline_context()
    )
    response = Response(svg, content_type="image/svg+xml; charset=utf-8")
    response.set_etag(tag)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
