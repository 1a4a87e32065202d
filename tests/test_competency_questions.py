"""Competency questions and quality checks (queries/), run against the dataset.

Each ``queries/cqNN-slug.rq`` is a question a user would ask of the AzerNews article; beside it,
``cqNN-slug.srj`` (SPARQL 1.1 Query Results JSON) or ``cqNN-slug.ttl`` (for a CONSTRUCT) holds the
answer, written by hand from the article, never captured from a run. SELECT results are compared
as multisets of bindings (and as sequences when the query has ORDER BY), literals by RDF term
equality; CONSTRUCT results by graph isomorphism. Each ``queries/checks/*-violation.rq`` must
return no row on the dataset, and must return rows on a small broken dataset written here for it,
so that no check passes vacuously.

Every question and check runs on two engines: rdflib, the reference, and Oxigraph, which answers
queries at run time, so that users get the answers written here whichever engine serves them.

The dataset is the project's own build (``diplokg.build.build``) read back from its N-Quads dump:
the named graphs of the contract (ontology, shapes, facts per source with the source's full text,
background, meta) and ``graph/inferred``, the OWL 2 RL closure minus the input and minus noise.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Dataset, Graph
from rdflib.compare import isomorphic, to_isomorphic
from rdflib.plugins.sparql import prepareQuery
from rdflib.query import Result
from rdflib.term import Node

from diplokg.build import build
from diplokg.config import Settings
from diplokg.terms import ToRdflib

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT / "queries"
CHECKS = QUERIES / "checks"

BASE = "https://w3id.org/diplokg/"

ENGINES = ("rdflib", "oxigraph")

# --------------------------------------------------------------------------------------------
# The dataset
# --------------------------------------------------------------------------------------------


def load_dataset(dist: Path) -> Dataset:
    """Build the project with its own pipeline and read the dataset back from ``dist/``.

    The queries run on what users get: the N-Quads dump of the build, whose default graph is
    the union of all named graphs.

    Args:
        dist: Where to write the build (a fresh directory; no cache is used).

    Returns:
        The dataset, with ``default_union`` on.
    """
    build(Settings.from_env({}, root=ROOT, dist=dist, cache=""))
    dataset = Dataset(default_union=True)
    dataset.parse(dist / "diplokg.nq", format="nquads")
    return dataset


def oxigraph_store(dataset: Dataset) -> ox.Store:
    """Copy a dataset, named graphs and all, into an in-memory Oxigraph store."""
    store = ox.Store()
    store.load(dataset.serialize(format="nquads").encode("utf-8"), format=ox.RdfFormat.N_QUADS)
    return store


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return load_dataset(tmp_path_factory.mktemp("cq") / "dist")


@pytest.fixture(scope="module")
def store(dataset: Dataset) -> ox.Store:
    return oxigraph_store(dataset)


# --------------------------------------------------------------------------------------------
# Answers, whichever engine gives them
# --------------------------------------------------------------------------------------------

Row = frozenset[tuple[str, Node]]


@dataclass
class Answer:
    """A query's answer in one shape for every engine.

    Attributes:
        kind: ``SELECT``, ``ASK`` or ``CONSTRUCT``.
        variables: The projected variables (SELECT).
        rows: The solutions, each the set of (variable, term) of its bound variables (SELECT).
        boolean: The answer (ASK).
        graph: The triples (CONSTRUCT).
    """

    kind: str
    variables: tuple[str, ...] = ()
    rows: tuple[Row, ...] = ()
    boolean: bool | None = None
    graph: Graph | None = None


def from_rdflib(result: Result) -> Answer:
    """Turn an rdflib result (of a query, or parsed from a results file) into an Answer."""
    if result.type == "ASK":
        return Answer("ASK", boolean=bool(result.askAnswer))
    if result.type == "CONSTRUCT":
        graph = Graph()
        for triple in result:
            graph.add(triple)  # type: ignore[arg-type]
        return Answer("CONSTRUCT", graph=graph)
    rows = tuple(
        frozenset((str(var), term) for var, term in solution.items() if term is not None)
        for solution in result.bindings
    )
    return Answer("SELECT", tuple(str(v) for v in result.vars or []), rows)


def from_oxigraph(result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples) -> Answer:
    """Turn an Oxigraph result into an Answer."""
    rdflib_term = ToRdflib()
    if isinstance(result, ox.QueryBoolean):
        return Answer("ASK", boolean=bool(result))
    if isinstance(result, ox.QueryTriples):
        graph = Graph()
        for t in result:
            graph.add((rdflib_term(t.subject), rdflib_term(t.predicate), rdflib_term(t.object)))
        return Answer("CONSTRUCT", graph=graph)
    variables = tuple(v.value for v in result.variables)
    rows = tuple(
        frozenset(
            (name, rdflib_term(solution[name])) for name in variables if solution[name] is not None
        )
        for solution in result
    )
    return Answer("SELECT", variables, rows)


def run(engine: str, text: str, dataset: Dataset, store: ox.Store | None = None) -> Answer:
    """Run a query on the dataset with one engine (the default graph is the union)."""
    if engine == "rdflib":
        return from_rdflib(dataset.query(text))
    if store is None:
        store = oxigraph_store(dataset)
    return from_oxigraph(store.query(text, use_default_graph_as_union=True))


def show(rows: Iterable[Row]) -> str:
    return "\n".join(
        "  " + ", ".join(f"?{v}={t.n3()}" for v, t in sorted(row, key=lambda vt: vt[0]))
        for row in rows
    )


# --------------------------------------------------------------------------------------------
# Competency questions
# --------------------------------------------------------------------------------------------

CQ_NAME = re.compile(r"^cq(\d\d)-[a-z0-9]+(-[a-z0-9]+)*\.rq$")
CQ_FILES = sorted(QUERIES.glob("cq*.rq"))
CHECK_FILES = sorted(CHECKS.glob("*.rq"))

#: Competency questions whose answer the data cannot give yet: file stem -> what is missing.
#: Each is a strict xfail, so that fixing the data makes the test fail until the entry goes.
KNOWN_DATA_GAPS: dict[str, str] = {}

#: Checks that the real data does not pass yet: file stem -> why (strict xfails, likewise).
KNOWN_CHECK_FAILURES: dict[str, str] = {}


def expected_path(query: Path) -> Path | None:
    """Return the expected-result file beside a query (.srj, or .ttl for a CONSTRUCT)."""
    for suffix in (".srj", ".ttl"):
        candidate = query.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    return None


def expected_answer(query: Path) -> Answer:
    """Read the hand-written answer beside a query."""
    path = expected_path(query)
    assert path is not None, f"{query.name}: no expected result beside it"
    if path.suffix == ".ttl":
        return Answer("CONSTRUCT", graph=Graph().parse(path, format="turtle"))
    with path.open("rb") as f:
        return from_rdflib(Result.parse(f, format="json"))


def header(query: Path, field: str) -> str | None:
    """Return the text of a ``# Field: ...`` header comment of a query file."""
    match = re.search(rf"^# {re.escape(field)}:\s*(\S.*)$", query.read_text(encoding="utf-8"), re.M)
    return match.group(1) if match else None


