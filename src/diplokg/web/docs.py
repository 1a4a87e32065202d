"""``/ontology``, ``/shapes`` and ``/validation``: documentation generated from the graphs.

- ``/ontology`` is the ontology IRI: the ``graph/ontology`` graph as RDF, or a page
  in the manner of pyLODE/Widoco — metadata, the class hierarchy, every class and
  property with its definition, domains, ranges, characteristics, how many
  instances and uses it has in the data and an example. Each term
  ``{base}ontology#Term`` has the anchor ``#Term``. A term without a label or
  definition is shown and flagged, never skipped.
- ``/shapes`` (``{base}shapes#…``): the SHACL shapes (https://www.w3.org/TR/shacl/)
  as RDF, or a page that says in words what each shape requires
  (:mod:`diplokg.web.shacl_words`).
- ``/validation``: the SHACL validation report of the last build
  (``dist/validation.ttl``, https://www.w3.org/TR/shacl/#validation-report).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from flask import Blueprint, Response, render_template
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from diplokg import conneg
from diplokg.describe import Reader, sparql_term
from diplokg.errors import NotFound
from diplokg.namespaces import DCTERMS, OWL, RDF, RDFS, SH, SKOS, graph_iri
from diplokg.web import rdfview
from diplokg.web.shacl_words import first_literal, path_words, shapes_context

bp = Blueprint("docs", __name__)

LAYOUT = "docs-1"
CLASS_TYPES = (OWL.Class, RDFS.Class)
PROPERTY_TYPES = {
    OWL.ObjectProperty: "object property",
    OWL.DatatypeProperty: "datatype property",
    OWL.AnnotationProperty: "annotation property",
    RDF.Property: "property",
}
CHARACTERISTICS = {
    OWL.FunctionalProperty: "functional",
    OWL.InverseFunctionalProperty: "inverse functional",
    OWL.TransitiveProperty: "transitive",
    OWL.SymmetricProperty: "symmetric",
    OWL.AsymmetricProperty: "asymmetric",
    OWL.ReflexiveProperty: "reflexive",
    OWL.IrreflexiveProperty: "irreflexive",
}
DEFINITIONS = (SKOS.definition, RDFS.comment, DCTERMS.description)


def _graph_of(reader: Reader, name: str) -> Graph:
    g = sparql_term(graph_iri(reader.base, name))
    return reader.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {g} {{ ?s ?p ?o }} }}")


@dataclass
class TermRef:
    """A link to a term: its text, where it goes and its full IRI."""

    iri: Node
    text: str
    href: str | None


@dataclass
class TermDoc:
    """The documentation of one class or property."""

    iri: URIRef
    anchor: str
    kind: str
    label: str | None
    definition: str | None
    curie: str
    supers: list[TermRef] = field(default_factory=list)
    subs: list[TermRef] = field(default_factory=list)
    domains: list[TermRef] = field(default_factory=list)
    ranges: list[TermRef] = field(default_factory=list)
    inverse: list[TermRef] = field(default_factory=list)
    characteristics: list[str] = field(default_factory=list)
    used_by: list[TermRef] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    count: int = 0
    example: list[TermRef] = field(default_factory=list)
    deprecated: bool = False

    @property
    def flags(self) -> list[str]:
        """What is missing: a label, a definition."""
        out = []
        if self.label is None:
            out.append("no label")
        if self.definition is None:
            out.append("no definition")
        return out


class OntologyDocs:
    """Builds the ontology page from the ontology graph and the data's statistics."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.base = reader.base
        self.ns = str(reader.ns.dkg)
        self.onto = _graph_of(reader, "ontology")
        self.instances: Counter[Node] = Counter()
        self.uses: Counter[Node] = Counter()
        self.class_example: dict[Node, Node] = {}
        self.prop_example: dict[Node, tuple[Node, Node]] = {}
        self.labels: dict[Node, Literal] = {}
        self._data()

    def _data(self) -> None:
        base = self.base
        excluded = ", ".join(
            sparql_term(graph_iri(base, n)) for n in ("ontology", "shapes", "meta")
        )
        rows = self.reader.select(
            f"SELECT ?s ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g NOT IN ({excluded})) }}"
        )
        members: dict[Node, set[Node]] = defaultdict(set)
        seen: set[tuple[Node, Node, Node]] = set()
        for row in rows:
            triple = (row["s"], row["p"], row["o"])
            if triple in seen:
                continue
            seen.add(triple)
            s, p, o = triple
            self.uses[p] += 1
            if p == RDF.type:
                members[o].add(s)
            current = self.prop_example.get(p)
            if current is None or (str(s), str(o)) < (str(current[0]), str(current[1])):
                self.prop_example[p] = (s, o)
        for cls, xs in members.items():
            self.instances[cls] = len(xs)
            self.class_example[cls] = min(xs, key=str)
        mentioned = set(self.class_example.values())
        for s, o in self.prop_example.values():
            mentioned |= {s, o}
        self.labels = self.reader.labels(mentioned)
        for s in set(self.onto.subjects()):
            label = first_literal(self.onto, s, (RDFS.label, SKOS.prefLabel))
            if label is not None:
                self.labels[s] = label

    def ref(self, term: Node) -> TermRef:
        """A link to a term: to its anchor for the ontology's own terms."""
        if isinstance(term, URIRef) and term.startswith(self.ns):
            return TermRef(term, rdfview.display(term), "#" + term[len(self.ns) :])
        if isinstance(term, URIRef) and (term, None, None) in self.onto:
            return TermRef(term, rdfview.display(term), "#" + self.anchor(term))
        return TermRef(term, rdfview.display(term, self.labels), rdfview.href(term))

    def anchor(self, term: URIRef) -> str:
        """The anchor of a term: its local name for ``dkg:`` terms, ``prefix-name`` else."""
        if term.startswith(self.ns):
            return term[len(self.ns) :]
        return "ext-" + rdfview.display(term).replace(":", "-").strip("<>").replace("/", "-")

    def _refs(self, terms: object) -> list[TermRef]:
        nodes = [t for t in terms if not isinstance(t, Literal)]  # type: ignore[attr-defined]
        return sorted((self.ref(t) for t in nodes), key=lambda r: r.text.casefold())

    def _class_expr(self, node: Node) -> list[TermRef]:
        """A class or a union of classes (``owl:unionOf``) as links."""
        union = self.onto.value(node, OWL.unionOf)
        if union is not None:
            return self._refs(Collection(self.onto, union))
        if isinstance(node, URIRef) and not self.reader.is_skolem(node):
            return [self.ref(node)]
        return [TermRef(node, "(anonymous class)", None)]

    def term(self, iri: URIRef, kind: str) -> TermDoc:
        """Document one term."""
        g = self.onto
        label = first_literal(g, iri, (RDFS.label, SKOS.prefLabel))
        definition = first_literal(g, iri, DEFINITIONS)
        doc = TermDoc(
            iri,
            self.anchor(iri),
            kind,
            str(label) if label is not None else None,
            str(definition) if definition is not None else None,
            rdfview.display(iri),
        )
        is_prop = kind != "class"
        sup, sub = (RDFS.subPropertyOf, RDFS.subPropertyOf) if is_prop else (RDFS.subClassOf,) * 2
        doc.supers = self._refs(o for o in g.objects(iri, sup) if isinstance(o, URIRef))
        doc.subs = self._refs(s for s in g.subjects(sub, iri) if isinstance(s, URIRef))
        for d in g.objects(iri, RDFS.domain):
            doc.domains += self._class_expr(d)
        for r in g.objects(iri, RDFS.range):
            doc.ranges += self._class_expr(r)
        doc.inverse = self._refs([*g.objects(iri, OWL.inverseOf), *g.subjects(OWL.inverseOf, iri)])
        doc.characteristics = sorted(
            name for t, name in CHARACTERISTICS.items() if (iri, RDF.type, t) in g
        )
        if not is_prop:
            doc.used_by = self._refs(
                s for s in g.subjects(RDFS.domain, iri) if isinstance(s, URIRef)
            )
        for note in (SKOS.scopeNote, SKOS.example, SKOS.editorialNote, RDFS.comment):
            if note in DEFINITIONS and definition is not None and note == RDFS.comment:
                continue
            doc.notes += [str(o) for o in g.objects(iri, note) if str(o) != doc.definition]
        doc.deprecated = (iri, OWL.deprecated, Literal(True)) in g
        if is_prop:
            doc.count = self.uses.get(iri, 0)
            ex = self.prop_example.get(iri)
            if ex is not None:
                doc.example = [self.ref_data(ex[0]), self.ref(iri), self.ref_data(ex[1])]
        else:
            doc.count = self.instances.get(iri, 0)
            inst = self.class_example.get(iri)
            if inst is not None:
                doc.example = [self.ref_data(inst)]
        return doc

    def ref_data(self, term: Node) -> TermRef:
        """A link to a resource of the data (its page)."""
        return TermRef(term, rdfview.display(term, self.labels), rdfview.href(term))

    def context(self) -> dict[str, object]:
        """Everything the page shows."""
        g = self.onto
        onto_iri = URIRef(self.base + "ontology")
        classes: list[URIRef] = sorted(
            {s for t in CLASS_TYPES for s in g.subjects(RDF.type, t) if isinstance(s, URIRef)}
        )
        props: dict[URIRef, str] = {}
        for t, kind in PROPERTY_TYPES.items():
            for s in g.subjects(RDF.type, t):
                if isinstance(s, URIRef) and s not in props:
                    props[s] = kind
        own = [c for c in classes if c.startswith(self.ns)]
        own_props = sorted(p for p in props if p.startswith(self.ns))
        individuals = sorted(
            s
            for s in set(g.subjects())
            if isinstance(s, URIRef)
            and s.startswith(self.ns)
            and s not in classes
            and s not in props
        )
        external = sorted(
            {c for c in classes if not c.startswith(self.ns)}
            | {p for p in props if not p.startswith(self.ns)}
        )
        class_docs = [self.term(c, "class") for c in own]
        prop_docs = [self.term(p, props[p]) for p in own_props]
        individual_docs = [self.term(i, "individual") for i in individuals]
        external_docs = [
            self.term(t, "class" if t in classes else props.get(t, "property")) for t in external
        ]
        meta = {
            "title": first_literal(g, onto_iri, (DCTERMS.title, RDFS.label)),
            "description": first_literal(g, onto_iri, (DCTERMS.description, RDFS.comment)),
            "version": first_literal(g, onto_iri, (OWL.versionInfo,)),
            "version_iri": g.value(onto_iri, OWL.versionIRI),
            "license": g.value(onto_iri, DCTERMS.license),
            "creators": sorted(str(o) for o in g.objects(onto_iri, DCTERMS.creator)),
            "created": g.value(onto_iri, DCTERMS.created),
            "modified": g.value(onto_iri, DCTERMS.modified),
        }
        return {
            "iri": str(onto_iri),
            "namespace": self.ns,
            "meta": meta,
            "tree": self.tree(own),
            "classes": class_docs,
            "properties": prop_docs,
            "individuals": individual_docs,
            "external": external_docs,
            "flagged": [d for d in class_docs + prop_docs + individual_docs if d.flags],
        }

    def tree(self, own: list[URIRef]) -> list[dict[str, object]]:
        """The class hierarchy of the ontology's classes, roots first."""
        ownset = set(own)
        children: dict[URIRef, list[URIRef]] = defaultdict(list)
        roots = []
        for c in own:
            parents = [p for p in self.onto.objects(c, RDFS.subClassOf) if p in ownset]
            for p in parents:
                children[p].append(c)  # type: ignore[index]
            if not parents:
                roots.append(c)

        def node(c: URIRef, depth: int) -> dict[str, object]:
            kids = sorted(children.get(c, []), key=lambda k: self.ref(k).text.casefold())
            return {
                "ref": self.ref(c),
                "label": str(self.labels.get(c, rdfview.display(c))),
                "children": [node(k, depth + 1) for k in kids] if depth < 12 else [],
            }

        return [node(r, 0) for r in sorted(roots, key=lambda r: self.ref(r).text.casefold())]


