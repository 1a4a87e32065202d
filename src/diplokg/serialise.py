"""Deterministic serialisations: the same dataset always gives the same bytes.

The dumps of ``dist/`` are written from a :class:`pyoxigraph.Store` holding every
named graph (blank nodes skolemised first: their labels are not stable):

- N-Quads (https://www.w3.org/TR/n-quads/) of the named graphs and N-Triples
  (https://www.w3.org/TR/n-triples/) of their union: one statement a line in
  Oxigraph's canonical form, lines sorted (by UTF-8 bytes, hence by code points),
  no duplicates;
- Turtle (https://www.w3.org/TR/turtle/) of the union and TriG
  (https://www.w3.org/TR/trig/) of the named graphs, graphs sorted by name:
  Oxigraph's writer fed with the statements in that sorted order, so subjects come
  sorted and grouped, then predicates and objects sorted, under the prefixes of
  :func:`turtle_prefixes`, declared in the same order by every file;
- gzip with a zero timestamp and no file name.

Sorted by line, every file lists the subjects in the same order, each subject's
statements together. The subjects are cut into *ranges* by their content: a
subject starts a range when the CRC-32 of its N-Triples form ends in
:data:`RANGE_BITS` zero bits, so a range holds 2**RANGE_BITS subjects on average
whatever else the dataset holds. Each file is a sequence of *pieces*: one a range
in the N-Quads, N-Triples and Turtle (after the prefixes, in the Turtle), and one a
graph and range in the TriG (between each graph's opening and closing lines). A
subject never straddles two pieces, so adding statements about a subject changes
only the piece of its range (in the TriG, of its range in the graphs that changed).

Each gzip is one member whose deflate stream is a sequence of *chunks*, each
compressed on its own (a fresh compressor, ended by a sync flush) in a thread (zlib
releases the GIL). A piece starts a chunk with a probability of its size over
:data:`CHUNK_BYTES`, drawn from a hash of what the piece is, so chunks average about
that size and a piece that is kept keeps its chunk. A piece bigger than
:data:`BIG_PIECE` chunks is also cut inside, where a line or an object of a Turtle
line drawn the same way from its content starts a chunk (:func:`_cuts`): a change
to a subject with megabytes of statements compresses again only the chunks around
it.

:func:`render_dumps` returns the files with an index of their pieces and chunks.
Given the previous build's files, their index and the subjects that changed in each
graph (:class:`Previous`), it writes again only the ranges holding a changed
subject: their subjects (those of the previous N-Quads and the changed ones) are
cut into ranges again (a range whose first subject is gone joins the one before).
The statements of the changed subjects are worked out from their previous N-Quads
and the quads added and removed, if :class:`Previous` has them, or else looked up
in the store one by one; those of the others are read from the previous N-Quads.
Within a range written again, only the changed subjects are written again in the
N-Triples, Turtle and TriG: the others are copied from the previous pieces. Every
other piece, and every chunk whose bytes the previous dump had, is copied from the
previous files: the result is byte for byte what a full render gives.

The files are :class:`Content`: the new bytes and spans of the previous files, end
to end, so that the unchanged gigabyte is neither read into memory nor copied by
Python (:meth:`Content.write` has the kernel copy it); each dump's CRC-32 (for
the gzip trailer) and sha256 (for the manifest) are worked out in one pass, in a
thread.

In a full render each graph is dumped by Oxigraph as N-Triples and its lines
sorted as bytes; the N-Quads and the N-Triples are sorted a range at a time. The
sorted lines are parsed back (without validation: Oxigraph just wrote them) to feed
Oxigraph's Turtle and TriG writers, so no statement goes through rdflib, and
their output is cut into pieces at the lines that start subjects.

:func:`graph_turtle` writes a small rdflib graph (the SHACL report) like the Turtle
dump; :func:`to_ntriples` writes one as sorted N-Triples (for digests of a graph).
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import itertools
import json
import mmap
import os
import re
import struct
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    NamedNode,
    Quad,
    RdfFormat,
    Store,
    Triple,
    parse,
    serialize,
)
from rdflib import Graph

from diplokg.namespaces import prefixes_for

#: gzip level of the dumps. On 2.2M quads (930 MiB of dumps) zlib takes about 4 s
#: at level 1, 10 s at 6 and 24 s at 9, for 90, 70 and 68 MiB: level 6 compresses
#: in threads while the GIL-bound writing goes on, level 9 would outlast it.
GZIP_LEVEL = 6

#: The file names :func:`render_dumps` writes, without their ``.gz`` copies.
DUMPS = ("diplokg.trig", "diplokg.nq", "diplokg.nt", "diplokg.ttl")

#: A subject starts a range when the CRC-32 of its N-Triples form ends in this many
#: zero bits. On 1.2M quads (210k subjects) 6 bits make 3,400 ranges of 84 KB of
#: N-Quads on average (half under 48 KB): adding a source dirties a few dozen of
#: them, each a few milliseconds to render again.
RANGE_BITS = 6

#: About how many uncompressed bytes a gzip chunk holds. Compressed on their own,
#: chunks of 128 KiB make the gzip of the dumps 7 % bigger than whole streams would
#: (N-Quads 5 %, TriG 12 %; 64 KiB: about twice that), and a changed piece costs
#: about 1 ms to compress again.
CHUNK_BYTES = 1 << 17

#: The version of the index format (:attr:`Rendered.index`).
INDEX_VERSION = 2

#: A piece bigger than this many times :data:`CHUNK_BYTES` is also cut into chunks
#: inside, at lines chosen by their content (:func:`_cuts`): then a change to a big
#: range compresses again only the chunks around it.
BIG_PIECE = 4

_END = b" .\n"
# IRIs ending in a dot, in N-Triples.
_DOTTED = re.compile(rb"<([^<>\"{}|^`\\\x00-\x20]*\.)>")
_DOT_END = re.compile(rb"\.>")
# The subject of a line of N-Triples or N-Quads, and a run of lines with the same subject.
_SUBJECT = re.compile(rb"^(\S+) ", re.MULTILINE)
_RUN = re.compile(rb"^(\S+) .*\n(?:\1 .*\n)*", re.MULTILINE)
# Line breaks before a line that starts a subject (or a graph, or ends one) in
# Oxigraph's Turtle and TriG: the other lines are indented one tab more.
_TURTLE_STARTS = re.compile(rb"\n(?!\t)")
_TRIG_STARTS = re.compile(rb"\n(?!\t\t)")

# gzip (RFC 1952): magic, deflate, no flags, mtime 0, no extra flags, OS 3 (Unix,
# as zlib writes it); the trailer is an empty final fixed-Huffman block, then the
# CRC-32 and size of the uncompressed data.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"
_GZIP_LAST_BLOCK = b"\x03\x00"
# How many bytes of a dump may wait to be compressed (beyond the chunk being added).
_WAITING = 32 << 20

# What a piece is: its kind, its graph (empty in the union files) and its range's
# first subject (empty in the first range, if that starts with no cut subject).
_HEAD, _OPEN, _RANGE, _CLOSE = range(4)
_PieceKey = tuple[int, bytes, bytes]

GraphName = NamedNode | BlankNode
Buffer = bytes | bytearray | memoryview | mmap.mmap


# --- Store-based dumps -------------------------------------------------------


def graph_names(store: Store) -> list[GraphName]:
    """Return the names of a store's named graphs, sorted.

    Args:
        store: The store.

    Returns:
        The graph names, sorted by their IRI (blank node labels last).
    """
    return sorted(store.named_graphs(), key=lambda g: (isinstance(g, BlankNode), g.value))


def _lines(data: bytes) -> list[bytes]:
    """The lines of newline-terminated ``data``, without their newline."""
    lines = data.split(b"\n")
    lines.pop()  # after the last newline
    return lines


def _text(lines: list[bytes]) -> bytes:
    """Newline-terminated lines (``lines`` gets an empty last item)."""
    if not lines:
        return b""
    lines.append(b"")
    return b"\n".join(lines)


def _in_graph(ntriples: bytes, graph: bytes) -> bytes:
    r"""Turn N-Triples into N-Quads in ``graph`` (its N-Triples form).

    A raw newline only ends a line (literals escape theirs), so ``" .\n"`` is found
    at the end of each line and nowhere else.
    """
    return ntriples.replace(_END, b" " + graph + _END)


def _starts_range(subject: bytes, mask: int) -> bool:
    """Whether a subject (its N-Triples form) starts a range."""
    return zlib.crc32(subject) & mask == 0


def _starts_chunk(key: _PieceKey, size: int, chunk_bytes: int) -> bool:
    """Whether a piece starts a chunk: with a probability of ``size / chunk_bytes``."""
    kind, graph, subject = key
    return zlib.crc32(subject, zlib.crc32(graph, kind)) * chunk_bytes < size << 32


def _term(key: bytes) -> NamedNode | BlankNode:
    """The subject whose N-Triples form is ``key``."""
    if key.startswith(b"<"):
        return NamedNode(key[1:-1].decode())
    return BlankNode(key[2:].decode())


def _header(prefixes: dict[str, str]) -> bytes:
    return "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in prefixes.items()).encode()


def _body_start(written: bytes) -> int:
    """Where Oxigraph's Turtle or TriG starts after its prefixes (in an order of its own)."""
    start = 0
    while written.startswith(b"@prefix ", start):
        start = written.index(b"\n", start) + 1
    return start


