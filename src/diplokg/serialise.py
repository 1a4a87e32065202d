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

Each gzip is one member whose deflate stream is a sequence of *chunks*, each a
run of pieces compressed on its own (a fresh compressor, ended by a sync flush) in
a thread (zlib releases the GIL). A piece starts a chunk with a probability of its
size over :data:`CHUNK_BYTES`, drawn from a hash of what the piece is, so chunks
average about that size and a piece that is kept keeps its chunk.

:func:`render_dumps` returns the files with an index of their pieces and chunks.
Given the previous build's files, their index and the subjects that changed in each
graph (:class:`Previous`), it writes again only the ranges holding a changed
subject: their subjects (those of the previous N-Quads and the changed ones) are
cut into ranges again (a range whose first subject is gone joins the one before),
the statements of the changed ones looked up in the store one by one, those of the
others read from the previous N-Quads. Every other piece, and every chunk made
only of kept pieces, is copied from the previous files: the result is byte for
byte what a full render gives.

In a full render each graph is dumped by Oxigraph as N-Triples and its lines
sorted as bytes; the N-Quads and the N-Triples are sorted a range at a time. The
sorted lines are parsed back (without validation: Oxigraph just wrote them) to feed
Oxigraph's Turtle and TriG writers, so no statement goes through rdflib, and
their output is cut into pieces at the lines that start subjects.

:func:`graph_turtle` writes a small rdflib graph (the SHACL report) like the Turtle
dump; :func:`to_ntriples` writes one as sorted N-Triples (for digests of a graph).
"""

from __future__ import annotations

import gzip
import io
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
from collections.abc import Collection, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
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
INDEX_VERSION = 1

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
# How many chunks of a dump may wait to be compressed.
_WAITING = 4

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
        chunks: The number of the first piece of each chunk.
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
                    "chunks": f.chunks.tolist(),
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
                        array("Q", f["sizes"]), array("Q", f["chunks"]), array("Q", f["packed"])
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
    ) -> None:
        self.data = memoryview(data)
        self.packed = memoryview(packed)
        self.sizes = index.sizes
        self.first = first
        self.chunk_bytes = chunk_bytes
        self.chunks = index.chunks
        self.offsets = list(itertools.accumulate(index.sizes, initial=0))
        self.chunk_offsets = list(itertools.accumulate(index.packed, initial=len(_GZIP_HEADER)))

    def fits(self) -> bool:
        """Whether the files are as long as the index says."""
        end = self.chunk_offsets[-1] + len(_GZIP_LAST_BLOCK) + 8  # CRC-32 and size
        return len(self.data) == self.offsets[-1] and len(self.packed) == end

    def piece(self, j: int) -> memoryview:
        """Return the bytes of piece ``j``."""
        return self.data[self.offsets[j] : self.offsets[j + 1]]

    def first_starts_chunk(self) -> bool:
        """Whether the first piece starts a chunk when it is not the first."""
        assert self.first is not None
        return _starts_chunk(self.first, self.sizes[0], self.chunk_bytes)

    def starts_chunk(self, j: int) -> bool:
        """Whether piece ``j`` starts a chunk."""
        c = bisect_left(self.chunks, j)
        return c < len(self.chunks) and self.chunks[c] == j

    def next_chunk(self, j: int) -> int:
        """Return the number of the piece that starts the chunk after piece ``j``'s."""
        c = bisect_right(self.chunks, j)
        return self.chunks[c] if c < len(self.chunks) else len(self.sizes)

    def chunk(self, j: int) -> memoryview:
        """Return the compressed chunk that piece ``j`` starts."""
        c = bisect_left(self.chunks, j)
        return self.packed[self.chunk_offsets[c] : self.chunk_offsets[c + 1]]


