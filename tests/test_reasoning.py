from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef

from benchmarks.generate import generate
from benchmarks.reasoners import PIN, PIN_SEED, PIN_TRIPLES, reasoning_inputs, run
from diplokg.build import BuildResult
from diplokg.config import Settings
from diplokg.errors import InputError
from diplokg.namespaces import DKG, ID, OA, OWL, RDF, RDFS, XSD
from diplokg.reasoning import (
    NOISE_RULES,
    Reasoning,
    compute_inferences,
    noise_rule,
    uncovered_constructs,
)

BASE = "https://w3id.org/diplokg/"
X = ID["x"]


@pytest.mark.parametrize(
    ("triple", "rule"),
    [
        ((X, OWL.sameAs, X), "reflexive-sameas"),
        ((Literal(94), RDF.type, XSD.decimal), "literal-subject"),
        ((Literal("Alice"), RDF.type, XSD.string), "literal-subject"),
        ((XSD.date, RDF.type, RDFS.Datatype), "axiomatic-subject"),
        ((RDFS.label, RDF.type, OWL.AnnotationProperty), "axiomatic-subject"),
        ((OWL.Nothing, RDFS.subClassOf, DKG.Agent), "axiomatic-subject"),
        ((X, RDF.type, OWL.Thing), "type-thing"),
        ((X, RDF.type, RDFS.Resource), "type-thing"),
        ((DKG.Agent, RDFS.subClassOf, DKG.Agent), "reflexive-schema"),
        ((DKG.Agent, OWL.equivalentClass, DKG.Agent), "reflexive-schema"),
        ((DKG.visitor, RDFS.subPropertyOf, DKG.visitor), "reflexive-schema"),
        ((DKG.visitor, OWL.equivalentProperty, DKG.visitor), "reflexive-schema"),
        ((DKG.Agent, RDFS.subClassOf, OWL.Thing), "thing-schema"),
        ((DKG.visitor, RDFS.domain, OWL.Thing), "thing-schema"),
        ((DKG.visitor, RDFS.range, OWL.Thing), "thing-schema"),
    ],
)
def test_noise_rules(triple: tuple[URIRef, URIRef, URIRef], rule: str) -> None:
    assert noise_rule(triple) == rule


@pytest.mark.parametrize(
    "triple",
    [
        (X, RDF.type, DKG.Event),
        (X, OWL.sameAs, ID["y"]),
        (X, DKG.hasEvidence, ID["ev"]),
        (DKG.Visit, RDFS.subClassOf, DKG.Fact),
        (DKG.visitor, RDFS.domain, DKG.Event),
        (OA.hasBody, OWL.inverseOf, DKG.hasEvidence),
    ],
)
def test_useful_inferences_are_not_noise(triple: tuple[URIRef, URIRef, URIRef]) -> None:
    assert noise_rule(triple) is None


def test_every_rule_has_an_example() -> None:
    assert len({r.name for r in NOISE_RULES}) == len(NOISE_RULES)
    assert all(r.example for r in NOISE_RULES)


def test_owlrl_still_adds_what_the_rules_remove(built: BuildResult) -> None:
    # If owlrl stopped adding one kind of noise, its rule would be dead code.
    # (The build's default reasoner, reasonable, adds less noise: run owlrl here.)
    noise = compute_inferences([built.checked.reasoning.asserted], BASE, "owlrl").noise
    for name, count in noise.items():
        if name != "owlrl-error":
            assert count > 0, name
    assert noise["owlrl-error"] == 0


def test_no_noise_in_graph_inferred(built: BuildResult) -> None:
    inferred = built.checked.graphs["inferred"]
    assert len(inferred) > 0
    assert [t for t in inferred if noise_rule(t) is not None] == []
    assert not [t for t in inferred if t[1] == OWL.sameAs and t[0] == t[2]]
    assert (None, RDF.type, OWL.Thing) not in inferred
    assert not [t for t in inferred if isinstance(t[0], Literal)]


def test_inferred_excludes_asserted(built: BuildResult) -> None:
    asserted = built.checked.reasoning.asserted
    assert not [t for t in built.checked.graphs["inferred"] if t in asserted]


@pytest.mark.parametrize(
    ("triple", "why"),
    [
        ((ID["visit-2021-02-01"], RDF.type, DKG.Event), "subclass"),
        ((ID["visit-2021-02-01"], RDF.type, DKG.Fact), "subclass, two steps"),
        ((ID["ana-petrovic"], RDF.type, DKG.Agent), "subclass of the asserted type"),
        ((ID["visit-2021-02-01"], DKG.participant, ID["ana-petrovic"]), "sub-property"),
        ((ID["visit-2021-02-01"], DKG.hasEvidence, ID["ev-visit"]), "inverse of oa:hasBody"),
        ((ID["example-mission"], DKG.partOf, ID["example-treaty"]), "transitive"),
        ((ID["montland"], DKG.partnerOf, ID["rivaria"]), "symmetric"),
        ((DKG.Visit, RDFS.subClassOf, DKG.Fact), "subclass transitivity"),
    ],
)
def test_real_inferences_are_kept(
    built: BuildResult, triple: tuple[URIRef, URIRef, URIRef], why: str
) -> None:
    assert triple in built.checked.graphs["inferred"], why


