"""Extending a closure by added triples (src/diplokg/delta.py), against a full recomputation."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.term import Node

from diplokg.delta import (
    NotIncremental,
    Plan,
    RuleSet,
    Union,
    check_extension,
    extend_closure,
    extend_statistics,
)
from diplokg.reasoning import compute_inferences
from diplokg.terms import ToOxigraph
from diplokg.void import DatasetStatistics, dataset_statistics

BASE = "https://w3id.org/diplokg/"
EX = "https://w3id.org/diplokg/id/"
DKG = "https://w3id.org/diplokg/ontology#"
TBOX = f"""
@prefix dkg: <{DKG}> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
dkg:Person a owl:Class ; rdfs:subClassOf dkg:Agent ; owl:disjointWith dkg:Organisation .
dkg:Organisation a owl:Class ; rdfs:subClassOf dkg:Agent .
dkg:Event a owl:Class . dkg:Visit a owl:Class ; rdfs:subClassOf dkg:Event .
dkg:participant a owl:ObjectProperty ; rdfs:domain dkg:Event ; rdfs:range dkg:Agent .
dkg:visitor a owl:ObjectProperty ; rdfs:subPropertyOf dkg:participant .
dkg:partOf a owl:ObjectProperty, owl:TransitiveProperty .
dkg:partnerOf a owl:ObjectProperty, owl:SymmetricProperty .
dkg:leads a owl:ObjectProperty ; owl:inverseOf dkg:ledBy .
dkg:worksFor a owl:ObjectProperty, owl:FunctionalProperty .
dkg:memberOf a owl:ObjectProperty .
dkg:affiliatedWith owl:propertyChainAxiom ( dkg:memberOf dkg:partOf ) .
dkg:age a owl:DatatypeProperty ; rdfs:range <http://www.w3.org/2001/XMLSchema#integer> .
dkg:flag a owl:DatatypeProperty ; rdfs:range <http://www.w3.org/2001/XMLSchema#boolean> .
dkg:title a owl:DatatypeProperty ; rdfs:range dkg:Organisation .
dkg:count a owl:DatatypeProperty ;
    rdfs:range <http://www.w3.org/2001/XMLSchema#nonNegativeInteger> .
