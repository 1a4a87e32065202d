from __future__ import annotations

import gzip

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic

from diplokg.namespaces import prefixes_for
from diplokg.serialise import (
    DUMPS,
    graph_turtle,
    gzip_bytes,
    render_dumps,
    store_nquads,
    store_ntriples,
    store_predicates,
    store_trig,
    store_turtle,
    to_ntriples,
    turtle_prefixes,
)

BASE = "https://w3id.org/diplokg/"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
G1 = URIRef(BASE + "graph/b")
G2 = URIRef(BASE + "graph/a")
DATA1 = """@prefix id: <https://w3id.org/diplokg/id/> . @prefix ex: <http://example.org/v#> .
id:z ex:p "two\\nlines" ; ex:q id:y ; a ex:C . id:a ex:p "é" ."""
DATA2 = """@prefix id: <https://w3id.org/diplokg/id/> . @prefix ex2: <http://example.com/w#> .
id:m ex2:r 3 ."""

# Literals with language tags, datatypes and escapes, IRIs no prefix can shorten,
# and a triple in two graphs.
TRICKY = """@prefix id: <https://w3id.org/diplokg/id/> . @prefix ex: <http://example.org/v#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
id:a ex:p "quote \\" and backslash \\\\ and\\nnewline\\r\\ttab" ,
        "chat"@fr , "chat"@fr-be , "chat" , "chat"^^xsd:token , "3"^^xsd:integer ,
        "2024-01-02"^^xsd:date , "4.5"^^xsd:decimal , "1e3"^^xsd:double , true ,
        "Ünïcödé — 漢字 \U0001f600" , "" , "\\u0001 control" ;
    ex:q <http://example.org/v#with%20space-escaped> , <http://example.org/v#a(b)> ,
        <http://example.org/v#trailing.> , <http://example.org/v#> , <urn:isbn:123> ,
        <https://w3id.org/diplokg/id/x/y?z=1#frag> , <http://example.org/v#a%41~b'c> .
<https://w3id.org/diplokg/id/é> ex:p "x" .
<http://example.org/odd#1st> ex:p id:a .
id:b <http://example.org/slash/p> "in both" .
"""
TRICKY2 = """@prefix id: <https://w3id.org/diplokg/id/> .
id:b <http://example.org/slash/p> "in both" . id:c <urn:x:p> id:b ."""


def graphs() -> list[Graph]:
    return [
        Graph(identifier=G1).parse(data=DATA1, format="turtle"),
        Graph(identifier=G2).parse(data=DATA2, format="turtle"),
    ]


def store_of(*sources: tuple[str, str]) -> ox.Store:
    store = ox.Store()
    for name, data in sources:
        store.load(
            data.encode(), ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(BASE + "graph/" + name)
        )
    return store


def tricky_store() -> ox.Store:
    return store_of(("x", TRICKY), ("w", TRICKY2), ("v", DATA1), ("u", DATA2))


def prefixes(store: ox.Store) -> dict[str, str]:
    return turtle_prefixes(BASE, store_predicates(store))


def quads(store: ox.Store) -> set[ox.Quad]:
    return set(store.quads_for_pattern(None, None, None, None))


def union(store: ox.Store) -> set[ox.Triple]:
    return {q.triple for q in quads(store)}


def ox_quads(data: bytes, fmt: ox.RdfFormat) -> list[ox.Quad]:
    return list(ox.parse(data, fmt))


def rdflib_dataset(store: ox.Store) -> Dataset:
    ds = Dataset()
    ds.parse(data=store.dump(format=ox.RdfFormat.N_QUADS), format="nquads")
    return ds


# --- store-based dumps ---------------------------------------------------------


def test_nquads_sorted_unique_and_exact() -> None:
    store = tricky_store()
    data = store_nquads(store)
    lines = data.decode().splitlines()
    assert lines == sorted(lines)
    assert len(lines) == len(set(lines)) == len(store)
    assert set(ox_quads(data, ox.RdfFormat.N_QUADS)) == quads(store)
    assert f'<{BASE}id/m> <http://example.com/w#r> "3"^^<{XSD_INTEGER}> <{BASE}graph/u> .' in lines
    ds = Dataset()
    ds.parse(data=data, format="nquads")
    expected = rdflib_dataset(store)
    for name in ("x", "w", "v", "u"):
        g = URIRef(BASE + "graph/" + name)
        assert isomorphic(ds.graph(g), expected.graph(g))


def test_ntriples_of_the_union_sorted_and_unique() -> None:
    store = tricky_store()
    data = store_ntriples(store)
    lines = data.decode().splitlines()
    assert lines == sorted(lines)
    assert len(lines) == len(set(lines)) == len(union(store)) < len(store)
    assert {q.triple for q in ox_quads(data, ox.RdfFormat.N_TRIPLES)} == union(store)
    expected = Graph()
    for s, p, o, _ in rdflib_dataset(store).quads():
        expected.add((s, p, o))
    assert isomorphic(Graph().parse(data=data, format="nt"), expected)
    assert '"quote \\" and backslash \\\\ and\\nnewline\\r\\ttab"' in data.decode()


