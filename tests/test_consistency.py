from __future__ import annotations

import pytest
from rdflib import Graph

from diplokg.build import BuildResult
from diplokg.consistency import check_consistency, find_inconsistencies
from diplokg.errors import InconsistencyError
from diplokg.reasoning import compute_inferences

from .conftest import INVALID

BASE = "https://w3id.org/diplokg/"


@pytest.fixture(params=["owlrl", "rules"])
def reasoner(request: pytest.FixtureRequest) -> str:
    """Each check runs on the reference closure and on the rules route's."""
    return str(request.param)


def problems_with(built: BuildResult, reasoner: str, *snippets: str, turtle: str = "") -> list[str]:
    graphs = [built.checked.graphs[n] for n in ("ontology", "facts/tiny-news", "background")]
    extra = Graph()
    for name in snippets:
        extra.parse(INVALID / name, format="turtle")
    if turtle:
        extra.parse(data=turtle, format="turtle")
    return find_inconsistencies(compute_inferences([*graphs, extra], BASE, reasoner), BASE)


def test_fixture_is_consistent(built: BuildResult) -> None:
    assert built.checked.reasoning is not None
    assert find_inconsistencies(built.checked.reasoning, BASE) == []


def test_which_route_ran(built: BuildResult) -> None:
    # A functional clash makes the rules route fall back (prp-fp would derive owl:sameAs);
    # a member of owl:Nothing does not.
    graphs = [built.checked.graphs[n] for n in ("ontology", "facts/tiny-news", "background")]
    extra = Graph().parse(INVALID / "functional-clash.ttl")
    result = compute_inferences([*graphs, extra], BASE, "rules")
    assert result.reasoner == "owlrl"
    assert "prp-fp would derive owl:sameAs" in result.fallback
    result = compute_inferences([*graphs, Graph().parse(INVALID / "nothing.ttl")], BASE, "rules")
    assert result.reasoner == "rules"


def test_disjoint_classes(built: BuildResult, reasoner: str) -> None:
    [problem] = problems_with(built, reasoner, "disjoint-classes.ttl")
    assert problem.splitlines() == [
        "id:ana-petrovic is in disjoint classes dkg:Organisation and dkg:Person",
        "    id:ana-petrovic rdf:type dkg:Organisation (asserted)",
        "    id:ana-petrovic rdf:type dkg:Person (asserted)",
        "    dkg:Person owl:disjointWith dkg:Organisation (asserted)",
    ]


def test_all_disjoint_classes_with_inferred_types(built: BuildResult, reasoner: str) -> None:
    turtle = """@prefix dkg: <https://w3id.org/diplokg/ontology#> .
    <https://w3id.org/diplokg/id/geneve> a dkg:Visit ."""
    [problem] = problems_with(built, reasoner, turtle=turtle)
    assert (
        "id:geneve is in disjoint classes dkg:Fact and dkg:Place (owl:AllDisjointClasses)"
        in problem
    )
    assert "id:geneve rdf:type dkg:Fact (inferred)" in problem


def test_functional_property_clashes(built: BuildResult, reasoner: str) -> None:
    problems = problems_with(built, reasoner, "functional-clash.ttl")
    assert len(problems) == 2
    text = "\n".join(problems)
    assert "dkg:date is functional but id:visit-2021-02-01 has 2 distinct values" in text
    assert 'id:visit-2021-02-01 dkg:date "2021-02-02"^^xsd:date (asserted)' in text
    assert "dkg:destination is functional but id:visit-2021-02-01 has 2 distinct values:" in text
    assert "id:geneve, id:lausanne" in text


def test_equal_values_and_stated_sameas_do_not_clash(built: BuildResult, reasoner: str) -> None:
    turtle = """@prefix dkg: <https://w3id.org/diplokg/ontology#> .
    @prefix id: <https://w3id.org/diplokg/id/> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
    id:visit-2021-02-01 dkg:destination id:geneva-alias .
    id:geneva-alias owl:sameAs id:geneve ."""
    assert problems_with(built, reasoner, turtle=turtle) == []


def test_inverse_functional(built: BuildResult, reasoner: str) -> None:
    turtle = """@prefix dkg: <https://w3id.org/diplokg/ontology#> .
    @prefix id: <https://w3id.org/diplokg/id/> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
    dkg:code a owl:ObjectProperty, owl:InverseFunctionalProperty .
    id:a dkg:code id:k . id:b dkg:code id:k ."""
    [problem] = problems_with(built, reasoner, turtle=turtle)
    assert "dkg:code is inverse-functional but id:k is the value of 2 distinct subjects" in problem


def test_nothing(built: BuildResult, reasoner: str) -> None:
    [problem] = problems_with(built, reasoner, "nothing.ttl")
    assert problem.splitlines() == [
        "id:impossible is a member of owl:Nothing",
        "    id:impossible rdf:type owl:Nothing (asserted)",
    ]


def test_disjoint_properties(built: BuildResult, reasoner: str) -> None:
    turtle = """@prefix dkg: <https://w3id.org/diplokg/ontology#> .
    @prefix id: <https://w3id.org/diplokg/id/> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
    dkg:partOf owl:propertyDisjointWith dkg:partnerOf .
    id:rivaria dkg:partOf id:montland ."""
    [problem] = problems_with(built, reasoner, turtle=turtle)
    assert "linked to id:montland by disjoint properties dkg:partOf and dkg:partnerOf" in problem


def test_owlrl_messages_are_passed_on(built: BuildResult, reasoner: str) -> None:
    turtle = """@prefix dkg: <https://w3id.org/diplokg/ontology#> .
    @prefix id: <https://w3id.org/diplokg/id/> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
    dkg:partnerOf a owl:IrreflexiveProperty . id:rivaria dkg:partnerOf id:rivaria ."""
    [problem] = problems_with(built, reasoner, turtle=turtle)
    assert problem.startswith("owlrl: Irreflexive property used on")


def test_check_consistency_raises_with_every_problem(built: BuildResult, reasoner: str) -> None:
    graphs = [built.checked.graphs[n] for n in ("ontology", "facts/tiny-news")]
    extra = Graph().parse(INVALID / "nothing.ttl").parse(INVALID / "disjoint-classes.ttl")
    with pytest.raises(InconsistencyError) as info:
        check_consistency(compute_inferences([*graphs, extra], BASE, reasoner), BASE)
    assert len(info.value.problems) == 2
    assert info.value.exit_code == 1
