"""Validation: the data and the ontology against their SHACL shapes.

Implements the project's use of SHACL (https://www.w3.org/TR/shacl/): the union of
ontology + facts + background + inferred triples is validated against
``ontology/shapes/data.ttl``, and the ontology graph alone against
``ontology/shapes/ontology.ttl`` (hygiene). No inference is run by pySHACL
(``inference='none'``): the OWL 2 RL inferences are already in the data graph.
SHACL Advanced Features are on (``advanced=True``), and SHACL-SPARQL constraints
(https://www.w3.org/TR/shacl/#sparql-constraints) work as well.

Two engines give the same results: ``oxigraph`` (the default,
:mod:`diplokg.shacl`: shapes evaluated set at a time over an Oxigraph store, seconds
at a million triples) and ``pyshacl`` (the reference, one focus node at a time).
Shapes that use a construct :mod:`diplokg.shacl` does not implement
(:func:`diplokg.shacl.unsupported_constructs`) are validated with pySHACL whatever the
engine, and the report says so (:attr:`ShaclReport.engines`).

Results are grouped by severity (https://www.w3.org/TR/shacl/#severity):
``sh:Violation`` fails the build, ``sh:Warning`` and ``sh:Info`` are reported.
The two reports are merged into one ``sh:ValidationReport`` whose ``sh:conforms``
follows the standard (true only with no result at all).

When sources are only added to a project, a build can bring the previous validation
up to date instead of validating again (:func:`validate_project_incremental`, with
the state :func:`validate_project` keeps): the data's results through
:func:`diplokg.shacl.validate_incremental`, the ontology's (unchanged) from the state.
"""

from __future__ import annotations

import base64
import json
import typing
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import pyoxigraph as ox
from pyparsing import ParseBaseException
from pyshacl import validate
from pyshacl.errors import ReportableRuntimeError
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from diplokg.errors import InputError, ValidationFailed
from diplokg.namespaces import RDF, SH, shorten
from diplokg.shacl import NotIncrementalShacl as NotIncrementalShacl  # for the build
from diplokg.shacl import (
    ShaclError,
    graph_digest,
    graph_from_store,
    unsupported_constructs,
    validate_incremental,
    validate_keeping_state,
)
from diplokg.shacl import validate as validate_with_oxigraph
from diplokg.skolem import blank_node_labels

SEVERITIES = ("Violation", "Warning", "Info")
ENGINES = ("oxigraph", "pyshacl")


@dataclass(frozen=True)
class ShaclResult:
    """One SHACL validation result.

    Attributes:
        graph: Which validation produced it: ``data`` or ``ontology``.
        severity: ``Violation``, ``Warning`` or ``Info``.
        focus: The focus node.
        path: The result path, if any.
        value: The offending value, if any.
        message: The result messages, joined.
        shape: The source shape.
        component: The constraint component.
        shape_name: The shape for a person: its IRI, or for a blank property shape
            the node shape holding it and its path.
    """

    graph: str
    severity: str
    focus: Node | None
    path: Node | None
    value: Node | None
    message: str
    shape: Node | None
    component: Node | None
    shape_name: str = "-"


@dataclass
class ShaclReport:
    """The merged outcome of the data and ontology validations.

    Attributes:
        results: Every result, sorted by graph, severity and focus node.
        graph: The merged report graph (``sh:ValidationReport``), blank nodes kept.
        engines: Which engine validated each graph (``data``, ``ontology``), with the
            reason when pySHACL stood in for the Oxigraph engine.
    """

    results: list[ShaclResult] = field(default_factory=list)
    graph: Graph = field(default_factory=Graph)
    engines: dict[str, str] = field(default_factory=dict)

    def by_severity(self, severity: str) -> list[ShaclResult]:
        """Return the results of one severity (``Violation``, ``Warning``, ``Info``)."""
        return [r for r in self.results if r.severity == severity]

    @property
    def conforms(self) -> bool:
        """True when there is no violation (warnings and infos do not fail)."""
        return not self.by_severity("Violation")


def _severity(node: Node | None) -> str:
    for name in SEVERITIES:
        if node == SH[name]:
            return name
    return "Violation"  # a custom severity is treated as the strictest


def _shape_name(shape: Node | None, shapes: Graph, base: str) -> str:
    if not isinstance(shape, BNode):
        return _term(shape, base)
    parent = shapes.value(None, SH.property, shape)
    path = shapes.value(shape, SH.path)
    where = f" (property shape on {_term(path, base)})" if path is not None else ""
    return (_term(parent, base) if parent is not None else "a blank-node shape") + where


def _check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise InputError(f"unknown SHACL engine {engine!r}: use one of {', '.join(ENGINES)}")


