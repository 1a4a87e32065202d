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

Each graph is dumped by Oxigraph as N-Triples and its lines sorted as bytes. The
sorted graphs are cut at the same keys into ranges of about
:data:`BYTES_PER_RANGE` bytes, so the N-Quads and the N-Triples are sorted a range
at a time: what is held besides the finished files stays small. The sorted lines
are parsed back (without validation: Oxigraph just wrote them) to feed Oxigraph's
Turtle and TriG writers, so no statement goes through rdflib. :func:`render_dumps`
writes the eight files together, sharing that work and compressing each file in
a thread (zlib releases the GIL) while the next one is written.

:func:`graph_turtle` writes a small rdflib graph (the SHACL report) like the Turtle
dump; :func:`to_ntriples` writes one as sorted N-Triples (for digests of a graph).
"""

from __future__ import annotations

import gzip
import io
import itertools
import re
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from pyoxigraph import BlankNode, NamedNode, Quad, RdfFormat, Store, Triple, parse, serialize
from rdflib import Graph

from diplokg.namespaces import prefixes_for

#: gzip level of the dumps. On 2.2M quads (930 MiB of dumps) zlib takes about 4 s
#: at level 1, 10 s at 6 and 24 s at 9, for 90, 70 and 68 MiB: level 6 compresses
#: in a thread while the GIL-bound writing goes on, level 9 alone would outlast it.
GZIP_LEVEL = 6

#: The file names :func:`render_dumps` writes, without their ``.gz`` copies.
DUMPS = ("diplokg.trig", "diplokg.nq", "diplokg.nt", "diplokg.ttl")

#: About how many bytes of N-Triples are sorted at a time (see :class:`SortedGraphs`).
BYTES_PER_RANGE = 1 << 23

# Every this many lines of each sorted graph is a candidate key to cut ranges at.
_SAMPLE_EVERY = 64
_END = b" .\n"
# IRIs ending in a dot, in N-Triples.
_DOTTED = re.compile(rb"<([^<>\"{}|^`\\\x00-\x20]*\.)>")

GraphName = NamedNode | BlankNode


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


def _in_graph(ntriples: bytes, graph: GraphName) -> bytes:
    r"""Turn N-Triples into N-Quads in ``graph``.

    A raw newline only ends a line (literals escape theirs), so ``" .\n"`` is found
    at the end of each line and nowhere else.
    """
    return ntriples.replace(_END, f" {graph}{_END.decode()}".encode())


def _ignore(_: bytes) -> None:
    """Do nothing with a piece of a dump."""


@dataclass
class SortedGraphs:
    """The named graphs of a store as sorted N-Triples, cut into ranges of lines.

    Every graph is cut at the same keys, so range ``k`` of every graph holds the
    lines between the same two keys, and all the copies of a triple fall in the
    same range. The graphs are held end to end in one buffer, which goes back to
    the system whole once freed (thousands of small texts would leave holes).

    Attributes:
        names: The graph names, sorted (:func:`graph_names`).
        data: The sorted N-Triples of each graph (newline-terminated), end to end.
        cuts: Where the ranges start and end in ``data``: with ``n`` ranges, range
            ``k`` of graph ``i`` starts at ``cuts[i * (n + 1) + k]`` and ends where
            the next one starts.
    """

    names: list[GraphName]
    data: bytearray
    cuts: array[int]

    @classmethod
    def of(cls, store: Store, bytes_per_range: int = BYTES_PER_RANGE) -> SortedGraphs:
        """Dump and sort every named graph of a store (its default graph is left out).

        Args:
            store: The store.
            bytes_per_range: About how many bytes a range holds, all graphs together.

        Returns:
            The sorted graphs.
        """
        names = graph_names(store)
        data = bytearray()
        ends = [0]
        # Every _SAMPLE_EVERY-th line of each graph, with the size of the lines from
        # it to the next one: the keys cut the whole into ranges of about equal size.
        sample = bytearray()
        weights = array("Q")
        for name in names:
            lines = _lines(store.dump(format=RdfFormat.N_TRIPLES, from_graph=name) or b"")
            lines.sort()  # a store holds no duplicates
            sample += _text(lines[::_SAMPLE_EVERY])
            weights.extend(
                sum(map(len, lines[i : i + _SAMPLE_EVERY])) + len(lines[i : i + _SAMPLE_EVERY])
                for i in range(0, len(lines), _SAMPLE_EVERY)
            )
            data += _text(lines)
            ends.append(len(data))
            del lines
        samples = _lines(bytes(sample))
        del sample
        parts = max(1, len(data) // max(1, bytes_per_range))
        keys: list[bytes] = []
        seen = 0
        for i in sorted(range(len(samples)), key=samples.__getitem__):
            if seen >= len(data) * (len(keys) + 1) // parts:
                keys.append(samples[i])
            seen += weights[i]
        del samples, weights
        cuts = array("Q", bytes(8 * len(names) * (len(keys) + 2)))
        at = 0
        view = memoryview(data)
        for start, end in itertools.pairwise(ends):
            lines = _lines(bytes(view[start:end]))
            offsets = list(itertools.accumulate((len(line) + 1 for line in lines), initial=start))
            for index in (0, *(bisect_left(lines, key) for key in keys), len(lines)):
                cuts[at] = offsets[index]
                at += 1
            del lines, offsets
        view.release()
        return cls(names, data, cuts)

    def ranges(self) -> int:
        """Return how many ranges each graph is cut into."""
        return len(self.cuts) // len(self.names) - 1 if self.names else 0

    def range(self, graph: int, k: int) -> bytes:
        """Return range ``k`` of graph number ``graph``: sorted, newline-terminated lines."""
        at = graph * (self.ranges() + 1) + k
        return bytes(memoryview(self.data)[self.cuts[at] : self.cuts[at + 1]])

    def text(self, graph: int) -> bytes:
        """Return the sorted N-Triples of graph number ``graph``."""
        n = self.ranges()
        start, end = self.cuts[graph * (n + 1)], self.cuts[graph * (n + 1) + n]
        return bytes(memoryview(self.data)[start:end])

    def trig(self, prefixes: dict[str, str]) -> bytes:
        """Write the graphs as TriG (:func:`store_trig`)."""
        quads: Iterator[Quad] = itertools.chain.from_iterable(
            parse(_in_graph(self.text(i), name), RdfFormat.N_QUADS, lenient=True)
            for i, name in enumerate(self.names)
        )
        written = serialize(quads, format=RdfFormat.TRIG, prefixes=prefixes) or b""
        return _finish(written, [self.data], prefixes)

    def quads_and_triples(
        self,
        on_quads: Callable[[bytes], None] = _ignore,
        on_triples: Callable[[bytes], None] = _ignore,
    ) -> tuple[bytes, bytes]:
        """Write the N-Quads of the graphs and the N-Triples of their union.

        Args:
            on_quads: Called with each piece of the N-Quads as it is written.
            on_triples: Called with each piece of the N-Triples as it is written.

        Returns:
            The N-Quads (:func:`store_nquads`) and the N-Triples (:func:`store_ntriples`).
        """
        nquads, ntriples = io.BytesIO(), io.BytesIO()
        for k in range(self.ranges()):
            quads: list[bytes] = []
            triples: list[bytes] = []
            for i, name in enumerate(self.names):
                text = self.range(i, k)
                if text:
                    triples += _lines(text)
                    quads += _lines(_in_graph(text, name))
            # Sorting "s p o g ." lines sorts them by "s p o" first (no term is a
            # prefix of another followed by a space), and the ranges are cut on
            # "s p o", so the sorted ranges end to end are sorted.
            quads.sort()
            piece = _text(quads)
            del quads
            nquads.write(piece)
            on_quads(piece)
            triples.sort()
            piece = _text(list(dict.fromkeys(triples)))
            del triples
            ntriples.write(piece)
            on_triples(piece)
        return nquads.getvalue(), ntriples.getvalue()


def _header(prefixes: dict[str, str]) -> bytes:
    return "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in prefixes.items()).encode()


def _finish(
    written: bytes, sources: Iterable[bytes | bytearray], prefixes: dict[str, str]
) -> bytes:
    r"""Put the prefixes in their order and write in full what rdflib could not read.

    Oxigraph declares the prefixes in an order of its own: they are declared again
    in the order of ``prefixes``. rdflib cannot read a prefixed name ending in an
    escaped dot (``ex:a\.``, valid Turtle), so IRIs ending in a dot are written
    in full.
    """
    if not written:
        return b""
    start = 0
    while written.startswith(b"@prefix ", start):
        start = written.index(b"\n", start) + 1
    body = memoryview(written)[start:]
    dotted = {iri for text in sources if b".>" in text for iri in _DOTTED.findall(text)}
    for iri in sorted(dotted):
        name = _written_as(iri.decode(), prefixes)
        if not name.startswith("<"):
            term = re.compile(rb"(?<=\s)" + re.escape(name.encode()) + rb"(?=\s)")
            body = memoryview(term.sub(b"<" + iri.replace(b"\\", b"\\\\") + b">", body))
    return b"".join([_header(prefixes), body])


def _written_as(iri: str, prefixes: dict[str, str]) -> str:
    """How Oxigraph's Turtle writer writes an IRI as an object."""
    triple = Triple(NamedNode("urn:s"), NamedNode("urn:p"), NamedNode(iri))
    line = (serialize([triple], format=RdfFormat.TURTLE, prefixes=prefixes) or b"").decode()
    return line.rsplit("\n", 2)[-2].removeprefix("<urn:s> <urn:p> ").removesuffix(" .")