def _rdf_or_page(name: str, path: str, page: str, ext: str | None = None) -> Response:
    fmt = rdfview.choose(rdfview.DOCUMENT_FORMATS, ext)
    store = rdfview.store()
    tag = rdfview.etag(store.version, LAYOUT, name, fmt.name)
    cached = rdfview.not_modified(tag)
    if cached is not None:
        return cached
    reader = rdfview.reader()
    links = rdfview.alternates(path, rdfview.DOCUMENT_FORMATS)
    if fmt.kind != "page":
        return rdfview.finish(rdfview.serialise(_graph_of(reader, name), fmt), fmt, tag, links)
    if name == "ontology":
        context = OntologyDocs(reader).context()
    else:
        context = shapes_context(_graph_of(reader, name), reader.base)
    html = render_template(page, alternates=links[1:], **context)
    return rdfview.finish(html, fmt, tag, links)


@bp.route("/ontology", methods=["GET"])
def ontology() -> Response:
    """The ontology: documentation page or RDF by ``Accept``."""
    return _rdf_or_page("ontology", "/ontology", "ld_ontology.html")


@bp.route("/ontology.<ext>", methods=["GET"])
def ontology_file(ext: str) -> Response:
    """The ontology in one format (``/ontology.ttl`` …)."""
    return _rdf_or_page("ontology", "/ontology", "ld_ontology.html", ext)