def test_reasoning_does_not_touch_its_input() -> None:
    onto = Graph().parse(
        data="""@prefix : <http://e.org/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        :A rdfs:subClassOf :B . :x a :A .""",
        format="turtle",
    )
    before = set(onto)
    result = compute_inferences([onto], BASE)
    assert set(onto) == before
    assert (URIRef("http://e.org/x"), RDF.type, URIRef("http://e.org/B")) in result.inferred
    assert result.inferred.identifier == URIRef(BASE + "graph/inferred")


# --------------------------------------------------------------------------------------------
# The reasonable route against owlrl, the reference (benchmarks/REASONERS.md)
# --------------------------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[1]


def _inferred(inputs: list[Graph], reasoner: str) -> Reasoning:
    result = compute_inferences(inputs, BASE, reasoner)
    assert result.reasoner == reasoner
    return result


def test_unknown_reasoner_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown reasoner 'pellet'"):
        compute_inferences([Graph()], BASE, "pellet")


def test_the_build_uses_the_configured_reasoner(built: BuildResult) -> None:
    assert built.checked.reasoning.reasoner == Settings().reasoner == "reasonable"


def test_reasonable_equals_owlrl_on_the_fixture_project(built: BuildResult) -> None:
    inputs = [built.checked.reasoning.asserted]
    owl, fast = _inferred(inputs, "owlrl"), _inferred(inputs, "reasonable")
    assert set(fast.inferred) == set(owl.inferred)


@pytest.mark.parametrize(
    ("turtle", "expected"),
    [
        (  # prp-spo2, a chain of three, then its super-property (prp-spo1)
            """:p owl:propertyChainAxiom ( :a :b :c ) ; rdfs:subPropertyOf :q .
            :x :a :y . :y :b :z . :z :c :w .""",
            [(":x", ":p", ":w"), (":x", ":q", ":w")],
        ),
        (  # scm-dom1 / scm-rng1 through a subclass; scm-dom2 through a sub-property
            """:p rdfs:domain :A ; rdfs:range :B . :A rdfs:subClassOf :C . :B rdfs:subClassOf :D .
            :p2 rdfs:subPropertyOf :p .""",
            [(":p", "rdfs:domain", ":C"), (":p", "rdfs:range", ":D"), (":p2", "rdfs:domain", ":A")],
        ),
        (  # scm-spo, scm-eqp2
            ":p rdfs:subPropertyOf :q . :q rdfs:subPropertyOf :r , :p .",
            [(":p", "rdfs:subPropertyOf", ":r"), (":p", "owl:equivalentProperty", ":q")],
        ),
    ],
)
def test_rules_reasonable_lacks_are_added(turtle: str, expected: list[tuple[str, ...]]) -> None:
    head = """@prefix : <http://e.org/> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
    @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> ."""
    graph = Graph().parse(data=head + turtle, format="turtle")
    fast = _inferred([graph], "reasonable")
    owl = _inferred([graph], "owlrl")
    nm = graph.namespace_manager
    for triple in expected:
        t = tuple(
            nm.expand_curie(x) if ":" in x[1:] else URIRef("http://e.org/" + x[1:]) for x in triple
        )
        assert t in fast.closure, triple
        assert t in owl.closure, triple
    assert set(fast.inferred) == set(owl.inferred)


def test_plain_literals_come_back_plain() -> None:
    graph = Graph().parse(
        data="""@prefix : <http://e.org/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        :p rdfs:subPropertyOf :q . :x :p "plain" , "tagged"@en , 3 .""",
        format="turtle",
    )
    fast = _inferred([graph], "reasonable")
    e = "http://e.org/"
    objects = set(fast.inferred.objects(URIRef(e + "x"), URIRef(e + "q")))
    assert objects == {Literal("plain"), Literal("tagged", lang="en"), Literal(3)}


def test_uncovered_constructs_fall_back_to_owlrl() -> None:
    graph = Graph().parse(
        data="""@prefix : <http://e.org/> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
        :A owl:hasKey ( :k ) . :x a :A ; :k 1 . :y a :A ; :k 1 .""",
        format="turtle",
    )
    assert uncovered_constructs(graph) == ["owl:hasKey (prp-key)"]
    result = compute_inferences([graph], BASE, "reasonable")
    assert result.reasoner == "owlrl"
    assert (URIRef("http://e.org/x"), OWL.sameAs, URIRef("http://e.org/y")) in result.inferred


@pytest.mark.realdata
@pytest.mark.skipif(
    not (REPO / "ontology/shapes/ontology.ttl").is_file(), reason="real project not complete yet"
)
def test_reasonable_equals_owlrl_on_the_article() -> None:
    inputs, base = reasoning_inputs(REPO)
    owl = compute_inferences(inputs, base, "owlrl")
    fast = compute_inferences(inputs, base, "reasonable")
    assert len(owl.inferred) > 500
    assert set(fast.inferred) == set(owl.inferred)


def test_reasonable_equals_owlrl_on_the_generated_10k_corpus(tmp_path: Path) -> None:
    # owlrl's result on this corpus is pinned (benchmarks/results/reasoners.json) with the
    # digest of its input; if the input changed since, owlrl runs here (about 45 s).
    generate(tmp_path, PIN_TRIPLES, PIN_SEED, REPO / "ontology")
    pinned = json.loads(PIN.read_text(encoding="utf-8"))
    fast = run(tmp_path, "reasonable")
    assert fast["inferred"] > 5000
    if fast["input_digest"] == pinned["input_digest"]:
        assert fast["digest"] == pinned["owlrl_digest"]
        assert fast["inferred"] == pinned["owlrl_inferred"]
    else:
        owl = run(tmp_path, "owlrl")
        assert set(fast["graph"]) == set(owl["graph"])