def _pyshacl_report(data: Graph, shapes: Graph, label: str) -> Graph:
    try:
        _conforms, report, _text = validate(
            data, shacl_graph=shapes, inference="none", advanced=True, inplace=False
        )
    except ReportableRuntimeError as e:
        raise InputError(f"SHACL shapes for the {label} cannot be used: {e}") from None
    except ParseBaseException as e:  # a SHACL-SPARQL query that does not parse
        raise InputError(
            f"SHACL shapes for the {label} cannot be used: malformed SPARQL: {e}"
        ) from None
    if not isinstance(report, Graph):  # pySHACL returns a ValidationFailure for bad shapes
        raise InputError(f"SHACL shapes for the {label} cannot be used: {report}")
    return report


def engine_for(shapes: Graph, engine: str) -> str:
    """Say which engine will validate against a shapes graph.

    Args:
        shapes: The shapes graph.
        engine: The engine asked for (``oxigraph`` or ``pyshacl``).

    Returns:
        ``oxigraph``, ``pyshacl``, or ``pyshacl (…)`` naming the constructs the
        Oxigraph engine does not implement.

    Raises:
        InputError: An unknown engine.
    """
    _check_engine(engine)
    if engine == "oxigraph":
        unsupported = unsupported_constructs(shapes)
        if unsupported:
            return "pyshacl (the oxigraph engine does not implement " + ", ".join(unsupported) + ")"
    return engine


def validate_graph(
    data: Graph | ox.Store,
    shapes: Graph,
    label: str,
    base: str = "",
    engine: str = "oxigraph",
) -> tuple[Graph, list[ShaclResult]]:
    """Validate one graph against one shapes graph.

    Args:
        data: The data (not modified): an rdflib graph, or a store whose named graphs'
            union is the data.
        shapes: The shapes graph.
        label: A name for the results (``data`` or ``ontology``).
        base: The dataset namespace, used to name shapes compactly.
        engine: ``oxigraph`` or ``pyshacl`` (see :func:`engine_for`).

    Returns:
        The report graph and its results.

    Raises:
        InputError: An unknown engine, or the shapes cannot be used (e.g. a malformed
            SHACL-SPARQL query).
    """
    if engine_for(shapes, engine) == "oxigraph":
        try:
            _conforms, report = validate_with_oxigraph(data, shapes)
        except ShaclError as e:
            raise InputError(f"SHACL shapes for the {label} cannot be used: {e}") from None
    else:
        graph = graph_from_store(data) if isinstance(data, ox.Store) else data
        report = _pyshacl_report(graph, shapes, label)
    return report, _results(report, shapes, label, base)


def _results(report: Graph, shapes: Graph, label: str, base: str) -> list[ShaclResult]:
    """The results of a report graph."""
    results = []
    for r in report.objects(None, SH.result):
        messages = sorted(str(m) for m in report.objects(r, SH.resultMessage))
        results.append(
            ShaclResult(
                graph=label,
                severity=_severity(report.value(r, SH.resultSeverity)),
                focus=report.value(r, SH.focusNode),
                path=report.value(r, SH.resultPath),
                value=report.value(r, SH.value),
                message=" / ".join(messages),
                shape=report.value(r, SH.sourceShape),
                component=report.value(r, SH.sourceConstraintComponent),
                shape_name=_shape_name(report.value(r, SH.sourceShape), shapes, base),
            )
        )
    return results


def _merge_reports(reports: list[Graph], conforms: bool) -> Graph:
    merged = Graph(bind_namespaces="none")
    node = BNode()
    merged.add((node, RDF.type, SH.ValidationReport))
    merged.add((node, SH.conforms, Literal(conforms)))
    for report in reports:
        roots = set(report.subjects(RDF.type, SH.ValidationReport))
        for s, p, o in report:
            if s not in roots:
                merged.add((s, p, o))
            elif p == SH.result:
                merged.add((node, p, o))
    return merged


@overload
def validate_project(
    data: Graph | ox.Store,
    data_shapes: Graph,
    ontology: Graph,
    ontology_shapes: Graph,
    base: str = "",
    engine: str = "oxigraph",
    keep_state: typing.Literal[False] = False,
) -> ShaclReport: ...


@overload
def validate_project(
    data: Graph | ox.Store,
    data_shapes: Graph,
    ontology: Graph,
    ontology_shapes: Graph,
    base: str = "",
    engine: str = "oxigraph",
    *,
    keep_state: typing.Literal[True],
) -> tuple[ShaclReport, bytes | None]: ...


