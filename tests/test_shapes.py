"""SHACL shapes (ontology/shapes/): each rejects its negative fixture; the real data conforms.

Negative fixtures are small Turtle graphs in ``tests/data/shapes/data/`` (for ``data.ttl``) and
``tests/data/shapes/ontology/`` (for ``ontology.ttl``). Each says in its header which shapes must
reject it, and optionally the focus node::

    # expect: shapes:VisitShape-visitor id:visit-no-visitor
    # not: shapes:PeriodOrderShape id:period-order-valid-years

A test per ``expect`` line checks that the report has a result whose ``sh:sourceShape`` is that
shape, with the shape's ``sh:message`` (for a SPARQL constraint, its template) and ``sh:severity``;
a ``not`` line checks that there is none. Every shape of both files must be expected by at least
one fixture, so a new shape without a negative test fails the suite.

Data fixtures are validated together, in one run over the ontology + all fixtures (the shapes do
not depend on the OWL RL closure, so none is computed); each fixture's results are those whose
focus node is one of its nodes, which is sound because every ``id:`` IRI of fixture ``{stem}.ttl``
starts with ``id:{stem}`` (checked below). Ontology fixtures are small ontologies of their own and
are validated one by one. The real data is validated as the build does: ontology + sources + facts +
background + their OWL RL closure (computed once per module), plus each source's ``schema:text``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import owlrl
import pytest
from pyshacl import validate
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Node

ROOT = Path(__file__).resolve().parents[1]
SHAPES_DIR = ROOT / "ontology" / "shapes"
FIXTURES_DIR = Path(__file__).resolve().parent / "data" / "shapes"
ONTOLOGY_FILES = [ROOT / "ontology" / "diplokg.ttl", ROOT / "ontology" / "alignment.ttl"]

SHAPES = Namespace("https://w3id.org/diplokg/shapes#")
ID = Namespace("https://w3id.org/diplokg/id/")
SCHEMA = Namespace("https://schema.org/")
DKG = Namespace("https://w3id.org/diplokg/ontology#")

KINDS = ("data", "ontology")
EXPECT_LINE = re.compile(r"^# (expect|not): (\S+)(?: (\S+))?\s*$")
TEMPLATE_VARIABLE = re.compile(r"\\\{\\[?$]\w+\\\}")


def parse(*paths: Path) -> Graph:
    graph = Graph()
    for path in paths:
        graph.parse(path, format="turtle")
    return graph


def run_shacl(data: Graph, shapes: Graph) -> tuple[bool, Graph, str]:
    """Validate as the build does: no inference by pyshacl, SHACL-AF (SPARQL targets) on."""
    conforms, report, text = validate(data, shacl_graph=shapes, inference="none", advanced=True)
    return bool(conforms), report, str(text)


# --------------------------------------------------------------------------- fixtures files


@dataclass(frozen=True)
class Expectation:
    fixture: Path
    kind: str
    present: bool  # "expect" (True) or "not" (False)
    shape: URIRef
    focus: URIRef | None

    @property
    def id(self) -> str:
        shape = self.shape.removeprefix(str(SHAPES))
        focus = f"@{self.focus.rsplit('/', 1)[-1].rsplit('#', 1)[-1]}" if self.focus else ""
        verb = "" if self.present else "not-"
        return f"{self.kind}/{self.fixture.stem}:{verb}{shape}{focus}"


def fixture_files(kind: str) -> list[Path]:
    return sorted((FIXTURES_DIR / kind).glob("*.ttl"))


def expectations(path: Path, kind: str) -> list[Expectation]:
    graph = parse(path)
    namespaces = graph.namespace_manager
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = EXPECT_LINE.match(line)
        if not match:
            continue
        verb, shape, focus = match.groups()
        assert shape.startswith("shapes:"), f"{path.name}: name the shape as shapes:Name"
        found.append(
            Expectation(
                fixture=path,
                kind=kind,
                present=verb == "expect",
                shape=SHAPES[shape.removeprefix("shapes:")],
                focus=URIRef(namespaces.expand_curie(focus)) if focus else None,
            )
        )
    return found


ALL_EXPECTATIONS = [e for kind in KINDS for f in fixture_files(kind) for e in expectations(f, kind)]


def nodes(graph: Graph) -> set[Node]:
    return {term for triple in graph for term in (triple[0], triple[2])}


# --------------------------------------------------------------------------- reports


@dataclass(frozen=True)
class Result:
    shape: Node
    focus: Node
    severity: Node
    messages: tuple[str, ...]


def results(report: Graph) -> list[Result]:
    """The report's top-level results (not the nested sh:detail of an sh:node constraint)."""
    found = []
    for result in report.objects(None, SH.result):
        found.append(
            Result(
                shape=the_value(report, result, SH.sourceShape),
                focus=the_value(report, result, SH.focusNode),
                severity=the_value(report, result, SH.resultSeverity),
                messages=tuple(str(m) for m in report.objects(result, SH.resultMessage)),
            )
        )
    return found


