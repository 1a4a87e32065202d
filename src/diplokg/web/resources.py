"""``/id/{slug}`` and ``/doc/{slug}[.ext]``: things and the documents about them.

Follows "Cool URIs for the Semantic Web" (https://www.w3.org/TR/cooluris/#r303gendocument):
``/id/x`` names a thing, not a document, so it answers ``303 See Other`` to
its document, chosen by ``Accept`` (HTML, Turtle, JSON-LD, N-Triples, RDF/XML);
``/doc/x`` is negotiated too (``Vary: Accept``) and ``/doc/x.ttl`` and siblings
name one representation each. The RDF is the thing's description
(:func:`diplokg.describe.describe`) with ``foaf:primaryTopic`` from the document
to the thing. Skolem IRIs (``/.well-known/genid/…``, RFC 7511 style) and named
graphs (``/graph/…``) are served as documents directly. Unknown IRIs under the
namespace answer 404 as a page, or as an empty RDF document when RDF is asked for.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise

from flask import Blueprint, Response, render_template, request
from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from diplokg import conneg
from diplokg.describe import (
    DESCRIPTION_PROPERTIES,
    LABEL_PROPERTIES,
    WIKIDATA,
    Description,
    Evidence,
    best_literals,
)
from diplokg.errors import NotFound
from diplokg.namespaces import RDF, SCHEMA, project_namespaces
from diplokg.quotes import Passage, passage, source_quotes
from diplokg.web import rdfview
from diplokg.web.rdfview import DOCUMENT_FORMATS

bp = Blueprint("resources", __name__)

#: Bumped when the page or document layout changes (part of the ETag).
LAYOUT = "resources-1"
#: Properties shown in the page header rather than among the statements.
HEADER_PROPERTIES = frozenset({RDF.type, *LABEL_PROPERTIES[:1], SCHEMA.text})


@dataclass
class Value:
    """One value of a property on a page."""

    term: Node
    text: str
    href: str | None
    inferred: bool
    lang: str | None = None
    note: str | None = None


@dataclass
class Group:
    """The values of one property, with the property's label."""

    predicate: URIRef
    label: str
    href: str | None
    values: list[Value] = field(default_factory=list)

    @property
    def inferred(self) -> bool:
        """Whether every value is inferred."""
        return all(v.inferred for v in self.values)


@dataclass
class EvidenceView:
    """One annotation on a page: the passage, its source and what it is evidence for."""

    annotation: Node
    passage: Passage
    source: Value
    bodies: list[Value]
    start: int | None
    end: int | None


@dataclass
class EventView:
    """One event of the resource, for the time-ordered list."""

    value: Value
    when: str
    key: str


def _value(desc: Description, term: Node, inferred: bool = False) -> Value:
    lang = term.language if isinstance(term, Literal) else None
    label = desc.labels.get(term)
    if label is not None and label.language:
        lang = label.language
    note = None
    if isinstance(term, Literal) and term.datatype is not None:
        note = rdfview.display(term.datatype)
    return Value(term, rdfview.display(term, desc.labels), rdfview.href(term), inferred, lang, note)


def _groups(desc: Description, incoming: bool) -> list[Group]:
    statements = desc.incoming if incoming else desc.outgoing
    by_prop: dict[URIRef, Group] = {}
    for st in statements:
        if not incoming and st.predicate in HEADER_PROPERTIES:
            continue
        group = by_prop.get(st.predicate)
        if group is None:
            label = rdfview.display(st.predicate, desc.labels)
            group = Group(st.predicate, label, rdfview.href(st.predicate))
            by_prop[st.predicate] = group
        group.values.append(_value(desc, st.subject if incoming else st.object, st.inferred))
    groups = list(by_prop.values())
    labels = [g.label for g in groups]
    for g in groups:
        if labels.count(g.label) > 1:  # two properties with one label: say which is which
            g.label = f"{g.label} ({rdfview.display(g.predicate)})"
    for g in groups:
        g.values.sort(key=lambda v: (v.inferred, v.text.casefold()))
    groups.sort(key=lambda g: (g.inferred, g.label.casefold()))
    return groups


def _events(desc: Description) -> list[EventView]:
    event = project_namespaces(rdfview.settings().base).dkg.Event
    out = []
    for node in {desc.iri, *desc.related}:
        if event not in desc.types.get(node, set()):
            continue
        dates = desc.dates.get(node, {})
        start = dates.get("date") or dates.get("start")
        end = dates.get("end")
        when = str(start) if start is not None else ""
        if end is not None and str(end) != when:
            when = f"{when}\u2013{end}" if when else f"until {end}"
        key = str(start or end or "9999")
        out.append(EventView(_value(desc, node), when or "undated", key))
    out.sort(key=lambda e: (e.key, e.value.text.casefold()))
    return out