class _Dotted:
    r"""Writes in full the IRIs ending in a dot that Oxigraph writes as prefixed names.

    rdflib cannot read a prefixed name ending in an escaped dot (``ex:a\.``, valid
    Turtle), so the dumps write such IRIs in full.

    Args:
        prefixes: Prefix → namespace (:func:`turtle_prefixes`).
        everything: All the N-Triples the bodies will be written from, if known:
            without an IRI ending in a dot, there is nothing to rewrite.
    """

    def __init__(
        self, prefixes: dict[str, str], everything: Iterable[Buffer] | None = None
    ) -> None:
        self._prefixes = prefixes
        self._terms: dict[bytes, re.Pattern[bytes] | None] = {}
        self._none = everything is not None and not any(map(_DOT_END.search, everything))

    def __call__(self, body: bytes | memoryview, sources: Iterable[Buffer]) -> bytes | memoryview:
        """Rewrite ``body``, written from the statements of ``sources`` (N-Triples)."""
        if self._none:
            return body
        dotted = {iri for text in sources if _DOT_END.search(text) for iri in _DOTTED.findall(text)}
        for iri in sorted(dotted):
            term = self._term(iri)
            if term is not None:
                body = term.sub(b"<" + iri.replace(b"\\", b"\\\\") + b">", body)
        return body

    def _term(self, iri: bytes) -> re.Pattern[bytes] | None:
        """How Oxigraph writes ``iri`` if not in full, as a pattern."""
        if iri not in self._terms:
            name = _written_as(iri.decode(), self._prefixes)
            self._terms[iri] = (
                None
                if name.startswith("<")
                else re.compile(rb"(?<!\S)" + re.escape(name.encode()) + rb"(?=\s)")
            )
        return self._terms[iri]


def _finish(written: bytes, sources: Iterable[Buffer], prefixes: dict[str, str]) -> bytes:
    """Put the prefixes in their order and write in full what rdflib could not read."""
    if not written:
        return b""
    body = memoryview(written)[_body_start(written) :]
    return b"".join([_header(prefixes), _Dotted(prefixes)(body, sources)])


def _written_as(iri: str, prefixes: dict[str, str]) -> str:
    """How Oxigraph's Turtle writer writes an IRI as an object."""
    triple = Triple(NamedNode("urn:s"), NamedNode("urn:p"), NamedNode(iri))
    line = (serialize([triple], format=RdfFormat.TURTLE, prefixes=prefixes) or b"").decode()
    return line.rsplit("\n", 2)[-2].removeprefix("<urn:s> <urn:p> ").removesuffix(" .")


def _turtle(ntriples: bytes, prefixes: dict[str, str]) -> bytes:
    triples = parse(ntriples, RdfFormat.N_TRIPLES, lenient=True)
    written = serialize(triples, format=RdfFormat.TURTLE, prefixes=prefixes) or b""
    return _finish(written, [ntriples], prefixes)


def _turtle_piece(ntriples: bytes, prefixes: dict[str, str], dotted: _Dotted) -> bytes | memoryview:
    """The Turtle of a range of the union, without the prefixes."""
    written = serialize(
        parse(ntriples, RdfFormat.N_TRIPLES, lenient=True),
        format=RdfFormat.TURTLE,
        prefixes=prefixes,
    )
    written = written or b""
    return dotted(memoryview(written)[_body_start(written) :], [ntriples])


def _trig_piece(
    ntriples: bytes, graph: bytes, prefixes: dict[str, str], dotted: _Dotted
) -> tuple[bytes | memoryview, bytes | memoryview, bytes]:
    """The TriG of a range of a graph: the graph's opening line, the range, its closing line."""
    quads = parse(_in_graph(ntriples, graph), RdfFormat.N_QUADS, lenient=True)
    written = serialize(quads, format=RdfFormat.TRIG, prefixes=prefixes) or b""
    start = _body_start(written)
    body = written.index(b"\n", start) + 1
    close = written.rindex(b"\n", 0, -1) + 1
    view = memoryview(written)
    return (
        dotted(view[start:body], [graph]),
        dotted(view[body:close], [ntriples]),
        written[close:],
    )


@dataclass
class SortedGraphs:
    """The named graphs of a store as sorted N-Triples, cut into pieces by range.

    A graph's piece of a range holds its lines about the range's subjects. The
    graphs are held end to end in one buffer, which goes back to the system whole
    once freed (thousands of small texts would leave holes).

    Attributes:
        keys: The N-Triples form of each graph name with statements, in the order
            of :func:`graph_names`.
        data: The sorted N-Triples of each graph (newline-terminated), end to end.
        ranges: The first subject of each range, in order (empty for a first range
            that starts with no cut subject).
        counts: How many subjects of the union each range holds.
        pieces: For each graph, its pieces in order: (range number, where its lines
            start in ``data``, how many subjects they hold). A piece ends where the
            next one starts, or where the graph's lines end (:attr:`ends`).
        ends: Where the lines of each graph end in ``data``.
    """

    keys: list[bytes]
    data: bytearray
    ranges: list[bytes]
    counts: array[int]
    pieces: list[list[tuple[int, int, int]]]
    ends: array[int]

    @classmethod
    def of(cls, store: Store, range_bits: int = RANGE_BITS) -> SortedGraphs:
        """Dump and sort every named graph of a store (its default graph is left out).

        Args:
            store: The store.
            range_bits: A subject starts a range when the CRC-32 of its N-Triples
                form ends in this many zero bits.

        Returns:
            The sorted graphs.
        """
        keys: list[bytes] = []
        data = bytearray()
        ends = array("Q")
        runs: list[list[bytes]] = []  # the subjects of each graph, in order
        for name in graph_names(store):
            lines = _lines(store.dump(format=RdfFormat.N_TRIPLES, from_graph=name) or b"")
            if not lines:
                continue
            lines.sort()  # a store holds no duplicates
            text = _text(lines)
            del lines
            runs.append(_RUN.findall(text))
            keys.append(str(name).encode())
            data += text
            ends.append(len(data))
        mask = (1 << range_bits) - 1
        ranges: list[bytes] = []
        counts = array("Q")
        number: dict[bytes, int] = {}
        for subject in sorted(set(itertools.chain.from_iterable(runs))):
            cut = _starts_range(subject, mask)
            if cut or not ranges:
                ranges.append(subject if cut else b"")
                counts.append(0)
            counts[-1] += 1
            number[subject] = len(ranges) - 1
        pieces: list[list[tuple[int, int, int]]] = []
        start = 0
        for subjects, end in zip(runs, ends, strict=True):
            own: list[tuple[int, int, int]] = []
            at = 0
            for k, run in itertools.groupby(map(number.__getitem__, subjects)):
                if own:  # the line that starts the piece's first subject
                    start = data.index(b"\n" + subjects[at] + b" ", start) + 1
                n = len(list(run))
                own.append((k, start, n))
                at += n
            pieces.append(own)
            start = end
        return cls(keys, data, ranges, counts, pieces, ends)

    def piece_ends(self, graph: int) -> Iterator[tuple[int, int, int, int]]:
        """Yield the pieces of graph number ``graph``: range, start, end, subjects."""
        own = self.pieces[graph]
        for (k, start, n), end in zip(
            own, [*(p[1] for p in own[1:]), self.ends[graph]], strict=True
        ):
            yield k, start, end, n

    def text(self, graph: int) -> bytes:
        """Return the sorted N-Triples of graph number ``graph``."""
        return bytes(memoryview(self.data)[self.pieces[graph][0][1] : self.ends[graph]])

    def trig_pieces(
        self, prefixes: dict[str, str]
    ) -> Iterator[tuple[_PieceKey, bytes | memoryview]]:
        """Write the graphs as TriG (:func:`store_trig`), a piece at a time.

        Yields:
            What each piece is, and its bytes.
        """
        quads = itertools.chain.from_iterable(
            parse(_in_graph(self.text(i), key), RdfFormat.N_QUADS, lenient=True)
            for i, key in enumerate(self.keys)
        )
        written = serialize(quads, format=RdfFormat.TRIG, prefixes=prefixes) or b""
        if not written:
            return
        dotted = _Dotted(prefixes, [self.data, *self.keys])
        yield (_HEAD, b"", b""), _header(prefixes)
        # Each graph is an opening line, a line for each of its subjects (and their
        # continuation lines), then a closing line.
        start = _body_start(written)
        starts = [start, *(m.end() for m in _TRIG_STARTS.finditer(written, start))]
        view, data = memoryview(written), memoryview(self.data)
        at = 0
        for i, graph in enumerate(self.keys):
            yield (_OPEN, graph, b""), dotted(view[starts[at] : starts[at + 1]], [graph])
            at += 1
            for k, first, last, n in self.piece_ends(i):
                piece = view[starts[at] : starts[at + n]]
                yield (_RANGE, graph, self.ranges[k]), dotted(piece, [data[first:last]])
                at += n
            close = view[starts[at] : starts[at + 1]]
            if close.tobytes() != b"}\n":
                raise RuntimeError(f"TriG of {graph.decode()} not cut at its subjects")
            yield (_CLOSE, graph, b""), close
            at += 1

    def union_pieces(self) -> Iterator[tuple[bytes, bytes, bytes]]:
        """Write the N-Quads of the graphs and the N-Triples of their union, a range at a time.

        Yields:
            Each range's first subject, N-Quads (:func:`store_nquads`) and N-Triples
            (:func:`store_ntriples`).
        """
        by_range: list[list[tuple[int, int, int]]] = [[] for _ in self.ranges]
        for i in range(len(self.keys)):
            for k, first, last, _ in self.piece_ends(i):
                by_range[k].append((i, first, last))
        data = memoryview(self.data)
        for k, pieces in enumerate(by_range):
            quads: list[bytes] = []
            triples: list[bytes] = []
            for i, first, last in pieces:
                text = bytes(data[first:last])
                triples += _lines(text)
                quads += _lines(_in_graph(text, self.keys[i]))
            # Sorting "s p o g ." lines sorts them by "s p o" first (no term is a
            # prefix of another followed by a space), and ranges hold whole subjects,
            # so the sorted ranges end to end are sorted.
            quads.sort()
            triples.sort()
            yield self.ranges[k], _text(quads), _text(list(dict.fromkeys(triples)))