def validate_project(
    data: Graph | ox.Store,
    data_shapes: Graph,
    ontology: Graph,
    ontology_shapes: Graph,
    base: str = "",
    engine: str = "oxigraph",
    keep_state: bool = False,
) -> ShaclReport | tuple[ShaclReport, bytes | None]:
    """Validate the data and the ontology; do not fail, just report.

    Args:
        data: Ontology + facts + background + inferred triples: an rdflib graph, or a
            store holding them in named graphs (their union is validated).
        data_shapes: ``ontology/shapes/data.ttl``.
        ontology: The ontology graph.
        ontology_shapes: ``ontology/shapes/ontology.ttl``.
        base: The dataset namespace, used to name shapes compactly.
        engine: ``oxigraph`` (default) or ``pyshacl`` (the reference), for both.
        keep_state: Also return the state :func:`validate_project_incremental` reads.

    Returns:
        The merged report; with ``keep_state``, the report and the state (None when
        the data is validated with pySHACL, which keeps none).

    Raises:
        InputError: An unknown engine, or the shapes cannot be used.
    """
    engines = {
        "data": engine_for(data_shapes, engine),
        "ontology": engine_for(ontology_shapes, engine),
    }
    data_state: bytes | None = None
    if keep_state and engines["data"] == "oxigraph":
        try:
            _conforms, data_report, data_state = validate_keeping_state(data, data_shapes)
        except ShaclError as e:
            raise InputError(f"SHACL shapes for the data cannot be used: {e}") from None
        data_results = _results(data_report, data_shapes, "data", base)
    else:
        data_report, data_results = validate_graph(data, data_shapes, "data", base, engine)
    onto_report, onto_results = validate_graph(ontology, ontology_shapes, "ontology", base, engine)
    report = _combine(data_report, data_results, onto_report, onto_results, engines)
    if not keep_state:
        return report
    if data_state is None:
        return report, None
    ontology_part = {
        "engine": engines["ontology"],
        "ontology": graph_digest(ontology),
        "shapes": graph_digest(ontology_shapes),
        "report": _write_report(onto_report, ontology_shapes),
    }
    return report, _write_state(data_state, ontology_part)


def _combine(
    data_report: Graph,
    data_results: list[ShaclResult],
    onto_report: Graph,
    onto_results: list[ShaclResult],
    engines: dict[str, str],
) -> ShaclReport:
    """The merged report of the data's and the ontology's validations."""
    results = data_results + onto_results
    order = {s: i for i, s in enumerate(SEVERITIES)}
    results.sort(
        key=lambda r: (
            r.graph,
            order[r.severity],
            str(r.focus),
            str(r.path),
            str(r.shape),
            r.message,
        )
    )
    merged = _merge_reports([data_report, onto_report], not results)
    return ShaclReport(results, merged, engines)


STATE_FORMAT = "diplokg-validation-state"
STATE_VERSION = 1
_SHAPE = "urn:x-diplokg:shape:"  # a blank node of the shapes graph, by its label


def _write_state(data_state: bytes, ontology_part: dict[str, Any]) -> bytes:
    """The state: zlib-compressed JSON of the data's SHACL state and the ontology's report."""
    state = {
        "format": STATE_FORMAT,
        "version": STATE_VERSION,
        "data": base64.b64encode(data_state).decode("ascii"),
        "ontology": ontology_part,
    }
    return zlib.compress(json.dumps(state, separators=(",", ":")).encode("utf-8"))


def _read_state(state: bytes) -> dict[str, Any]:
    """The state :func:`_write_state` wrote, if it is of this format and version."""
    try:
        found = json.loads(zlib.decompress(state).decode("utf-8"))
    except (zlib.error, UnicodeDecodeError, json.JSONDecodeError):
        raise NotIncrementalShacl("the previous validation state cannot be read") from None
    if not isinstance(found, dict) or (found.get("format"), found.get("version")) != (
        STATE_FORMAT,
        STATE_VERSION,
    ):
        raise NotIncrementalShacl("the previous validation state is of another version")
    return found


def _write_report(report: Graph, shapes: Graph) -> str:
    """A report graph as N-Triples, the shapes graph's blank nodes named by their labels."""
    labels = blank_node_labels(shapes)

    def named(t: Node) -> Node:
        return URIRef(_SHAPE + labels[t]) if isinstance(t, BNode) and t in labels else t

    out = Graph(bind_namespaces="none")
    for s, p, o in report:
        out.add((named(s), p, named(o)))
    return out.serialize(format="nt")


