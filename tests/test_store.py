from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from diplokg import errors
from diplokg.config import Settings
from diplokg.store import QueryRequest, open_store
from diplokg.store.evaluator import Evaluator, load_store
from diplokg.store.memory import MemoryStore
from diplokg.store.policy import QueryPlan, inspect_query, keywords, resolve_dataset

WEB = Path(__file__).parent / "data" / "web"
DUMP = WEB / "dist" / "diplokg.nq"
G = "https://w3id.org/diplokg/graph/"
GRAPHS = frozenset(G + n for n in ["ontology", "facts/tiny-news", "inferred", "meta", "background"])
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
UPDATES = [
    "INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }",
    "DELETE DATA { <http://e/a> <http://e/b> <http://e/c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "WITH <http://e/g> DELETE { ?s ?p ?o } INSERT { ?o ?p ?s } WHERE { ?s ?p ?o }",
    "LOAD <http://127.0.0.1:9/data.ttl>",
    "CLEAR ALL",
    "DROP GRAPH <https://w3id.org/diplokg/graph/meta>",
    "CREATE GRAPH <http://e/new>",
    "ADD DEFAULT TO <http://e/g>",
    "MOVE <http://e/a> TO <http://e/b>",
    "COPY <http://e/a> TO <http://e/b>",
    "PREFIX e: <http://e/> INSERT { e:x e:y ?o } WHERE { ?s ?p ?o }",
]


@pytest.fixture(scope="module")
def evaluator() -> Evaluator:
    return Evaluator(load_store(DUMP), {"id": "https://w3id.org/diplokg/id/"})


@pytest.fixture(scope="module")
def store() -> Iterator[MemoryStore]:
    s = MemoryStore(DUMP, evaluators=2)
    yield s
    s.close()


# --- policy ---------------------------------------------------------------


@pytest.mark.parametrize("update", UPDATES)
def test_updates_are_forbidden(update: str) -> None:
    with pytest.raises(errors.Forbidden, match="read-only"):
        inspect_query(update)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { ?s ?p ?o OPTIONAL { SERVICE SILENT <http://x/> { ?s ?q ?z } } }",
        "ASK { { SELECT ?s WHERE { SERVICE ?endpoint { ?s ?p ?o } } } }",
        "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <http://x/> { ?s ?p ?o } } }",
        "SELECT * WHERE { ?s ?p ?o FILTER NOT EXISTS { ?s ?q ?r . SERVICE <http://x/> { } } }",
        "SELECT * WHERE { VALUES ?e { <http://x/> } SERVICE ?e { ?s ?p ?o } }",
        "ASK { BIND(EXISTS { SERVICE <http://x/> { } } AS ?b) }",
        "CONSTRUCT { ?s ?p ?o } WHERE { { SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } } } }",
        "DESCRIBE ?s WHERE { SERVICE <http://x/> { ?s ?p ?o } }",
    ],
)
def test_service_is_forbidden(query: str) -> None:
    with pytest.raises(errors.Forbidden, match="SERVICE"):
        inspect_query(query)


def test_service_in_strings_iris_and_comments_is_fine() -> None:
    q = 'SELECT * WHERE { ?s <http://e/SERVICE> "SERVICE <x>" } # SERVICE <http://x/>'
    assert inspect_query(q).form == "select"


def test_dataset_clauses_are_read() -> None:
    plan = inspect_query(f"SELECT * FROM <{G}meta> FROM NAMED <{G}inferred> WHERE {{ ?s ?p ?o }}")
    assert plan == QueryPlan("select", (f"{G}meta",), (f"{G}inferred",))


def test_lexer_skips_strings_iris_comments_and_decodes_escapes() -> None:
    assert keywords('SELECT "from" <x:service> # SERVICE\n?service \\u0053ERVICE') == [
        "select",
        "service",
    ]


def test_lexical_fallback_refuses_service_it_cannot_parse() -> None:
    # rdflib cannot parse this (triple terms); the lexer still sees SERVICE.
    with pytest.raises(errors.Forbidden, match="SERVICE"):
        inspect_query("SELECT * WHERE { <<( ?a ?b ?c )>> ?p ?o SERVICE <http://x/> { } }")


def test_resolve_dataset() -> None:
    plan = QueryPlan("select")
    assert resolve_dataset(plan, [], [], GRAPHS).union
    ds = resolve_dataset(QueryPlan("select", (f"{G}meta",)), [], [], GRAPHS)
    assert (ds.union, ds.default, ds.named) == (False, (f"{G}meta",), ())
    # Protocol parameters override FROM.
    ds = resolve_dataset(QueryPlan("select", (f"{G}meta",)), [f"{G}inferred"], [], GRAPHS)
    assert ds.default == (f"{G}inferred",)
    with pytest.raises(errors.Forbidden, match="not in this dataset"):
        resolve_dataset(plan, ["http://127.0.0.1:9/remote.ttl"], [], GRAPHS)
    with pytest.raises(errors.Forbidden, match="remote"):
        resolve_dataset(QueryPlan("select", (), ("http://example.org/x",)), [], [], GRAPHS)


