from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef

from diplokg.build import BuildResult
from diplokg.namespaces import DKG, ID, OA, OWL, RDF, RDFS, XSD
from diplokg.reasoning import NOISE_RULES, compute_inferences, noise_rule

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
    noise = built.checked.reasoning.noise
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