def _evidence(desc: Description) -> list[EvidenceView]:
    by_annotation: dict[Node, list[Node]] = defaultdict(list)
    first: dict[Node, Evidence] = {}
    for ev in desc.evidence:
        by_annotation[ev.annotation].append(ev.body)
        first.setdefault(ev.annotation, ev)
    views = []
    for annotation, bodies in by_annotation.items():
        ev = first[annotation]
        views.append(
            EvidenceView(
                annotation,
                passage(desc.texts.get(ev.source), ev),
                _value(desc, ev.source),
                [_value(desc, b) for b in sorted(set(bodies), key=str)],
                ev.start,
                ev.end,
            )
        )
    views.sort(key=lambda v: (v.start if v.start is not None else -1, str(v.annotation)))
    return views


@dataclass
class Segment:
    """A run of a source text: plain, or quoted by annotations (the innermost links)."""

    text: str
    href: str | None
    count: int


def text_segments(text: str, quotes: list[Evidence]) -> list[Segment]:
    """Split a source text at the quotes' offsets so that every quoted run is marked."""
    spans = []
    for q in quotes:
        start, end = q.start, q.end
        if start is None or end is None or text[start:end] != q.exact:
            start = text.find(q.exact)
            end = start + len(q.exact)
        if start >= 0:
            spans.append((start, end, q.annotation))
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    out = []
    for a, b in pairwise(cuts):
        covering = [(e - s, ann) for s, e, ann in spans if s <= a and b <= e]
        inner = min(covering, key=lambda c: (c[0], str(c[1])))[1] if covering else None
        out.append(Segment(text[a:b], rdfview.href(inner) if inner else None, len(covering)))
    return out


def page_context(desc: Description) -> dict[str, object]:
    """Everything the resource page shows, as plain values for the template."""
    iri = desc.iri
    title = rdfview.display(iri, desc.labels)
    types = [
        _value(desc, st.object, st.inferred) for st in desc.outgoing if st.predicate == RDF.type
    ]
    types.sort(key=lambda v: (v.inferred, v.text.casefold()))
    rows = [
        {"p": st.predicate, "x": st.object}
        for st in desc.outgoing
        if st.predicate in DESCRIPTION_PROPERTIES
    ]
    # one description per property, best first
    descriptions = []
    for prop in DESCRIPTION_PROPERTIES:
        lit = best_literals([r for r in rows if r["p"] == prop], "p", "x", [prop]).get(prop)
        if lit is not None:
            descriptions.append(lit)
    same_as = [
        {
            "value": _value(desc, target),
            "verification": note,
            "wikidata": str(target).startswith(WIKIDATA),
        }
        for target, note in sorted(desc.same_as.items(), key=lambda kv: str(kv[0]))
    ]
    text = next((str(st.object) for st in desc.outgoing if st.predicate == SCHEMA.text), None)
    return {
        "iri": str(iri),
        "title": title,
        "title_lang": desc.labels[iri].language if iri in desc.labels else None,
        "types": types,
        "descriptions": descriptions,
        "groups": _groups(desc, incoming=False),
        "incoming": _groups(desc, incoming=True),
        "events": _events(desc),
        "evidence": _evidence(desc),
        "same_as": same_as,
        "text": text,
        "closure": sorted(
            (
                (rdfview.display(s, desc.labels), rdfview.display(p, desc.labels), _value(desc, o))
                for s, p, o in desc.closure
            ),
            key=lambda t: (t[0], t[1], t[2].text),
        ),
    }


def _candidates(local_raw: str) -> list[URIRef]:
    base = rdfview.settings().base
    first = URIRef(rdfview.path_to_iri(local_raw, base))
    out = [first]
    literal = rdfview.path_to_iri(local_raw.replace("%", "%25"), base).replace("%25", "%")
    if literal != str(first):
        out.append(URIRef(literal))
    return out


def _find(local_raw: str) -> URIRef | None:
    reader = rdfview.reader()
    for iri in _candidates(local_raw):
        if reader.exists(iri):
            return iri
    return None