# --- evaluator (in process) ------------------------------------------------


def test_graph_sizes(evaluator: Evaluator) -> None:
    assert set(evaluator.sizes) == GRAPHS
    assert sum(evaluator.sizes.values()) == len(DUMP.read_text().splitlines())


def test_select_json_and_default_graph_is_union(evaluator: Evaluator) -> None:
    r = evaluator.run(QueryRequest("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"))
    doc = json.loads(r.body)
    assert r.form == "select"
    assert int(doc["results"]["bindings"][0]["n"]["value"]) == sum(evaluator.sizes.values())


def test_from_restricts_the_default_graph(evaluator: Evaluator) -> None:
    r = evaluator.run(QueryRequest(f"SELECT * FROM <{G}meta> WHERE {{ ?s ?p ?o }}"))
    assert len(json.loads(r.body)["results"]["bindings"]) == evaluator.sizes[f"{G}meta"]
    r = evaluator.run(
        QueryRequest("SELECT * WHERE { ?s ?p ?o }", default_graph_uris=(f"{G}background",))
    )
    assert len(json.loads(r.body)["results"]["bindings"]) == 2
    r = evaluator.run(
        QueryRequest(
            "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", named_graph_uris=(f"{G}background",)
        )
    )
    assert {b["g"]["value"] for b in json.loads(r.body)["results"]["bindings"]} == {
        f"{G}background"
    }


@pytest.mark.parametrize(
    ("fmt", "marker"), [("xml", b"<sparql"), ("csv", b"s\r\n"), ("tsv", b"?s\n")]
)
def test_select_formats(evaluator: Evaluator, fmt: str, marker: bytes) -> None:
    r = evaluator.run(QueryRequest("SELECT ?s WHERE { ?s a ?c } LIMIT 1", results_format=fmt))
    assert marker in r.body


def test_literals_keep_language_and_datatype(evaluator: Evaluator) -> None:
    q = (
        "SELECT ?l ?d WHERE { ?v <https://w3id.org/diplokg/ontology#date> ?d ;"
        " <http://www.w3.org/2000/01/rdf-schema#label> ?l }"
    )
    b = json.loads(evaluator.run(QueryRequest(q)).body)["results"]["bindings"][0]
    assert b["l"]["xml:lang"] == "en"
    assert b["d"]["datatype"] == "http://www.w3.org/2001/XMLSchema#date"


def test_result_cap_cuts_and_says_so(evaluator: Evaluator) -> None:
    r = evaluator.run(QueryRequest("SELECT * WHERE { ?s ?p ?o }", result_cap=5))
    assert (r.count, r.truncated) == (5, True)
    assert len(json.loads(r.body)["results"]["bindings"]) == 5
    r = evaluator.run(QueryRequest("CONSTRUCT WHERE { ?s ?p ?o }", graph_format="nt", result_cap=3))
    assert (r.count, r.truncated, r.body.count(b"\n")) == (3, True, 3)
    r = evaluator.run(QueryRequest("SELECT * WHERE { ?s ?p ?o } LIMIT 5", result_cap=5))
    assert not r.truncated


@pytest.mark.parametrize("fmt", ["turtle", "nt", "jsonld", "rdfxml", "trig", "nq"])
def test_construct_formats(evaluator: Evaluator, fmt: str) -> None:
    r = evaluator.run(QueryRequest("CONSTRUCT WHERE { ?s a ?c }", graph_format=fmt))
    assert r.form == "construct"
    assert r.count > 0
    assert r.body


def test_describe(evaluator: Evaluator) -> None:
    r = evaluator.run(QueryRequest("DESCRIBE <https://w3id.org/diplokg/id/nato>"))
    assert r.form == "describe"
    assert b"North Atlantic" in r.body


def test_not_acceptable_is_decided_before_evaluation(evaluator: Evaluator) -> None:
    with pytest.raises(errors.NotAcceptable, match="text/csv"):
        evaluator.run(QueryRequest("SELECT * WHERE { ?s ?p ?o }", results_format=None))
    with pytest.raises(errors.NotAcceptable, match="text/turtle"):
        evaluator.run(QueryRequest("CONSTRUCT WHERE { ?s ?p ?o }", graph_format=None))


