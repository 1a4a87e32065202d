"""Provenance: every evidence quote must be found, exactly, where it says it is.

Evidence follows the Web Annotation model (https://www.w3.org/TR/annotation-model/):
an ``oa:Annotation`` has the fact(s) as ``oa:hasBody`` and a target
``oa:SpecificResource`` on a source (``oa:hasSource``) with a ``TextQuoteSelector``
(https://www.w3.org/TR/annotation-model/#text-quote-selector, ``oa:exact``) and a
``TextPositionSelector`` (https://www.w3.org/TR/annotation-model/#text-position-selector,
``oa:start``/``oa:end``). Offsets count Unicode code points, end exclusive, so
``text[start:end] == exact`` must hold. Every problem is collected, not only the first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from diplokg.errors import ProvenanceError
from diplokg.loading import Project
from diplokg.namespaces import OA, RDF, shorten


@dataclass(frozen=True)
class Evidence:
    """One verified evidence quote.

    Attributes:
        annotation: The ``oa:Annotation``.
        bodies: Its bodies (the facts and entities it is evidence for), sorted.
        source: The source IRI.
        start: Offset of the first code point of the quote.
        end: Offset just past the quote.
        exact: The quote.
    """

    annotation: Node
    bodies: tuple[Node, ...]
    source: URIRef
    start: int
    end: int
    exact: str


@dataclass
class EvidenceReport:
    """What :func:`check_evidence` found in one graph.

    Attributes:
        evidence: The quotes that check out.
        problems: One readable message per problem.
    """

    evidence: list[Evidence] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _show(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _int(graph: Graph, node: Node, prop: URIRef) -> int | None:
    value = graph.value(node, prop)
    if isinstance(value, Literal):
        py = value.toPython()
        if isinstance(py, int) and not isinstance(py, bool):
            return py
    return None


def suggest_offsets(text: str, exact: str) -> list[tuple[int, int]]:
    """Find every place a quote occurs in a text.

    Args:
        text: The source text.
        exact: The quote.

    Returns:
        ``(start, end)`` code-point offsets of each occurrence, in order.
    """
    found: list[tuple[int, int]] = []
    if not exact:
        return found
    i = text.find(exact)
    while i >= 0:
        found.append((i, i + len(exact)))
        i = text.find(exact, i + 1)
    return found


def check_evidence(graph: Graph, texts: dict[URIRef, str], base: str) -> EvidenceReport:
    """Check every annotation of a graph against the source texts.

    An annotation is anything typed ``oa:Annotation`` or having an ``oa:hasTarget``.
    It needs at least one ``oa:hasBody`` and one target; each target needs exactly
    one ``oa:hasSource`` that is a known source, one ``oa:TextQuoteSelector`` with
    one ``oa:exact`` and one ``oa:TextPositionSelector`` with integer ``oa:start``
    and ``oa:end``, ``0 <= start <= end <= len(text)`` and
    ``text[start:end] == exact``. If the quote selector has ``oa:prefix`` or
    ``oa:suffix``, they must match the text just before and after.

    Args:
        graph: The graph holding the annotations (facts or background).
        texts: Source IRI → full text.
        base: The dataset namespace, used to write IRIs compactly.

    Returns:
        The verified evidence and the problems, in a stable order.
    """
    report = EvidenceReport()
    annotations = set(graph.subjects(RDF.type, OA.Annotation))
    annotations |= set(graph.subjects(OA.hasTarget, None))
    for ann in sorted(annotations, key=str):
        bodies = tuple(sorted(graph.objects(ann, OA.hasBody), key=str))
        name = shorten(ann, base)
        if bodies:
            name += " (evidence for " + ", ".join(shorten(b, base) for b in bodies) + ")"
        else:
            report.problems.append(f"{name}: the annotation has no oa:hasBody (no fact)")
        targets = sorted(graph.objects(ann, OA.hasTarget), key=str)
        if not targets:
            report.problems.append(f"{name}: the annotation has no oa:hasTarget")
        for target in targets:
            checked = _check_target(graph, texts, base, target)
            if isinstance(checked, str):
                report.problems.append(f"{name}: {checked}")
            else:
                report.evidence.append(Evidence(ann, bodies, *checked))
    return report


def _selectors(graph: Graph, target: Node, kind: URIRef, key: URIRef) -> list[Node]:
    found = set()
    for sel in graph.objects(target, OA.hasSelector):
        if (sel, RDF.type, kind) in graph or (sel, key, None) in graph:
            found.add(sel)
    return sorted(found, key=str)


def _check_target(
    graph: Graph, texts: dict[URIRef, str], base: str, target: Node
) -> tuple[URIRef, int, int, str] | str:
    """Check one target: return (source, start, end, exact), or the problem."""
    sources = sorted(graph.objects(target, OA.hasSource), key=str)
    if len(sources) != 1:
        return f"the target must have exactly one oa:hasSource, has {len(sources)}"
    source = sources[0]
    if not isinstance(source, URIRef) or source not in texts:
        known = ", ".join(shorten(s, base) for s in sorted(texts))
        return f"unknown source {shorten(source, base)} (known: {known})"
    text = texts[source]
    quotes = _selectors(graph, target, OA.TextQuoteSelector, OA.exact)
    positions = _selectors(graph, target, OA.TextPositionSelector, OA.start)
    if len(quotes) != 1 or len(positions) != 1:
        return (
            "the target needs one oa:TextQuoteSelector and one oa:TextPositionSelector,"
            f" has {len(quotes)} and {len(positions)}"
        )
    quote, position = quotes[0], positions[0]
    exacts = list(graph.objects(quote, OA.exact))
    if len(exacts) != 1 or not isinstance(exacts[0], Literal):
        return "the TextQuoteSelector needs exactly one oa:exact literal"
    exact = str(exacts[0])
    start, end = _int(graph, position, OA.start), _int(graph, position, OA.end)
    if start is None or end is None:
        return "the TextPositionSelector needs integer oa:start and oa:end"
    where = f"in {shorten(source, base)} at oa:start {start}, oa:end {end}"
    if not 0 <= start <= end <= len(text):
        return f"offsets out of range {where}: need 0 <= start <= end <= {len(text)}" + _suggestion(
            text, exact
        )
    found = text[start:end]
    if found != exact:
        return (
            f"the quote does not match the source text {where}\n"
            f"    quote (oa:exact):   {_show(exact)}\n"
            f"    text at [{start}, {end}): {_show(found)}" + _suggestion(text, exact)
        )
    for prop, label in ((OA.prefix, "oa:prefix"), (OA.suffix, "oa:suffix")):
        affix = graph.value(quote, prop)
        if affix is None:
            continue
        a = str(affix)
        before = prop == OA.prefix
        actual = text[max(0, start - len(a)) : start] if before else text[end : end + len(a)]
        if actual != a:
            return (
                f"{label} does not match the text {'before' if before else 'after'} the quote"
                f" {where}\n    {label}: {_show(a)}\n    text:      {_show(actual)}"
            )
    return source, start, end, exact


def _suggestion(text: str, exact: str) -> str:
    hits = suggest_offsets(text, exact)
    if not hits:
        return "\n    the quote does not occur anywhere in the source"
    spots = "; ".join(f"oa:start {s} ; oa:end {e}" for s, e in hits[:5])
    return f"\n    the quote occurs at: {spots}"


def check_provenance(project: Project) -> list[Evidence]:
    """Check every evidence annotation of the facts and background graphs.

    Args:
        project: The loaded project.

    Returns:
        All verified evidence, graph by graph.

    Raises:
        ProvenanceError: Listing every problem, each naming the annotation, its
            facts, the graph and (for a mismatch) both texts and better offsets.
    """
    texts = project.source_texts()
    evidence: list[Evidence] = []
    problems: list[str] = []
    for name in project.data_graph_names():
        report = check_evidence(project.graphs[name], texts, project.base)
        evidence += report.evidence
        problems += [f"graph/{name}: {p}" for p in report.problems]
    if problems:
        raise ProvenanceError(problems)
    return evidence
