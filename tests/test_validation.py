from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal

from diplokg.build import BuildResult
from diplokg.errors import InputError, ValidationFailed
from diplokg.namespaces import DKG, ID, SH
from diplokg.shacl import store_from_graph
from diplokg.validation import (
    ENGINES,
    ShaclReport,
    check_report,
    format_report,
    validate_graph,
    validate_project,
)

BASE = "https://w3id.org/diplokg/"
SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
@prefix shapes: <https://w3id.org/diplokg/shapes#> .
shapes:Thing a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:message "needs a name" ] ;
    sh:property [ sh:path ex:note ; sh:minCount 1 ; sh:severity sh:Warning ] ;
    sh:property [ sh:path ex:tag ; sh:minCount 1 ; sh:severity sh:Info ] .
"""
DATA = """
@prefix ex: <http://example.org/> .
ex:a a ex:Thing ; ex:name "A" .
ex:b a ex:Thing .
"""


def graphs() -> tuple[Graph, Graph]:
    return Graph().parse(data=DATA, format="turtle"), Graph().parse(data=SHAPES, format="turtle")


def test_results_have_severity_focus_path_and_shape() -> None:
    data, shapes = graphs()
    _report, results = validate_graph(data, shapes, "data", BASE)
    by_severity = {r.severity: r for r in results if str(r.focus).endswith("/b")}
    assert set(by_severity) == {"Violation", "Warning", "Info"}
    violation = by_severity["Violation"]
    assert violation.message == "needs a name"
    assert str(violation.path) == "http://example.org/name"
    assert violation.shape_name == "shapes:Thing (property shape on <http://example.org/name>)"


def test_warnings_and_infos_do_not_fail() -> None:
    data, shapes = graphs()
    data.parse(data='<http://example.org/b> <http://example.org/name> "B" .', format="turtle")
    report = validate_project(data, shapes, Graph(), Graph(), BASE)
    assert report.conforms
    assert report.by_severity("Warning")
    check_report(report, BASE)  # does not raise
    # The standard's sh:conforms is false as soon as there is any result.
    assert (None, SH.conforms, Literal(False)) in report.graph


def test_violations_fail_with_a_readable_report() -> None:
    data, shapes = graphs()
    report = validate_project(data, shapes, Graph(), Graph(), BASE)
    with pytest.raises(ValidationFailed) as info:
        check_report(report, BASE)
    text = str(info.value)
    assert text.startswith("SHACL validation: 1 violation, 2 warnings, 2 info")
    assert text.index("Violation (1):") < text.index("Warning (2):") < text.index("Info (2):")
    assert "  - [data] needs a name\n      focus node: <http://example.org/b>" in text
    assert info.value.exit_code == 1


def test_reports_are_merged_into_one() -> None:
    data, shapes = graphs()
    report = validate_project(data, shapes, data, shapes, BASE)
    assert len(set(report.graph.subjects(None, SH.ValidationReport))) == 1
    assert {r.graph for r in report.results} == {"data", "ontology"}
    assert len(list(report.graph.objects(None, SH.result))) == len(report.results) == 10


def test_unusable_shapes_are_an_input_error() -> None:
    shapes = Graph().parse(
        data="""@prefix sh: <http://www.w3.org/ns/shacl#> .
        <http://example.org/S> a sh:NodeShape ; sh:targetNode <http://example.org/a> ;
            sh:sparql [ sh:select "SELECT $this WHERE { nonsense" ] .""",
        format="turtle",
    )
    with pytest.raises(InputError, match="SHACL shapes for the data cannot be used"):
        validate_graph(Graph(), shapes, "data")


def test_shapes_pyshacl_refuses_are_an_input_error() -> None:
    # pySHACL answers (False, ValidationFailure, text) instead of raising here.
    shapes = Graph().parse(
        data="""@prefix sh: <http://www.w3.org/ns/shacl#> .
        <http://example.org/S> a sh:NodeShape ; sh:targetNode <http://example.org/a> ;
            sh:sparql [ sh:select "SELECT $this WHERE { VALUES ?x { 1 } }" ] .""",
        format="turtle",
    )
    with pytest.raises(InputError, match="must not contain a VALUES clause"):
        validate_graph(Graph(), shapes, "data")


def test_fixture_uses_inferences_and_sparql(built: BuildResult) -> None:
    report: ShaclReport = built.checked.report
    assert report.conforms
    [warning] = report.by_severity("Warning")
    assert warning.focus == ID["rivaria"]
    assert "1 warning" in format_report(report, BASE)


def test_fixture_shapes_see_the_inferred_triples(built: BuildResult) -> None:
    # dkg:Fact is only inferred (from dkg:Visit), dkg:hasEvidence only inferred (inverse
    # of oa:hasBody): without the inferred evidence links the fact shape must fail.
    checked = built.checked
    assert checked.reasoning is not None
    data = Graph()
    for triple in checked.reasoning.asserted:
        data.add(triple)
    for s, p, o in checked.graphs["inferred"]:
        if p != DKG.hasEvidence:
            data.add((s, p, o))
    report = validate_project(data, checked.project.data_shapes, Graph(), Graph(), BASE)
    [violation] = report.by_severity("Violation")
    assert violation.focus == ID["visit-2021-02-01"]
    assert violation.message.startswith("A fact needs evidence")


def test_sparql_constraints_run(built: BuildResult) -> None:
    checked = built.checked
    assert checked.reasoning is not None
    data = Graph()
    for triple in checked.reasoning.asserted:
        data.add(triple)
    for s, p, o in checked.graphs["inferred"]:
        data.add((s, p, o))
    data.remove((ID["visit-2021-02-01"], DKG.date, None))
    report = validate_project(data, checked.project.data_shapes, Graph(), Graph(), BASE)
    [violation] = report.by_severity("Violation")
    assert violation.message == "An event needs a dkg:date."
    assert violation.shape_name == "shapes:EventDateShape"


# --------------------------------------------------------------------------- engines


def _rows(report: ShaclReport) -> list[tuple[object, ...]]:
    return sorted(
        (r.graph, r.severity, str(r.focus), str(r.path), str(r.value), r.message, r.shape_name)
        for r in report.results
    )


def test_both_engines_give_the_same_report() -> None:
    data, shapes = graphs()
    fast = validate_project(data, shapes, data, shapes, BASE, engine="oxigraph")
    reference = validate_project(data, shapes, data, shapes, BASE, engine="pyshacl")
    assert _rows(fast) == _rows(reference)
    assert fast.engines == {"data": "oxigraph", "ontology": "oxigraph"}
    assert reference.engines == {"data": "pyshacl", "ontology": "pyshacl"}
    assert len(list(fast.graph.objects(None, SH.result))) == len(fast.results) == 10


def test_the_data_may_be_a_store_of_named_graphs(built: BuildResult) -> None:
    checked = built.checked
    assert checked.reasoning is not None
    asserted = Graph()
    for triple in checked.reasoning.asserted:
        asserted.add(triple)
    store = ox.Store()
    for name, graph in [("asserted", asserted), ("inferred", checked.graphs["inferred"])]:
        store.extend(
            ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(BASE + "graph/" + name))
            for q in store_from_graph(graph)
        )
    found = []
    for engine in ENGINES:
        report = validate_project(
            store, checked.project.data_shapes, Graph(), Graph(), BASE, engine
        )
        [warning] = report.by_severity("Warning")
        assert warning.focus == ID["rivaria"]
        found.append(_rows(report))
    assert found[0] == found[1]


def test_an_unknown_engine_is_an_input_error() -> None:
    data, shapes = graphs()
    with pytest.raises(InputError, match="unknown SHACL engine 'jena'"):
        validate_project(data, shapes, Graph(), Graph(), BASE, engine="jena")


def test_shapes_the_oxigraph_engine_does_not_implement_go_to_pyshacl() -> None:
    data, shapes = graphs()
    shapes.parse(
        data="""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
        @prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
        <https://w3id.org/diplokg/shapes#Closed> a sh:NodeShape ; sh:targetClass ex:Thing ;
            sh:closed true ; sh:ignoredProperties ( rdf:type ) ;
            sh:property [ sh:path ex:other ] .""",
        format="turtle",
    )
    report = validate_project(data, shapes, Graph(), Graph(), BASE)
    assert report.engines["data"].startswith(
        "pyshacl (the oxigraph engine does not implement sh:closed"
    )
    assert any(r.component == SH.ClosedConstraintComponent for r in report.results)


def test_malformed_sparql_with_the_oxigraph_engine_names_the_shape() -> None:
    shapes = Graph().parse(
        data="""@prefix sh: <http://www.w3.org/ns/shacl#> .
        <http://example.org/S> a sh:NodeShape ; sh:targetNode <http://example.org/a> ;
            sh:sparql [ sh:select "SELECT $this WHERE { nonsense" ] .""",
        format="turtle",
    )
    with pytest.raises(InputError, match=r"cannot be used: shape http://example\.org/S: malformed"):
        validate_graph(Graph(), shapes, "data", engine="oxigraph")