def _turtle_pieces(
    ntriples: bytes,
    ranges: list[bytes],
    counts: Iterable[int],
    sizes: Iterable[int],
    prefixes: dict[str, str],
) -> Iterator[tuple[_PieceKey, bytes | memoryview]]:
    """Write the union as Turtle (:func:`store_turtle`), a piece at a time.

    Args:
        ntriples: The N-Triples of the union, sorted.
        ranges: The first subject of each range.
        counts: How many subjects each range holds.
        sizes: How many bytes of ``ntriples`` each range holds.
        prefixes: Prefix → namespace.

    Yields:
        What each piece is, and its bytes.
    """
    triples = parse(ntriples, RdfFormat.N_TRIPLES, lenient=True)
    written = serialize(triples, format=RdfFormat.TURTLE, prefixes=prefixes) or b""
    if not written:
        return
    yield (_HEAD, b"", b""), _header(prefixes)
    dotted = _Dotted(prefixes, [ntriples])
    start = _body_start(written)
    starts = [start, *(m.end() for m in _TURTLE_STARTS.finditer(written, start))]
    view, source = memoryview(written), memoryview(ntriples)
    at = first = 0
    for key, n, size in zip(ranges, counts, sizes, strict=True):
        piece = view[starts[at] : starts[at + n]]
        yield (_RANGE, b"", key), dotted(piece, [source[first : first + size]])
        at += n
        first += size
    if at != len(starts) - 1:
        raise RuntimeError("Turtle not cut at its subjects")


def store_nquads(store: Store) -> bytes:
    """Serialise the named graphs of a store as sorted N-Quads.

    Args:
        store: The store; its default graph is left out.

    Returns:
        UTF-8 bytes, one quad a line, sorted, no duplicates.
    """
    return b"".join(nq for _, nq, _ in SortedGraphs.of(store).union_pieces())


def store_ntriples(store: Store) -> bytes:
    """Serialise the union of the named graphs of a store as sorted N-Triples.

    Args:
        store: The store; its default graph is left out.

    Returns:
        UTF-8 bytes, one triple a line, sorted, no duplicates.
    """
    return b"".join(nt for _, _, nt in SortedGraphs.of(store).union_pieces())


def store_turtle(store: Store, prefixes: dict[str, str]) -> bytes:
    """Serialise the union of the named graphs of a store as Turtle.

    Args:
        store: The store, without blank nodes; its default graph is left out.
        prefixes: Prefix → namespace (:func:`turtle_prefixes`).

    Returns:
        UTF-8 bytes: the prefixes, then subjects sorted, each with its predicates and
        their objects sorted (empty for an empty union).
    """
    return _turtle(store_ntriples(store), prefixes)


def store_trig(store: Store, prefixes: dict[str, str]) -> bytes:
    """Serialise the named graphs of a store as TriG, graphs sorted by name.

    Args:
        store: The store, without blank nodes; its default graph is left out.
        prefixes: Prefix → namespace (:func:`turtle_prefixes`).

    Returns:
        UTF-8 bytes: the prefixes, then each graph as in :func:`store_turtle`.
    """
    return b"".join(piece for _, piece in SortedGraphs.of(store).trig_pieces(prefixes))


def store_predicates(store: Store) -> set[str]:
    """Return the IRIs of the predicates used in the named graphs of a store.

    Args:
        store: The store.

    Returns:
        The predicate IRIs.
    """
    query = "SELECT DISTINCT ?p WHERE { GRAPH ?g { ?s ?p ?o } }"
    return {solution["p"].value for solution in store.query(query)}  # type: ignore[union-attr]


def turtle_prefixes(base: str, predicates: Iterable[str]) -> dict[str, str]:
    """Return the prefixes shared by every Turtle and TriG file.

    The project and reused prefixes (:func:`diplokg.namespaces.prefixes_for`) come
    first; a prefix is then generated (``ns1``, ``ns2``…) for the namespace of any
    other predicate, in sorted order, as rdflib's namespace manager splits them.

    Args:
        base: The dataset namespace.
        predicates: The IRIs of the predicates that will be written.

    Returns:
        Prefix → namespace IRI, in the order the files declare them.
    """
    fixed = prefixes_for(base)
    nm = Graph(bind_namespaces="none").namespace_manager
    for prefix, ns in fixed.items():
        nm.bind(prefix, ns, override=True, replace=True)
    for p in sorted(set(predicates)):
        try:
            nm.compute_qname(p, generate=True)
        except (ValueError, KeyError):
            continue  # not splittable into namespace + name: written as a full IRI
    known = set(fixed.values())
    generated = {prefix: str(ns) for prefix, ns in nm.namespaces() if str(ns) not in known}
    return {**fixed, **dict(sorted(generated.items(), key=lambda kv: _prefix_order(kv[0])))}


def _prefix_order(prefix: str) -> tuple[int, str]:
    """``ns2`` before ``ns10``: generated prefixes in the order they were made."""
    digits = prefix[2:]
    return (int(digits), prefix) if prefix.startswith("ns") and digits.isdigit() else (0, prefix)


def graph_turtle(graph: Graph, prefixes: dict[str, str]) -> bytes:
    """Serialise a small rdflib graph as Turtle like the dumps (e.g. the SHACL report).

    Args:
        graph: The graph, without blank nodes.
        prefixes: Prefix → namespace (:func:`turtle_prefixes`).

    Returns:
        UTF-8 bytes, written as :func:`store_turtle` writes the union.
    """
    data = graph.serialize(format="nt", encoding="utf-8")
    canonical = serialize(parse(data, RdfFormat.N_TRIPLES), format=RdfFormat.N_TRIPLES) or b""
    return _turtle(_text(sorted(set(_lines(canonical)))), prefixes)


def gzip_bytes(data: bytes, level: int = GZIP_LEVEL) -> bytes:
    """Compress deterministically: no timestamp, no file name.

    Args:
        data: The bytes to compress.
        level: The zlib level, 1 (fast) to 9 (small).

    Returns:
        The gzip stream.
    """
    return gzip.compress(data, compresslevel=level, mtime=0)


# --- File contents -------------------------------------------------------------


Stamp = tuple[int, int, int, int]


def file_stamp(st: os.stat_result) -> Stamp:
    """Which file, and which version of it: device, inode, size, modification time."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


@dataclass(frozen=True)
class _Source:
    """A file of the previous build: its bytes, and where it is on disk.

    The bytes are mapped from the file that was at ``path`` with ``stamp``; its
    spans are copied from ``path`` only while the same file is there (a ``dist/``
    replaced meanwhile is copied from the bytes instead).
    """

    data: memoryview
    path: Path | None = None
    stamp: Stamp | None = None


@dataclass(frozen=True)
class _Span:
    """Bytes ``start`` to ``end`` (excluded) of a file of the previous build."""

    file: _Source
    start: int
    end: int


class _Later:
    """Bytes worked out when first asked for (a gzip trailer waits for its CRC-32)."""

    def __init__(self, make: Callable[[], bytes]) -> None:
        self._make = make
        self._value: bytes | None = None

    def result(self) -> bytes:
        """Return the bytes."""
        if self._value is None:
            self._value = self._make()
        return self._value


_Part = bytes | memoryview | _Span | _Later

#: How many bytes :class:`Content` hashes or writes at a time.
_BLOCK = 1 << 20
# What copy_file_range raises where it cannot copy between these files.
_NO_KERNEL_COPY = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EPERM}


class Content:
    """A file's bytes, as parts end to end: new bytes, and spans of previous files.

    An incremental render copies most of each dump from the previous build: held
    as spans, those bytes are neither read into memory nor copied by Python, and
    :meth:`write` has the kernel copy them (``copy_file_range``) when their file
    is on disk.

    Args:
        parts: The parts, in order.
        digest: The CRC-32 and sha256 of the content, if being worked out.
    """

    def __init__(
        self, parts: Iterable[_Part] = (), digest: Future[tuple[int, str]] | None = None
    ) -> None:
        self._parts = list(parts)
        self.digest = digest

    def views(self) -> Iterator[memoryview]:
        """Yield the bytes of each part, in order."""
        for part in self._parts:
            if isinstance(part, _Span):
                yield part.file.data[part.start : part.end]
            elif isinstance(part, _Later):
                yield memoryview(part.result())
            else:
                yield memoryview(part)

    def __len__(self) -> int:
        return sum(len(view) for view in self.views())

    def __bytes__(self) -> bytes:
        return b"".join(self.views())

    def sha256(self) -> str:
        """Return the hex sha256 of the content."""
        if self.digest is not None:
            return self.digest.result()[1]
        digest = hashlib.sha256()
        for view in self.views():
            for at in range(0, len(view), _BLOCK):
                digest.update(view[at : at + _BLOCK])
        return digest.hexdigest()

    def write(self, fd: int) -> int:
        """Write the content to a file at its current position.

        Args:
            fd: The file descriptor, open for writing.

        Returns:
            How many bytes were written.
        """
        written = 0
        opened: dict[Path, int | None] = {}
        try:
            for part in self._parts:
                if isinstance(part, _Span) and part.file.path is not None:
                    path = part.file.path
                    if path not in opened:
                        opened[path] = _open_same(path, part.file.stamp)
                    source = opened[path]
                    if source is not None:
                        written += _kernel_copy(source, fd, part)
                        continue
                view = (
                    part.file.data[part.start : part.end]
                    if isinstance(part, _Span)
                    else memoryview(part.result() if isinstance(part, _Later) else part)
                )
                written += _write_all(fd, view)
        finally:
            for still in opened.values():
                if still is not None:
                    os.close(still)
        return written


def _open_same(path: Path, stamp: Stamp | None) -> int | None:
    """Open ``path`` for reading if it is still the file ``stamp`` describes, else None."""
    if stamp is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    if file_stamp(os.fstat(fd)) != stamp:
        os.close(fd)
        return None
    return fd


def _write_all(fd: int, view: memoryview) -> int:
    """Write all of ``view`` to ``fd``."""
    at = 0
    while at < len(view):
        at += os.write(fd, view[at : at + (1 << 30)])
    return at


def _kernel_copy(source: int, fd: int, span: _Span) -> int:
    """Copy a span of the file open as ``source`` to ``fd``: in the kernel where it can."""
    at, end = span.start, span.end
    copy = getattr(os, "copy_file_range", None)
    while at < end and copy is not None:
        try:
            n = copy(source, fd, end - at, at)
        except OSError as e:
            if e.errno not in _NO_KERNEL_COPY:
                raise
            break
        if n == 0:
            raise OSError(f"{span.file.path}: shorter than expected")
        at += n
    return at - span.start + _write_all(fd, span.file.data[at:end])


# --- Pieces, chunks and the index ------------------------------------------------


def _deflate(data: bytes, level: int) -> bytes:
    """Compress a chunk on its own: raw deflate, ended on a byte boundary, not as the last block."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


