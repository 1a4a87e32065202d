"""Incremental SHACL validation gives exactly a full validation's results.

The property checked throughout: remove some triples from the data, validate in full
(keeping the state), add them back and bring the validation up to date with
:func:`diplokg.shacl.validate_incremental`; its results and report are those of a
full validation of all the data (results as multisets, reports isomorphic). The
removed triples are every single triple of a small graph that every kind of
constraint reads, random subsets of the negative fixtures of tests/test_shapes.py,
and parts of the article (a fact, type triples, an evidence annotation); then
additions that create a violation and that remove a warning, the project-level
entry point, the reach analysis on small shapes, and the refusals.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from diplokg import shacl
from diplokg.shacl import (
    NotIncrementalShacl,
    Reach,
    Validator,
    store_from_graph,
    validate,
    validate_incremental,
    validate_keeping_state,
)
from diplokg.skolem import skolemise
from diplokg.validation import validate_project, validate_project_incremental
from tests import test_shacl as shacl_tests
from tests import test_shapes as shapes_tests
from tests.test_shacl import ROOT, Row, rows, union

DKG = Namespace("https://w3id.org/diplokg/ontology#")
OA = Namespace("http://www.w3.org/ns/oa#")
EX = Namespace("http://example.org/")
BASE = "https://w3id.org/diplokg/"
GRAPH = ox.NamedNode(BASE + "graph/test")


def quads_of(graph: Graph) -> list[ox.Quad]:
    """A graph's triples as quads of one named graph (blank nodes keep their ids)."""
    return [ox.Quad(q.subject, q.predicate, q.object, GRAPH) for q in store_from_graph(graph)]


def store_of(quads: Iterable[ox.Quad]) -> ox.Store:
    store = ox.Store()
    store.extend(quads)
    return store


def triples(quads: Iterable[ox.Quad]) -> list[ox.Triple]:
    return [ox.Triple(q.subject, q.predicate, q.object) for q in quads]


def skolemised(report: Graph) -> set[tuple[Node, Node, Node]]:
    """A report's triples as the build writes them (blank nodes skolemised).

    Two reports that give the same skolemised triples are isomorphic (rdflib's own
    isomorphism test takes a minute on the fixtures' report).
    """
    named = Graph(identifier=URIRef(BASE + "validation"))
    for triple in report:
        named.add(triple)
    return set(skolemise(named, BASE))


Outcome = tuple[Counter[Row], set[tuple[Node, Node, Node]]]


def outcome(report: Graph) -> Outcome:
    """What must be the same: the results, and the report as the build writes it."""
    return rows(report), skolemised(report)


def full(quads: list[ox.Quad], shapes: Graph) -> Outcome:
    """The outcome of a full validation."""
    _conforms, report = validate(store_of(quads), shapes)
    return outcome(report)


def assert_incremental(
    quads: list[ox.Quad], delta: list[ox.Quad], shapes: Graph, expected: Outcome
) -> None:
    """Validate without ``delta``, add it back incrementally; compare with ``expected``."""
    store = store_of(quads)
    for q in delta:
        store.remove(q)
    _conforms, _report, state = validate_keeping_state(store, shapes)
    store.extend(delta)
    conforms, report, _state = validate_incremental(store, shapes, state, triples(delta))
    (ours, graph), (theirs, expected_graph) = outcome(report), expected
    assert ours == theirs, {"only incremental": ours - theirs, "only full": theirs - ours}
    assert graph == expected_graph
    assert conforms == (not theirs)


# --------------------------------------------------------------------------- every triple

HEAD = shacl_tests.HEAD + "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n"

#: The data of tests/test_shacl.py, and links that paths and nested shapes can follow.
DATA = (
    shacl_tests.DATA
    + """
ex:b ex:u ex:c .
ex:c ex:t ex:d ; ex:u ex:y .
ex:a ex:u ex:d .
ex:d ex:p "w" .
"""
)