def has_order_by(text: str) -> bool:
    """Tell whether a query's algebra orders its solutions."""

    def walk(node: object) -> bool:
        if isinstance(node, dict):
            return getattr(node, "name", None) == "OrderBy" or any(walk(v) for v in node.values())
        if isinstance(node, list | tuple):
            return any(walk(v) for v in node)
        return False

    return walk(prepareQuery(text).algebra)


def params(files: list[Path], known: dict[str, str]) -> list[object]:
    """Parametrise tests over query files and engines, known failures as strict xfails."""
    out: list[object] = []
    for path in files:
        for engine in ENGINES:
            marks = []
            if path.stem in known:
                marks.append(pytest.mark.xfail(reason=known[path.stem], strict=True))
            out.append(pytest.param(path, engine, id=f"{path.stem}-{engine}", marks=marks))
    return out


def test_competency_questions_are_complete() -> None:
    """Every question has a well-formed name, its headers and an expected answer."""
    assert len(CQ_FILES) >= 15, f"only {len(CQ_FILES)} competency questions in {QUERIES}"
    numbers = []
    for query in CQ_FILES:
        match = CQ_NAME.match(query.name)
        assert match, f"{query.name}: name must be cqNN-slug.rq"
        numbers.append(match.group(1))
        assert header(query, "Question"), f"{query.name}: no '# Question: ...' header"
        assert header(query, "Answer (from the article)"), (
            f"{query.name}: no '# Answer (from the article): ...' header"
        )
        assert expected_path(query), f"{query.name}: no expected result (.srj or .ttl) beside it"
    assert len(numbers) == len(set(numbers)), "two competency questions share a number"
    for expected in [*QUERIES.glob("cq*.srj"), *QUERIES.glob("cq*.ttl")]:
        assert expected.with_suffix(".rq").is_file(), f"{expected.name}: no query beside it"