@dataclass
class _FileIndex:
    """Where the pieces and chunks of a dump are.

    Attributes:
        sizes: The size of each piece, in order: piece ``j`` starts at the sum of
            the sizes before it.
        chunks: Where each chunk starts in the dump (a byte offset).
        packed: The compressed size of each chunk, in order: the first chunk starts
            after the gzip header (10 bytes).
    """

    sizes: array[int]
    chunks: array[int]
    packed: array[int]


@dataclass
class _Index:
    """What :attr:`Rendered.index` holds (see :func:`render_dumps`)."""

    level: int
    range_bits: int
    chunk_bytes: int
    prefixes: list[tuple[str, str]]
    ranges: list[bytes]
    graphs: list[bytes]
    graph_ranges: list[list[int]]
    files: dict[str, _FileIndex]

    def to_bytes(self) -> bytes:
        """Return the index as UTF-8 JSON."""
        index = {
            "format": "diplokg-dumps-index",
            "version": INDEX_VERSION,
            "level": self.level,
            "range_bits": self.range_bits,
            "chunk_bytes": self.chunk_bytes,
            "prefixes": self.prefixes,
            "ranges": [key.decode() for key in self.ranges],
            "graphs": [key.decode() for key in self.graphs],
            "graph_ranges": self.graph_ranges,
            "files": {
                name: {
                    "sizes": f.sizes.tolist(),
                    "chunk_starts": f.chunks.tolist(),
                    "packed": f.packed.tolist(),
                }
                for name, f in self.files.items()
            },
        }
        return json.dumps(index, ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def of(cls, data: bytes) -> _Index | None:
        """Read an index, or return None if it is not one of this version."""
        try:
            index = json.loads(data)
            if index["format"] != "diplokg-dumps-index" or index["version"] != INDEX_VERSION:
                return None
            files: dict[str, Any] = index["files"]
            return cls(
                index["level"],
                index["range_bits"],
                index["chunk_bytes"],
                [(p, ns) for p, ns in index["prefixes"]],
                [key.encode() for key in index["ranges"]],
                [key.encode() for key in index["graphs"]],
                index["graph_ranges"],
                {
                    name: _FileIndex(
                        array("Q", f["sizes"]),
                        array("Q", f["chunk_starts"]),
                        array("Q", f["packed"]),
                    )
                    for name, f in files.items()
                },
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


class _OldFile:
    """A dump of the previous build and its gzip, with where their pieces and chunks are.

    Args:
        data: The dump.
        packed: Its gzip.
        index: Where their pieces and chunks are.
        first: What the first piece is.
        chunk_bytes: About how many bytes a chunk holds (:func:`_starts_chunk`).
    """

    def __init__(
        self,
        data: Buffer,
        packed: Buffer,
        index: _FileIndex,
        first: _PieceKey | None,
        chunk_bytes: int,
        paths: tuple[Path | None, Path | None] = (None, None),
        stamps: tuple[Stamp | None, Stamp | None] = (None, None),
    ) -> None:
        self.data = memoryview(data)
        self.packed = memoryview(packed)
        self.source = _Source(self.data, paths[0], stamps[0])
        self.packed_source = _Source(self.packed, paths[1], stamps[1])
        self.sizes = index.sizes
        self.first = first
        self.chunk_bytes = chunk_bytes
        self.chunks = index.chunks
        self.offsets = list(itertools.accumulate(index.sizes, initial=0))
        self.chunk_offsets = list(itertools.accumulate(index.packed, initial=len(_GZIP_HEADER)))

    def fits(self) -> bool:
        """Whether the files are as long as the index says."""
        end = self.chunk_offsets[-1] + len(_GZIP_LAST_BLOCK) + 8  # CRC-32 and size
        starts = self.chunks
        whole = len(self.data) == self.offsets[-1] and len(self.packed) == end
        first = not starts or starts[0] == 0
        return whole and first and len(starts) == len(self.chunk_offsets) - 1

    def piece(self, j: int) -> memoryview:
        """Return the bytes of piece ``j``."""
        return self.data[self.offsets[j] : self.offsets[j + 1]]

    def starts_chunk(self, j: int) -> bool:
        """Whether piece ``j`` starts a chunk (when it is not the first of its file)."""
        if j == 0:
            assert self.first is not None
            return _starts_chunk(self.first, self.sizes[0], self.chunk_bytes)
        at = self.offsets[j]
        c = bisect_left(self.chunks, at)
        return c < len(self.chunks) and self.chunks[c] == at

    def chunks_in(self, j: int) -> dict[tuple[int, int], tuple[int, int]]:
        """Return the chunks that start in piece ``j``, by size and CRC-32: where they are."""
        found: dict[tuple[int, int], tuple[int, int]] = {}
        start, end = self.offsets[j], self.offsets[j + 1]
        c = bisect_left(self.chunks, start)
        while c < len(self.chunks) and self.chunks[c] < end:
            a = self.chunks[c]
            b = self.chunks[c + 1] if c + 1 < len(self.chunks) else len(self.data)
            found[(b - a, zlib.crc32(self.data[a:b]))] = (a, b)
            c += 1
        return found

    def chunk_at(self, start: int, end: int) -> tuple[int, int] | None:
        """Return where in the gzip the chunk of bytes ``start`` to ``end`` is, if one is."""
        c = bisect_left(self.chunks, start)
        if c == len(self.chunks) or self.chunks[c] != start:
            return None
        if (self.chunks[c + 1] if c + 1 < len(self.chunks) else len(self.data)) != end:
            return None
        return self.chunk_offsets[c], self.chunk_offsets[c + 1]


def _cuts_inside(data: Buffer, chunk_bytes: int) -> bool:
    """Whether a piece is big enough to be cut into chunks inside."""
    return len(data) > BIG_PIECE * chunk_bytes


def _cuts(data: bytes | memoryview, chunk_bytes: int) -> list[int]:
    """Where a big piece is cut into chunks inside (none for a small one).

    A line (but the first) starts a chunk with a probability of its size over
    ``chunk_bytes``, drawn from its CRC-32 as :func:`_starts_chunk` draws a piece's
    (so a line longer than that always does). Inside a line that long (Turtle
    writes all the objects of a predicate on one line, which can be megabytes
    long), what follows each ``" , "`` starts a chunk the same way. So the chunks
    depend on the bytes around them alone: a change inside a big piece changes
    only the chunks around it.
    """
    if not _cuts_inside(data, chunk_bytes):
        return []
    lines = bytes(data).split(b"\n")
    sizes = [len(line) + 1 for line in lines]
    starts = list(itertools.accumulate(sizes, initial=0))
    cuts = [
        at
        for at, n, crc in zip(starts[1:], sizes[1:], map(zlib.crc32, lines[1:]), strict=False)
        if crc * chunk_bytes < n << 32 and at < len(data)
    ]
    for i in [i for i, n in enumerate(sizes) if n > chunk_bytes]:
        parts = lines[i].split(b" , ")
        inner = itertools.accumulate((len(part) + 3 for part in parts[:-1]), initial=starts[i])
        cuts += [
            at
            for at, part in zip(itertools.islice(inner, 1, None), parts[1:], strict=True)
            if zlib.crc32(part) * chunk_bytes < len(part) << 32
        ]
    cuts.sort()
    return cuts


class _Writer:
    """Writes a dump a piece at a time, and its gzip a chunk at a time in threads.

    Nothing is copied: the dump and its gzip are :class:`Content`, whose parts are
    the new pieces and chunks and spans of the previous files.

    Args:
        pool: The threads that compress the chunks.
        level: The zlib level.
        chunk_bytes: About how many bytes a chunk holds (:func:`_starts_chunk`).
        old: The same dump of the previous build, whose pieces :meth:`keep` copies.
    """

    def __init__(
        self, pool: ThreadPoolExecutor, level: int, chunk_bytes: int, old: _OldFile | None = None
    ) -> None:
        self._pool = pool
        self._level = level
        self._chunk_bytes = chunk_bytes
        self._old = old
        self.sizes = array("Q")
        self._starts = array("Q")
        self._at = 0  # bytes written so far
        self._parts: list[_Part] = []
        # Bytes of the old dump to copy next to the output, as [start, end].
        self._span: list[int] = []
        # Each chunk: being compressed, or where it is in the old gzip.
        self._packed: list[Future[bytes] | tuple[int, int]] = []
        self._waiting: deque[tuple[Future[bytes], int]] = deque()
        self._waiting_bytes = 0
        # The chunk being filled: new bytes, or (start, end) bytes of the old dump.
        self._open: list[bytes | memoryview | tuple[int, int]] = []
        # The old chunks the chunks of the piece being added may be the same as.
        self._like: dict[tuple[int, int], tuple[int, int]] = {}

    def add(self, key: _PieceKey, data: bytes | memoryview) -> None:
        """Append a new piece."""
        self._add(key, data, {})

    def _add(
        self,
        key: _PieceKey,
        data: bytes | memoryview,
        like: dict[tuple[int, int], tuple[int, int]],
    ) -> None:
        """Append a new piece, some of whose chunks may be ``like`` old ones."""
        if not self.sizes or _starts_chunk(key, len(data), self._chunk_bytes):
            self._begin()
        self._like = like
        self.sizes.append(len(data))
        self._copy()
        self._parts.append(data)
        view = memoryview(data)
        at = 0
        for cut in _cuts(view, self._chunk_bytes):
            self._open.append(view[at:cut])
            self._at += cut - at
            self._begin()
            at = cut
        self._open.append(view[at:])
        self._at += len(view) - at

    def put(self, key: _PieceKey, data: bytes | memoryview, j: int) -> None:
        """Append a piece written again: as piece ``j`` of the old dump if it is the same."""
        if j >= 0 and self._old is not None and self._old.piece(j) == data:
            self.keep(j, j + 1)
        elif j >= 0 and self._old is not None:
            # A big piece changed in places: most of its chunks are as they were.
            self._add(
                key, data, self._old.chunks_in(j) if _cuts_inside(data, self._chunk_bytes) else {}
            )
        else:
            self.add(key, data)

    def keep(self, first: int, end: int) -> None:
        """Append pieces ``first`` to ``end`` (excluded) of the old dump."""
        old = self._old
        assert old is not None
        if first >= end:
            return
        # The chunks start where they started: at the pieces that start one (by
        # what they are) and inside big pieces (by their lines).
        if not self.sizes or old.starts_chunk(first):
            self._begin()
        self._like = {}
        self.sizes.extend(old.sizes[first:end])
        start, stop = old.offsets[first], old.offsets[end]
        at = start
        c = bisect_right(old.chunks, start)
        while c < len(old.chunks) and old.chunks[c] < stop:
            self._extend(at, old.chunks[c])
            self._begin()
            at = old.chunks[c]
            c += 1
        self._extend(at, stop)
        if self._span and self._span[1] == start:
            self._span[1] = stop
        else:
            self._copy()
            self._span = [start, stop]

    def _extend(self, start: int, end: int) -> None:
        """Add old bytes to the chunk being filled."""
        last = self._open[-1] if self._open else None
        if isinstance(last, tuple) and last[1] == start:
            self._open[-1] = (last[0], end)
        elif start < end:
            self._open.append((start, end))
        self._at += end - start

    def _copy(self) -> None:
        """Add the old bytes waiting to be copied to the parts."""
        if self._span:
            assert self._old is not None
            self._parts.append(_Span(self._old.source, self._span[0], self._span[1]))
            self._span = []

    def _begin(self) -> None:
        """Start a new chunk here."""
        self._close()
        self._starts.append(self._at)

    def _close(self) -> None:
        """Compress the chunk being filled, or copy it if the old dump has it."""
        if not self._open:
            return
        pieces, self._open = self._open, []
        old = self._old
        if len(pieces) == 1 and old is not None:
            only = pieces[0]
            if isinstance(only, tuple):
                found = old.chunk_at(*only)
            else:  # new bytes, maybe those of an old chunk
                like = self._like.get((len(only), zlib.crc32(only)))
                same = like is not None and old.data[like[0] : like[1]] == only
                found = old.chunk_at(*like) if like is not None and same else None
            if found is not None:
                self._packed.append(found)
                return
        parts: list[Buffer] = []
        for piece in pieces:
            if isinstance(piece, tuple):
                assert old is not None
                parts.append(old.data[piece[0] : piece[1]])
            else:
                parts.append(piece)
        # A writer faster than zlib waits rather than hold much more of the dump twice.
        while self._waiting and self._waiting_bytes > _WAITING:
            done, size = self._waiting.popleft()
            done.result()
            self._waiting_bytes -= size
        chunk = b"".join(parts)
        packed = self._pool.submit(_deflate, chunk, self._level)
        self._waiting.append((packed, len(chunk)))
        self._waiting_bytes += len(chunk)
        self._packed.append(packed)

    def text(self) -> bytes:
        """Return the dump as written so far."""
        self._copy()
        return bytes(Content(self._parts))

    def finish(self) -> tuple[Content, Content, _FileIndex]:
        """Return the dump, its gzip and where their pieces and chunks are.

        The dump's CRC-32 (for the gzip's trailer) and sha256 are worked out in a
        thread, in one pass.
        """
        self._close()
        self._copy()
        data = Content(self._parts)
        scan = self._pool.submit(_scan, data)
        data.digest = scan
        size = self._at
        gz: list[_Part] = [_GZIP_HEADER]
        packed = array("Q")
        for chunk in self._packed:
            if isinstance(chunk, tuple):
                assert self._old is not None
                start, end = chunk
                last = gz[-1]
                if isinstance(last, _Span) and last.end == start:
                    gz[-1] = _Span(last.file, last.start, end)
                else:
                    gz.append(_Span(self._old.packed_source, start, end))
                packed.append(end - start)
            else:
                compressed = chunk.result()
                gz.append(compressed)
                packed.append(len(compressed))
        gz.append(_GZIP_LAST_BLOCK)
        gz.append(_Later(lambda: struct.pack("<II", scan.result()[0], size & 0xFFFFFFFF)))
        return data, Content(gz), _FileIndex(self.sizes, self._starts, packed)


def _scan(content: Content) -> tuple[int, str]:
    """The CRC-32 and sha256 of some content, in one pass (a block at a time)."""
    crc = 0
    digest = hashlib.sha256()
    for view in content.views():
        for at in range(0, len(view), _BLOCK):
            block = view[at : at + _BLOCK]
            digest.update(block)
            crc = zlib.crc32(block, crc)
    return crc, digest.hexdigest()


# --- Rendering ---------------------------------------------------------------------


@dataclass(eq=False)
class Rendered:
    """The dumps, with the index to rewrite them from.

    Attributes:
        contents: File name → content: the :data:`DUMPS` and the ``.gz`` of each.
        index: Where the ranges are in the files, to pass back to
            :func:`render_dumps` with them (its format is described there).
        incremental: Whether the previous files were rewritten rather than the
            dumps written anew.
    """

    contents: dict[str, Content]
    index: bytes
    incremental: bool

    @property
    def files(self) -> dict[str, bytes]:
        """File name → its bytes (read from the parts of each content)."""
        return {name: bytes(content) for name, content in self.contents.items()}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Rendered):
            return NotImplemented
        same = (self.index, self.incremental) == (other.index, other.incremental)
        return same and self.files == other.files

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Previous:
    """The dumps of a previous build, and what changed in the store since.

    Attributes:
        files: File name → content (bytes, or a map of the file) of each
            :data:`DUMPS` file and its ``.gz``.
        index: Their :attr:`Rendered.index`.
        changed: Graph name → the subjects whose statements in that graph were
            added or removed, both in N-Triples form as ``str()`` of a pyoxigraph
            term gives it (``<https://…>``). A graph added or removed whole may
            be left out: its subjects are found in the store or the index.
        added: If given, every quad added to the store since the previous build,
            and ``removed`` every quad removed before they were added: the store
            is then the previous one less ``removed``, plus ``added``. The changed
            subjects' statements are then worked out from the previous N-Quads and
            these quads instead of being looked up in the store, and the subjects
            of these quads need not be in ``changed``.
        removed: See ``added``.
        paths: File name → the path of the file ``files`` holds, for the files on
            disk (their unchanged parts are then copied by the kernel).
        stamps: File name → :func:`file_stamp` of the file ``files`` holds (the
            kernel copies from ``paths`` only while the same file is there).
    """

    files: Mapping[str, Buffer]
    index: bytes
    changed: Mapping[str, Collection[str]]
    added: Collection[Quad] | None = None
    removed: Collection[Quad] = ()
    paths: Mapping[str, Path] = field(default_factory=dict)
    stamps: Mapping[str, Stamp] = field(default_factory=dict)

    @classmethod
    def read(
        cls,
        dist: Path,
        index: bytes,
        changed: Mapping[str, Collection[str]],
        added: Collection[Quad] | None = None,
        removed: Collection[Quad] = (),
    ) -> Previous:
        """Map the dumps of a directory (those missing are left out).

        Args:
            dist: The directory of the previous build.
            index: The dumps' index.
            changed: Graph name → changed subjects (see :class:`Previous`).
            added: The quads added since (see :class:`Previous`).
            removed: The quads removed since.

        Returns:
            The previous dumps.
        """
        files: dict[str, Buffer] = {}
        paths: dict[str, Path] = {}
        stamps: dict[str, Stamp] = {}
        for name in (*DUMPS, *(f"{name}.gz" for name in DUMPS)):
            try:
                with open(dist / name, "rb") as f:
                    st = os.fstat(f.fileno())
                    if not st.st_size:
                        files[name] = b""  # an empty file cannot be mapped
                        continue
                    # Read ahead at once: all of the file is hashed.
                    flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
                    files[name] = mmap.mmap(f.fileno(), 0, flags=flags, prot=mmap.PROT_READ)
                    paths[name], stamps[name] = dist / name, file_stamp(st)
            except OSError:  # missing, or cannot be mapped: that file is rendered anew
                continue
        return cls(files, index, changed, added, removed, paths, stamps)


@dataclass(frozen=True)
class _Settings:
    """How the dumps are written."""

    prefixes: dict[str, str]
    level: int
    range_bits: int
    chunk_bytes: int
    pool: ThreadPoolExecutor

    def writer(self, old: _OldFile | None = None) -> _Writer:
        """Return a writer for a dump (rewriting ``old``, if given)."""
        return _Writer(self.pool, self.level, self.chunk_bytes, old)

    def index(
        self, ranges: list[bytes], graphs: list[bytes], graph_ranges: list[list[int]]
    ) -> _Index:
        """Return an index of these ranges and graphs, its files yet to be added."""
        settings = (self.level, self.range_bits, self.chunk_bytes, list(self.prefixes.items()))
        return _Index(*settings, ranges, graphs, graph_ranges, {})


def render_dumps(
    store: Store,
    prefixes: dict[str, str],
    previous: Previous | None = None,
    level: int = GZIP_LEVEL,
    range_bits: int = RANGE_BITS,
    chunk_bytes: int = CHUNK_BYTES,
) -> Rendered:
    """Write the dumps of a store: TriG, N-Quads, N-Triples, Turtle and their gzip.

    With ``previous``, only the ranges holding a changed subject are written again,
    and the rest copied from the previous files; the result is the same as without.
    The previous files are not used if their index is of another format version,
    other prefixes, ``level``, ``range_bits`` or ``chunk_bytes``, or does not match
    their sizes.

    The index (:attr:`Rendered.index`) is UTF-8 JSON, an object with ``format``
    (``"diplokg-dumps-index"``), ``version`` (:data:`INDEX_VERSION`), ``level``,
    ``range_bits``, ``chunk_bytes``, ``prefixes`` (``[prefix, namespace]`` pairs
    in order), ``ranges`` (the first subject of each range, in N-Triples form, in
    order; ``""`` for a first range that starts with no cut subject), ``graphs``
    (the graph names with statements, in N-Triples form, in TriG order),
    ``graph_ranges`` (for each graph, the numbers of the ranges it has statements
    about) and ``files``: for each of :data:`DUMPS`, ``sizes`` (the size of each
    piece; they follow each other from byte 0), ``chunks`` (the number of the
    piece that starts each chunk) and ``packed`` (the size of each compressed
    chunk in the ``.gz``; they follow each other from byte 10). The pieces are:

    - ``.nq`` and ``.nt``: one a range;
    - ``.ttl``: the prefixes, then one a range;
    - ``.trig``: the prefixes, then for each graph its opening line, one piece a
      range in ``graph_ranges``, its closing line.

    (An empty dataset has no range and no piece.)

    Args:
        store: The store, without blank nodes; its default graph is left out.
        prefixes: Prefix → namespace (:func:`turtle_prefixes`).
        previous: The previous build's dumps and what changed since.
        level: The gzip level (:func:`gzip_bytes`).
        range_bits: A subject starts a range when the CRC-32 of its N-Triples form
            ends in this many zero bits.
        chunk_bytes: About how many uncompressed bytes a gzip chunk holds.

    Returns:
        The files and their index.
    """
    pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1)
    try:
        settings = _Settings(prefixes, level, range_bits, chunk_bytes, pool)
        dumps = None if previous is None else _Update.of(store, settings, previous)
        return _render(store, settings) if dumps is None else dumps
    except BaseException:
        pool.shutdown(cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=False)  # the dumps' digests may still be being worked out