#: Property shapes, each of a node shape targeting ex:B and ex:zz, one per constraint kind.
PROPERTIES = [
    "sh:path ex:p ; sh:class ex:B",
    "sh:path ex:p ; sh:datatype xsd:integer",
    "sh:path ex:p ; sh:nodeKind sh:IRI",
    "sh:path ex:p ; sh:minCount 3 ; sh:maxCount 4",
    "sh:path ex:q ; sh:minExclusive 4 ; sh:maxInclusive 4",
    "sh:path ex:p ; sh:minLength 2 ; sh:maxLength 3",
    'sh:path ex:p ; sh:pattern "^[a-y]$"',
    'sh:path ex:p ; sh:languageIn ( "en" ) ; sh:uniqueLang true',
    "sh:path ex:lo ; sh:lessThan ex:hi",
    "sh:path ex:p ; sh:hasValue ex:b",
    'sh:path ex:p ; sh:in ( ex:b "x"@en 12 )',
    "sh:path ex:p ; sh:or ( [ sh:datatype xsd:integer ] [ sh:class ex:C ] )",
    "sh:path ex:p ; sh:xone ( [ sh:nodeKind sh:Literal ] [ sh:datatype rdf:langString ] )",
    "sh:path ex:p ; sh:not [ sh:class ex:B ]",
    "sh:path ex:r ; sh:node [ sh:property [ sh:path ex:s ; sh:minCount 1 ; sh:maxInclusive 0 ] ]",
    "sh:path ex:t ; sh:qualifiedValueShape [ sh:class ex:C ] ; sh:qualifiedMaxCount 1",
    "sh:path [ sh:inversePath ex:t ] ; sh:minCount 2",
    "sh:path ( ex:t ex:p ) ; sh:maxCount 3 ; sh:class ex:B",
    "sh:path [ sh:alternativePath ( ex:lo ex:hi ) ] ; sh:maxCount 1",
    "sh:path [ sh:zeroOrMorePath ex:t ] ; sh:maxCount 1",
    "sh:path [ sh:oneOrMorePath ex:t ] ; sh:class ex:C",
    "sh:path [ sh:zeroOrOnePath [ sh:inversePath ex:u ] ] ; sh:minCount 2",
    "sh:path [ sh:inversePath ( ex:t ex:u ) ] ; sh:class ex:C",
    'sh:path ex:t ; sh:sparql [ sh:select "SELECT $this ?value WHERE { $this $PATH ?value . '
    'FILTER NOT EXISTS { ?value <http://example.org/p> ?x } }" ]',
]

#: Node shapes with the other kinds of target and SPARQL constraints.
NODE_SHAPES = [
    "sh:targetSubjectsOf ex:p ; sh:targetObjectsOf ex:t ; sh:class ex:B",
    "sh:targetNode ex:a , ex:zz ; sh:property [ sh:path ex:p ; sh:minCount 6 ]",
    "sh:targetSubjectsOf ex:r ; sh:property [ sh:path ex:r ; sh:in ( ex:b ) ]",  # writes [ ex:s 1 ]
    """sh:targetSubjectsOf ex:t ; sh:sparql [ sh:select
        '''SELECT $this ?value WHERE { $this <http://example.org/t> ?value .
            ?value <http://example.org/p> ?x FILTER isLiteral(?x) }''' ]""",
    """sh:targetObjectsOf ex:u ; sh:sparql [ sh:select
        '''SELECT $this ?value WHERE {
            ?value <http://example.org/t>/<http://example.org/u> $this .
            ?value <http://example.org/lo> ?l FILTER (?l > 2) }''' ]""",
    """sh:target [ sh:select '''SELECT ?this WHERE { ?this <http://example.org/t> ?x
            MINUS { ?this <http://example.org/u> ?y } }''' ] ;
        sh:property [ sh:path ex:p ; sh:maxCount 2 ]""",
    """sh:target [ sh:select '''SELECT ?this WHERE { ?x <http://example.org/t> ?y
            OPTIONAL { ?this <http://example.org/u> ?x } }''' ] ; sh:nodeKind sh:Literal""",
]


def small_shapes() -> Graph:
    text = HEAD
    for i, prop in enumerate(PROPERTIES):
        text += f"ex:P{i} a sh:NodeShape ; sh:targetClass ex:B ; sh:targetNode ex:zz ;\n"
        text += f"    sh:property [ {prop} ] .\n"
    for i, shape in enumerate(NODE_SHAPES):
        text += f"ex:N{i} a sh:NodeShape ; {shape} .\n"
    return Graph().parse(data=text, format="turtle")