def test_syntax_error_names_line_and_column(evaluator: Evaluator) -> None:
    with pytest.raises(errors.QuerySyntaxError) as info:
        evaluator.run(QueryRequest("SELECT *\nWHERE { ?s ?p ?o . FILTER(?s = ) }"))
    assert (info.value.line, info.value.column) == (2, 20)
    assert "FILTER" in str(info.value)


def test_engine_syntax_messages_are_trimmed() -> None:
    from diplokg.store.evaluator import _syntax_error

    e = _syntax_error(SyntaxError("error at 1:26: expected one of \",\", \"}\", ['0' ..= '9']"))
    assert (e.line, e.column, e.detail) == (1, 26, 'expected one of ",", "}"')


# --- the supervised pool ---------------------------------------------------


def test_open_store_memory() -> None:
    settings = Settings.from_env({}, root=WEB, threads=1)
    s = open_store(settings)
    try:
        assert s.triple_count() == 54
        assert len(s.version) == 16
    finally:
        s.close()


def test_open_store_unknown_backend_and_missing_dump(tmp_path: Path) -> None:
    with pytest.raises(errors.InputError, match="unknown store"):
        open_store(Settings.from_env({}, store="nope"))
    with pytest.raises(errors.NotFound, match="diplokg build"):
        open_store(Settings.from_env({}, root=tmp_path))


def test_errors_cross_the_process_boundary(store: MemoryStore) -> None:
    with pytest.raises(errors.QuerySyntaxError) as info:
        store.query(QueryRequest("SELECT * {"), 5)
    assert info.value.line == 1
    with pytest.raises(errors.Forbidden):
        store.query(QueryRequest(UPDATES[0]), 5)


def test_timeout_kills_the_evaluation_and_the_pool_recovers(store: MemoryStore) -> None:
    before = set(store.pool.pids())
    start = time.monotonic()
    with pytest.raises(errors.QueryTimeout) as info:
        store.query(QueryRequest(SLOW), 0.5)
    assert time.monotonic() - start < 1.5
    assert info.value.retry_after >= 1
    after = set(store.pool.pids())
    killed = before - after
    assert len(killed) == 1
    (pid,) = killed
    assert not Path(f"/proc/{pid}").exists() or _zombie(pid)
    start = time.monotonic()
    r = store.query(QueryRequest("ASK { ?s ?p ?o }"), 5)
    assert r.body == b'{"head":{},"boolean":true}'
    assert time.monotonic() - start < 1.0


def test_a_crashed_evaluator_is_replaced(store: MemoryStore) -> None:
    victim = store.pool.pids()[0]
    os.kill(victim, 9)
    time.sleep(0.1)
    outcomes = []
    for _ in range(3):
        try:
            store.query(QueryRequest("ASK { ?s ?p ?o }"), 5)
            outcomes.append("ok")
        except errors.EvaluationError:
            outcomes.append("500")
    assert outcomes.count("500") <= 1
    assert outcomes[-1] == "ok"
    assert victim not in store.pool.pids()


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except OSError:
        return True


def test_a_query_over_the_memory_limit_gets_500_and_the_pool_recovers() -> None:
    s = MemoryStore(DUMP, evaluators=1, memory_mb=300)
    try:
        hungry = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l } ORDER BY ?a ?c ?f"
        with pytest.raises(errors.EvaluationError, match="out of memory"):
            s.query(QueryRequest(hungry, result_cap=10), 30)
        assert s.query(QueryRequest("ASK { ?s ?p ?o }"), 10).body.endswith(b"true}")
    finally:
        s.close()


def test_an_evaluator_that_cannot_load_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(errors.EvaluationError, match="memory limit"):
        MemoryStore(DUMP, evaluators=1, memory_mb=64)
    broken = tmp_path / "diplokg.nq"
    broken.write_text("<a> <b> .\n")
    with pytest.raises(errors.InputError, match="cannot load"):
        MemoryStore(broken, evaluators=1)


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_rows_with_nothing_bound_survive_the_cap(evaluator: Evaluator, fmt: str) -> None:
    # Empty rows are empty TSV lines: they must be counted, not stripped.
    r = evaluator.run(QueryRequest("SELECT ?x {}", results_format=fmt, result_cap=5))
    assert (r.count, r.truncated) == (1, False)
    r = evaluator.run(
        QueryRequest(
            "SELECT ?x WHERE { VALUES ?x { UNDEF UNDEF UNDEF } }", results_format=fmt, result_cap=2
        )
    )
    assert (r.count, r.truncated) == (2, True)
    if fmt == "json":
        assert json.loads(r.body)["results"]["bindings"] == [{}, {}]