def test_expected_answers_are_not_empty() -> None:
    """No expected answer is empty: an empty answer is what a broken query gives."""
    for query in CQ_FILES:
        path = expected_path(query)
        assert path is not None
        if path.suffix == ".srj":
            document = json.loads(path.read_text(encoding="utf-8"))
            assert "head" in document, f"{path.name}: no head"
            assert ("boolean" in document) != ("results" in document), (
                f"{path.name}: needs exactly one of 'boolean' (ASK) or 'results' (SELECT)"
            )
        answer = expected_answer(query)
        assert answer.kind == "ASK" or answer.rows or answer.graph, f"{path.name} is empty"


@pytest.mark.parametrize(("query", "engine"), params(CQ_FILES, KNOWN_DATA_GAPS))
def test_competency_question(dataset: Dataset, store: ox.Store, query: Path, engine: str) -> None:
    text = query.read_text(encoding="utf-8")
    want = expected_answer(query)
    got = run(engine, text, dataset, store)
    assert got.kind == want.kind, f"{query.name}: a {got.kind} query, a {want.kind} answer"

    if want.kind == "ASK":
        assert got.boolean == want.boolean, f"{query.name}: answers {got.boolean}"
    elif want.kind == "CONSTRUCT":
        assert got.graph is not None
        assert want.graph is not None
        if not isomorphic(got.graph, want.graph):
            missing = to_isomorphic(want.graph) - to_isomorphic(got.graph)
            extra = to_isomorphic(got.graph) - to_isomorphic(want.graph)
            pytest.fail(
                f"{query.name}: the graph differs from the expected one\n"
                f"missing:\n{missing.serialize(format='nt')}\n"
                f"unexpected:\n{extra.serialize(format='nt')}"
            )
    else:
        assert set(got.variables) == set(want.variables), (
            f"{query.name}: projects {got.variables}, expected {want.variables}"
        )
        assert not any(isinstance(t, BNode) for row in got.rows for _, t in row), (
            f"{query.name}: blank nodes in the answer cannot be compared with a hand-written one"
        )
        if Counter(got.rows) != Counter(want.rows):
            missing_rows = Counter(want.rows) - Counter(got.rows)
            extra_rows = Counter(got.rows) - Counter(want.rows)
            pytest.fail(
                f"{query.name}: the answer differs from the expected one\n"
                f"missing:\n{show(missing_rows.elements())}\n"
                f"unexpected:\n{show(extra_rows.elements())}"
            )
        if has_order_by(text):
            assert got.rows == want.rows, (
                f"{query.name}: the right solutions in the wrong order\n{show(got.rows)}"
            )


# --------------------------------------------------------------------------------------------
# Quality checks
# --------------------------------------------------------------------------------------------

PREFIXES = """
@prefix dkg:    <https://w3id.org/diplokg/ontology#> .
@prefix id:     <https://w3id.org/diplokg/id/> .
@prefix g:      <https://w3id.org/diplokg/graph/> .
@prefix f:      <https://w3id.org/diplokg/graph/facts/> .
@prefix foaf:   <http://xmlns.com/foaf/0.1/> .
@prefix oa:     <http://www.w3.org/ns/oa#> .
@prefix owl:    <http://www.w3.org/2002/07/owl#> .
@prefix prov:   <http://www.w3.org/ns/prov#> .
@prefix rdf:    <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs:   <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <https://schema.org/> .
@prefix skos:   <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd:    <http://www.w3.org/2001/XMLSchema#> .
"""

#: An evidencing annotation of ``id:f`` and of its source ``id:src`` (published 2020-01-21,
#: text "Hello world").
EVIDENCE = """
    id:src a dkg:NewsArticle ; rdfs:label "A source"@en ;
        schema:datePublished "2020-01-21"^^xsd:date ; schema:text "Hello world" .
    id:ev a oa:Annotation ; oa:motivatedBy dkg:evidencing ; oa:hasBody id:f , id:src ;
        oa:hasTarget [ oa:hasSource id:src ;
            oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "world" ] ,
                           [ a oa:TextPositionSelector ; oa:start 6 ; oa:end 11 ] ] .
"""