"""
OLD = f"""
@prefix dkg: <{DKG}> . @prefix id: <{EX}> .
id:ana a dkg:Person ; dkg:memberOf id:mission ; dkg:worksFor id:mission .
id:mission a dkg:Organisation ; dkg:partOf id:alliance .
id:alliance a dkg:Organisation ; dkg:partnerOf id:treaty .
id:v1 a dkg:Visit ; dkg:visitor id:ana .
"""


def _graph(text: str) -> Graph:
    g = Graph(bind_namespaces="none")
    g.parse(data=text, format="turtle")
    return g


_TERM = ToOxigraph()


def _ox(t: tuple[Node, Node, Node]) -> ox.Triple:
    return ox.Triple(_TERM(t[0]), _TERM(t[1]), _TERM(t[2]))


def _quad(t: tuple[Node, Node, Node], graph: ox.NamedNode) -> ox.Quad:
    return ox.Quad(_TERM(t[0]), _TERM(t[1]), _TERM(t[2]), graph)


def _closure_store(tbox: Graph, abox: Graph) -> tuple[ox.Store, RuleSet]:
    """A store holding tbox, abox and their published inferences, and the compiled rules."""
    reasoning = compute_inferences([tbox, abox], BASE, "rules")
    assert reasoning.reasoner == "rules", reasoning.fallback
    rules = RuleSet.of(reasoning)
    assert rules is not None
    store = ox.Store()
    for name, triples in (("ontology", tbox), ("facts", abox), ("inferred", reasoning.inferred)):
        graph = ox.NamedNode(f"{BASE}graph/{name}")
        store.extend(_quad(t, graph) for t in triples)
    return store, RuleSet.from_json(rules.to_json())


def _inferred(store: ox.Store) -> set[ox.Triple]:
    graph = ox.NamedNode(f"{BASE}graph/inferred")
    return {q.triple for q in store.quads_for_pattern(None, None, None, graph)}


@pytest.mark.parametrize(
    "added",
    [
        # transitive (prp-trp) on both ends, symmetric, a new chain link (prp-spo2)
        "id:treaty dkg:partOf id:union . id:bob dkg:memberOf id:alliance .",
        # a new head for existing chains, inverse (prp-inv), domain/range, sub-property
        "id:org dkg:partOf id:mission . id:bob dkg:leads id:mission . id:v2 dkg:visitor id:bob .",
        # an inference of the old closure asserted now (it leaves graph/inferred)
        "id:mission dkg:partOf id:alliance . id:ana dkg:participant id:ana .",
        # new types under old classes, and nothing new at all
        "id:carla a dkg:Person . id:ana a dkg:Person .",
        # literals: typed by a range with their own datatype (noise), the object of a
        # transitive property (joined from the subject side only) and of a chain step
        'id:carla dkg:age 42 . id:treaty dkg:partOf "NATO" . id:dan dkg:memberOf "EU" .',
        # an integer typed by a range with a datatype it is not (owlrl: no contradiction)
        "id:v1 dkg:count 3 .",
    ],
)
def test_the_extension_is_what_a_full_run_gives(added: str) -> None:
    tbox, old = _graph(TBOX), _graph(OLD)
    new = _graph(OLD + f"@prefix dkg: <{DKG}> . @prefix id: <{EX}> .\n" + added)
    store, rules = _closure_store(tbox, old)
    before = dataset_statistics(store, ["ontology", "facts", "inferred"], BASE)
    union = Union(store, [])
    triples = [_ox(t) for t in new - old]
    extension = extend_closure(union, rules, triples)
    check_extension(union, rules, extension)
    statistics = extend_statistics(before, Union(store, []), triples + extension.inferred, BASE)

    full = compute_inferences([tbox, new], BASE, "rules")
    to_ox = {_ox(t) for t in full.inferred}
    inferred = _inferred(store)
    moved = {t for t in triples if t in inferred}
    assert (inferred - moved) | set(extension.inferred) == to_ox
    assert set(extension.asserted) == set(triples) - inferred - {_ox(t) for t in tbox}

    reference = ox.Store()
    for name, triples_ in (("ontology", tbox), ("facts", new), ("inferred", full.inferred)):
        graph = ox.NamedNode(f"{BASE}graph/{name}")
        reference.extend(_quad(t, graph) for t in triples_)
    expected = dataset_statistics(reference, ["ontology", "facts", "inferred"], BASE)
    assert statistics.triples == expected.triples
    assert statistics.entities == expected.entities
    assert statistics.classes == expected.classes
    assert statistics.properties == expected.properties


@pytest.mark.parametrize(
    ("added", "why"),
    [
        ("id:carla a dkg:Person, dkg:Organisation .", "disjoint classes"),
        ("id:ana dkg:worksFor id:alliance .", "functional"),
        # a literal typed by a range with another datatype, or with a class that
        # has a disjoint partner; a literal made a subject by an inverse property
        ("id:ana dkg:flag 1 .", "datatype"),
        ('id:ana dkg:title "Head" .', "disjoint class"),
        ('id:mission dkg:leads "the mission" .', "would be the subject"),
        ("dkg:Intern <http://www.w3.org/2000/01/rdf-schema#subClassOf> dkg:Person .", "schema"),
        ("id:ana <http://www.w3.org/2002/07/owl#sameAs> id:bob .", "schema predicate"),
        (
            'id:v1 dkg:count "many"^^<http://www.w3.org/2001/XMLSchema#integer> .',
            "outside its datatype",
        ),
    ],
)
def test_what_needs_a_full_build_is_refused(added: str, why: str) -> None:
    store, rules = _closure_store(_graph(TBOX), _graph(OLD))
    triples = [_ox(t) for t in _graph(f"@prefix dkg: <{DKG}> . @prefix id: <{EX}> .\n" + added)]
    union = Union(store, [])
    with pytest.raises(NotIncremental, match=why):
        check_extension(union, rules, extend_closure(union, rules, triples))


def test_the_rule_set_reads_back_and_refuses_other_formats() -> None:
    _, rules = _closure_store(_graph(TBOX), _graph(OLD))
    assert RuleSet.from_json(rules.to_json()) == rules
    assert rules.plans[f"{DKG}visitor"].supers == (f"{DKG}participant",)
    assert rules.plans[f"{DKG}partnerOf"] == Plan(inverses=(f"{DKG}partnerOf",))
    with pytest.raises(ValueError, match="format"):
        RuleSet.from_json({**rules.to_json(), "format": 0})
    with pytest.raises(ValueError, match="malformed"):
        RuleSet.from_json({"format": 1})


def test_statistics_count_only_what_is_new() -> None:
    store = ox.Store()
    graph = ox.NamedNode(f"{BASE}graph/facts")
    a_part_of_b = (URIRef(EX + "a"), URIRef(DKG + "partOf"), URIRef(EX + "b"))
    old = _ox(a_part_of_b)
    store.add(_quad(a_part_of_b, graph))
    before = dataset_statistics(store, ["facts"], BASE)
    new = _ox((URIRef(EX + "b"), URIRef(DKG + "partOf"), URIRef(EX + "c")))
    after = extend_statistics(before, Union(store, []), [old, new, new], BASE)
    assert (after.triples, after.entities) == (2, 3)
    assert after.properties == {URIRef(DKG + "partOf"): 2}
    assert before == DatasetStatistics(1, 2, {"facts": 1}, {}, {URIRef(DKG + "partOf"): 1})
