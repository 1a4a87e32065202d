"""SHACL shapes in words: what each shape of the shapes graph requires.

Reads node and property shapes (https://www.w3.org/TR/shacl/#shapes) and writes
their targets, property paths (https://www.w3.org/TR/shacl/#property-paths) and
core constraint components (https://www.w3.org/TR/shacl/#core-components) as
phrases, with the shapes' own ``rdfs:label``, ``rdfs:comment`` and ``sh:message``.
Anonymous shapes nested in ``sh:node``, ``sh:or``… are described inline; SHACL-SPARQL
constraints are shown with their message and query.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from diplokg.namespaces import RDF, RDFS, SH, project_namespaces
from diplokg.web import rdfview


def first_literal(g: Graph, s: Node, props: tuple[URIRef, ...]) -> Literal | None:
    """The first literal of ``s`` found on ``props`` in order, English or untagged first."""
    for p in props:
        found = sorted(
            (o for o in g.objects(s, p) if isinstance(o, Literal)),
            key=lambda o: (o.language not in (None, "en"), str(o)),
        )
        if found:
            return found[0]
    return None


def path_words(g: Graph, path: Node) -> str:
    """A SHACL property path in words (https://www.w3.org/TR/shacl/#property-paths)."""
    if isinstance(path, URIRef) and rdfview.settings().base + ".well-known/" not in path:
        return rdfview.display(path)
    inverse = g.value(path, SH.inversePath)
    if inverse is not None:
        return f"^{path_words(g, inverse)} (inverse)"
    alternative = g.value(path, SH.alternativePath)
    if alternative is not None:
        return " | ".join(path_words(g, p) for p in Collection(g, alternative))
    for key, mark in ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?")):
        inner = g.value(path, key)
        if inner is not None:
            return f"({path_words(g, inner)}){mark}"
    if g.value(path, RDF.first) is not None:
        return " / ".join(path_words(g, p) for p in Collection(g, path))
    return rdfview.display(path)


def _anonymous(node: Node) -> bool:
    return not isinstance(node, URIRef) or "/.well-known/genid/" in node


def shape_words(g: Graph, shape: Node, depth: int = 0) -> str:
    """A shape used inside another (``sh:node``, ``sh:or``…): its name, or its constraints."""
    if not _anonymous(shape) or depth > 3:
        return "shape " + rdfview.display(shape)
    parts = constraint_words(g, shape, depth + 1)
    own_path = g.value(shape, SH.path)
    if own_path is not None:
        parts = [f"{path_words(g, own_path)} with {', '.join(parts) if parts else 'any value'}"]
    for ps in sorted(g.objects(shape, SH.property), key=str):
        path = g.value(ps, SH.path)
        words = constraint_words(g, ps, depth + 1)
        where = path_words(g, path) if path is not None else "(no path)"
        parts.append(f"{where} with {', '.join(words) if words else 'any value'}")
    return "(" + "; ".join(parts) + ")" if parts else "(any node)"


def constraint_words(g: Graph, node: Node, depth: int = 0) -> list[str]:
    """The constraints of a shape (node or property) as phrases about its values."""
    words = []
    lo, hi = g.value(node, SH.minCount), g.value(node, SH.maxCount)
    if lo is not None and hi is not None:
        words.append(f"exactly {lo} value" if lo == hi else f"between {lo} and {hi} values")
    elif lo is not None:
        words.append(f"at least {lo} value{'s' if str(lo) != '1' else ''}")
    elif hi is not None:
        words.append(f"at most {hi} value{'s' if str(hi) != '1' else ''}")
    simple = {
        SH.datatype: "values of datatype {}",
        SH["class"]: "values that are instances of {}",
        SH.nodeKind: "values of node kind {}",
        SH.hasValue: "the value {} among the values",
        SH.minInclusive: "values \u2265 {}",
        SH.maxInclusive: "values \u2264 {}",
        SH.minExclusive: "values > {}",
        SH.maxExclusive: "values < {}",
        SH.minLength: "values at least {} characters long",
        SH.maxLength: "values at most {} characters long",
        SH.pattern: "values matching the regular expression {}",
        SH.languageIn: "language tags in {}",
        SH.equals: "the same values as {}",
        SH.disjoint: "no value in common with {}",
        SH.lessThan: "values less than those of {}",
    }
    for prop, template in simple.items():
        for value in sorted(g.objects(node, prop), key=str):
            if prop == SH.languageIn and g.value(value, RDF.first) is not None:
                text = ", ".join(str(v) for v in Collection(g, value))
            else:
                text = rdfview.display(value)
            words.append(template.format(text))
    for value in sorted(g.objects(node, SH.node), key=str):
        words.append(f"values that conform to {shape_words(g, value, depth)}")
    for value in sorted(g.objects(node, SH.qualifiedValueShape), key=str):
        qlo, qhi = g.value(node, SH.qualifiedMinCount), g.value(node, SH.qualifiedMaxCount)
        count = " and ".join(
            t for t in (f"at least {qlo}" if qlo else "", f"at most {qhi}" if qhi else "") if t
        )
        words.append(f"{count or 'some'} values conforming to {shape_words(g, value, depth)}")
    for value in g.objects(node, SH["in"]):
        items = ", ".join(rdfview.display(v) for v in Collection(g, value))
        words.append(f"values among: {items}")
    if (node, SH.uniqueLang, Literal(True)) in g:
        words.append("at most one value per language")
    if (node, SH.closed, Literal(True)) in g:
        words.append("no properties other than those declared")
    for name, joiner in (("or", " or "), ("and", " and "), ("xone", " or exactly one of ")):
        for members in g.objects(node, SH[name]):
            shapes = [shape_words(g, m, depth) for m in Collection(g, members)]
            lead = {"or": "either ", "and": "all of ", "xone": "exactly one of "}[name]
            words.append(lead + (", " if name != "or" else joiner).join(shapes))
    for negated in g.objects(node, SH["not"]):
        words.append(f"not {shape_words(g, negated, depth)}")
    return words


_NODE_PHRASES = (
    ("values matching", "match"),
    ("values that are instances of", "be an instance of"),
    ("values of node kind", "be of node kind"),
    ("values of datatype", "be of datatype"),
    ("values among:", "be one of:"),
    ("values that conform to", "conform to"),
    ("values ", "be "),
)


def _about_node(phrase: str) -> str:
    """A phrase about values, said of the focus node itself."""
    for old, new in _NODE_PHRASES:
        if phrase.startswith(old):
            return new + phrase[len(old) :]
    return phrase


@dataclass
class ShapeDoc:
    """The documentation of one node shape."""

    iri: Node
    anchor: str
    title: str
    comment: str | None
    targets: list[str]
    severity: str
    requirements: list[Requirement]
    sparql: list[dict[str, str]]
    deactivated: bool


@dataclass
class Requirement:
    """One sentence of a shape; a named property shape keeps its anchor (``shapes#X-y``)."""

    text: str
    anchor: str | None = None

    def __str__(self) -> str:
        return self.text


def shapes_context(g: Graph, base: str) -> dict[str, object]:
    """Describe every node shape of the shapes graph in words."""
    shapes_ns = str(project_namespaces(base).shapes)
    nodes = set(g.subjects(RDF.type, SH.NodeShape))
    for prop in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target):
        nodes |= set(g.subjects(prop, None))
    docs = []
    used: set[str] = set()

    def anchor_of(shape: Node) -> str | None:
        if isinstance(shape, URIRef) and shape.startswith(shapes_ns):
            name = shape[len(shapes_ns) :]
        elif shape in nodes:
            name = "shape-" + hashlib.sha256(str(shape).encode()).hexdigest()[:12]
        else:
            return None
        if name in used:  # a shape shared by several: anchored where it first appears
            return None
        used.add(name)
        return name

    for node in sorted(nodes, key=str):
        title = first_literal(g, node, (RDFS.label, SH.name))
        comment = first_literal(g, node, (RDFS.comment, SH.description))
        anchor = anchor_of(node) or "shape-" + hashlib.sha256(str(node).encode()).hexdigest()[:12]
        targets = []
        for prop, text in (
            (SH.targetClass, "every instance of {}"),
            (SH.targetNode, "the node {}"),
            (SH.targetSubjectsOf, "every subject of {}"),
            (SH.targetObjectsOf, "every object of {}"),
        ):
            targets += [
                text.format(rdfview.display(o)) for o in sorted(g.objects(node, prop), key=str)
            ]
        custom = sorted(g.objects(node, SH.target), key=str)  # SHACL-AF targets
        if custom:
            targets.append("the nodes its SPARQL target selects (the query below)")
        requirements: list[Requirement] = []
        own_path = g.value(node, SH.path)
        if own_path is not None:  # a property shape with a target of its own
            own = constraint_words(g, node)
            text = f"{path_words(g, own_path)}: " + "; ".join(own or ["any value"])
            requirements.append(Requirement(text))
        else:
            own = [_about_node(w) for w in constraint_words(g, node)]
            if own:
                text = "The node itself must " + "; and ".join(own) + "."
                requirements.append(Requirement(text))
        for ps in sorted(g.objects(node, SH.property), key=str):
            path = g.value(ps, SH.path)
            words = constraint_words(g, ps)
            message = first_literal(g, ps, (SH.message,))
            severity = g.value(ps, SH.severity)
            sentence = f"{path_words(g, path) if path is not None else '(no path)'}: "
            sentence += "; ".join(words) if words else "no constraint"
            if severity is not None and severity != SH.Violation:
                sentence += f" (severity {rdfview.display(severity)})"
            if message is not None:
                sentence += f" — “{message}”"
            requirements.append(Requirement(sentence, anchor_of(ps)))
        sparql = [
            {"kind": "target", "message": "", "select": str(select)}
            for t in custom
            if (select := g.value(t, SH.select)) is not None
        ]
        for sc in g.objects(node, SH.sparql):
            msg = first_literal(g, sc, (SH.message,))
            select = g.value(sc, SH.select)
            sparql.append(
                {
                    "kind": "constraint",
                    "message": str(msg) if msg is not None else "",
                    "select": str(select or ""),
                }
            )
        severity = g.value(node, SH.severity)
        message = first_literal(g, node, (SH.message,))
        if message is not None and not requirements and not sparql:
            requirements.append(Requirement(f"“{message}”"))
        docs.append(
            ShapeDoc(
                node,
                anchor,
                str(title) if title is not None else rdfview.display(node),
                str(comment) if comment is not None else None,
                targets,
                rdfview.display(severity) if severity is not None else "sh:Violation",
                requirements,
                sparql,
                (node, SH.deactivated, Literal(True)) in g,
            )
        )
    return {"shapes": docs, "triples": len(g)}
