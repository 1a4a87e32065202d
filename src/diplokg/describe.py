"""Reading resources through the store: descriptions, evidence, labels.

Everything here is SPARQL 1.1 (https://www.w3.org/TR/sparql11-query/) sent to a
:class:`~diplokg.store.Store`, so it works on any backend. A resource's RDF
description is its Concise Bounded Description (https://www.w3.org/submission/CBD/):
its own statements, following skolem IRIs (``{base}.well-known/genid/…``, the
build's stand-ins for blank nodes, RDF 1.1 §3.5) as CBD follows blank nodes;
plus the statements pointing at it, the labels of everything it links to, the
evidence annotations (Web Annotation, https://www.w3.org/TR/annotation-model/)
of the resource and of the facts around it, and which named graphs state each
statement, so that pages can tell asserted from inferred.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from diplokg.namespaces import (
    DCTERMS,
    OA,
    OWL,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
    graph_iri,
    project_namespaces,
)
from diplokg.store.base import QueryRequest, Store

#: Most rows an internal query may return (far above any one description).
INTERNAL_CAP = 1_000_000
#: Rounds of skolem-IRI following in a CBD (annotation → target → selector is 2).
CBD_DEPTH = 5
#: Properties whose value names a thing for a person, best first.
LABEL_PROPERTIES = (RDFS.label, SKOS.prefLabel, DCTERMS.title, SCHEMA.name)
#: Properties whose value describes a thing in words, best first.
DESCRIPTION_PROPERTIES = (
    DCTERMS.description,
    SKOS.definition,
    RDFS.comment,
    SCHEMA.description,
    SKOS.scopeNote,
)
#: Properties linking a resource to the same thing elsewhere.
SAME_AS = (SCHEMA.sameAs, OWL.sameAs)
WIKIDATA = "http://www.wikidata.org/entity/"


def sparql_term(term: Node) -> str:
    """Write an IRI or literal for a SPARQL query (N-Triples syntax is valid SPARQL).

    Args:
        term: An IRI or literal (IRIs must be valid: see :func:`diplokg.web.rdfview.path_to_iri`).

    Returns:
        The term in SPARQL syntax.

    Raises:
        ValueError: A blank node, which a query cannot name.
    """
    if isinstance(term, BNode):
        raise ValueError("a blank node cannot be named in a query")
    return str(term.n3())


def values(var: str, terms: Iterable[Node]) -> str:
    """A ``VALUES ?var { … }`` block."""
    return f"VALUES ?{var} {{ {' '.join(sparql_term(t) for t in terms)} }}"


def _json_term(b: dict[str, str]) -> Node:
    kind, value = b["type"], b["value"]
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if "xml:lang" in b:
        return Literal(value, lang=b["xml:lang"])
    if "datatype" in b:
        return Literal(value, datatype=URIRef(b["datatype"]))
    return Literal(value)


class Reader:
    """Queries a store and returns rdflib terms and graphs.

    Args:
        store: The store (any backend).
        base: The dataset namespace.
        timeout: Seconds each query may take.
    """

    def __init__(self, store: Store, base: str, timeout: float) -> None:
        self.store = store
        self.base = base
        self.timeout = timeout
        self.ns = project_namespaces(base)
        self.inferred = str(graph_iri(base, "inferred"))

    def select(self, sparql: str) -> list[dict[str, Node]]:
        """Run a SELECT query.

        Args:
            sparql: The query.

        Returns:
            One dict per solution, variable name → term (unbound variables absent).
        """
        request = QueryRequest(
            sparql, results_format="json", result_cap=INTERNAL_CAP, internal=True
        )
        result = self.store.query(request, self.timeout)
        doc = json.loads(result.body)
        return [
            {name: _json_term(b) for name, b in row.items()} for row in doc["results"]["bindings"]
        ]

    def ask(self, sparql: str) -> bool:
        """Run an ASK query."""
        request = QueryRequest(
            sparql, results_format="json", result_cap=INTERNAL_CAP, internal=True
        )
        return bool(json.loads(self.store.query(request, self.timeout).body)["boolean"])

    def construct(self, sparql: str) -> Graph:
        """Run a CONSTRUCT query into an rdflib graph."""
        request = QueryRequest(sparql, graph_format="nt", result_cap=INTERNAL_CAP, internal=True)
        graph = Graph(bind_namespaces="none")
        body = self.store.query(request, self.timeout).body
        if body.strip():
            graph.parse(data=body.decode("utf-8"), format="nt")
        return graph

    def is_skolem(self, term: Node) -> bool:
        """Whether a term is a skolem IRI (a blank node of the inputs)."""
        return isinstance(term, URIRef) and term.startswith(self.ns.genid)

    def exists(self, iri: URIRef) -> bool:
        """Whether the dataset mentions an IRI as subject or object."""
        t = sparql_term(iri)
        return self.ask(f"ASK {{ {{ {t} ?p ?o }} UNION {{ ?s ?p {t} }} }}")

    def closure(self, seeds: Iterable[Node]) -> Graph:
        """The statements of some resources, following skolem IRIs as CBD follows blank nodes.

        Args:
            seeds: The resources.

        Returns:
            Their statements and those of the skolem IRIs they reach.
        """
        graph = Graph(bind_namespaces="none")
        seen: set[Node] = set()
        frontier = {s for s in seeds if isinstance(s, URIRef)}
        for _ in range(CBD_DEPTH):
            frontier -= seen
            if not frontier:
                break
            seen |= frontier
            found = self.construct(
                f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {values('s', sorted(frontier))} ?s ?p ?o }}"
            )
            graph += found
            frontier = {o for o in found.objects() if isinstance(o, URIRef) and self.is_skolem(o)}
        return graph

    def labels(self, terms: Iterable[Node]) -> dict[Node, Literal]:
        """The best label of each IRI: English or untagged first, then any.

        Args:
            terms: The IRIs (other terms are ignored).

        Returns:
            IRI → label, for those that have one.
        """
        iris = sorted({t for t in terms if isinstance(t, URIRef)})
        if not iris:
            return {}
        props = " ".join(sparql_term(p) for p in LABEL_PROPERTIES)
        rows = self.select(
            f"SELECT DISTINCT ?x ?p ?l WHERE {{ {values('x', iris)} VALUES ?p {{ {props} }} "
            "?x ?p ?l FILTER(isLiteral(?l)) }"
        )
        return best_literals(rows, "x", "l", LABEL_PROPERTIES)


def best_literals(
    rows: Sequence[dict[str, Node]], key: str, var: str, order: Sequence[URIRef]
) -> dict[Node, Literal]:
    """Pick one literal per key: by property order, then English or untagged, then text.

    Args:
        rows: Solutions with ``key``, ``var`` and ``p`` (the property).
        key: The variable naming the described thing.
        var: The variable holding the literal.
        order: The properties, best first.

    Returns:
        Key term → literal.
    """
    best: dict[Node, tuple[tuple[int, int, str], Literal]] = {}
    for row in rows:
        value = row.get(var)
        if not isinstance(value, Literal):
            continue
        prop = row.get("p")
        rank = order.index(prop) if prop in order else len(order)
        lang = value.language or ""
        score = (rank, 0 if lang in ("", "en") or lang.startswith("en-") else 1, str(value))
        k = row[key]
        if k not in best or score < best[k][0]:
            best[k] = (score, value)
    return {k: v for k, (_, v) in best.items()}


@dataclass(frozen=True)
class Statement:
    """One statement about the described resource and the named graphs stating it."""

    subject: Node
    predicate: URIRef
    object: Node
    graphs: frozenset[str]
    inferred_graph: str

    @property
    def inferred(self) -> bool:
        """Whether only the reasoner states it (it is in ``graph/inferred`` alone)."""
        return self.graphs == frozenset({self.inferred_graph})


@dataclass(frozen=True)
class Evidence:
    """One evidence annotation of a resource: the quoted words of a source.

    Attributes:
        body: The fact or entity the annotation is evidence for.
        annotation: The ``oa:Annotation``.
        source: The source quoted.
        exact: The quote.
        start: Offset of the quote in the source text (code points), if given.
        end: End offset (exclusive), if given.
    """

    body: Node
    annotation: Node
    source: Node
    exact: str
    start: int | None
    end: int | None


@dataclass
class Description:
    """Everything known about one resource, read through the store.

    Attributes:
        iri: The resource.
        outgoing: Its statements, with their graphs.
        incoming: Statements whose object it is, with their graphs.
        closure: Statements of the skolem IRIs it reaches (its CBD beyond itself).
        evidence: Annotations of it and of the facts around it.
        evidence_graph: Those annotations' own descriptions (CBD).
        labels: Best label of every IRI mentioned.
        types: Types of the resource and of every resource it links with.
        dates: ``date`` / ``startDate`` / ``endDate`` of related resources.
        texts: Full text of each quoted source (``schema:text``).
        same_as: Links to the same thing elsewhere: target → verification note.
    """

    iri: URIRef
    outgoing: list[Statement] = field(default_factory=list)
    incoming: list[Statement] = field(default_factory=list)
    closure: Graph = field(default_factory=lambda: Graph(bind_namespaces="none"))
    evidence: list[Evidence] = field(default_factory=list)
    evidence_graph: Graph = field(default_factory=lambda: Graph(bind_namespaces="none"))
    labels: dict[Node, Literal] = field(default_factory=dict)
    types: dict[Node, set[Node]] = field(default_factory=dict)
    dates: dict[Node, dict[str, Literal]] = field(default_factory=dict)
    texts: dict[Node, str] = field(default_factory=dict)
    same_as: dict[Node, str | None] = field(default_factory=dict)

    @property
    def related(self) -> list[URIRef]:
        """IRIs the resource links to or is linked from (itself excluded), sorted."""
        out = {s.object for s in self.outgoing} | {s.subject for s in self.incoming}
        return sorted(t for t in out if isinstance(t, URIRef) and t != self.iri)

    def graph(self, doc: URIRef | None = None) -> Graph:
        """The description as RDF: CBD, incoming links, labels, evidence, primary topic.

        Args:
            doc: The document's IRI; when given, ``doc foaf:primaryTopic iri``.

        Returns:
            The graph.
        """
        from diplokg.namespaces import FOAF

        g = Graph(bind_namespaces="none")
        for s in self.outgoing + self.incoming:
            g.add((s.subject, s.predicate, s.object))
        g += self.closure
        g += self.evidence_graph
        mentioned = {t for triple in g for t in triple if isinstance(t, URIRef)}
        for term, label in self.labels.items():
            if term in mentioned and term != self.iri:
                g.add((term, RDFS.label, label))
        if doc is not None:
            g.add((doc, RDF.type, FOAF.Document))
            g.add((doc, FOAF.primaryTopic, self.iri))
            title = self.labels.get(self.iri)
            if title is not None:
                g.add((doc, DCTERMS.title, Literal(f"About {title}", lang=title.language)))
        return g


def describe(reader: Reader, iri: URIRef) -> Description:
    """Read the description of a resource in five queries.

    1. its statements and the statements pointing at it, with their graphs;
    2. types, dates and labels of it, of what it links with, and of the properties;
    3. the evidence of it and of the facts it links with (or, for an annotation, itself),
       with the full text of each quoted source;
    4. the CBD of its skolem IRIs and of the evidence annotations;
    5. labels of what the evidence mentions, and its verified ``sameAs`` links.

    Args:
        reader: The store reader.
        iri: The resource.

    Returns:
        The description (empty when the dataset does not mention the resource).
    """
    desc = Description(iri)
    _read_statements(reader, desc)
    if not desc.outgoing and not desc.incoming:
        return desc
    _read_info(reader, desc)
    _read_evidence(reader, desc)
    _read_closures(reader, desc)
    _read_extras(reader, desc)
    return desc


def _read_statements(reader: Reader, desc: Description) -> None:
    t = sparql_term(desc.iri)
    out: dict[tuple[Node, Node, Node], set[str]] = {}
    inc: dict[tuple[Node, Node, Node], set[str]] = {}
    for row in reader.select(
        "SELECT ?d ?p ?x ?g WHERE { "
        f"{{ GRAPH ?g {{ {t} ?p ?x }} BIND('out' AS ?d) }} UNION "
        f"{{ GRAPH ?g {{ ?x ?p {t} }} BIND('in' AS ?d) }} }}"
    ):
        p, x, g = row["p"], row["x"], str(row["g"])
        if str(row["d"]) == "out":
            out.setdefault((desc.iri, p, x), set()).add(g)
        elif not reader.is_skolem(x):  # a skolem subject is reached through its own subject
            inc.setdefault((x, p, desc.iri), set()).add(g)
    desc.outgoing = _statements(out, reader.inferred)
    desc.incoming = _statements(inc, reader.inferred)


def _read_info(reader: Reader, desc: Description) -> None:
    dkg = reader.ns.dkg
    label_props = " ".join(sparql_term(p) for p in LABEL_PROPERTIES)
    date_props = f"{dkg.date.n3()} {dkg.startDate.n3()} {dkg.endDate.n3()}"
    # The nodes: the resource, what it links with, and the properties of its statements.
    nodes = [desc.iri, *desc.related]
    nodes += sorted({s.predicate for s in desc.outgoing + desc.incoming} - set(nodes), key=str)
    rows = reader.select(
        f"SELECT DISTINCT ?k ?x ?y ?p ?v WHERE {{ {values('x', nodes)} "
        "{ ?x a ?v BIND('type' AS ?k) } "
        f"UNION {{ VALUES ?p {{ {label_props} }} ?x ?p ?v FILTER(isLiteral(?v)) "
        "BIND('label' AS ?k) } "
        f"UNION {{ VALUES ?p {{ {date_props} }} ?x ?p ?v BIND('date' AS ?k) }} "
        f"UNION {{ ?x a ?y . VALUES ?p {{ {label_props} }} ?y ?p ?v FILTER(isLiteral(?v)) "
        "BIND('typelabel' AS ?k) } }"
    )
    label_rows = []
    names = {dkg.date: "date", dkg.startDate: "start", dkg.endDate: "end"}
    for row in rows:
        k, x, v = str(row["k"]), row["x"], row["v"]
        if k == "type":
            desc.types.setdefault(x, set()).add(v)
        elif k == "date" and isinstance(v, Literal):
            desc.dates.setdefault(x, {})[names[row["p"]]] = v  # type: ignore[index]
        elif k == "label":
            label_rows.append(row)
        elif k == "typelabel":
            label_rows.append({**row, "x": row["y"]})
    desc.labels = best_literals(label_rows, "x", "v", LABEL_PROPERTIES)


def _read_evidence(reader: Reader, desc: Description) -> None:
    dkg = reader.ns.dkg
    t = sparql_term(desc.iri)
    body = OA.hasBody.n3()
    rows = reader.select(
        "SELECT DISTINCT ?body ?a ?src ?exact ?start ?end ?text WHERE { "
        f"{{ ?a {body} {t} BIND({t} AS ?body) }} "
        f"UNION {{ {t} ?q ?body . ?body a {dkg.Fact.n3()} . ?a {body} ?body }} "
        f"UNION {{ ?body ?q {t} . ?body a {dkg.Fact.n3()} . ?a {body} ?body }} "
        f"UNION {{ {t} a {OA.Annotation.n3()} ; {body} ?body BIND({t} AS ?a) }} "
        f"?a {OA.hasTarget.n3()} ?tg . ?tg {OA.hasSource.n3()} ?src ; "
        f"{OA.hasSelector.n3()} ?qs . ?qs {OA.exact.n3()} ?exact . "
        f"OPTIONAL {{ ?tg {OA.hasSelector.n3()} ?ps . ?ps {OA.start.n3()} ?start ; "
        f"{OA.end.n3()} ?end }} "
        f"OPTIONAL {{ ?src {SCHEMA.text.n3()} ?text }} }}"
    )
    found: dict[Evidence, None] = {}
    for row in rows:
        ev = Evidence(
            row["body"],
            row["a"],
            row["src"],
            str(row["exact"]),
            as_int(row.get("start")),
            as_int(row.get("end")),
        )
        found[ev] = None
        text = row.get("text")
        if text is not None:
            desc.texts[row["src"]] = str(text)
    desc.evidence = sorted(
        found, key=lambda e: (-1 if e.start is None else e.start, str(e.annotation), str(e.body))
    )


def _read_closures(reader: Reader, desc: Description) -> None:
    skolems = {s.object for s in desc.outgoing if reader.is_skolem(s.object)}
    annotations = {e.annotation for e in desc.evidence}
    if not skolems and not annotations:
        return
    t = sparql_term(desc.iri)
    dkg = reader.ns.dkg
    body = OA.hasBody.n3()
    genid = Literal(str(reader.ns.genid)).n3()
    label_props = " ".join(sparql_term(p) for p in LABEL_PROPERTIES)
    # Seeds: the resource's skolem objects and the evidence annotations (as in _read_evidence);
    # three levels of skolem IRIs (annotation → target → selector) and the labels of objects.
    found = reader.construct(
        "CONSTRUCT { ?s1 ?p1 ?o1 . ?o1 ?p2 ?o2 . ?o2 ?p3 ?o3 . ?o1 ?lp ?l1 } WHERE { "
        f"{{ {t} ?q ?s1 FILTER(isIRI(?s1) && STRSTARTS(STR(?s1), {genid})) }} "
        f"UNION {{ ?s1 {body} {t} }} "
        f"UNION {{ {t} ?q ?b . ?b a {dkg.Fact.n3()} . ?s1 {body} ?b }} "
        f"UNION {{ ?b ?q {t} . ?b a {dkg.Fact.n3()} . ?s1 {body} ?b }} "
        "?s1 ?p1 ?o1 . "
        f"OPTIONAL {{ VALUES ?lp {{ {label_props} }} ?o1 ?lp ?l1 FILTER(isLiteral(?l1)) }} "
        f"OPTIONAL {{ ?o1 ?p2 ?o2 FILTER(isIRI(?o1) && STRSTARTS(STR(?o1), {genid})) "
        f"OPTIONAL {{ ?o2 ?p3 ?o3 FILTER(isIRI(?o2) && STRSTARTS(STR(?o2), {genid})) }} }} }}"
    )
    # Deeper nesting than three levels is rare: follow it with the generic closure.
    deeper = {o for o in found.objects() if reader.is_skolem(o) and (o, None, None) not in found}
    if deeper:
        found += reader.closure(deeper)
    desc.closure = _reachable(found, skolems)
    desc.evidence_graph = _reachable(found, annotations)
    label_rows = [
        {"x": s, "p": p, "v": o}
        for s, p, o in found
        if p in LABEL_PROPERTIES and s not in desc.labels and isinstance(o, Literal)
    ]
    desc.labels.update(best_literals(label_rows, "x", "v", LABEL_PROPERTIES))


def _reachable(graph: Graph, seeds: set[Node]) -> Graph:
    """The statements of the seeds and of the skolem IRIs they reach."""
    out = Graph(bind_namespaces="none")
    stack, seen = list(seeds), set(seeds)
    while stack:
        node = stack.pop()
        for p, o in graph.predicate_objects(node):
            out.add((node, p, o))
            skolem = isinstance(o, URIRef) and "/.well-known/genid/" in o
            if skolem and o not in seen:
                seen.add(o)
                stack.append(o)
    return out


def _read_extras(reader: Reader, desc: Description) -> None:
    t = sparql_term(desc.iri)
    same_props = " ".join(sparql_term(p) for p in SAME_AS)
    for row in reader.select(
        f"SELECT DISTINCT ?x ?v WHERE {{ VALUES ?p {{ {same_props} }} {t} ?p ?x . "
        f"OPTIONAL {{ ?st {RDF.subject.n3()} {t} ; {RDF.predicate.n3()} ?p ; "
        f"{RDF.object.n3()} ?x ; {reader.ns.dkg.verification.n3()} ?v }} }}"
    ):
        v = row.get("v")
        desc.same_as[row["x"]] = str(v) if v is not None else None


def _statements(stated: dict[tuple[Node, Node, Node], set[str]], inferred: str) -> list[Statement]:
    out = [
        Statement(s, p, o, frozenset(gs), inferred)  # type: ignore[arg-type]
        for (s, p, o), gs in stated.items()
    ]
    return sorted(out, key=lambda st: (str(st.predicate), str(st.subject), str(st.object)))


def as_int(term: Node | None) -> int | None:
    """An integer literal's value, or ``None``."""
    if term is None:
        return None
    try:
        return int(str(term))
    except ValueError:
        return None