@bp.route("/ontology/<path:version>", methods=["GET"])
def ontology_version(version: str) -> Response:
    """A version IRI of the ontology (``owl:versionIRI``): the current one is served."""
    reader = rdfview.reader()
    onto = URIRef(reader.base + "ontology")
    wanted = URIRef(rdfview.path_to_iri(rdfview.raw_path(), reader.base))
    graph = sparql_term(graph_iri(reader.base, "ontology"))
    if not reader.ask(
        f"ASK {{ GRAPH {graph} {{ {sparql_term(onto)} {OWL.versionIRI.n3()} "
        f"{sparql_term(wanted)} }} }}"
    ):
        raise NotFound(f"no version <{wanted}> of the ontology here; see /ontology")
    return ontology()


@bp.route("/shapes", methods=["GET"])
def shapes() -> Response:
    """The SHACL shapes: a page saying what each requires, or RDF by ``Accept``."""
    return _rdf_or_page("shapes", "/shapes", "ld_shapes.html")


@bp.route("/shapes.<ext>", methods=["GET"])
def shapes_file(ext: str) -> Response:
    """The shapes in one format."""
    return _rdf_or_page("shapes", "/shapes", "ld_shapes.html", ext)


# ---------------------------------------------------------------- validation


def _report() -> Graph:
    path = rdfview.settings().dist_dir / "validation.ttl"
    if not path.is_file():
        raise NotFound("no validation report: the dataset has not been built here")
    g = Graph(bind_namespaces="none")
    g.parse(path, format="turtle")
    return g