def _render(store: Store, settings: _Settings) -> Rendered:
    """Write the dumps of a store anew."""
    graphs = SortedGraphs.of(store, settings.range_bits)
    writers = {name: settings.writer() for name in DUMPS}
    for key, piece in graphs.trig_pieces(settings.prefixes):
        writers["diplokg.trig"].add(key, piece)
    for subject, nq, nt in graphs.union_pieces():
        writers["diplokg.nq"].add((_RANGE, b"", subject), nq)
        writers["diplokg.nt"].add((_RANGE, b"", subject), nt)
    ranges, counts = graphs.ranges, graphs.counts
    index = settings.index(ranges, graphs.keys, [[k for k, _, _ in own] for own in graphs.pieces])
    del graphs  # the sorted texts, before the Turtle
    union = writers["diplokg.nt"]
    turtle = _turtle_pieces(union.text(), ranges, counts, union.sizes, settings.prefixes)
    for key, piece in turtle:
        writers["diplokg.ttl"].add(key, piece)
    return _finish_dumps(writers, index, incremental=False)


def _finish_dumps(writers: dict[str, _Writer], index: _Index, incremental: bool) -> Rendered:
    """Finish the files and their index."""
    files: dict[str, Content] = {}
    packed: dict[str, Content] = {}
    for name, writer in writers.items():
        files[name], packed[f"{name}.gz"], index.files[name] = writer.finish()
    return Rendered(files | packed, index.to_bytes(), incremental)


