"""Skolemisation: replace blank nodes by stable, well-known IRIs.

RDF 1.1 Concepts §3.5 (https://www.w3.org/TR/rdf11-concepts/#section-skolemization)
lets a publisher replace blank nodes by IRIs under ``/.well-known/genid/``. The IRI
of a blank node here is a hash of its *structure*, never of its parse-time label,
so the same input always gives the same IRIs:

1. every blank node starts with the same colour;
2. colour refinement: a node's next colour hashes its current colour with the
   sorted list of its edges, each edge written with its predicate and the other
   end (an IRI or literal as N-Triples, a blank node by its colour); repeat until
   the number of distinct colours stops growing;
3. nodes still sharing a colour are individualised one at a time and the colours
   refined again. Such nodes are almost always interchangeable (automorphic, e.g.
   two identical ``[ ex:q 2 ]``), and then the choice does not change the output;
   only blank-node-only structures that refinement cannot tell apart (say, two
   3-cycles vs. one 6-cycle) would make the choice matter, and the project's data
   has none (the build's determinism test would show it).

The IRI is ``{base}.well-known/genid/{sha256(graph name, colour)[:32]}``: the graph
name keeps blank nodes of different graphs apart.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import cast

from rdflib import BNode, Graph, URIRef
from rdflib.term import IdentifiedNode, Node

from diplokg.loading import new_graph
from diplokg.namespaces import project_namespaces


def _h(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _refine(edges: dict[BNode, list[tuple[str, str, Node]]], colour: dict[BNode, str]) -> None:
    """Refine ``colour`` in place until the partition is stable."""
    while True:
        before = len(set(colour.values()))
        new: dict[BNode, str] = {}
        for node, node_edges in edges.items():
            sig = sorted(
                f"{d}{p}{colour[o] if type(o) is BNode else o.n3()}" for d, p, o in node_edges
            )
            new[node] = _h(colour[node], *sig)
        colour.update(new)
        if len(set(colour.values())) == before:
            return


def blank_node_labels(graph: Graph) -> dict[BNode, str]:
    """Compute a canonical hex label for every blank node of a graph.

    Args:
        graph: The graph.

    Returns:
        Blank node → 64-hex-digit label that depends only on the graph's structure.
    """
    edges: dict[BNode, list[tuple[str, str, Node]]] = defaultdict(list)
    for s, p, o in graph:
        # type() rather than isinstance(): rdflib's abstract term classes make
        # isinstance slow, and this loop sees every triple of every graph.
        if type(s) is BNode:
            edges[s].append((">", p.n3(), o))
        if type(o) is BNode:
            edges[o].append(("<", p.n3(), s))
    colour = {node: "" for node in edges}
    _refine(edges, colour)
    while True:
        groups: dict[str, list[BNode]] = defaultdict(list)
        for node, c in colour.items():
            groups[c].append(node)
        ties = sorted(c for c, nodes in groups.items() if len(nodes) > 1)
        if not ties:
            return colour
        # Individualise one node of the first tied colour, then refine again. If the
        # tied nodes are automorphic the choice does not change the output.
        node = min(groups[ties[0]], key=str)
        colour[node] = _h(colour[node], "individualised")
        _refine(edges, colour)


def skolem_iris(
    graph: Graph, base: str, mapping: dict[BNode, URIRef] | None = None
) -> dict[BNode, URIRef]:
    """Name every blank node of a graph with its skolem IRI.

    Args:
        graph: The graph; its identifier names the skolem IRIs' scope.
        base: The dataset namespace; IRIs are ``{base}.well-known/genid/{hex}``.
        mapping: If given, blank nodes found in it keep its IRIs, and the new ones
            are added to it (and it is returned).

    Returns:
        Blank node → IRI, for every blank node of the graph.
    """
    genid = project_namespaces(base).genid
    scope = str(graph.identifier)
    iris: dict[BNode, URIRef] = {} if mapping is None else mapping
    for node, label in blank_node_labels(graph).items():
        if node not in iris:
            iris[node] = genid[_h(scope, label)[:32]]
    return iris


def skolemise(graph: Graph, base: str, mapping: dict[BNode, URIRef] | None = None) -> Graph:
    """Return a copy of a graph without blank nodes.

    Args:
        graph: The graph (not modified); its identifier names the skolem IRIs' scope.
        base: The dataset namespace; IRIs are ``{base}.well-known/genid/{hex}``.
        mapping: If given, blank nodes found in it use its IRIs (e.g. shapes
            referenced from a validation report), and the new ones are added to it.

    Returns:
        A new graph with the same identifier and no blank nodes.
    """
    iris = skolem_iris(graph, base, mapping)

    def term(t: Node) -> Node:
        return iris[t] if type(t) is BNode else t

    out = new_graph(graph.identifier)
    add = out.add
    if not iris:
        for triple in graph:
            add(triple)
        return out
    for s, p, o in graph:
        add((cast(IdentifiedNode, term(s)), p, term(o)))
    return out