class _Writer:
    """Writes a dump a piece at a time, and its gzip a chunk at a time in threads.

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
        self._chunks = array("Q")
        self._out = io.BytesIO()
        # Bytes of the old dump to copy next to the output, as [start, end].
        self._span: list[int] = []
        self._packed: list[Future[bytes] | memoryview] = []
        self._waiting: deque[Future[bytes]] = deque()
        # The pieces of the chunk being filled: new bytes, or (first, end) old pieces.
        self._open: list[bytes | memoryview | tuple[int, int]] = []
        # The old piece after the last one kept, if nothing was added since, and
        # the first piece of the old chunk after that one's.
        self._next = -1
        self._limit = -1

    def add(self, key: _PieceKey, data: bytes | memoryview) -> None:
        """Append a new piece."""
        if not self.sizes or _starts_chunk(key, len(data), self._chunk_bytes):
            self._begin()
        self.sizes.append(len(data))
        self._open.append(data)
        self._copy()
        self._out.write(data)
        self._next = -1

    def put(self, key: _PieceKey, data: bytes | memoryview, j: int) -> None:
        """Append a piece written again: as piece ``j`` of the old dump if it is the same."""
        if j >= 0 and self._old is not None and self._old.piece(j) == data:
            self.keep(j, j + 1)
        else:
            self.add(key, data)

    def keep(self, first: int, end: int) -> None:
        """Append pieces ``first`` to ``end`` (excluded) of the old dump."""
        old = self._old
        assert old is not None
        j = first
        while j < end:
            if j != self._next or j == self._limit:  # not in the old chunk being copied
                if not self.sizes or (old.starts_chunk(j) if j else old.first_starts_chunk()):
                    self._begin()
                self._limit = old.next_chunk(j)
            stop = min(self._limit, end)
            self.sizes.extend(old.sizes[j:stop])
            if j == self._next:
                self._open[-1] = (self._open[-1][0], stop)
                self._span[1] = old.offsets[stop]
            else:
                self._open.append((j, stop))
                self._copy()
                self._span = [old.offsets[j], old.offsets[stop]]
            j = self._next = stop

    def _copy(self) -> None:
        """Write the old bytes waiting to be copied."""
        if self._span:
            assert self._old is not None
            self._out.write(self._old.data[self._span[0] : self._span[1]])
            self._span = []

    def _begin(self) -> None:
        """Start a new chunk with the next piece."""
        self._close()
        self._chunks.append(len(self.sizes))

    def _close(self) -> None:
        """Compress the chunk being filled, or copy it if the old dump has it."""
        if not self._open:
            return
        pieces, self._open = self._open, []
        self._next = -1
        old = self._old
        parts: list[Buffer] = []
        for piece in pieces:
            if not isinstance(piece, tuple):
                parts.append(piece)
                continue
            assert old is not None
            first, end = piece
            if len(pieces) == 1 and old.starts_chunk(first) and old.next_chunk(first) == end:
                self._packed.append(old.chunk(first))
                return
            parts.append(old.data[old.offsets[first] : old.offsets[end]])
        # A writer faster than zlib waits rather than hold more of the dump twice.
        while len(self._waiting) > _WAITING:
            self._waiting.popleft().result()
        packed = self._pool.submit(_deflate, b"".join(parts), self._level)
        self._waiting.append(packed)
        self._packed.append(packed)

    def text(self) -> bytes:
        """Return the dump as written so far."""
        self._copy()
        self._next = -1
        return self._out.getvalue()

    def finish(self) -> tuple[bytes, bytes, _FileIndex]:
        """Return the dump, its gzip and where their pieces and chunks are."""
        self._close()
        data = self.text()
        crc = self._pool.submit(zlib.crc32, data)
        packed = [p if isinstance(p, memoryview) else p.result() for p in self._packed]
        trailer = struct.pack("<II", crc.result(), len(data) & 0xFFFFFFFF)
        gz = b"".join([_GZIP_HEADER, *packed, _GZIP_LAST_BLOCK, trailer])
        return data, gz, _FileIndex(self.sizes, self._chunks, array("Q", map(len, packed)))


# --- Rendering ---------------------------------------------------------------------


@dataclass
class Rendered:
    """The dumps, with the index to rewrite them from.

    Attributes:
        files: File name → content: the :data:`DUMPS` and the ``.gz`` of each.
        index: Where the ranges are in the files, to pass back to
            :func:`render_dumps` with them (its format is described there).
        incremental: Whether the previous files were rewritten rather than the
            dumps written anew.
    """

    files: dict[str, bytes]
    index: bytes
    incremental: bool


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
    """

    files: Mapping[str, Buffer]
    index: bytes
    changed: Mapping[str, Collection[str]]

    @classmethod
    def read(cls, dist: Path, index: bytes, changed: Mapping[str, Collection[str]]) -> Previous:
        """Map the dumps of a directory (those missing are left out).

        Args:
            dist: The directory of the previous build.
            index: The dumps' index.
            changed: Graph name → changed subjects (see :class:`Previous`).

        Returns:
            The previous dumps.
        """
        files: dict[str, Buffer] = {}
        for name in (*DUMPS, *(f"{name}.gz" for name in DUMPS)):
            try:
                with open(dist / name, "rb") as f:
                    if not os.fstat(f.fileno()).st_size:
                        files[name] = b""  # an empty file cannot be mapped
                        continue
                    # Read ahead at once: most of the file is copied.
                    flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
                    files[name] = mmap.mmap(f.fileno(), 0, flags=flags, prot=mmap.PROT_READ)
            except FileNotFoundError:
                continue
        return cls(files, index, changed)


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
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        settings = _Settings(prefixes, level, range_bits, chunk_bytes, pool)
        dumps = None if previous is None else _Update.of(store, settings, previous)
        return _render(store, settings) if dumps is None else dumps


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
    files: dict[str, bytes] = {}
    packed: dict[str, bytes] = {}
    for name, writer in writers.items():
        files[name], packed[f"{name}.gz"], index.files[name] = writer.finish()
    return Rendered(files | packed, index.to_bytes(), incremental)


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
    """

    def __init__(
        self,
        store: Store,
        settings: _Settings,
        old: _Index,
        files: dict[str, _OldFile],
        changed: dict[bytes, set[bytes]],
    ) -> None:
        self.store = store
        self.settings = settings
        self.old = old
        self.files = files
        self.changed = changed
        self.lead = 0 if old.ranges[:1] == [b""] else 1
        self.slots = [b""] * self.lead + old.ranges
        # Subject → its statements in the named graphs, for the subjects looked up:
        # the changed ones, and those of the slots of a graph that is gone.
        self.quads: dict[bytes, list[Quad]] = {}
        # Subject → its N-Quads in the previous build, for the subjects of the
        # dirty slots (the statements of those not looked up are unchanged).
        self.lines: dict[bytes, bytes] = {}
        self._old_subjects: dict[int, list[bytes]] = {}
        self.dotted = _Dotted(settings.prefixes)

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
            files[name] = _OldFile(data, packed, old.files[name], first, old.chunk_bytes)
            if not files[name].fits():
                return None
        changed = {
            graph.encode(): {s.encode() for s in subjects}
            for graph, subjects in previous.changed.items()
        }
        return cls(store, settings, old, files, changed).dumps()

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

    def exists(self, subject: bytes) -> bool:
        """Whether a subject of the previous build or a changed one has statements."""
        return bool(self.quads[subject]) if subject in self.quads else subject in self.lines

    def look_up(self, subject: bytes) -> None:
        """Find a subject's statements in the store (once)."""
        if subject not in self.quads:
            quads = self.store.quads_for_pattern(_term(subject), None, None, None)
            self.quads[subject] = [q for q in quads if not isinstance(q.graph_name, DefaultGraph)]

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
        self.rendered = {k: self.render(subjects) for k, subjects in members.items()}
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

    def render(self, subjects: list[bytes]) -> tuple[bytes, bytes, dict[bytes, bytes]]:
        """Write the statements about some subjects.

        Returns:
            Their N-Quads, their N-Triples (union) and their N-Triples in each graph.
        """
        looked_up = [subject for subject in subjects if subject in self.quads]
        quads = [quad for subject in looked_up for quad in self.quads[subject]]
        lines = _lines(serialize(quads, format=RdfFormat.N_QUADS) or b"")
        for subject in subjects:
            if subject not in self.quads:
                lines += _lines(self.lines[subject])
        lines.sort()
        triples: list[bytes] = []
        graphs: dict[bytes, list[bytes]] = {}
        for line in lines:
            triple, _, graph = line[:-2].rpartition(b" ")  # "s p o g ." (g has no space)
            triple += b" ."
            triples.append(triple)
            graphs.setdefault(graph, []).append(triple)
        union = _text(list(dict.fromkeys(triples)))
        return _text(lines), union, {graph: _text(own) for graph, own in graphs.items()}

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
            quads, triples, _ = self.rendered[k]
            j = self.same.get(k, -1)
            key = (_RANGE, b"", self.ranges[k])
            nq.put(key, quads, j)
            nt.put(key, triples, j)
            ttl.put(key, _turtle_piece(triples, prefixes, self.dotted), j + 1 if j >= 0 else -1)
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
            for graph in self.rendered[k][2]:
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
            if i >= 0 and graph not in self.changed and not written:
                writer.keep(bases[i], bases[i + 1])
            else:
                self.write_graph(writer, graph, own, bases[i] if i >= 0 else -1, written)
            graphs.append(graph)
            graph_ranges.append(sorted(kept + written))
        return graphs, graph_ranges

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
            else:
                ntriples = self.rendered[k][2][graph]
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