@bp.route("/validation", methods=["GET"])
@bp.route("/validation.<ext>", methods=["GET"])
def validation(ext: str | None = None) -> Response:
    """The SHACL validation report of the last build: a page, or RDF by ``Accept``."""
    fmt = rdfview.choose(rdfview.DOCUMENT_FORMATS, ext)
    path = rdfview.settings().dist_dir / "validation.ttl"
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        raise NotFound("no validation report: the dataset has not been built here") from None
    tag = rdfview.etag(LAYOUT, "validation", fmt.name, stamp)
    cached = rdfview.not_modified(tag)
    if cached is not None:
        return cached
    g = _report()
    links = rdfview.alternates("/validation", rdfview.DOCUMENT_FORMATS)
    if fmt.kind != "page":
        body = path.read_bytes() if fmt.name == "turtle" else rdfview.serialise(g, fmt)
        return rdfview.finish(body, fmt, tag, links)
    results = []
    for r in g.subjects(RDF.type, SH.ValidationResult):
        result_path = g.value(r, SH.resultPath)
        results.append(
            {
                "severity": rdfview.display(g.value(r, SH.resultSeverity) or SH.Violation),
                "focus": g.value(r, SH.focusNode),
                "path": path_words(g, result_path) if result_path is not None else "",
                "value": g.value(r, SH.value),
                "message": str(g.value(r, SH.resultMessage) or ""),
                "shape": g.value(r, SH.sourceShape),
            }
        )
    results.sort(key=lambda x: (str(x["severity"]), str(x["focus"]), str(x["message"])))
    conforms = any(g.triples((None, SH.conforms, Literal(True))))
    by_severity = Counter(str(r["severity"]) for r in results)
    html = render_template(
        "ld_validation.html",
        conforms=conforms,
        results=results,
        by_severity=sorted(by_severity.items()),
        alternates=links[1:],
        html_format=conneg.HTML,
    )
    return rdfview.finish(html, fmt, tag, links)
