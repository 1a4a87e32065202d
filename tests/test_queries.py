from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Dataset, Graph

from diplokg.build import BuildResult
from diplokg.errors import InputError, NotFound, QuerySyntaxError
from diplokg.queries import load_dataset, parse_query, query_dist, read_query, run_query

from .conftest import PROJECT, settings_for

BASE = "https://w3id.org/diplokg/"
PREFIX = "PREFIX dkg: <https://w3id.org/diplokg/ontology#>\n"
VISITS = PREFIX + "SELECT ?visit ?date WHERE { ?visit a dkg:Visit ; dkg:date ?date }"


def test_table(dataset: Dataset) -> None:
    text = run_query(dataset, VISITS, base=BASE)
    assert text.splitlines() == [
        "?visit              | ?date",
        "--------------------+-----------------------",
        'id:visit-2021-02-01 | "2021-02-01"^^xsd:date',
        "(1 row)",
    ]


def test_default_graph_is_the_union_including_inferences(dataset: Dataset) -> None:
    query = PREFIX + "SELECT ?f WHERE { ?f a dkg:Fact ; dkg:hasEvidence ?e }"
    result = json.loads(run_query(dataset, query, "json"))
    assert [b["f"]["value"] for b in result["results"]["bindings"]] == [
        BASE + "id/visit-2021-02-01"
    ]


def test_graph_names_one_graph(dataset: Dataset) -> None:
    query = PREFIX + (
        "SELECT ?t WHERE { GRAPH <https://w3id.org/diplokg/graph/inferred> "
        "{ <https://w3id.org/diplokg/id/visit-2021-02-01> a ?t } } ORDER BY ?t"
    )
    assert "dkg:Event" in run_query(dataset, query, base=BASE)
    asserted = query.replace("graph/inferred", "graph/facts/tiny-news")
    assert "dkg:Event" not in run_query(dataset, asserted, base=BASE)


@pytest.mark.parametrize(
    ("fmt", "marker"), [("csv", "visit,date"), ("tsv", "?visit\t?date"), ("xml", "<sparql")]
)
def test_result_formats(dataset: Dataset, fmt: str, marker: str) -> None:
    assert marker in run_query(dataset, VISITS, fmt)


def test_ask(dataset: Dataset) -> None:
    assert run_query(dataset, PREFIX + "ASK { ?v a dkg:Visit }") == "true\n"
    assert json.loads(run_query(dataset, "ASK { ?s <urn:nope> ?o }", "json"))["boolean"] is False


@pytest.mark.parametrize(
    ("fmt", "parse_as"),
    [("turtle", "turtle"), ("nt", "nt"), ("json-ld", "json-ld"), ("xml", "xml")],
)
def test_construct(dataset: Dataset, fmt: str, parse_as: str) -> None:
    query = PREFIX + "CONSTRUCT { ?v a dkg:Visit } WHERE { ?v a dkg:Visit }"
    graph = Graph().parse(data=run_query(dataset, query, fmt, BASE), format=parse_as)
    assert len(graph) == 1


def test_describe(dataset: Dataset) -> None:
    text = run_query(dataset, "DESCRIBE <https://w3id.org/diplokg/id/ana-petrovic>", base=BASE)
    assert "Ana Petrović" in text


def test_format_must_fit_the_query_form(dataset: Dataset) -> None:
    with pytest.raises(InputError, match="does not fit a SELECT query"):
        run_query(dataset, VISITS, "turtle")
    with pytest.raises(InputError, match="does not fit an ASK query"):
        run_query(dataset, "ASK {}", "csv")
    with pytest.raises(InputError, match="does not fit a CONSTRUCT query"):
        run_query(dataset, "CONSTRUCT WHERE { ?s ?p ?o }", "csv")


def test_malformed_query_names_line_and_column() -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query("SELECT ?x\nWHERE {\n  ?x ?y ?z .\n  FILTER( }")
    assert (info.value.line, info.value.column) == (4, 3)
    assert str(info.value).startswith("malformed query at line 4, column 3: Expected")
    with pytest.raises(QuerySyntaxError, match="Unknown namespace prefix"):
        parse_query("SELECT * WHERE { ?s nope:p ?o }")


def test_remote_data_is_refused(dataset: Dataset) -> None:
    with pytest.raises(InputError, match="SERVICE is not supported"):
        run_query(dataset, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")
    with pytest.raises(InputError, match="no such graph"):
        run_query(dataset, "SELECT * FROM <http://127.0.0.1:9/data.ttl> WHERE { ?s ?p ?o }")
    background = "<https://w3id.org/diplokg/graph/background>"
    local = f"SELECT (COUNT(*) AS ?n) FROM {background} WHERE {{ ?s ?p ?o }}"
    assert run_query(dataset, local, "csv").splitlines() == ["n", "3"]


def test_read_query_from_file_or_text(tmp_path: Path) -> None:
    path = tmp_path / "q.rq"
    path.write_text("ASK {}", encoding="utf-8")
    assert read_query(str(path)) == "ASK {}"
    assert read_query("ASK { ?s ?p ?o }") == "ASK { ?s ?p ?o }"


def test_query_dist_needs_a_build(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="run `diplokg build` first"):
        query_dist(settings_for(tmp_path), "ASK {}")
    with pytest.raises(NotFound):
        load_dataset(tmp_path)


def test_competency_question_file_runs(built: BuildResult) -> None:
    settings = settings_for(built.checked.project.root)
    text = query_dist(settings, read_query(str(PROJECT / "queries/cq01-visits.rq")))
    assert "id:visit-2021-02-01" in text