def test_adding_any_single_triple_gives_a_full_validations_results() -> None:
    shapes = small_shapes()
    quads = quads_of(Graph().parse(data=DATA, format="turtle"))
    expected = full(quads, shapes)
    assert sum(expected[0].values()) > 40
    for q in quads:
        assert_incremental(quads, [q], shapes, expected)


def test_small_relations_are_fetched_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shacl, "_LOCAL_LIMIT", 0)
    shapes = small_shapes()
    quads = quads_of(Graph().parse(data=DATA, format="turtle"))
    expected = full(quads, shapes)
    for q in quads[::5]:
        assert_incremental(quads, [q], shapes, expected)


def test_a_state_can_be_brought_up_to_date_twice() -> None:
    shapes = small_shapes()
    quads = quads_of(Graph().parse(data=DATA, format="turtle"))
    expected = full(quads, shapes)
    first, second = quads[:10], quads[10:20]
    store = store_of(quads[20:])
    _c, _r, state = validate_keeping_state(store, shapes)
    for delta in (first, second):
        store.extend(delta)
        _c, report, state = validate_incremental(store, shapes, state, triples(delta))
    assert outcome(report) == expected


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def data_shapes() -> Graph:
    return shapes_tests.parse(shapes_tests.SHAPES_DIR / "data.ttl")


def test_random_subsets_of_the_broken_fixtures(data_shapes: Graph) -> None:
    merged = shapes_tests.parse(*shapes_tests.ONTOLOGY_FILES)
    for path in shapes_tests.fixture_files("data"):
        merged += shapes_tests.parse(path)
    quads = quads_of(merged)
    expected = full(quads, data_shapes)
    assert sum(expected[0].values()) > 500
    rng = random.Random(7)
    for size in (5, 200):
        assert_incremental(quads, rng.sample(quads, size), data_shapes, expected)


# --------------------------------------------------------------------------- the article


@pytest.fixture(scope="module")
def article(data_shapes: Graph) -> tuple[list[ox.Quad], Outcome]:
    """The article's data as the build validates it, and its full report."""
    quads = quads_of(union(ROOT))
    expected = full(quads, data_shapes)
    return quads, expected


def node(term: URIRef) -> ox.NamedNode:
    return ox.NamedNode(str(term))


def instances(quads: list[ox.Quad], cls: URIRef) -> list[ox.NamedNode | ox.BlankNode | ox.Triple]:
    typed = {q.subject for q in quads if q.predicate == node(RDF.type) and q.object == node(cls)}
    return sorted(typed, key=str)


def test_the_article_with_a_fact_added(
    article: tuple[list[ox.Quad], Outcome], data_shapes: Graph
) -> None:
    quads, expected = article
    facts = instances(quads, DKG.Fact)
    assert len(facts) > 3
    for fact in facts[:3]:
        delta = [q for q in quads if fact in (q.subject, q.object)]
        assert_incremental(quads, delta, data_shapes, expected)


def test_the_article_with_type_triples_added(
    article: tuple[list[ox.Quad], Outcome], data_shapes: Graph
) -> None:
    quads, expected = article
    typed = [q for q in quads if q.predicate == node(RDF.type)]
    delta = random.Random(3).sample(typed, 40)
    assert_incremental(quads, delta, data_shapes, expected)


def test_the_article_with_an_evidence_annotation_added(
    article: tuple[list[ox.Quad], Outcome], data_shapes: Graph
) -> None:
    quads, expected = article
    annotation = instances(quads, OA.Annotation)[0]
    targets = {
        q.object for q in quads if q.subject == annotation and q.predicate == node(OA.hasTarget)
    }
    selectors = {
        q.object for q in quads if q.subject in targets and q.predicate == node(OA.hasSelector)
    }
    nodes = {annotation, *targets, *selectors}
    delta = [q for q in quads if q.subject in nodes or q.object == annotation]
    assert len(delta) > 10
    assert_incremental(quads, delta, data_shapes, expected)


# --------------------------------------------------------------------------- come and go

SHAPES = (
    HEAD
    + """
ex:S a sh:NodeShape ; sh:targetClass ex:C ;
    sh:property [ sh:path ex:p ; sh:maxCount 1 ] ;
    sh:property [ sh:path ex:q ; sh:minCount 1 ; sh:severity sh:Warning ] .
"""
)


