from __future__ import annotations

import json
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef

from benchmarks.generate import generate
from benchmarks.reasoners import PIN, PIN_SEED, PIN_TRIPLES, reasoning_inputs, run
from diplokg.build import BuildResult
from diplokg.config import Settings
from diplokg.consistency import find_inconsistencies
from diplokg.errors import InputError
from diplokg.namespaces import DKG, ID, OA, OWL, RDF, RDFS, XSD
from diplokg.reasoning import (
    NOISE_RULES,
    Closure,
    Reasoning,
    Triple,
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
    # (The build's default reasoner, rules, adds less noise: run owlrl here.)
    assert built.checked.reasoning is not None  # the session build is a full one
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
    assert built.checked.reasoning is not None
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


@pytest.mark.parametrize("reasoner", ["owlrl", "reasonable", "rules"])
def test_reasoning_does_not_touch_its_input(reasoner: str) -> None:
    onto = Graph().parse(
        data="""@prefix : <http://e.org/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        :A rdfs:subClassOf :B . :x a :A .""",
        format="turtle",
    )
    # A Closure is a collections.abc.Set: it compares equal to any set of the same triples.
    before: AbstractSet[Triple] = set(onto)
    result = compute_inferences([onto], BASE, reasoner)
    assert set(onto) == before
    assert result.asserted == before
    assert (URIRef("http://e.org/x"), RDF.type, URIRef("http://e.org/B")) in result.inferred
    assert isinstance(result.inferred, AbstractSet)


def test_any_iterable_of_triples_is_an_input() -> None:
    e = "http://e.org/"
    a, b, x = URIRef(e + "A"), URIRef(e + "B"), URIRef(e + "x")
    plain = [[(a, RDFS.subClassOf, b)], iter([(x, RDF.type, a)])]
    result = compute_inferences(plain, BASE, "rules")
    assert result.reasoner == "rules"
    expected: AbstractSet[Triple] = {(x, RDF.type, b)}
    assert result.inferred == expected
    assert (x, RDF.type, b) in result.closure
    assert (x, RDF.type, a) in result.closure


def test_closure_index() -> None:
    e = "http://e.org/"
    a, b, x, y = (URIRef(e + n) for n in "ABxy")
    triples = {(x, RDF.type, a), (y, RDF.type, a), (y, RDF.type, b), (x, RDFS.label, Literal("x"))}
    closure = Closure.of(triples)
    assert len(closure) == 4
    assert set(closure) == triples
    assert (x, RDF.type, a) in closure
    assert (x, RDF.type, b) not in closure
    assert (URIRef(e + "z"), RDF.type, a) not in closure
    assert closure.subjects(RDF.type, a) == {x, y}
    assert closure.objects(y, RDF.type) == {a, b}
    assert sorted(closure.subject_objects(RDFS.label)) == [(x, Literal("x"))]
    assert closure.members([a, b, URIRef(e + "C")]) == {a: {x, y}, b: {y}, URIRef(e + "C"): set()}
    lst = Graph().parse(data=f"<{e}s> <{e}p> (<{e}1> <{e}2>) .", format="turtle")
    head = next(iter(lst.objects(URIRef(e + "s"), URIRef(e + "p"))))
    assert Closure.of(lst).items(head) == [URIRef(e + "1"), URIRef(e + "2")]


# --------------------------------------------------------------------------------------------
# The reasonable route against owlrl, the reference (benchmarks/REASONERS.md)
# --------------------------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[1]


def _inferred(inputs: Iterable[Iterable[Triple]], reasoner: str) -> Reasoning:
    result = compute_inferences(inputs, BASE, reasoner)
    assert result.reasoner == reasoner
    return result


def test_unknown_reasoner_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown reasoner 'pellet'"):
        compute_inferences([Graph()], BASE, "pellet")


def test_the_build_uses_the_configured_reasoner(built: BuildResult) -> None:
    assert built.checked.reasoning is not None
    assert built.checked.reasoning.reasoner == Settings().reasoner == "rules"


FAST = ["reasonable", "rules"]


@pytest.mark.parametrize("reasoner", FAST)
def test_fast_routes_equal_owlrl_on_the_fixture_project(built: BuildResult, reasoner: str) -> None:
    assert built.checked.reasoning is not None
    inputs = [built.checked.reasoning.asserted]
    owl, fast = _inferred(inputs, "owlrl"), _inferred(inputs, reasoner)
    assert fast.inferred == owl.inferred
    assert fast.errors == owl.errors


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
@pytest.mark.parametrize("reasoner", FAST)
def test_rules_reasonable_lacks_are_added(
    turtle: str, expected: list[tuple[str, ...]], reasoner: str
) -> None:
    head = """@prefix : <http://e.org/> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
    @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> ."""
    graph = Graph().parse(data=head + turtle, format="turtle")
    fast = _inferred([graph], reasoner)
    owl = _inferred([graph], "owlrl")
    nm = graph.namespace_manager
    for triple in expected:
        t = tuple(
            nm.expand_curie(x) if ":" in x[1:] else URIRef("http://e.org/" + x[1:]) for x in triple
        )
        assert t in fast.closure, triple
        assert t in owl.closure, triple
    assert fast.inferred == owl.inferred


@pytest.mark.parametrize("reasoner", FAST)
def test_plain_literals_come_back_plain(reasoner: str) -> None:
    graph = Graph().parse(
        data="""@prefix : <http://e.org/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        :p rdfs:subPropertyOf :q . :x :p "plain" , "tagged"@en , 3 .""",
        format="turtle",
    )
    fast = _inferred([graph], reasoner)
    e = "http://e.org/"
    objects = {o for s, p, o in fast.inferred if (s, p) == (URIRef(e + "x"), URIRef(e + "q"))}
    assert objects == {Literal("plain"), Literal("tagged", lang="en"), Literal(3)}


@pytest.mark.parametrize("reasoner", FAST)
def test_uncovered_constructs_fall_back_to_owlrl(reasoner: str) -> None:
    graph = Graph().parse(
        data="""@prefix : <http://e.org/> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
        :A owl:hasKey ( :k ) . :x a :A ; :k 1 . :y a :A ; :k 1 .""",
        format="turtle",
    )
    assert uncovered_constructs(graph) == ["owl:hasKey (prp-key)"]
    result = compute_inferences([graph], BASE, reasoner)
    assert result.reasoner == "owlrl"
    assert result.fallback == "uncovered construct(s): owl:hasKey (prp-key)"
    assert (URIRef("http://e.org/x"), OWL.sameAs, URIRef("http://e.org/y")) in result.inferred


@pytest.mark.realdata
@pytest.mark.skipif(
    not (REPO / "ontology/shapes/ontology.ttl").is_file(), reason="real project not complete yet"
)
def test_reasonable_equals_owlrl_on_the_article() -> None:
    inputs, base = reasoning_inputs(REPO)
    owl = compute_inferences(inputs, base, "owlrl")
    for reasoner in FAST:
        fast = compute_inferences(inputs, base, reasoner)
        assert fast.reasoner == reasoner
        assert len(owl.inferred) > 500
        assert fast.inferred == owl.inferred, reasoner


@pytest.mark.parametrize("reasoner", FAST)
def test_reasonable_equals_owlrl_on_the_generated_10k_corpus(tmp_path: Path, reasoner: str) -> None:
    # owlrl's result on this corpus is pinned (benchmarks/results/reasoners.json) with the
    # digest of its input; if the input changed since, owlrl runs here (about 45 s).
    generate(tmp_path, PIN_TRIPLES, PIN_SEED, REPO / "ontology")
    pinned = json.loads(PIN.read_text(encoding="utf-8"))
    fast = run(tmp_path, reasoner)
    assert fast["reasoner"] == reasoner
    assert fast["inferred"] > 5000
    if fast["input_digest"] == pinned["input_digest"]:
        assert fast["digest"] == pinned["owlrl_digest"]
        assert fast["inferred"] == pinned["owlrl_inferred"]
    else:
        owl = run(tmp_path, "owlrl")
        assert set(fast["graph"]) == set(owl["graph"])


# --------------------------------------------------------------------------------------------
# The rules route, rule by rule and fallback by fallback, against owlrl
# --------------------------------------------------------------------------------------------

HEAD = """@prefix : <http://e.org/> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def _e(name: str) -> URIRef:
    return URIRef("http://e.org/" + name)


def _both(turtle: str) -> tuple[Reasoning, Reasoning]:
    graph = Graph().parse(data=HEAD + turtle, format="turtle")
    return compute_inferences([graph], BASE, "rules"), compute_inferences([graph], BASE, "owlrl")


@pytest.mark.parametrize(
    ("rule", "turtle", "expected"),
    [
        ("cax-sco", ":A rdfs:subClassOf :B . :B rdfs:subClassOf :C . :x a :A .", ("x", "C")),
        ("cax-eqc1", ":A owl:equivalentClass :B . :x a :A .", ("x", "B")),
        ("cax-eqc2", ":A owl:equivalentClass :B . :x a :B .", ("x", "A")),
        ("prp-dom", ":p rdfs:domain :A . :A rdfs:subClassOf :B . :x :p :y .", ("x", "B")),
        ("prp-rng", ":p rdfs:range :A . :x :p :y .", ("y", "A")),
        (
            "prp-rng, literal",
            ':p rdfs:range :A . :q owl:inverseOf :p ; rdfs:range :R . :x :q "v" .',
            ("x", "A"),
        ),
        (
            "prp-spo1",
            ":p rdfs:subPropertyOf :q . :q rdfs:subPropertyOf :r . :x :p :y .",
            ("x", "r", "y"),
        ),
        ("prp-eqp1", ":p owl:equivalentProperty :q . :x :p :y .", ("x", "q", "y")),
        ("prp-eqp2", ":p owl:equivalentProperty :q . :x :q :y .", ("x", "p", "y")),
        ("prp-inv1", ":p owl:inverseOf :q . :x :p :y .", ("y", "q", "x")),
        ("prp-inv2", ":p owl:inverseOf :q . :x :q :y .", ("y", "p", "x")),
        ("prp-symp", ":p a owl:SymmetricProperty . :x :p :y .", ("y", "p", "x")),
        (
            "prp-trp",
            ":p a owl:TransitiveProperty . :a :p :b . :b :p :c . :c :p :d .",
            ("a", "p", "d"),
        ),
        (
            "prp-spo2",
            ":h owl:propertyChainAxiom ( :p :q :r ) . :a :p :b . :b :q :c . :c :r :d .",
            ("a", "h", "d"),
        ),
        (
            "prp-spo2, inverse step",
            ":h owl:propertyChainAxiom ( [ owl:inverseOf :p ] :q ) . :b :p :a . :b :q :c .",
            ("a", "h", "c"),
        ),
        (
            "prp-spo2, recursive",
            ":p owl:propertyChainAxiom ( :p :p ) . :a :p :b . :b :p :c .",
            ("a", "p", "c"),
        ),
        (
            "prp-spo2 then prp-inv",
            ":h owl:propertyChainAxiom ( :p :q ) ; owl:inverseOf :hi . :a :p :b . :b :q :c .",
            ("c", "hi", "a"),
        ),
        ("owl:Nothing", ":A a owl:Class . :B a owl:Class . :x a owl:Nothing .", ("x", "A")),
        ("owl:Thing", ":A a owl:Class . owl:Thing rdfs:subClassOf :T . :x a :A .", ("x", "T")),
        (
            "sub-property of rdf:type",
            ":isa rdfs:subPropertyOf rdf:type . :A rdfs:subClassOf :B . :x :isa :A .",
            ("x", "B"),
        ),
        (
            "schema inference",
            ":A rdfs:subClassOf :B . :B rdfs:subClassOf :C .",
            ("A", "rdfs:subClassOf", "C"),
        ),
    ],
)
def test_rules_route_rule_by_rule(rule: str, turtle: str, expected: tuple[str, ...]) -> None:
    rules, owl = _both(turtle)
    assert rules.reasoner == "rules", rules.fallback
    if len(expected) == 2:
        triple = (_e(expected[0]), RDF.type, _e(expected[1]))
    else:
        p = RDFS.subClassOf if expected[1] == "rdfs:subClassOf" else _e(expected[1])
        triple = (_e(expected[0]), p, _e(expected[2]))
    assert triple in owl.inferred, rule
    assert triple in rules.inferred, rule
    assert rules.inferred == owl.inferred, rule
    assert find_inconsistencies(rules, BASE) == find_inconsistencies(owl, BASE)


def test_rules_route_drops_blank_node_predicates() -> None:
    rules, owl = _both(":h owl:propertyChainAxiom ( [ owl:inverseOf :p ] :q ) . :b :p :a .")
    assert not [t for t in rules.closure if isinstance(t[1], BNode)]
    assert rules.inferred == owl.inferred


def test_rules_route_types_literals_as_owlrl() -> None:
    # dt-type2 and owlrl's datatype subsumptions: noise, but in the closure for consistency.
    rules, owl = _both(':x :p "5"^^xsd:int , "a" , "b"@en .')
    for triple in [
        (Literal("5", datatype=XSD.int), RDF.type, XSD.int),
        (Literal("5", datatype=XSD.int), RDF.type, XSD.integer),
        (XSD.int, RDF.type, RDFS.Datatype),
    ]:
        assert triple in rules.closure
        assert triple in owl.closure
    assert rules.noise["literal-subject"] == owl.noise["literal-subject"]
    nothing: AbstractSet[Triple] = set()
    assert rules.inferred == owl.inferred == nothing


def test_rules_route_reports_literals_outside_their_datatype() -> None:
    # rdflib keeps the ill-typed lexical form; owlrl's dt-not-type reports it.
    rules, owl = _both(':x :p "often"^^xsd:date .')
    assert rules.reasoner == "rules"
    assert owl.errors
    assert rules.errors == owl.errors


def test_rules_route_types_literals_as_disjoint_datatypes() -> None:
    rules, owl = _both(':p rdfs:range xsd:string . :x :p 5 . :y :q "five"^^xsd:string .')
    assert rules.reasoner == "rules"
    integer = Literal(5)
    for closure in (rules.closure, owl.closure):
        assert (integer, RDF.type, XSD.string) in closure
        assert (integer, RDF.type, XSD.decimal) in closure
        assert (XSD.decimal, OWL.disjointWith, XSD.string) in closure
    [problem] = find_inconsistencies(rules, BASE)
    assert "is in disjoint classes xsd:decimal and xsd:string" in problem
    assert find_inconsistencies(owl, BASE) == [problem]


@pytest.mark.parametrize(
    ("turtle", "why"),
    [
        (":x owl:sameAs :y . :x :p :z .", "owl:sameAs between distinct terms"),
        (":p owl:inverseOf owl:sameAs . :x :p :y .", "owl:sameAs has property axioms"),
        (":p rdfs:subPropertyOf owl:sameAs . :x :p :y .", "schema predicate"),
        ("owl:sameAs rdfs:domain :D . :x :p :y .", "owl:sameAs has property axioms"),
        (":p a owl:FunctionalProperty . :x :p :a , :b .", "prp-fp would derive owl:sameAs"),
        (
            ":p a owl:FunctionalProperty . :q rdfs:subPropertyOf :p . :x :p :a . :x :q :b .",
            "prp-fp would derive owl:sameAs",
        ),
        (
            ":p a owl:InverseFunctionalProperty . :a :p :x . :b :p :x .",
            "prp-ifp would derive owl:sameAs",
        ),
        (":p a owl:FunctionalProperty . :x :p 1 , '1' .", "prp-fp would derive owl:sameAs"),
        (
            ":A owl:someValuesFrom :B ; owl:onProperty :p . :x :p :y . :y a :B .",
            "owl:someValuesFrom",
        ),
        (":A owl:hasValue :v ; owl:onProperty :p . :x :p :v .", "owl:hasValue"),
        (":A owl:intersectionOf ( :B :C ) . :x a :B , :C .", "owl:intersectionOf"),
        (":A owl:unionOf ( :B :C ) . :x a :B .", "owl:unionOf"),
        (":A owl:allValuesFrom :B ; owl:onProperty :p . :x a :A ; :p :y .", "owl:allValuesFrom"),
        (":A owl:oneOf ( :a :b ) .", "owl:oneOf"),
        (":p a owl:IrreflexiveProperty . :x :p :x .", "owl:IrreflexiveProperty"),
        (":x owl:differentFrom :y .", "owl:differentFrom"),
        (
            ":broader rdfs:subPropertyOf rdfs:subClassOf . :A :broader :B . :x a :A .",
            "schema predicate <http://www.w3.org/2000/01/rdf-schema#subClassOf>",
        ),
        (":p rdfs:range owl:Class . :x :p :C . :y a :C .", "types a resource as"),
        (
            ":p rdfs:range owl:TransitiveProperty . :x :p :q . :a :q :b . :b :q :c .",
            "types a resource as",
        ),
        (":first rdfs:subPropertyOf rdf:first . :l :first :a .", "schema predicate"),
    ],
)
def test_rules_route_falls_back_to_owlrl(turtle: str, why: str) -> None:
    rules, owl = _both(turtle)
    assert rules.reasoner == "owlrl"
    assert why in rules.fallback
    assert rules.inferred == owl.inferred


def test_rules_route_falls_back_on_a_literal_subject() -> None:
    p, x = _e("p"), _e("x")
    result = compute_inferences([[(Literal("s"), p, x)]], BASE, "rules")
    assert result.reasoner == "owlrl"
    assert "literal" in result.fallback


def test_rules_route_is_not_fooled_by_reflexive_sameas_or_equal_values() -> None:
    # x owl:sameAs x and a functional property stated twice with the same value are fine.
    rules, owl = _both(":p a owl:FunctionalProperty . :x owl:sameAs :x ; :p :a . :y :p :a .")
    assert rules.reasoner == "rules", rules.fallback
    assert rules.inferred == owl.inferred