#: A troop contribution change of id:az to id:m, from id:c1 to id:c2 in January 2018.
CHANGE = """
    id:change a dkg:ContributionChange ; rdfs:label "Azerbaijan increases its contribution"@en ;
        dkg:participatingState id:az ; dkg:mission id:m ; dkg:date "2018-01"^^xsd:gYearMonth ;
        dkg:previousContribution id:c1 ; dkg:newContribution id:c2 .
    id:c1 dkg:participatingState id:az ; dkg:mission id:m ;
        dkg:endDate "2018-01"^^xsd:gYearMonth .
    id:c2 dkg:participatingState id:az ; dkg:mission id:m ;
        dkg:startDate "2018-01"^^xsd:gYearMonth .
"""

#: For each check, a small dataset (TriG) that breaks it: the check must return rows on it.
#: f:s is the facts graph of a source ``s``; g:ontology, g:inferred, g:background as in the build.
BROKEN: dict[str, str] = {
    "missing-english-label-violation": """
        f:s { id:x a dkg:State ; rdfs:label "Aserbaidschan"@de . }
    """,
    "multiple-english-labels-violation": """
        f:s { id:x a dkg:State ; rdfs:label "Azerbaijan"@en , "Republic of Azerbaijan"@en . }
    """,
    "duplicate-label-violation": """
        f:s {
            id:a a dkg:Person ; rdfs:label "Hikmat Hajiyev"@en .
            id:b a dkg:Person ; rdfs:label "hikmat hajiyev"@en .
        }
    """,
    "fact-without-evidence-violation": f"""
        g:ontology {{ dkg:Visit rdfs:subClassOf dkg:Fact . }}
        f:s {{ id:v a dkg:Visit . {EVIDENCE} }}
    """,
    "empty-quote-violation": """
        f:s {
            id:ev oa:hasTarget [ oa:hasSource id:src ;
                oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact " " ] ] .
        }
    """,
    "quote-mismatch-violation": """
        f:s {
            id:src schema:text "Hello world" .
            id:ev oa:hasTarget [ oa:hasSource id:src ;
                oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "world" ] ,
                               [ a oa:TextPositionSelector ; oa:start 0 ; oa:end 5 ] ] .
        }
    """,
    "date-after-publication-violation": f"""
        f:s {{ id:f dkg:date "2020-02"^^xsd:gYearMonth . {EVIDENCE} }}
    """,
    "period-ends-before-start-violation": """
        f:s { id:p dkg:startDate "2015-01-01"^^xsd:date ; dkg:endDate "2014"^^xsd:gYear . }
    """,
    "undeclared-dkg-term-violation": """
        g:ontology { dkg:participant a owl:ObjectProperty . }
        f:s { id:talks dkg:partcipant id:x . }
    """,
    "undeclared-external-term-violation": """
        g:ontology { schema:datePublished a owl:DatatypeProperty . }
        f:s { id:src schema:datepublished "2020-01-21"^^xsd:date . }
    """,
    "nothing-member-violation": """
        g:inferred { id:x a owl:Nothing . }
    """,
    "disjoint-classes-violation": """
        g:ontology {
            [] a owl:AllDisjointClasses ; owl:members ( dkg:State dkg:Organisation dkg:Person ) .
        }
        f:s { id:x a dkg:Person . }
        g:inferred { id:x a dkg:Organisation . }
    """,
    "post-holder-not-person-violation": """
        g:ontology { dkg:IntergovernmentalOrganisation rdfs:subClassOf dkg:Organisation . }
        f:s {
            id:nato a dkg:IntergovernmentalOrganisation .
            id:h a dkg:PostHolding ; dkg:holder id:nato .
        }
        g:inferred { id:nato a dkg:Person . }
    """,
    "domain-range-violation": """
        g:ontology {
            dkg:signatory rdfs:domain dkg:Signing ; rdfs:range dkg:Person .
            dkg:Signing rdfs:subClassOf dkg:Event .
        }
        f:s {
            id:signing a dkg:Signing ; dkg:signatory id:president-post .
            id:president-post a dkg:Post .
        }
        g:inferred { id:president-post a dkg:Person . }
    """,
    "functional-property-violation": """
        g:ontology { dkg:date a owl:DatatypeProperty , owl:FunctionalProperty . }
        f:s { id:visit dkg:date "2020-01-20"^^xsd:date , "2020-01-21"^^xsd:date . }
    """,
    "contribution-change-direction-violation": f"""
        f:s {{ {CHANGE}
            id:c1 dkg:personnelCount 120 .
            id:c2 dkg:personnelCount 94 .
        }}
    """,
    "contribution-change-consistency-violation": """
        f:s {
            id:change a dkg:ContributionChange ; dkg:date "2018-01"^^xsd:gYearMonth ;
                dkg:participatingState id:az ; dkg:mission id:m ;
                dkg:previousContribution id:c1 ; dkg:newContribution id:c2 .
            id:c1 dkg:participatingState id:az ; dkg:mission id:m ; dkg:personnelCount 94 ;
                dkg:endDate "2018-01"^^xsd:gYearMonth .
            id:c2 dkg:participatingState id:am ; dkg:mission id:m ; dkg:personnelCount 120 ;
                dkg:startDate "2018-01"^^xsd:gYearMonth .
        }
    """,
    "contribution-components-exceed-total-violation": """
        f:s {
            id:c dkg:personnelCount 120 ; dkg:hasComponent id:officers , id:doctors .
            id:officers dkg:personnelCount 100 .
            id:doctors dkg:personnelCount 21 .
        }
    """,
    "ontology-term-without-label-or-definition-violation": """
        g:ontology {
            dkg:Visit a owl:Class ; rdfs:label "visit"@en .
            dkg:visitor a owl:ObjectProperty ; rdfs:label "visitor"@en ;
                skos:definition "Relates a visit to the agent who makes it."@en .
        }
    """,
    "entity-without-evidence-violation": f"""
        f:s {{
            id:f a dkg:Visit ; rdfs:label "A visit"@en .
            id:nato a dkg:IntergovernmentalOrganisation ; rdfs:label "NATO"@en .
            {EVIDENCE}
        }}
    """,
    "background-without-provenance-violation": """
        g:background {
            id:wikidata-links a dkg:BackgroundSource .
            id:nato schema:sameAs <http://www.wikidata.org/entity/Q7184> .
            id:azerbaijan schema:sameAs <http://www.wikidata.org/entity/Q227> .
            id:link-azerbaijan a dkg:BackgroundStatement ; rdf:subject id:azerbaijan ;
                rdf:predicate schema:sameAs ; rdf:object <http://www.wikidata.org/entity/Q227> ;
                prov:wasDerivedFrom id:wikidata-links ; dkg:verification "two tables agree" .
        }
    """,
    "inferred-noise-violation": """
        g:inferred {
            id:x owl:sameAs id:x .
            id:y a owl:Thing .
            dkg:Visit rdfs:subClassOf dkg:Visit .
        }
    """,
    "inferred-restates-asserted-violation": """
        f:s { id:x a dkg:State . }
        g:inferred { id:x a dkg:State . }
    """,
}