def _read_report(text: str, shapes: Graph) -> Graph:
    """A report graph :func:`_write_report` wrote, with the shapes graph's blank nodes."""
    nodes: dict[str, Node] = {
        _SHAPE + label: node for node, label in blank_node_labels(shapes).items()
    }
    report = Graph(bind_namespaces="none")
    for s, p, o in Graph().parse(data=text, format="nt"):
        report.add((nodes.get(str(s), s), p, nodes.get(str(o), o)))
    return report


def validate_project_incremental(
    store: ox.Store,
    data_shapes: Graph,
    ontology: Graph,
    ontology_shapes: Graph,
    base: str,
    previous: bytes,
    added: Sequence[ox.Triple | ox.Quad],
    engine: str = "oxigraph",
) -> tuple[ShaclReport, bytes]:
    """Bring the previous validation up to date after triples were only added to the data.

    Gives what :func:`validate_project` would: the data's results through
    :func:`diplokg.shacl.validate_incremental`, the ontology's (which the additions do
    not change) from the state.

    Args:
        store: The data (its named graphs' union), the additions included.
        data_shapes: ``ontology/shapes/data.ttl``, as for the previous validation.
        ontology: The ontology graph, unchanged since the previous validation.
        ontology_shapes: ``ontology/shapes/ontology.ttl``, unchanged.
        base: The dataset namespace, used to name shapes compactly.
        previous: The state of the previous validation.
        added: The triples new to the union of the store's graphs.
        engine: ``oxigraph`` (default) or ``pyshacl``.

    Returns:
        The merged report and the new state.

    Raises:
        NotIncrementalShacl: A full validation is needed: the data is validated with
            pySHACL, or the state is not of these shapes, ontology and version.
        InputError: An unknown engine, or the shapes cannot be used.
    """
    engines = {
        "data": engine_for(data_shapes, engine),
        "ontology": engine_for(ontology_shapes, engine),
    }
    if engines["data"] != "oxigraph":
        raise NotIncrementalShacl(f"the data is validated with {engines['data']}")
    state = _read_state(previous)
    ontology_part = state["ontology"]
    now = {
        "engine": engines["ontology"],
        "ontology": graph_digest(ontology),
        "shapes": graph_digest(ontology_shapes),
    }
    if any(ontology_part.get(k) != v for k, v in now.items()):
        raise NotIncrementalShacl("the ontology, its shapes or their engine changed")
    try:
        _conforms, data_report, data_state = validate_incremental(
            store, data_shapes, base64.b64decode(state["data"]), added
        )
    except ShaclError as e:
        raise InputError(f"SHACL shapes for the data cannot be used: {e}") from None
    data_results = _results(data_report, data_shapes, "data", base)
    onto_report = _read_report(ontology_part["report"], ontology_shapes)
    onto_results = _results(onto_report, ontology_shapes, "ontology", base)
    report = _combine(data_report, data_results, onto_report, onto_results, engines)
    return report, _write_state(data_state, ontology_part)


def _term(term: Node | None, base: str) -> str:
    if term is None:
        return "-"
    if isinstance(term, BNode):
        return "[blank node]"
    if isinstance(term, URIRef | Literal):
        return shorten(term, base)
    return str(term)


def format_report(report: ShaclReport, base: str) -> str:
    """Write a report for a person, grouped by severity.

    Args:
        report: The report.
        base: The dataset namespace, used to write IRIs compactly.

    Returns:
        Text: a summary line, then each severity's results with focus node, path,
        value, message and shape.
    """
    counts = {s: len(report.by_severity(s)) for s in SEVERITIES}
    lines = [
        "SHACL validation: "
        + ", ".join(
            f"{n} {s.lower()}{'s' if n != 1 and s != 'Info' else ''}" for s, n in counts.items()
        )
    ]
    for severity in SEVERITIES:
        results = report.by_severity(severity)
        if not results:
            continue
        lines.append(f"{severity} ({len(results)}):")
        for r in results:
            component = _term(r.component, base).removeprefix("sh:")
            lines += [
                f"  - [{r.graph}] {r.message or component}",
                f"      focus node: {_term(r.focus, base)}",
                f"      path:       {_term(r.path, base)}",
                f"      value:      {_term(r.value, base)}",
                f"      shape:      {r.shape_name} ({component})",
            ]
    return "\n".join(lines)


def check_report(report: ShaclReport, base: str) -> None:
    """Fail on violations.

    Args:
        report: The merged report.
        base: The dataset namespace.

    Raises:
        ValidationFailed: There is at least one ``sh:Violation``; the message is the
            whole readable report.
    """
    if not report.conforms:
        problems = [
            f"[{r.graph}] {_term(r.focus, base)}: {r.message}"
            for r in report.by_severity("Violation")
        ]
        raise ValidationFailed(problems, format_report(report, base))