def _turtle(ntriples: bytes, prefixes: dict[str, str]) -> bytes:
    triples = parse(ntriples, RdfFormat.N_TRIPLES, lenient=True)
    written = serialize(triples, format=RdfFormat.TURTLE, prefixes=prefixes) or b""
    return _finish(written, [ntriples], prefixes)


def store_nquads(store: Store) -> bytes:
    """Serialise the named graphs of a store as sorted N-Quads.

    Args:
        store: The store; its default graph is left out.

    Returns:
        UTF-8 bytes, one quad a line, sorted, no duplicates.
    """
    return SortedGraphs.of(store).quads_and_triples()[0]


def store_ntriples(store: Store) -> bytes:
    """Serialise the union of the named graphs of a store as sorted N-Triples.

    Args:
        store: The store; its default graph is left out.

    Returns:
        UTF-8 bytes, one triple a line, sorted, no duplicates.
    """
    return SortedGraphs.of(store).quads_and_triples()[1]


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
    return SortedGraphs.of(store).trig(prefixes)


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


def render_dumps(
    store: Store,
    prefixes: dict[str, str],
    level: int = GZIP_LEVEL,
    bytes_per_range: int = BYTES_PER_RANGE,
) -> dict[str, bytes]:
    """Write the dumps of a store: TriG, N-Quads, N-Triples, Turtle and their gzip.

    Each graph is dumped and sorted once for every format, and each file is
    compressed in a thread while the next one is written.

    Args:
        store: The store, without blank nodes; its default graph is left out.
        prefixes: Prefix → namespace (:func:`turtle_prefixes`).
        level: The gzip level (:func:`gzip_bytes`).
        bytes_per_range: About how many bytes are sorted at a time (:class:`SortedGraphs`).

    Returns:
        File name → content: the :data:`DUMPS` and the ``.gz`` of each.
    """
    files: dict[str, bytes] = {}
    # One thread: the pieces of a stream are compressed in the order they are given.
    with ThreadPoolExecutor(max_workers=1) as pool:
        streams = {name: _GzipStream(pool, level) for name in DUMPS}

        def done(name: str, data: bytes) -> None:
            files[name] = data
            streams[name].write(data)

        graphs = SortedGraphs.of(store, bytes_per_range)
        done("diplokg.trig", graphs.trig(prefixes))
        nquads, ntriples = graphs.quads_and_triples(
            streams["diplokg.nq"].write, streams["diplokg.nt"].write
        )
        del graphs  # the sorted texts, before the Turtle
        files["diplokg.nq"], files["diplokg.nt"] = nquads, ntriples
        done("diplokg.ttl", _turtle(ntriples, prefixes))
        files.update({f"{name}.gz": stream.close() for name, stream in streams.items()})
    return files


class _GzipStream:
    """A gzip stream compressed piece by piece in a one-thread pool.

    At most two pieces wait to be compressed: a writer faster than zlib waits
    rather than hold more of the dump twice.
    """

    def __init__(self, pool: ThreadPoolExecutor, level: int) -> None:
        self._pool = pool
        # wbits 31: a gzip header with no file name and a zero timestamp.
        self._zlib = zlib.compressobj(level, zlib.DEFLATED, 31)
        self._parts: list[Future[bytes]] = []

    def write(self, piece: bytes) -> None:
        """Compress a piece after the ones before it."""
        if len(self._parts) >= 2:
            self._parts[-2].result()
        self._parts.append(self._pool.submit(self._zlib.compress, piece))

    def close(self) -> bytes:
        """Finish the stream and return it whole."""
        self._parts.append(self._pool.submit(self._zlib.flush))
        return b"".join(part.result() for part in self._parts)


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