def broken_dataset(trig: str) -> Dataset:
    dataset = Dataset(default_union=True)
    dataset.parse(data=PREFIXES + trig, format="trig")
    return dataset


def test_checks_exist() -> None:
    """A checks folder with no checks must fail, not pass silently."""
    assert CHECKS.is_dir(), f"{CHECKS} is missing"
    assert len(CHECK_FILES) >= 6, f"only {len(CHECK_FILES)} checks in {CHECKS}"
    for check in CHECK_FILES:
        assert check.name.endswith("-violation.rq"), f"{check.name}: must be named *-violation.rq"
        assert header(check, "Violation"), f"{check.name}: no '# Violation: ...' header"
        assert header(check, "Fix"), f"{check.name}: no '# Fix: ...' header"
    assert set(BROKEN) == {c.stem for c in CHECK_FILES}, (
        "every check needs exactly one broken fixture in BROKEN, and every fixture a check"
    )


@pytest.mark.parametrize(("check", "engine"), params(CHECK_FILES, KNOWN_CHECK_FAILURES))
def test_check_passes_on_dataset(
    dataset: Dataset, store: ox.Store, check: Path, engine: str
) -> None:
    found = run(engine, check.read_text(encoding="utf-8"), dataset, store).rows
    assert not found, f"{check.name}: {len(found)} violation(s)\n{show(found[:20])}"


@pytest.mark.parametrize(("check", "engine"), params(CHECK_FILES, {}))
def test_check_catches_broken_data(check: Path, engine: str) -> None:
    assert check.stem in BROKEN, f"{check.name}: no broken fixture to show that it catches anything"
    found = run(engine, check.read_text(encoding="utf-8"), broken_dataset(BROKEN[check.stem])).rows
    assert found, f"{check.name}: finds nothing in data made to break it"