def test_an_addition_creates_a_violation_and_another_removes_a_warning() -> None:
    shapes = Graph().parse(data=SHAPES, format="turtle")
    store = store_of(quads_of(Graph().parse(data=HEAD + "ex:a a ex:C ; ex:p 1 .", format="turtle")))
    _conforms, report, state = validate_keeping_state(store, shapes)
    assert [str(report.value(r, SH.resultSeverity)) for r in report.objects(None, SH.result)] == [
        str(SH.Warning)
    ]
    steps = [
        ("ex:a ex:p 2 .", {SH.MaxCountConstraintComponent, SH.MinCountConstraintComponent}),
        ("ex:a ex:q 1 .", {SH.MaxCountConstraintComponent}),
        ("ex:b a ex:C .", {SH.MaxCountConstraintComponent, SH.MinCountConstraintComponent}),
    ]
    for text, components in steps:
        added = triples(quads_of(Graph().parse(data=HEAD + text, format="turtle")))
        store.extend(ox.Quad(t.subject, t.predicate, t.object, GRAPH) for t in added)
        conforms, report, state = validate_incremental(store, shapes, state, added)
        _c, expected = validate(store, shapes)
        assert outcome(report) == outcome(expected)
        assert not conforms
        found = {
            report.value(r, SH.sourceConstraintComponent) for r in report.objects(None, SH.result)
        }
        assert found == components


def test_the_project_entry_point(
    article: tuple[list[ox.Quad], Outcome], data_shapes: Graph
) -> None:
    quads, _expected = article
    ontology = shapes_tests.parse(*shapes_tests.ONTOLOGY_FILES)
    ontology_shapes = shapes_tests.parse(ROOT / "ontology/shapes/ontology.ttl")
    annotation = instances(quads, OA.Annotation)[1]
    delta = [q for q in quads if annotation in (q.subject, q.object)]
    store = store_of(quads)
    for q in delta:
        store.remove(q)
    _report, state = validate_project(
        store, data_shapes, ontology, ontology_shapes, BASE, keep_state=True
    )
    assert state is not None
    store.extend(delta)
    report, _state = validate_project_incremental(
        store, data_shapes, ontology, ontology_shapes, BASE, state, triples(delta)
    )
    expected = validate_project(store, data_shapes, ontology, ontology_shapes, BASE)
    assert report.results == expected.results
    assert report.engines == expected.engines
    assert skolemised(report.graph) == skolemised(expected.graph)
    with pytest.raises(NotIncrementalShacl, match="pyshacl"):
        validate_project_incremental(
            store, data_shapes, ontology, ontology_shapes, BASE, state, [], engine="pyshacl"
        )
    changed = Graph()
    changed += ontology
    changed.add((EX.x, RDF.type, EX.Y))
    with pytest.raises(NotIncrementalShacl, match="ontology"):
        validate_project_incremental(store, data_shapes, changed, ontology_shapes, BASE, state, [])
    small = small_shapes()
    _report, none = validate_project(
        ox.Store(), small, Graph(), Graph(), BASE, engine="pyshacl", keep_state=True
    )
    assert none is None  # pySHACL keeps no state


# --------------------------------------------------------------------------- reach analysis


def reaches(shape: str) -> dict[str, set[Reach]]:
    """The reaches of ex:S, by predicate (local name, ``*`` for any)."""
    text = HEAD + f"ex:S a sh:NodeShape ; sh:targetNode ex:a ; {shape} ."
    v = Validator(ox.Store(), Graph().parse(data=text, format="turtle"))
    out: dict[str, set[Reach]] = {}
    for r in v.reaches(v.shapes[EX.S]):
        for p in r.predicates or ("*",):
            out.setdefault(p.rsplit("/", 1)[-1].rsplit("#", 1)[-1].rstrip(">"), set()).add(r)
    return out


def routes(found: set[Reach]) -> list[list[str] | None]:
    return [None if r.route is None else [s.sparql() for s in r.route] for r in found]


def sparql(where: str) -> str:
    """A SPARQL constraint selecting $this, ``ex:`` written out."""
    where = where.replace("ex:", "http://example.org/")
    return f'sh:sparql [ sh:select "SELECT $this WHERE {{ {where} }}" ]'


def test_a_disconnected_pattern_is_global() -> None:
    found = reaches(sparql("$this <ex:p> ?x . ?y <ex:q> ?z"))
    assert routes(found["p"]) == [[]]
    assert routes(found["q"]) == [None]


