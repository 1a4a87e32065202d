from __future__ import annotations

from rdflib import BNode, Graph, URIRef
from rdflib.compare import isomorphic

from diplokg.skolem import blank_node_labels, skolemise

BASE = "https://w3id.org/diplokg/"
DATA = """
@prefix ex: <http://example.org/> .
ex:a ex:p [ ex:q [ ex:r 1 ] ], [ ex:q 2 ], [ ex:q 2 ] .
ex:b ex:list ( 1 2 3 ) .
[] ex:s [] .
"""


def parse(name: str = "http://example.org/g") -> Graph:
    return Graph(identifier=URIRef(name)).parse(data=DATA, format="turtle")


def test_no_blank_nodes_remain_and_structure_is_kept() -> None:
    graph = parse()
    out = skolemise(graph, BASE)
    assert len(out) == len(graph)
    assert not [t for triple in out for t in triple if isinstance(t, BNode)]
    genid = [t for triple in out for t in triple if str(t).startswith(BASE + ".well-known/genid/")]
    assert genid
    # Turning the skolem IRIs back into blank nodes gives the same graph.
    back = Graph()
    for triple in out:
        back.add(tuple(BNode(t) if str(t).startswith(BASE + ".well-known") else t for t in triple))  # type: ignore[arg-type]
    assert isomorphic(back, graph)


def test_same_structure_gives_the_same_iris() -> None:
    first = sorted(skolemise(parse(), BASE))
    second = sorted(skolemise(parse(), BASE))  # new blank node labels, same structure
    assert first == second


def test_graph_name_scopes_the_iris() -> None:
    a = {t for triple in skolemise(parse("http://example.org/g1"), BASE) for t in triple}
    b = {t for triple in skolemise(parse("http://example.org/g2"), BASE) for t in triple}
    genid = BASE + ".well-known/genid/"
    assert {t for t in a if str(t).startswith(genid)}.isdisjoint(b)


def test_labels_distinguish_different_structures() -> None:
    labels = blank_node_labels(parse())
    assert len(labels) == 9
    assert len(set(labels.values())) == 9


def test_mapping_is_reused_and_extended() -> None:
    graph = parse()
    mapping: dict[BNode, URIRef] = {}
    first = skolemise(graph, BASE, mapping)
    assert len(mapping) == 9
    again = skolemise(graph, BASE, dict(mapping))
    assert sorted(first) == sorted(again)