@dataclass
class _RangeText:
    """A range written again: its subjects, in order, and their N-Quads (sorted)."""

    subjects: list[bytes]
    quads: bytes


def _graphs_of(quads: Buffer) -> set[bytes]:
    """Return the graphs of some lines of N-Quads."""
    return {line[line.rindex(b" ", 0, -2) + 1 : -2] for line in _lines(bytes(quads))}


def _blocks(piece: Buffer, starts: re.Pattern[bytes]) -> list[Buffer]:
    """Cut a piece of Turtle or TriG at the lines that start subjects."""
    view = memoryview(piece)
    cuts = [0, *(m.end() for m in starts.finditer(piece) if m.end() < len(view)), len(view)]
    return [view[a:b] for a, b in itertools.pairwise(cuts)]


class _Update:
    """Rewrites the previous dumps where subjects changed.

    A *slot* is a range of the previous build, numbered from 1 if it had no range
    before its first cut subject (slot 0 is then that empty range).

    Args:
        store: The store.
        settings: How the dumps are written.
        old: The previous index.
        files: The previous dumps.
        changed: Graph → changed subjects, in N-Triples form.
        delta: Subject → its N-Quads lines added and removed since the previous
            build, if known (:attr:`Previous.added`): the changed subjects'
            statements are then worked out from them, not looked up in the store.
    """

    def __init__(
        self,
        store: Store,
        settings: _Settings,
        old: _Index,
        files: dict[str, _OldFile],
        changed: dict[bytes, set[bytes]],
        delta: dict[bytes, tuple[list[bytes], set[bytes]]] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.old = old
        self.files = files
        self.changed = changed
        self.delta = delta
        self.lead = 0 if old.ranges[:1] == [b""] else 1
        self.slots = [b""] * self.lead + old.ranges
        # Subject → its N-Quads now (sorted lines), for the subjects looked up:
        # the changed ones, and those of the slots of a graph that is gone.
        self.new: dict[bytes, bytes] = {}
        # Subject → its N-Quads in the previous build, for the subjects of the
        # dirty slots (the statements of those not looked up are unchanged).
        self.lines: dict[bytes, bytes] = {}
        self._old_subjects: dict[int, list[bytes]] = {}
        self._graph_subjects: dict[tuple[int, bytes], list[bytes]] = {}
        self._graphs_at: dict[int, list[bytes]] | None = None
        self._blocks: dict[tuple[str, int, bytes], dict[bytes, Buffer]] = {}
        self._now: dict[bytes, tuple[list[bytes], dict[bytes, list[bytes]]]] = {}
        self._by_graph: dict[tuple[int, bytes], list[bytes]] = {}
        self.dotted = _Dotted(settings.prefixes)
        self.known = {graph: i for i, graph in enumerate(old.graphs)}
        # The old piece that opens each old graph of the TriG, and after the last graph.
        self.bases = list(itertools.accumulate((len(r) + 2 for r in old.graph_ranges), initial=1))

    @classmethod
    def of(cls, store: Store, settings: _Settings, previous: Previous) -> Rendered | None:
        """Rewrite the previous dumps, or return None if they do not fit the settings."""
        old = _Index.of(previous.index)
        if old is None or (old.level, old.range_bits, old.chunk_bytes, old.prefixes) != (
            settings.level,
            settings.range_bits,
            settings.chunk_bytes,
            list(settings.prefixes.items()),
        ):
            return None
        files: dict[str, _OldFile] = {}
        for name in DUMPS:
            data, packed = previous.files.get(name), previous.files.get(f"{name}.gz")
            if data is None or packed is None or name not in old.files:
                return None
            first: _PieceKey | None = None
            if old.ranges:
                union = name in ("diplokg.nq", "diplokg.nt")
                first = (_RANGE, b"", old.ranges[0]) if union else (_HEAD, b"", b"")
            gz = f"{name}.gz"
            paths = (previous.paths.get(name), previous.paths.get(gz))
            stamps = (previous.stamps.get(name), previous.stamps.get(gz))
            files[name] = _OldFile(
                data, packed, old.files[name], first, old.chunk_bytes, paths, stamps
            )
            if not files[name].fits():
                return None
        changed = {
            graph.encode(): {s.encode() for s in subjects}
            for graph, subjects in previous.changed.items()
        }
        delta: dict[bytes, tuple[list[bytes], set[bytes]]] | None = None
        if previous.added is not None:
            delta = {}
            for quads, at in ((previous.removed, 1), (previous.added, 0)):
                named = [q for q in quads if not isinstance(q.graph_name, DefaultGraph)]
                for line in _lines(serialize(named, format=RdfFormat.N_QUADS) or b""):
                    subject = line[: line.index(b" ")]
                    graph = line[line.rindex(b" ", 0, -2) + 1 : -2]
                    changed.setdefault(graph, set()).add(subject)
                    change = delta.setdefault(subject, ([], set()))
                    if at:
                        change[1].add(line)
                    else:
                        change[0].append(line)
        return cls(store, settings, old, files, changed, delta).dumps()

    def slot(self, subject: bytes) -> int:
        """Return the slot a subject falls in."""
        return bisect_right(self.slots, subject) - 1

    def old_subjects(self, slot: int) -> list[bytes]:
        """Return the subjects of a slot in the previous build (and keep their N-Quads)."""
        if slot not in self._old_subjects:
            piece = self.files["diplokg.nq"].piece(slot - self.lead) if slot >= self.lead else b""
            runs = {run[1]: run[0] for run in _RUN.finditer(piece)}
            self.lines.update(runs)
            self._old_subjects[slot] = list(runs)
        return self._old_subjects[slot]

    def old_blocks(self, name: str, slot: int, graph: bytes = b"") -> dict[bytes, Buffer]:
        """Return subject → its statements in the previous piece of a slot, as written.

        Args:
            name: ``diplokg.nt``, ``diplokg.ttl`` or ``diplokg.trig``.
            slot: The slot.
            graph: The graph, in the TriG.

        Returns:
            Each subject's lines of N-Triples, or its lines of Turtle or TriG.
        """
        key = (name, slot, graph)
        if key in self._blocks:
            return self._blocks[key]
        j = slot - self.lead
        blocks: dict[bytes, Buffer] = {}
        if j < 0:
            pass
        elif name == "diplokg.nt":
            blocks = {run[1]: run[0] for run in _RUN.finditer(self.files[name].piece(j))}
        elif name == "diplokg.ttl":
            subjects = self.old_subjects(slot)
            cut = _blocks(self.files[name].piece(j + 1), _TURTLE_STARTS)
            blocks = dict(zip(subjects, cut, strict=True))
        else:
            i = self.known[graph]
            own = self.old.graph_ranges[i]
            p = bisect_left(own, j)
            if p < len(own) and own[p] == j:
                subjects = self.old_graph_subjects(slot, graph)
                piece = self.files[name].piece(self.bases[i] + 1 + p)
                blocks = dict(zip(subjects, _blocks(piece, _TRIG_STARTS), strict=True))
        self._blocks[key] = blocks
        return blocks

    def old_graph_subjects(self, slot: int, graph: bytes) -> list[bytes]:
        """Return the subjects a graph had statements about in a slot, in order."""
        key = (slot, graph)
        if key not in self._graph_subjects:
            own = [s for s in self.old_subjects(slot) if self.was_in(s, graph)]
            self._graph_subjects[key] = own
        return self._graph_subjects[key]

    def was_in(self, subject: bytes, graph: bytes) -> bool:
        """Whether a subject of a dirty slot had statements in a graph."""
        # A line of N-Quads ends with its graph, and a raw line break ends a line.
        return subject in self.lines and b" " + graph + b" .\n" in self.lines[subject]

    def is_in(self, subject: bytes, graph: bytes) -> bool:
        """Whether a subject of a range written again has statements in a graph."""
        if subject in self.new:
            return graph in self.now(subject)[1]
        return self.was_in(subject, graph)

    def now(self, subject: bytes) -> tuple[list[bytes], dict[bytes, list[bytes]]]:
        """Return a looked-up subject's statements now.

        Returns:
            Its lines of N-Triples in the union (sorted, without duplicates), and
            graph → its lines of N-Triples there.
        """
        if subject not in self._now:
            triples: list[bytes] = []
            graphs: dict[bytes, list[bytes]] = {}
            for line in _lines(self.new[subject]):
                triple, _, graph = line[:-2].rpartition(b" ")  # "s p o g ." (g has no space)
                triple += b" ."
                triples.append(triple)
                graphs.setdefault(graph, []).append(triple)
            self._now[subject] = (list(dict.fromkeys(triples)), graphs)
        return self._now[subject]

    def graphs_in(self, k: int) -> list[bytes]:
        """Return the graphs with statements about range ``k`` (written again)."""
        j = self.same.get(k, -1)
        if j < 0:  # from the statements
            found: dict[bytes, None] = {}
            for subject in self.rendered[k].subjects:
                if subject in self.new:
                    found.update(dict.fromkeys(self.now(subject)[1]))
                else:
                    found.update(dict.fromkeys(_graphs_of(self.lines[subject])))
            return list(found)
        # The same subjects as old range j: the graphs it had, and those that changed.
        if self._graphs_at is None:
            self._graphs_at = {}
            for i, own in enumerate(self.old.graph_ranges):
                for r in own:
                    self._graphs_at.setdefault(r, []).append(self.old.graphs[i])
        before = self._graphs_at.get(j, [])
        # A graph that changed no subject of the range has the statements it had.
        graphs = [g for g in before if (g, k) not in self.changed_at]
        graphs += [g for g in self.changed if (g, k) in self.changed_at and self.by_graph(k, g)]
        return graphs

    def by_graph(self, k: int, graph: bytes) -> list[bytes]:
        """Return the subjects of range ``k`` (written again) in a graph, in order."""
        key = (k, graph)
        if key not in self._by_graph:
            own = [s for s in self.rendered[k].subjects if self.is_in(s, graph)]
            self._by_graph[key] = own
        return self._by_graph[key]

    def graph_text(self, k: int, graph: bytes) -> bytes:
        """Return the N-Triples of a graph about range ``k`` (written again)."""
        lines: list[bytes] = []
        for subject in self.by_graph(k, graph):
            if subject in self.new:
                lines += self.now(subject)[1][graph]
            else:  # (a graph's subjects are all looked up when the graph is new)
                end = b" " + graph + b" ."
                own = _lines(bytes(self.lines[subject]))
                lines += [line[: -len(end)] + b" ." for line in own if line.endswith(end)]
        return _text(lines)

    def spliced(self, k: int, graph: bytes | None) -> tuple[bytes, bytes | memoryview]:
        """Write a range of the union (``graph`` None) or of a graph of the previous TriG.

        The subjects that did not change (in the union, or in that graph) are
        copied from the previous pieces; the others are written again.

        Returns:
            The N-Triples of the union (empty for a graph), and the Turtle or the
            TriG (without the graph's opening and closing lines).
        """
        ntriples = b""
        if graph is None:
            subjects = self.rendered[k].subjects
            changed: Collection[bytes] = self.new
            nt = self.old_subjects_blocks("diplokg.nt", subjects, changed)
            fresh_lines = [s for s in subjects if s not in nt]
            lines = [line for s in fresh_lines for line in self.now(s)[0]]
            ntriples = b"".join(nt[s] if s in nt else _text(list(self.now(s)[0])) for s in subjects)
        else:
            subjects = self.by_graph(k, graph)
            changed = self.changed.get(graph, set())
            lines = [line for s in subjects if s in changed for line in self.now(s)[1][graph]]
        name = "diplokg.ttl" if graph is None else "diplokg.trig"
        old = self.old_subjects_blocks(name, subjects, changed, graph or b"")
        fresh: dict[bytes, Buffer] = {}
        if lines:
            again = _text(lines)
            if graph is None:
                body = _turtle_piece(again, self.settings.prefixes, self.dotted)
                starts = _TURTLE_STARTS
            else:
                body = _trig_piece(again, graph, self.settings.prefixes, self.dotted)[1]
                starts = _TRIG_STARTS
            if not old:
                return ntriples, body
            written = [s for s in subjects if s not in old]
            fresh = dict(zip(written, _blocks(body, starts), strict=True))
        return ntriples, b"".join(old[s] if s in old else fresh[s] for s in subjects)

    def old_subjects_blocks(
        self, name: str, subjects: Iterable[bytes], changed: Collection[bytes], graph: bytes = b""
    ) -> dict[bytes, Buffer]:
        """Return the previous blocks (:meth:`old_blocks`) of the subjects that did not change."""
        found: dict[bytes, Buffer] = {}
        for subject in subjects:
            if subject not in changed:
                found[subject] = self.old_blocks(name, self.slot(subject), graph)[subject]
        return found

    def exists(self, subject: bytes) -> bool:
        """Whether a subject of the previous build or a changed one has statements."""
        return bool(self.new[subject]) if subject in self.new else subject in self.lines

    def look_up(self, subject: bytes) -> None:
        """Work out a subject's N-Quads now (once).

        From its previous N-Quads and the lines added and removed, if known;
        otherwise from the store.
        """
        if subject in self.new:
            return
        if self.delta is None:
            quads = self.store.quads_for_pattern(_term(subject), None, None, None)
            named = [q for q in quads if not isinstance(q.graph_name, DefaultGraph)]
            lines = _lines(serialize(named, format=RdfFormat.N_QUADS) or b"")
            lines.sort()
            self.new[subject] = _text(lines)
            return
        self.old_subjects(self.slot(subject))
        old = self.lines.get(subject, b"")
        added, removed = self.delta.get(subject, ([], set()))
        if not added and not removed:
            self.new[subject] = old
            return
        lines = _lines(old)
        if removed:
            lines = [line for line in lines if line not in removed]
        for line in added:
            at = bisect_left(lines, line)
            if at == len(lines) or lines[at] != line:
                lines.insert(at, line)
        self.new[subject] = _text(lines)

    def dumps(self) -> Rendered:
        """Rewrite the dumps."""
        names = graph_names(self.store)
        keys = [str(name).encode() for name in names]
        known = {graph: i for i, graph in enumerate(self.old.graphs)}
        for name, key in zip(names, keys, strict=True):
            if key not in known:
                dump = self.store.dump(format=RdfFormat.N_TRIPLES, from_graph=name) or b""
                self.changed.setdefault(key, set()).update(_SUBJECT.findall(dump))
        self.new_ranges(self.dirty_slots(set(known) - set(keys)))
        writers = {name: self.settings.writer(self.files[name]) for name in DUMPS}
        self.write_union(writers)
        graphs, graph_ranges = self.write_trig(writers["diplokg.trig"], keys)
        index = self.settings.index(self.ranges, graphs, graph_ranges)
        return _finish_dumps(writers, index, incremental=True)

    def dirty_slots(self, gone: set[bytes]) -> set[int]:
        """Return the slots to write again.

        A slot holding a changed subject is dirty, and so is every slot of a graph
        that is gone (whose subjects are all looked up). A slot whose first subject
        is gone joins the slot before, which is dirty too.
        """
        dirty: set[int] = set()
        for subjects in self.changed.values():
            for subject in subjects:
                self.look_up(subject)
                dirty.add(self.slot(subject))
        for graph, own in zip(self.old.graphs, self.old.graph_ranges, strict=True):
            if graph in gone:
                for slot in (j + self.lead for j in own):
                    dirty.add(slot)
                    for subject in self.old_subjects(slot):
                        self.look_up(subject)
        todo, dirty = sorted(dirty), set()
        while todo:
            slot = todo.pop()
            dirty.add(slot)
            self.old_subjects(slot)
            if slot and not self.exists(self.slots[slot]) and slot - 1 not in dirty:
                todo.append(slot - 1)
        return dirty

    def new_ranges(self, dirty: set[int]) -> None:
        """Cut the subjects of the dirty slots into ranges again, and write those ranges.

        Sets :attr:`ranges` (the first subject of each range), :attr:`kept` (the
        number each range had in the previous build if it is kept as it was, else
        -1), :attr:`order` (for each old range, the number of the first range from
        its slot on), :attr:`new_number` (for each old range, its number if kept,
        else -1), :attr:`rendered` (the statements of each range written again, by
        number: :meth:`render`), :attr:`changed_at` (the changed (graph, range)
        pairs) and :attr:`same` (the old number of each range written again that
        covers the same subjects as before).
        """
        mask = (1 << self.settings.range_bits) - 1
        at: dict[int, set[bytes]] = {}
        for subjects in self.changed.values():
            for subject in subjects:
                at.setdefault(self.slot(subject), set()).add(subject)
        self.ranges: list[bytes] = []
        self.kept: list[int] = []
        self.order = array("q")
        members: dict[int, list[bytes]] = {}
        for slot, key in enumerate(self.slots):
            if slot >= self.lead:
                self.order.append(len(self.ranges))
            if slot not in dirty:
                if slot >= self.lead:
                    self.ranges.append(key)
                    self.kept.append(slot - self.lead)
                continue
            subjects = {*self.old_subjects(slot), *at.get(slot, ())}
            for subject in sorted(filter(self.exists, subjects)):
                cut = _starts_range(subject, mask)
                if cut or not self.ranges:
                    self.ranges.append(subject if cut else b"")
                    self.kept.append(-1)
                    members[len(self.ranges) - 1] = []
                members[len(self.ranges) - 1].append(subject)
        self.rendered = {k: _RangeText(own, self.render(own)) for k, own in members.items()}
        self.new_number = array("q", [-1]) * len(self.old.ranges)
        for k, j in enumerate(self.kept):
            if j >= 0:
                self.new_number[j] = k
        self.changed_at = {
            (graph, bisect_right(self.ranges, subject) - 1)
            for graph, subjects in self.changed.items()
            for subject in subjects
        }
        old_number = {key: j for j, key in enumerate(self.old.ranges)}
        self.same: dict[int, int] = {}
        for k in self.rendered:
            j = old_number.get(self.ranges[k], -1)
            if j >= 0 and self.old.ranges[j + 1 : j + 2] == self.ranges[k + 1 : k + 2]:
                self.same[k] = j

    def render(self, subjects: list[bytes]) -> bytes:
        """Write the N-Quads about some subjects (sorted)."""
        # Each subject's lines are sorted, and sorted subjects' lines follow each
        # other in order (see SortedGraphs.union_pieces).
        return b"".join(self.new[s] if s in self.new else self.lines[s] for s in subjects)

    def write_union(self, writers: dict[str, _Writer]) -> None:
        """Write the N-Quads, the N-Triples and the Turtle."""
        nq, nt, ttl = writers["diplokg.nq"], writers["diplokg.nt"], writers["diplokg.ttl"]
        prefixes = self.settings.prefixes
        if self.ranges and self.old.ranges:
            ttl.keep(0, 1)
        elif self.ranges:
            ttl.add((_HEAD, b"", b""), _header(prefixes))
        k = 0
        while k < len(self.ranges):
            first = self.kept[k]
            if first >= 0:  # kept ranges, as many as follow each other
                end = k + 1
                while end < len(self.ranges) and self.kept[end] == first + end - k:
                    end += 1
                last = first + end - k
                nq.keep(first, last)
                nt.keep(first, last)
                ttl.keep(first + 1, last + 1)
                k = end
                continue
            triples, turtle = self.spliced(k, None)
            j = self.same.get(k, -1)
            key = (_RANGE, b"", self.ranges[k])
            nq.put(key, self.rendered[k].quads, j)
            nt.put(key, triples, j)
            ttl.put(key, turtle, j + 1 if j >= 0 else -1)
            k += 1

    def write_trig(self, writer: _Writer, keys: list[bytes]) -> tuple[list[bytes], list[list[int]]]:
        """Write the TriG.

        A graph's piece of a range is written again if the graph changed a subject
        of the range, or if the range does not cover the same subjects as before.

        Args:
            writer: The TriG's writer.
            keys: The graph names of the store, in order.

        Returns:
            The graphs written, and the ranges of each.
        """
        old = self.old
        new_number = self.new_number
        in_rendered: dict[bytes, list[int]] = {}
        for k in sorted(self.rendered):
            for graph in self.graphs_in(k):
                in_rendered.setdefault(graph, []).append(k)
        # The old piece that opens each old graph, and after the last graph.
        bases = list(itertools.accumulate((len(r) + 2 for r in old.graph_ranges), initial=1))
        known = {graph: i for i, graph in enumerate(old.graphs)}
        graphs: list[bytes] = []
        graph_ranges: list[list[int]] = []
        for graph in keys:
            i = known.get(graph, -1)
            own = old.graph_ranges[i] if i >= 0 else []
            kept = [new_number[j] for j in own if new_number[j] >= 0]
            written = in_rendered.get(graph, [])
            if not kept and not written:
                continue
            if not graphs:  # the prefixes
                if old.graphs:
                    writer.keep(0, 1)
                else:
                    writer.add((_HEAD, b"", b""), _header(self.settings.prefixes))
            if i >= 0 and graph not in self.changed and self.unmoved(own, written):
                writer.keep(bases[i], bases[i + 1])
            else:
                self.write_graph(writer, graph, own, bases[i] if i >= 0 else -1, written)
            graphs.append(graph)
            graph_ranges.append(sorted(kept + written))
        return graphs, graph_ranges

    def unmoved(self, own: list[int], written: list[int]) -> bool:
        """Whether a graph's old ranges written again cover the same subjects as before.

        Args:
            own: The old ranges the graph has pieces in.
            written: The ranges written again that the graph has statements in.

        Returns:
            Whether each of ``written`` is one of ``own`` written again with the same
            subjects, and each of ``own`` written again is one of them: if the graph
            changed none of their subjects, its pieces are as they were.
        """
        again = [j for j in own if self.new_number[j] < 0]
        return len(again) == len(written) and all(
            self.same.get(k, -1) == j for k, j in zip(written, again, strict=True)
        )

    def write_graph(
        self, writer: _Writer, graph: bytes, own: list[int], base: int, written: list[int]
    ) -> None:
        """Write a graph of the TriG whose ranges are not all kept.

        Args:
            writer: The TriG's writer.
            graph: The graph name.
            own: The old ranges the graph has pieces in.
            base: The old piece that opens the graph (-1 for a new graph).
            written: The ranges written again that the graph has statements in.
        """
        prefixes = self.settings.prefixes
        # The graph's old pieces (numbered from `first`) follow the order of the
        # ranges; those of ranges written again are left out or written again.
        first = base + 1
        order = [self.order[j] for j in own]
        again = [p for p, j in enumerate(own) if self.new_number[j] < 0]
        replaced = {own[p]: first + p for p in again}

        def keep(start: int, end: int) -> None:
            for p in again[bisect_left(again, start) : bisect_left(again, end)]:
                if start < p:
                    writer.keep(first + start, first + p)
                start = p + 1
            if start < end:
                writer.keep(first + start, first + end)

        opening: list[bytes | memoryview] = []
        closing: list[bytes] = []
        pieces: list[tuple[int, int, bytes | memoryview | None]] = []
        for k in written:
            at = replaced.get(self.same.get(k, -1), -1)
            if at >= 0 and (graph, k) not in self.changed_at:
                pieces.append((k, at, None))
            elif base >= 0:
                pieces.append((k, at, self.spliced(k, graph)[1]))
            else:
                ntriples = self.graph_text(k, graph)
                head, piece, tail = _trig_piece(ntriples, graph, prefixes, self.dotted)
                pieces.append((k, at, piece))
                opening.append(head)
                closing.append(tail)
        if base >= 0:
            writer.keep(base, base + 1)
        else:
            writer.add((_OPEN, graph, b""), opening[0])
        p = 0
        for k, at, body in pieces:
            q = bisect_left(order, k, p)
            keep(p, q)
            p = q
            if body is None:
                writer.keep(at, at + 1)
            else:
                writer.put((_RANGE, graph, self.ranges[k]), body, at)
        keep(p, len(own))
        if base >= 0:
            writer.keep(first + len(own), first + len(own) + 1)
        else:
            writer.add((_CLOSE, graph, b""), closing[0])


# --- rdflib graphs -----------------------------------------------------------


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