def test_turtle_round_trips_sorted_and_grouped() -> None:
    store = tricky_store()
    data = store_turtle(store, prefixes(store))
    assert {q.triple for q in ox_quads(data, ox.RdfFormat.TURTLE)} == union(store)
    parsed = Graph().parse(data=data, format="turtle")
    assert isomorphic(parsed, Graph().parse(data=store_ntriples(store), format="nt"))
    text = data.decode()
    assert "@prefix id: <https://w3id.org/diplokg/id/> ." in text
    assert "<urn:isbn:123>" in text
    body = [line for line in text.splitlines() if not line.startswith("@prefix")]
    subjects = [line.split(" ")[0] for line in body if line and not line[0].isspace()]
    assert len(subjects) == len(set(subjects)) == len({t.subject for t in union(store)})


def test_trig_round_trips_with_graphs_in_order() -> None:
    store = tricky_store()
    data = store_trig(store, prefixes(store))
    assert set(ox_quads(data, ox.RdfFormat.TRIG)) == quads(store)
    text = data.decode()
    positions = [text.index(f"graph:{name} {{") for name in ("u", "v", "w", "x")]
    assert positions == sorted(positions)
    ds = Dataset()
    ds.parse(data=data, format="trig")
    expected = rdflib_dataset(store)
    for name in ("x", "w", "v", "u"):
        g = URIRef(BASE + "graph/" + name)
        assert isomorphic(ds.graph(g), expected.graph(g))


def test_prefixes_fixed_then_generated_in_sorted_order() -> None:
    store = tricky_store()
    pre = prefixes(store)
    fixed = prefixes_for(BASE)
    assert list(pre)[: len(fixed)] == list(fixed)
    generated = {k: v for k, v in pre.items() if k not in fixed}
    assert generated == {
        "ns1": "http://example.com/w#",
        "ns2": "http://example.org/slash/",
        "ns3": "http://example.org/v#",
        "ns4": "urn:x:",
    }
    text = store_turtle(store, pre).decode()
    assert text.startswith("@prefix dkg: <https://w3id.org/diplokg/ontology#> .\n")


def test_dumps_are_deterministic() -> None:
    one = render_dumps(tricky_store(), prefixes(tricky_store()))
    other = store_of(("u", DATA2), ("w", TRICKY2), ("v", DATA1), ("x", TRICKY))
    two = render_dumps(other, prefixes(other))
    assert one == two
    assert sorted(one) == sorted([*DUMPS, *(f"{n}.gz" for n in DUMPS)])
    store = tricky_store()
    pre = prefixes(store)
    assert one["diplokg.nq"] == store_nquads(store)
    assert one["diplokg.nt"] == store_ntriples(store)
    assert one["diplokg.ttl"] == store_turtle(store, pre)
    assert one["diplokg.trig"] == store_trig(store, pre)
    for name in DUMPS:
        packed = one[name + ".gz"]
        assert gzip.decompress(packed) == one[name]
        assert packed[4:8] == b"\0\0\0\0"  # MTIME
        assert packed[3] & 0x08 == 0  # no FNAME


@pytest.mark.parametrize("bytes_per_range", [1, 100, 300, 1000])
def test_sorting_by_ranges_changes_nothing(bytes_per_range: int) -> None:
    store = tricky_store()
    pre = prefixes(store)
    assert render_dumps(store, pre, bytes_per_range=bytes_per_range) == render_dumps(store, pre)


def test_empty_store() -> None:
    store = ox.Store()
    pre = prefixes(store)
    assert store_nquads(store) == store_ntriples(store) == b""
    assert store_turtle(store, pre) == store_trig(store, pre) == b""
    files = render_dumps(store, pre)
    assert all(gzip.decompress(files[n + ".gz"]) == b"" for n in DUMPS)


def test_default_graph_is_left_out() -> None:
    store = store_of(("u", DATA2))
    store.load(DATA1.encode(), ox.RdfFormat.TURTLE)
    assert store_nquads(store).count(b"\n") == 1
    assert store_ntriples(store).count(b"\n") == 1


def test_graph_turtle_matches_the_dumps() -> None:
    g1, _ = graphs()
    store = store_of(("v", DATA1))
    pre = prefixes(store)
    data = graph_turtle(g1, pre)
    assert data == store_turtle(store, pre)
    assert isomorphic(Graph().parse(data=data, format="turtle"), g1)
    assert graph_turtle(Graph(), pre) == b""


@pytest.mark.parametrize("level", [1, 6, 9])
def test_gzip_is_deterministic(level: int) -> None:
    data = b"hello" * 100
    packed = gzip_bytes(data, level)
    assert packed == gzip_bytes(data, level)
    assert gzip.decompress(packed) == data
    assert packed[4:8] == b"\0\0\0\0"  # MTIME
    assert packed[3] & 0x08 == 0  # no FNAME


# --- rdflib graphs ---------------------------------------------------------------


def test_ntriples_sorted_and_unique() -> None:
    g1, g2 = graphs()
    union = g1 + g2 + g1
    lines = to_ntriples(union).decode().splitlines()
    assert lines == sorted(lines)
    assert len(lines) == len(set(lines)) == 5
    assert '"two\\nlines"' in to_ntriples(g1).decode()