def test_a_pattern_ends_at_its_term_nearest_this() -> None:
    found = reaches(sparql("?x <ex:p>/<ex:q> $this . ?x <ex:r> ?y"))
    assert {(r.near, tuple(routes({r})[0] or ())) for r in found["p"] | found["q"]} == {
        (2, ("?n <http://example.org/q> ?u",)),  # the object of ex:p
        (2, ()),  # the object of ex:q is $this
    }
    assert routes(found["r"]) == [["?n <http://example.org/q> ?u", "?n <http://example.org/p> ?u"]]


def test_a_sub_select_joins_only_on_what_it_projects() -> None:
    found = reaches(sparql("$this <ex:p> ?x . { SELECT ?y WHERE { ?x <ex:q> ?y } }"))
    assert routes(found["q"]) == [None]
    found = reaches(sparql("$this <ex:p> ?x . { SELECT ?x ?y WHERE { ?x <ex:q> ?y } }"))
    assert routes(found["q"]) == [["?u <http://example.org/p> ?n"]]


def test_an_exists_pattern_is_routed_through_the_pattern_it_tests() -> None:
    found = reaches(sparql("$this <ex:p> ?x FILTER NOT EXISTS { ?x <ex:q> ?y }"))
    assert routes(found["q"]) == [["?u <http://example.org/p> ?n"]]
    target = "SELECT ?this WHERE { ?this <ex:p> ?x MINUS { ?x <ex:q> ?y } }"
    found = reaches(f'sh:target [ sh:select "{target.replace("ex:", "http://example.org/")}" ]')
    assert routes(found["q"]) == [["?u <http://example.org/p> ?n"]]


def test_a_union_branch_does_not_route_the_other() -> None:
    found = reaches(
        sparql(
            "{ $this <ex:p> ?x } UNION { $this <ex:r> ?y } ?y <ex:q> ?z "
            "FILTER NOT EXISTS { ?z <ex:s> ?w . ?w <ex:t> $this }"
        )
    )
    assert routes(found["q"]) == [None]
    assert routes(found["s"]) == [["?n <http://example.org/t> ?u"]]  # from $this, not ?z


def test_a_sequence_path_gives_a_two_step_route() -> None:
    found = reaches("sh:property [ sh:path ( ex:p ex:q ) ; sh:class ex:C ]")
    assert routes(found["p"]) == [[]]
    assert routes(found["q"]) == [["?u <http://example.org/p> ?n"]]
    assert routes(found["type"]) == [
        ["?u <http://example.org/p> ?n", "?u <http://example.org/q> ?n"]
    ]
    assert routes(found["subClassOf"]) == [None]  # the class hierarchy is read whole


def test_a_repeated_path_walks_back_any_number_of_steps() -> None:
    found = reaches(
        "sh:property [ sh:path [ sh:oneOrMorePath [ sh:inversePath ex:p ] ] ; sh:class ex:C ]"
    )
    [p] = found["p"]
    assert p.near == 2  # the object of an ex:p triple is the node nearer the focus node
    assert routes({p}) == [["?u (^(<http://example.org/p>))* ?n"]]
    assert routes(found["type"]) == [["?u (^(<http://example.org/p>))+ ?n"]]


# --------------------------------------------------------------------------- refusals


def test_what_cannot_be_brought_up_to_date_is_refused() -> None:
    shapes = small_shapes()
    store = store_of(quads_of(Graph().parse(data=DATA, format="turtle")))
    _c, _r, state = validate_keeping_state(store, shapes)
    with pytest.raises(NotIncrementalShacl, match="cannot be read"):
        validate_incremental(store, shapes, b"not a state", [])
    other = Graph()
    other += shapes
    other.add((EX.P0, SH.deactivated, Literal(False)))
    with pytest.raises(NotIncrementalShacl, match="differs in its shapes"):
        validate_incremental(store, other, state, [])
    with pytest.raises(NotIncrementalShacl, match="differs in its graphs"):
        validate_incremental(store, shapes, state, [], graphs=[GRAPH])
    other.add((EX.P0, SH.closed, Literal(True)))
    with pytest.raises(NotIncrementalShacl, match="closed"):
        validate_incremental(store, other, state, [])