def the_value(report: Graph, result: Node, prop: URIRef) -> Node:
    """The value every result of pySHACL's report has for this property."""
    value = report.value(result, prop)
    assert value is not None, f"a result without {prop}"
    return value


def message_templates(shapes: Graph, shape: URIRef) -> list[str]:
    """The shape's sh:message, or that of its SPARQL constraints (SHACL 5.3.2)."""
    own = [str(m) for m in shapes.objects(shape, SH.message)]
    if own:
        return own
    return [str(m) for c in shapes.objects(shape, SH.sparql) for m in shapes.objects(c, SH.message)]


def matches(template: str, message: str) -> bool:
    """Does a result message come from this template ({$this}, {?var} filled in)?"""
    pattern = TEMPLATE_VARIABLE.sub(lambda _: ".+?", re.escape(template))
    return re.fullmatch(pattern, message, flags=re.DOTALL) is not None


@pytest.fixture(scope="module")
def shapes_graphs() -> dict[str, Graph]:
    return {kind: parse(SHAPES_DIR / f"{kind}.ttl") for kind in KINDS}


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return parse(*ONTOLOGY_FILES)


@pytest.fixture(scope="module")
def data_fixture_results(
    ontology: Graph, shapes_graphs: dict[str, Graph]
) -> dict[Path, list[Result]]:
    """One validation of the ontology + every data fixture; results grouped by fixture."""
    merged = Graph()
    merged += ontology
    fixture_nodes = {}
    for path in fixture_files("data"):
        graph = parse(path)
        merged += graph
        fixture_nodes[path] = nodes(graph)
    _, report, _ = run_shacl(merged, shapes_graphs["data"])
    found = results(report)
    return {path: [r for r in found if r.focus in own] for path, own in fixture_nodes.items()}


@pytest.fixture(scope="module")
def ontology_fixture_results(shapes_graphs: dict[str, Graph]) -> dict[Path, list[Result]]:
    """Each ontology fixture validated on its own (they share the ontology IRI), once."""
    return {
        path: results(run_shacl(parse(path), shapes_graphs["ontology"])[1])
        for path in fixture_files("ontology")
    }


@pytest.fixture(scope="module")
def real_data() -> Graph:
    """Ontology + sources + facts + background, their OWL RL closure, and each source's text."""
    asserted = parse(
        *ONTOLOGY_FILES,
        *sorted((ROOT / "data" / "sources").glob("*.ttl")),
        *sorted((ROOT / "data" / "facts").glob("*.ttl")),
        *sorted((ROOT / "data" / "background").glob("*.ttl")),
    )
    closure = Graph()
    closure += asserted
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(closure)
    for text_file in sorted((ROOT / "data" / "sources").glob("*.txt")):
        text = text_file.read_text(encoding="utf-8")
        closure.add((ID[text_file.stem], SCHEMA.text, Literal(text)))
    return closure


# --------------------------------------------------------------------------- the shapes themselves


def named_shapes(shapes: Graph) -> Iterator[URIRef]:
    for kind in (SH.NodeShape, SH.PropertyShape):
        for shape in shapes.subjects(RDF.type, kind):
            if isinstance(shape, URIRef):
                yield shape


@pytest.mark.parametrize("kind", KINDS)
def test_every_shape_is_documented(kind: str, shapes_graphs: dict[str, Graph]) -> None:
    """Label, comment, severity and an actionable message on every shape (docs are generated)."""
    shapes = shapes_graphs[kind]
    problems = []
    for shape in sorted(named_shapes(shapes)):
        name = shape.removeprefix(str(SHAPES))
        if not shape.startswith(str(SHAPES)):
            problems.append(f"{shape}: not in the shapes namespace")
        for prop in (RDFS.label, RDFS.comment):
            values = list(shapes.objects(shape, prop))
            if len(values) != 1 or getattr(values[0], "language", None) != "en":
                problems.append(f"{name}: needs exactly one English {shapes.qname(prop)}")
        if shapes.value(shape, SH.severity) not in (SH.Violation, SH.Warning):
            problems.append(f"{name}: needs sh:severity sh:Violation or sh:Warning")
        constraints = list(shapes.objects(shape, SH.sparql))
        own_messages = list(shapes.objects(shape, SH.message))
        if constraints and own_messages:
            problems.append(f"{name}: put sh:message on its sh:SPARQLConstraint only")
        if any(shapes.value(c, SH.message) is None for c in constraints):
            problems.append(f"{name}: a SPARQL constraint without sh:message")
        if not message_templates(shapes, shape):
            problems.append(f"{name}: needs an sh:message")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("kind", KINDS)
def test_shapes_use_only_defined_terms(
    kind: str, shapes_graphs: dict[str, Graph], ontology: Graph
) -> None:
    """A misspelt sh: or dkg: term would make a constraint or target silently vacuous."""
    terms = {t for triple in shapes_graphs[kind] for t in triple if isinstance(t, URIRef)}
    not_shacl = sorted(str(t) for t in terms if t.startswith(str(SH)) and t not in SH)
    assert not not_shacl, f"not SHACL terms: {not_shacl}"
    declared = set(ontology.subjects(RDF.type, None))
    not_dkg = sorted(str(t) for t in terms if t.startswith(str(DKG)) and t not in declared)
    assert not not_dkg, f"not declared in ontology/diplokg.ttl: {not_dkg}"


