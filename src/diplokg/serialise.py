"""Deterministic serialisations: the same graphs always give the same bytes.

- N-Triples (https://www.w3.org/TR/n-triples/) and N-Quads
  (https://www.w3.org/TR/n-quads/): one statement a line, lines sorted, no duplicates;
- Turtle (https://www.w3.org/TR/turtle/) and TriG (https://www.w3.org/TR/trig/):
  rdflib's Turtle serialiser (subjects, predicates and objects sorted) with fixed
  prefix bindings shared by every graph; TriG is written graph by graph, sorted by
  graph name, since rdflib's own TriG writer follows the store's set order;
- gzip with a zero timestamp and no file name.

Blank nodes must be skolemised first: their labels are not stable.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Sequence

from rdflib import Graph
from rdflib.namespace import NamespaceManager

from diplokg.namespaces import prefixes_for


def _nt_lines(graph: Graph) -> list[str]:
    data = graph.serialize(format="nt", encoding="utf-8").decode("utf-8")
    return [line for line in data.split("\n") if line.strip()]


def to_ntriples(graph: Graph) -> bytes:
    """Serialise a graph as sorted N-Triples.

    Args:
        graph: The graph.

    Returns:
        UTF-8 bytes, one triple a line, sorted.
    """
    lines = sorted(set(_nt_lines(graph)))
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def to_nquads(graphs: Iterable[Graph]) -> bytes:
    """Serialise named graphs as sorted N-Quads.

    Args:
        graphs: Graphs whose identifiers are their names.

    Returns:
        UTF-8 bytes, one quad a line, sorted.
    """
    lines: set[str] = set()
    for graph in graphs:
        name = graph.identifier.n3()
        for line in _nt_lines(graph):
            # Each N-Triples line ends with " ."; the graph name goes before the dot.
            lines.add(line.rstrip()[:-1].rstrip() + f" {name} .")
    return ("\n".join(sorted(lines)) + "\n").encode("utf-8") if lines else b""


def namespace_manager(base: str, graphs: Iterable[Graph]) -> NamespaceManager:
    """Build the prefix bindings shared by every Turtle and TriG output.

    The project and reused prefixes are bound first; a prefix is then generated
    (``ns1``, ``ns2``…) for any other namespace used by a predicate, in sorted order.

    Args:
        base: The dataset namespace.
        graphs: The graphs that will be written with these bindings.

    Returns:
        The namespace manager.
    """
    holder = Graph(bind_namespaces="none")
    nm = holder.namespace_manager
    for prefix, ns in prefixes_for(base).items():
        nm.bind(prefix, ns, override=True, replace=True)
    predicates = sorted({str(p) for g in graphs for p in g.predicates()})
    for p in predicates:
        try:
            nm.compute_qname(p, generate=True)
        except (ValueError, KeyError):
            continue  # not splittable into namespace + name: written as a full IRI
    return nm


def _turtle(graph: Graph, nm: NamespaceManager) -> tuple[list[str], str]:
    copy = Graph(identifier=graph.identifier, bind_namespaces="none")
    copy.namespace_manager = nm
    for triple in graph:
        copy.add(triple)
    text = copy.serialize(format="turtle", encoding="utf-8").decode("utf-8")
    prefixes: list[str] = []
    body = text
    while body.startswith("@prefix "):
        line, _, body = body.partition("\n")
        prefixes.append(line)
    return prefixes, body.strip("\n")


def to_turtle(graph: Graph, nm: NamespaceManager) -> bytes:
    """Serialise a graph as Turtle with fixed prefixes.

    Args:
        graph: The graph, without blank nodes.
        nm: The shared prefix bindings (:func:`namespace_manager`).

    Returns:
        UTF-8 bytes.
    """
    prefixes, body = _turtle(graph, nm)
    if not body:
        return b""
    return ("\n".join(sorted(prefixes)) + "\n\n" + body + "\n").encode("utf-8")


def to_trig(graphs: Sequence[Graph], nm: NamespaceManager) -> bytes:
    """Serialise named graphs as TriG, graphs sorted by name.

    Args:
        graphs: The graphs, without blank nodes; identifiers are their names.
        nm: The shared prefix bindings (:func:`namespace_manager`).

    Returns:
        UTF-8 bytes.
    """
    prefixes: set[str] = set()
    blocks = []
    for graph in sorted(graphs, key=lambda g: str(g.identifier)):
        used, body = _turtle(graph, nm)
        prefixes.update(used)
        # The body is not indented: that would change multi-line literals.
        blocks.append(f"{graph.identifier.n3()} {{\n{body}\n}}\n")
    return ("\n".join(sorted(prefixes)) + "\n\n" + "\n".join(blocks)).encode("utf-8")


def gzip_bytes(data: bytes) -> bytes:
    """Compress deterministically: no timestamp, no file name.

    Args:
        data: The bytes to compress.

    Returns:
        The gzip stream.
    """
    return gzip.compress(data, compresslevel=9, mtime=0)
