from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import os
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TypedDict, Unpack

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic

from diplokg.namespaces import prefixes_for
from diplokg.serialise import (
    DUMPS,
    INDEX_VERSION,
    Content,
    Previous,
    Rendered,
    _cuts,
    _Source,
    _Span,
    file_stamp,
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
    rendered = render_dumps(tricky_store(), prefixes(tricky_store()))
    other = store_of(("u", DATA2), ("w", TRICKY2), ("v", DATA1), ("x", TRICKY))
    again = render_dumps(other, prefixes(other))
    assert rendered == again
    assert not rendered.incremental
    one = rendered.files
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


@pytest.mark.parametrize(("range_bits", "chunk_bytes"), [(0, 1), (1, 100), (2, 300), (8, 1 << 20)])
def test_ranges_and_chunks_change_only_the_gzip_layout(range_bits: int, chunk_bytes: int) -> None:
    store = tricky_store()
    pre = prefixes(store)
    cut = render_dumps(store, pre, range_bits=range_bits, chunk_bytes=chunk_bytes).files
    whole = render_dumps(store, pre).files
    for name in DUMPS:
        assert cut[name] == whole[name]
        assert gzip.decompress(cut[name + ".gz"]) == whole[name]


def test_empty_store() -> None:
    store = ox.Store()
    pre = prefixes(store)
    assert store_nquads(store) == store_ntriples(store) == b""
    assert store_turtle(store, pre) == store_trig(store, pre) == b""
    files = render_dumps(store, pre).files
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


# --- incremental dumps -----------------------------------------------------------

ID = BASE + "id/"


class Params(TypedDict, total=False):
    """How finely :func:`render_dumps` cuts: ranges and gzip chunks."""

    range_bits: int
    chunk_bytes: int


# Small ranges and chunks, so that a small store has many of each.
SMALL: Params = {"range_bits": 2, "chunk_bytes": 400}


def big_store() -> ox.Store:
    """The tricky store, and 60 subjects in three graphs (one like graph/meta)."""
    store = tricky_store()
    for i in range(60):
        s = ox.NamedNode(f"{ID}s{i:02}")
        for g, n in (("a", 3), ("b", i % 3), ("meta", i % 2)):
            for j in range(n):
                o = ox.Literal(f"{g} {i} {j}")
                store.add(
                    ox.Quad(s, ox.NamedNode(f"{ID}p{j}"), o, ox.NamedNode(BASE + "graph/" + g))
                )
    return store


def quad(s: str, p: str, o: str, g: str) -> ox.Quad:
    return ox.Quad(ox.NamedNode(ID + s), ox.NamedNode(ID + p), ox.Literal(o), graph(g))


def graph(name: str) -> ox.NamedNode:
    return ox.NamedNode(BASE + "graph/" + name)


def copy(store: ox.Store) -> ox.Store:
    other = ox.Store()
    other.extend(store.quads_for_pattern(None, None, None, None))
    return other


def changes(before: ox.Store, after: ox.Store) -> dict[str, set[str]]:
    """Graph → subjects whose statements were added or removed, as the build gives them."""
    changed: dict[str, set[str]] = {}
    for q in quads(before) ^ quads(after):
        changed.setdefault(str(q.graph_name), set()).add(str(q.subject))
    return changed


def check_incremental(
    before: ox.Store,
    change: Callable[[ox.Store], object],
    changed: dict[str, set[str]] | None = None,
    delta: bool = False,
    **params: Unpack[Params],
) -> Rendered:
    """Render, change the store, render again from the first: as a full render would.

    With ``delta``, the previous dumps are given the quads added and removed (and
    no changed subjects): the changed statements are worked out from them.
    """
    after = copy(before)
    change(after)
    assert quads(after) != quads(before)
    pre = prefixes(before)
    old = render_dumps(before, pre, **params)
    if delta:
        added, removed = quads(after) - quads(before), quads(before) - quads(after)
        previous = Previous(old.files, old.index, changed or {}, added, removed)
    else:
        previous = Previous(
            old.files, old.index, changes(before, after) if changed is None else changed
        )
    new = render_dumps(after, pre, previous, **params)
    full = render_dumps(after, pre, **params)
    assert new.incremental
    assert new.files == full.files
    assert new.index == full.index
    return new


def pieces(rendered: Rendered, name: str) -> list[bytes]:
    """The pieces of a dump, cut where the index says."""
    sizes = json.loads(rendered.index)["files"][name]["sizes"]
    data, at, out = rendered.files[name], 0, []
    for size in sizes:
        out.append(data[at : at + size])
        at += size
    return out


def cut_subject(prefix: str, bits: int = SMALL["range_bits"], starts: bool = True) -> str:
    """An IRI under ``id:`` that starts a range (or does not)."""
    i = 0
    while (zlib.crc32(f"<{ID}{prefix}{i}>".encode()) & ((1 << bits) - 1) == 0) != starts:
        i += 1
    return f"{prefix}{i}"


def remove_subject(store: ox.Store, subject: str) -> None:
    for q in list(store.quads_for_pattern(ox.NamedNode(subject), None, None, None)):
        store.remove(q)


def change_meta_values(store: ox.Store) -> None:
    for i in range(1, 60, 6):
        store.remove(quad(f"s{i:02}", "p0", f"meta {i} 0", "meta"))
        store.add(quad(f"s{i:02}", "p0", f"meta {i} again", "meta"))


def remove_subjects(store: ox.Store) -> None:
    for i in (3, 4, 5):
        remove_subject(store, f"{ID}s{i:02}")


def remove_statements(store: ox.Store) -> None:
    for i in range(2, 60, 9):
        store.remove(quad(f"s{i:02}", "p1", f"b {i} 1", "b"))


def first_and_last_subjects(store: ox.Store) -> None:
    p = ox.NamedNode(ID + "p")
    store.add(ox.Quad(ox.NamedNode("http://a.example/first"), p, ox.Literal("1"), graph("a")))
    store.add(ox.Quad(ox.NamedNode("urn:zzz:last"), p, ox.Literal("2"), graph("b")))
    store.add(quad("s00", "p9", "first of the ids", "a"))
    store.add(quad("s59", "p9", "last of the ids", "b"))


CHANGES: dict[str, Callable[[ox.Store], object]] = {
    "add to existing subjects": lambda s: s.extend(
        [quad("s10", "new", "x", "a"), quad("s40", "new", "y", "b"), quad("s41", "p0", "z", "b")]
    ),
    "add new subjects": lambda s: s.extend(
        [quad("s10x", "p0", "x", "a"), quad("n1", "p0", "y", "b"), quad("t", "p0", "z", "a")]
    ),
    "add a graph": lambda s: s.extend(
        [quad(f"s{i:02}", "p9", str(i), "new") for i in range(0, 60, 7)]
        + [quad("n", "p", "o", "new")]
    ),
    "change meta values": change_meta_values,
    "remove statements": remove_statements,
    "remove subjects": remove_subjects,
    "remove a graph": lambda s: s.remove_graph(graph("b")),
    "first and last subjects": first_and_last_subjects,
    "a subject that starts a range": lambda s: s.add(quad(cut_subject("s22-"), "p", "o", "a")),
    "a subject that does not": lambda s: s.add(
        quad(cut_subject("s22-", starts=False), "p", "o", "a")
    ),
}


@pytest.mark.parametrize("delta", [False, True], ids=["subjects", "delta"])
@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize("params", [SMALL, {"range_bits": 0, "chunk_bytes": 1}, {}], ids=str)
def test_incremental_render_is_the_full_render(change: str, params: Params, delta: bool) -> None:
    check_incremental(big_store(), CHANGES[change], delta=delta, **params)


# --- big subjects: written again alone, cut into chunks inside ---------------------

HUB = ID + "hub"
# Literals that need escapes or a language tag or a datatype, and IRIs ending in a
# dot, among many statements about one subject.
ODD_OBJECTS: list[ox.NamedNode | ox.BlankNode | ox.Literal] = [
    ox.Literal('quote " and \\ backslash\nnewline'),
    ox.Literal("chat", language="fr"),
    ox.Literal("7", datatype=ox.NamedNode(XSD_INTEGER)),
    ox.Literal("Ünïcödé — 漢字 \U0001f600 , ; ."),
    ox.NamedNode("http://example.org/v#dotted."),
    ox.BlankNode("b0"),
]


def hub_store() -> ox.Store:
    """The big store, a subject with 600 statements in three graphs, and a blank node."""
    store = big_store()
    hub = ox.NamedNode(HUB)
    for i in range(600):
        g = graph(("a", "b", "meta")[i % 3])
        store.add(ox.Quad(hub, ox.NamedNode(f"{ID}p{i % 4}"), ox.Literal(f"value {i:03}"), g))
    for i, o in enumerate(ODD_OBJECTS):
        store.add(ox.Quad(hub, ox.NamedNode(f"{ID}odd"), o, graph("a")))
        store.add(
            ox.Quad(ox.BlankNode("b0"), ox.NamedNode(f"{ID}q"), ox.Literal(str(i)), graph("b"))
        )
    return store


def hub_quad(p: str, o: ox.Literal | ox.NamedNode, g: str = "a") -> ox.Quad:
    return ox.Quad(ox.NamedNode(HUB), ox.NamedNode(ID + p), o, graph(g))


HUB_CHANGES: dict[str, Callable[[ox.Store], object]] = {
    "at its start": lambda s: s.add(hub_quad("a0", ox.Literal("first"))),
    "in its middle": lambda s: s.add(hub_quad("p1", ox.Literal("value 300 and a half"), "b")),
    "at its end": lambda s: s.add(hub_quad("zz", ox.Literal("last"), "meta")),
    "a few places": lambda s: s.extend(
        [
            hub_quad("a0", ox.Literal("first")),
            hub_quad("p2", ox.Literal("value 250x")),
            hub_quad("odd", ox.Literal("chat", language="en")),
            hub_quad("zz", ox.NamedNode("http://example.org/v#also.")),
        ]
    ),
    "removed in its middle": lambda s: s.remove(hub_quad("p1", ox.Literal("value 301"), "b")),
    "in a graph it was not in": lambda s: s.add(hub_quad("p1", ox.Literal("x"), "new")),
    "a new subject after it": lambda s: s.add(
        ox.Quad(ox.NamedNode(HUB + "-after"), ox.NamedNode(ID + "p"), ox.Literal("o"), graph("b"))
    ),
    "a new subject before it": lambda s: s.add(
        ox.Quad(ox.NamedNode(ID + "hu"), ox.NamedNode(ID + "p"), ox.Literal("o"), graph("a"))
    ),
    "the blank node": lambda s: s.add(
        ox.Quad(ox.BlankNode("b0"), ox.NamedNode(ID + "q"), ox.Literal("9"), graph("b"))
    ),
}

# Chunks of about 400 bytes: the hub (about 40 KB of N-Quads) is a big piece, cut inside.
HUB_PARAMS: list[Params] = [
    {"range_bits": 2, "chunk_bytes": 400},
    {"range_bits": 0, "chunk_bytes": 400},
]


def chunks(rendered: Rendered, name: str) -> list[bytes]:
    """The compressed chunks of a dump's gzip, cut where the index says."""
    packed = rendered.files[name + ".gz"]
    sizes = json.loads(rendered.index)["files"][name]["packed"]
    out, at = [], 10
    for size in sizes:
        out.append(packed[at : at + size])
        at += size
    return out


@pytest.mark.parametrize("delta", [False, True], ids=["subjects", "delta"])
@pytest.mark.parametrize("change", HUB_CHANGES)
@pytest.mark.parametrize("params", HUB_PARAMS, ids=str)
def test_a_big_subject_changed_is_the_full_render(change: str, params: Params, delta: bool) -> None:
    check_incremental(hub_store(), HUB_CHANGES[change], delta=delta, **params)


def test_a_big_piece_is_cut_into_chunks_inside_and_a_change_compresses_few() -> None:
    store = hub_store()
    pre = prefixes(store)
    params: Params = {"range_bits": 0, "chunk_bytes": 400}  # every subject starts a range
    before = render_dumps(store, pre, **params)
    index = json.loads(before.index)["files"]
    for name in DUMPS:
        starts = set(index[name]["chunk_starts"])
        pieces = set(itertools.accumulate(index[name]["sizes"], initial=0))
        assert starts - pieces, f"{name}: no chunk starts inside a piece"
    new = check_incremental(store, HUB_CHANGES["in its middle"], delta=True, **params)
    for name in DUMPS:
        old_chunks, new_chunks = chunks(before, name), chunks(new, name)
        assert len(new_chunks) > 5
        assert len(set(new_chunks) - set(old_chunks)) <= 3, name
        # ... and the others are copied from the previous gzip, not compressed again.
        packed = new.contents[name + ".gz"]
        copied = sum(p.end - p.start for p in packed._parts if isinstance(p, _Span))
        assert copied > len(packed) * 0.4, name


def test_only_changed_subjects_are_written_again() -> None:
    # A subject whose previous Turtle differs from what it would be written as now
    # is copied as it was when it did not change, and written again when it did.
    store = hub_store()
    pre = prefixes(store)
    before = render_dumps(store, pre, range_bits=30, chunk_bytes=1 << 20)
    index = json.loads(before.index)
    assert index["ranges"] == [""]  # one range
    files = dict(before.files)
    marked = files["diplokg.ttl"].replace(b"id:s07 ", b"id:s07  ", 1)
    assert marked != files["diplokg.ttl"]
    files["diplokg.ttl"] = marked
    index["files"]["diplokg.ttl"]["sizes"][-1] += 1
    # (the range is written again: its old chunk, and the gzip, are not read)
    previous = Previous(files, json.dumps(index).encode(), {str(graph("a")): {f"<{ID}s08>"}})
    store.add(quad("s08", "p9", "new", "a"))
    new = render_dumps(store, pre, previous, range_bits=30, chunk_bytes=1 << 20)
    assert new.incremental
    ttl = new.files["diplokg.ttl"]
    assert b"id:s07  " in ttl  # copied
    assert b'"new"' in ttl  # written again
    full = render_dumps(store, pre, range_bits=30, chunk_bytes=1 << 20).files["diplokg.ttl"]
    assert ttl.replace(b"id:s07  ", b"id:s07 ", 1) == full


def test_big_pieces_are_cut_at_lines_and_objects_by_their_content() -> None:
    long_line = b"\tex:p " + b" , ".join(b"id:o%d" % i for i in range(3000)) + b" ;\n"
    data = b"id:s a ex:C ;\n" + long_line + b"\tex:q 1 .\n" * 500
    cuts = _cuts(data, 200)
    assert cuts == sorted(set(cuts))
    assert 0 not in cuts
    assert len(data) not in cuts
    assert all(data[at - 1 : at] == b"\n" or data[at - 3 : at] == b" , " for at in cuts)
    assert len(data) / 400 < len(cuts) < len(data) / 100  # about one a chunk_bytes
    # An object added moves the cuts after it by its size, and changes no other.
    changed = data.replace(b" , id:o1500 , ", b" , id:o1500 , id:o1500x , ", 1)
    at = data.index(b"id:o1500 , ") + len(b"id:o1500 , ")
    moved = [c if c < at else c + len(b"id:o1500x , ") for c in cuts]
    assert set(_cuts(changed, 200)) ^ set(moved) <= {at, at + len(b"id:o1500x , ")}
    assert _cuts(data[:800], 200) == []  # a small piece is not cut


def test_content_copies_spans_of_files_on_disk(tmp_path: Path) -> None:
    data = bytes(range(256)) * 4000
    (tmp_path / "old").write_bytes(data)
    stamp = file_stamp(os.stat(tmp_path / "old"))
    source = _Source(memoryview(data), tmp_path / "old", stamp)
    content = Content([b"head", _Span(source, 10, 300_000), b"", _Span(source, 5, 6), b"tail"])
    expected = b"head" + data[10:300_000] + data[5:6] + b"tail"
    assert bytes(content) == expected
    assert len(content) == len(expected)
    assert content.sha256() == hashlib.sha256(expected).hexdigest()
    fd = os.open(tmp_path / "new", os.O_WRONLY | os.O_CREAT)
    try:
        assert content.write(fd) == len(expected)
    finally:
        os.close(fd)
    assert (tmp_path / "new").read_bytes() == expected


def test_spans_are_copied_from_the_file_only_while_it_is_the_same(tmp_path: Path) -> None:
    """The kernel copies from the path; once another file is there, from the mapped bytes."""
    on_disk = b"disk" * 100_000
    (tmp_path / "old").write_bytes(on_disk)
    stamp = file_stamp(os.stat(tmp_path / "old"))
    # Bytes that differ from the file's show which of the two a write copied.
    mapped = memoryview(b"map!" * 100_000)
    content = Content([_Span(_Source(mapped, tmp_path / "old", stamp), 0, 400_000)])

    def written(name: str) -> bytes:
        fd = os.open(tmp_path / name, os.O_WRONLY | os.O_CREAT)
        try:
            content.write(fd)
        finally:
            os.close(fd)
        return (tmp_path / name).read_bytes()

    assert written("same") == on_disk  # the kernel copied from the file
    (tmp_path / "other").write_bytes(b"swap" * 100_000)
    os.replace(tmp_path / "other", tmp_path / "old")  # dist/ replaced meanwhile
    assert written("replaced") == bytes(mapped)
    (tmp_path / "old").unlink()
    assert written("gone") == bytes(mapped)


DOTTED = """@prefix ex: <http://example.org/v#> . @prefix id: <https://w3id.org/diplokg/id/> .
ex:dotted\\. ex:p "x" . id:a ex:p ex:dotted\\. . ex:b ex:p "y" ."""


@pytest.mark.parametrize("range_bits", [0, 6])
def test_iris_ending_in_a_dot_are_written_in_full(range_bits: int) -> None:
    # Also as the first subject of a piece, and as a graph name.
    store = store_of(("a", DOTTED), ("b.", DOTTED))
    files = render_dumps(store, prefixes(store), range_bits=range_bits).files
    for name, fmt in (("diplokg.ttl", "turtle"), ("diplokg.trig", "trig")):
        assert b"\\." not in files[name]
        Dataset().parse(data=files[name], format=fmt)
    check_incremental(store, lambda s: s.add(quad("c", "p", "o", "b.")), range_bits=range_bits)


def test_removing_a_range_cutting_subject_joins_its_range_to_the_one_before() -> None:
    store = big_store()
    ranges = json.loads(render_dumps(store, prefixes(store), **SMALL).index)["ranges"]
    after = check_incremental(store, lambda s: remove_subject(s, ranges[5][1:-1]), **SMALL)
    assert ranges[5] not in json.loads(after.index)["ranges"]
    assert json.loads(after.index)["ranges"] == ranges[:5] + ranges[6:]


def test_a_change_rewrites_only_the_range_of_its_subject() -> None:
    store = big_store()
    pre = prefixes(store)
    before = render_dumps(store, pre, **SMALL)
    store.add(quad("s30", "p7", "new", "a"))
    after = render_dumps(store, pre, **SMALL)
    assert json.loads(after.index)["ranges"] == json.loads(before.index)["ranges"]
    for name in DUMPS:
        old, new = pieces(before, name), pieces(after, name)
        assert len(old) == len(new)
        assert sum(a != b for a, b in zip(old, new, strict=True)) == 1, name


def test_incremental_render_from_and_to_an_empty_store() -> None:
    check_incremental(ox.Store(), lambda s: s.extend(big_store()), **SMALL)
    check_incremental(big_store(), lambda s: s.clear(), **SMALL)


def test_graphs_added_or_removed_whole_need_not_be_listed() -> None:
    def change(s: ox.Store) -> None:
        s.remove_graph(graph("b"))
        s.extend([quad("s01", "p", "o", "new"), quad("q", "p", "o", "new")])

    check_incremental(big_store(), change, {}, **SMALL)


@pytest.mark.parametrize(
    "spoil",
    [
        lambda p: Previous(p.files, b"not an index", p.changed),
        lambda p: Previous(
            p.files,
            p.index.replace(b'"version":%d' % INDEX_VERSION, b'"version":%d' % (INDEX_VERSION - 1)),
            p.changed,
        ),
        lambda p: Previous(
            {n: d for n, d in p.files.items() if n != "diplokg.nt"}, p.index, p.changed
        ),
        lambda p: Previous(
            {**p.files, "diplokg.ttl": p.files["diplokg.ttl"][:-1]}, p.index, p.changed
        ),
    ],
)
def test_unusable_previous_dumps_are_rendered_anew(spoil: Callable[[Previous], Previous]) -> None:
    store = big_store()
    pre = prefixes(store)
    old = render_dumps(store, pre)
    store.add(quad("s01", "p", "o", "a"))
    new = render_dumps(store, pre, spoil(Previous(old.files, old.index, {})))
    assert not new.incremental
    assert new.files == render_dumps(store, pre).files


def test_other_prefixes_or_settings_render_anew() -> None:
    store = big_store()
    pre = prefixes(store)
    old = render_dumps(store, pre)
    previous = Previous(old.files, old.index, {})
    assert render_dumps(store, pre, previous).incremental
    assert not render_dumps(store, {**pre, "x": "urn:x:"}, previous).incremental
    assert not render_dumps(store, pre, previous, level=1).incremental
    assert not render_dumps(store, pre, previous, range_bits=3).incremental
    assert not render_dumps(store, pre, previous, chunk_bytes=1000).incremental


def test_previous_dumps_read_from_a_directory(tmp_path: Path) -> None:
    store = big_store()
    pre = prefixes(store)
    old = render_dumps(store, pre, **SMALL)
    for name, data in old.files.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "diplokg.ttl").write_bytes(b"")
    store.add(quad("s01", "p", "o", "a"))
    read = Previous.read(tmp_path, old.index, {str(graph("a")): {f"<{ID}s01>"}})
    assert not render_dumps(store, pre, read, **SMALL).incremental  # the Turtle does not fit
    (tmp_path / "diplokg.ttl").write_bytes(old.files["diplokg.ttl"])
    read = Previous.read(tmp_path, old.index, {str(graph("a")): {f"<{ID}s01>"}})
    new = render_dumps(store, pre, read, **SMALL)
    assert new.incremental
    assert new.files == render_dumps(store, pre, **SMALL).files


@pytest.mark.parametrize("params", [SMALL, {}], ids=str)
def test_gzip_is_one_member_that_standard_tools_read(params: Params, tmp_path: Path) -> None:
    store = big_store()
    files = render_dumps(store, prefixes(store), **params).files
    for name in DUMPS:
        packed = files[name + ".gz"]
        assert packed[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"
        assert gzip.decompress(packed) == files[name]
        reader = zlib.decompressobj(31)
        assert reader.decompress(packed) == files[name]
        assert reader.eof  # one member
        assert not reader.unused_data
        (tmp_path / (name + ".gz")).write_bytes(packed)
        subprocess.run(["gzip", "-t", str(tmp_path / (name + ".gz"))], check=True)
        shown = subprocess.run(
            ["zcat", str(tmp_path / (name + ".gz"))], check=True, capture_output=True
        )
        assert shown.stdout == files[name]


# --- rdflib graphs ---------------------------------------------------------------


def test_ntriples_sorted_and_unique() -> None:
    g1, g2 = graphs()
    union = g1 + g2 + g1
    lines = to_ntriples(union).decode().splitlines()
    assert lines == sorted(lines)
    assert len(lines) == len(set(lines)) == 5
    assert '"two\\nlines"' in to_ntriples(g1).decode()
