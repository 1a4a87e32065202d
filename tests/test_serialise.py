from __future__ import annotations

import gzip

from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic

from diplokg.serialise import (
    gzip_bytes,
    namespace_manager,
    to_nquads,
    to_ntriples,
    to_trig,
    to_turtle,
)

BASE = "https://w3id.org/diplokg/"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
G1 = URIRef(BASE + "graph/b")
G2 = URIRef(BASE + "graph/a")
DATA1 = """@prefix id: <https://w3id.org/diplokg/id/> . @prefix ex: <http://example.org/v#> .
id:z ex:p "two\\nlines" ; ex:q id:y ; a ex:C . id:a ex:p "é" ."""
DATA2 = """@prefix id: <https://w3id.org/diplokg/id/> . @prefix ex2: <http://example.com/w#> .
id:m ex2:r 3 ."""


def graphs() -> list[Graph]:
    return [
        Graph(identifier=G1).parse(data=DATA1, format="turtle"),
        Graph(identifier=G2).parse(data=DATA2, format="turtle"),
    ]


def test_ntriples_sorted_and_unique() -> None:
    g1, g2 = graphs()
    union = g1 + g2 + g1
    lines = to_ntriples(union).decode().splitlines()
    assert lines == sorted(lines)
    assert len(lines) == len(set(lines)) == 5
    assert '"two\\nlines"' in to_ntriples(g1).decode()


def test_nquads_name_the_graph() -> None:
    lines = to_nquads(graphs()).decode().splitlines()
    assert lines == sorted(lines)
    assert f'<{BASE}id/m> <http://example.com/w#r> "3"^^<{XSD_INTEGER}> <{G2}> .' in lines
    ds = Dataset()
    ds.parse(data="\n".join(lines), format="nquads")
    assert len(ds.graph(G1)) == 4


def test_trig_round_trips_with_graphs_in_order() -> None:
    gs = graphs()
    nm = namespace_manager(BASE, gs)
    text = to_trig(gs, nm).decode()
    assert text.index(str(G2)) < text.index(str(G1))
    assert "@prefix id: <https://w3id.org/diplokg/id/> ." in text
    ds = Dataset()
    ds.parse(data=text, format="trig")
    for g in gs:
        assert isomorphic(ds.graph(g.identifier), g)


def test_generated_prefixes_are_shared_and_stable() -> None:
    gs = graphs()
    first = to_trig(gs, namespace_manager(BASE, gs))
    second = to_trig(list(reversed(graphs())), namespace_manager(BASE, list(reversed(gs))))
    assert first == second
    assert b"@prefix ns1: <http://example.com/w#> ." in first


def test_turtle_round_trips() -> None:
    g1, _ = graphs()
    data = to_turtle(g1, namespace_manager(BASE, [g1]))
    assert isomorphic(Graph().parse(data=data, format="turtle"), g1)
    assert to_turtle(Graph(), namespace_manager(BASE, [])) == b""


def test_gzip_is_deterministic() -> None:
    data = b"hello" * 100
    packed = gzip_bytes(data)
    assert packed == gzip_bytes(data)
    assert gzip.decompress(packed) == data
    assert packed[4:8] == b"\0\0\0\0"  # MTIME
    assert packed[3] & 0x08 == 0  # no FNAME