def not_found(iri: str, fmt: conneg.Format | None) -> Response:
    """404 for an IRI the dataset does not mention: an empty RDF document, or the error page.

    Args:
        iri: The IRI asked for.
        fmt: The negotiated format (``None`` or HTML: the error mapping answers).

    Returns:
        The RDF 404 response.

    Raises:
        NotFound: For any other format (the one error mapping writes it).
    """
    message = f"no resource <{iri}> in this dataset"
    accept = request.headers.get("Accept", "")
    plain_json = fmt is not None and fmt.name == "jsonld" and "ld+json" not in accept
    if fmt is None or fmt.kind != "graph" or plain_json:
        raise NotFound(message)  # the one error body (JSON for application/json)
    body = rdfview.serialise(Graph(), fmt)
    if fmt.name == "turtle":
        body = f"# 404 Not Found: {message}\n".encode() + body
    response = Response(body, status=404, content_type=fmt.content_type)
    response.vary.add("Accept")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/id/<path:slug>", methods=["GET"])
def thing(slug: str) -> Response:
    """A thing's IRI: 303 to its document in the negotiated format; 404 if unknown."""
    local = rdfview.raw_path().lstrip("/")
    fmt = rdfview.choose(DOCUMENT_FORMATS)
    iri = _find(local)
    if iri is None:
        return not_found(rdfview.path_to_iri(local, rdfview.settings().base), fmt)
    doc = rdfview.iri_to_path(str(iri), rdfview.settings().base)
    assert doc is not None
    doc = "/doc/" + doc[len("/id/") :]
    target = doc if fmt.kind == "page" else f"{doc}.{fmt.extension}"
    response = Response(f"See {target}\n", status=303, content_type="text/plain; charset=utf-8")
    response.headers["Location"] = rdfview.public_root() + target
    response.vary.add("Accept")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _lookup(local: str) -> tuple[URIRef | None, str, conneg.Format]:
    """The resource a local path names, its path without a format suffix, and the format.

    A suffix (``.ttl``, ``.jsonld``…) chooses the format only when the path without it names
    a resource; otherwise the whole path is the name and ``Accept`` chooses.
    """
    stem, ext = rdfview.suffix_of(local, DOCUMENT_FORMATS)
    iri = _find(stem) if ext else None
    if iri is None:
        ext = None
        iri = _find(local)
    return iri, stem, rdfview.choose(DOCUMENT_FORMATS, ext)


@bp.route("/doc/<path:slug>", methods=["GET"])
def document(slug: str) -> Response:
    """The document about a thing: HTML or RDF, by suffix or ``Accept``."""
    local = "id/" + rdfview.raw_path().lstrip("/")[len("doc/") :]
    iri, stem, fmt = _lookup(local)
    if iri is None:
        return not_found(rdfview.path_to_iri(stem, rdfview.settings().base), fmt)
    base = rdfview.settings().base
    path = rdfview.iri_to_path(str(iri), base)
    assert path is not None
    doc_path = "/doc/" + path[len("/id/") :]
    doc_iri = URIRef(base + doc_path[1:])
    return _respond(iri, doc_iri, doc_path, fmt)


@bp.route("/.well-known/genid/<path:key>", methods=["GET"])
@bp.route("/graph/<path:key>", methods=["GET"])
def direct(key: str) -> Response:
    """Skolem IRIs and named graphs: their description, served at the IRI itself."""
    local = rdfview.raw_path().lstrip("/")
    iri, stem, fmt = _lookup(local)
    if iri is None:
        return not_found(rdfview.path_to_iri(stem, rdfview.settings().base), fmt)
    path = rdfview.iri_to_path(str(iri), rdfview.settings().base)
    assert path is not None
    return _respond(iri, None, path, fmt)


def _respond(iri: URIRef, doc_iri: URIRef | None, doc_path: str, fmt: conneg.Format) -> Response:
    store = rdfview.store()
    links = rdfview.alternates(doc_path, DOCUMENT_FORMATS)
    tag = rdfview.etag(store.version, LAYOUT, str(iri), fmt.name, rdfview.public_root())
    cached = rdfview.not_modified(tag)
    if cached is not None:
        return cached
    desc = rdfview.description(iri)
    if fmt.kind == "page":
        context = page_context(desc)
        if context["text"]:
            quotes = source_quotes(rdfview.reader(), iri)
            context["segments"] = text_segments(str(context["text"]), quotes)
            context["quotes"] = len(quotes)
        html = render_template(
            "ld_resource.html", alternates=links[1:], doc_path=doc_path, **context
        )
        return rdfview.finish(html, fmt, tag, links, canonical=None)
    body = rdfview.serialise(desc.graph(doc_iri), fmt)
    return rdfview.finish(body, fmt, tag, links)