@pytest.mark.parametrize("kind", KINDS)
def test_every_shape_has_a_negative_fixture(kind: str, shapes_graphs: dict[str, Graph]) -> None:
    shapes = set(named_shapes(shapes_graphs[kind]))
    expected = {e.shape for e in ALL_EXPECTATIONS if e.kind == kind and e.present}
    assert fixture_files(kind), f"no fixtures in {FIXTURES_DIR / kind}"
    missing = sorted(s.removeprefix(str(SHAPES)) for s in shapes - expected)
    assert not missing, f"shapes without a negative fixture in tests/data/shapes/{kind}/: {missing}"
    unknown = sorted(s.removeprefix(str(SHAPES)) for s in expected - shapes)
    assert not unknown, f"fixtures expect shapes that {kind}.ttl does not define: {unknown}"


@pytest.mark.parametrize("path", fixture_files("data"), ids=lambda p: p.stem)
def test_data_fixture_iris_are_its_own(path: Path) -> None:
    """Data fixtures are validated together, so each keeps to IRIs id:{its stem}…"""
    own = str(ID[path.stem])
    strangers = sorted(
        str(n)
        for n in nodes(parse(path))
        if str(n).startswith(str(ID)) and not str(n).startswith(own)
    )
    assert not strangers, (
        f"{path.name} uses IRIs that do not start with id:{path.stem}: {strangers}"
    )


def test_every_class_used_in_the_data_has_a_shape(
    ontology: Graph, shapes_graphs: dict[str, Graph]
) -> None:
    data = parse(
        *sorted((ROOT / "data").glob("*/*.ttl")),
    )
    targeted = set(shapes_graphs["data"].objects(None, SH.targetClass))
    classes = set()
    for cls in data.objects(None, RDF.type):
        assert isinstance(cls, URIRef), f"a class used in data/ that is not an IRI: {cls}"
        classes.add(cls)
    untargeted = []
    for cls in sorted(classes):
        ancestors = set(ontology.transitive_objects(cls, RDFS.subClassOf))
        if not ancestors & targeted:
            untargeted.append(cls)
    assert not untargeted, f"classes used in data/ that no shape targets: {untargeted}"


# --------------------------------------------------------------------------- negative fixtures


def check(expectation: Expectation, found: list[Result], shapes: Graph) -> None:
    candidates = [
        r
        for r in found
        if r.shape == expectation.shape
        and (expectation.focus is None or r.focus == expectation.focus)
    ]
    where = f"{expectation.fixture.name}" + (
        f" at {expectation.focus}" if expectation.focus else ""
    )
    if not expectation.present:
        assert not candidates, f"{expectation.shape} should accept {where}: {candidates}"
        return
    assert candidates, (
        f"{expectation.shape} did not reject {where}; the fixture's results come from "
        f"{sorted({str(r.shape) for r in found})}"
    )
    severity = shapes.value(expectation.shape, SH.severity)
    templates = message_templates(shapes, expectation.shape)
    assert any(
        r.severity == severity and any(matches(t, m) for t in templates for m in r.messages)
        for r in candidates
    ), f"{expectation.shape} rejected {where} but not with its message and severity: {candidates}"


@pytest.mark.parametrize(
    "expectation", [e for e in ALL_EXPECTATIONS if e.kind == "data"], ids=lambda e: e.id
)
def test_data_shape_rejects_its_fixture(
    expectation: Expectation,
    data_fixture_results: dict[Path, list[Result]],
    shapes_graphs: dict[str, Graph],
) -> None:
    check(expectation, data_fixture_results[expectation.fixture], shapes_graphs["data"])


@pytest.mark.parametrize(
    "expectation", [e for e in ALL_EXPECTATIONS if e.kind == "ontology"], ids=lambda e: e.id
)
def test_ontology_shape_rejects_its_fixture(
    expectation: Expectation,
    ontology_fixture_results: dict[Path, list[Result]],
    shapes_graphs: dict[str, Graph],
) -> None:
    check(expectation, ontology_fixture_results[expectation.fixture], shapes_graphs["ontology"])


# --------------------------------------------------------------------------- the real thing


def test_real_data_conforms(real_data: Graph, shapes_graphs: dict[str, Graph]) -> None:
    conforms, report, text = run_shacl(real_data, shapes_graphs["data"])
    assert not results(report), text  # no violation, and no warning either
    assert conforms


def test_quotes_are_checked_against_the_source_text(real_data: Graph) -> None:
    """shapes:QuoteMatchesTextShape is not vacuous on the real data: every source has its text."""
    sources = set(real_data.subjects(RDF.type, DKG.NewsArticle))
    assert sources
    assert sources <= set(real_data.subjects(SCHEMA.text, None))


def test_ontology_conforms(ontology: Graph, shapes_graphs: dict[str, Graph]) -> None:
    conforms, report, text = run_shacl(ontology, shapes_graphs["ontology"])
    assert not results(report), text
    assert conforms
