"""The incremental build cache: what depends on one source only, kept by content hash.

For each source ``{id}`` the build caches the work that depends on that source's
files alone: parsing ``data/sources/{id}.ttl`` and ``data/facts/{id}.ttl``,
rewriting them to the configured base, adding the text, checking every evidence
quote (:mod:`diplokg.provenance`) and skolemising the graph (:mod:`diplokg.skolem`,
whose IRIs depend only on the graph and its name). Adding one source to a large
project then parses, checks and skolemises only that source.

An entry is trusted only if all of these hold, otherwise it is ignored and
recomputed (and overwritten):

- its key matches: sha256 over the cache format, the diplokg version, the code of
  the modules whose output is cached, the rdflib and pyoxigraph versions (both parse
  or write the entry), the base, the source id
  and the bytes of the source's three files;
- the texts of the *other* sources its quotes point to are unchanged (an
  annotation may quote another source; their text digests are stored with the entry);
- its content matches the sha256 recorded beside it and decodes to triples.

An entry is a JSON header line (format, key, sha256 of the rest), a JSON line with
the graph name, the evidence and the quoted sources' digests, then the graph as
N-Triples (https://www.w3.org/TR/n-triples/), written and read back by Oxigraph.

Only sources that passed the provenance check are stored. Entries are written
atomically (a temporary file renamed over the old one), one file per source id
under ``{cache}/sources/``, so the cache does not grow with edits; entries of
sources that no longer exist are removed after a build.

Not cached here, because they span sources: the ontology, shapes and background
(small, parsed every time), the OWL 2 RL closure of the union, the consistency
checks, the SHACL validation of the union and the serialisations; when sources are
only added, the build extends those from the previous build's state instead
(:mod:`diplokg.state`, :mod:`diplokg.delta`). Reasoning per source is not
sound in general here: transitive properties (``dkg:partOf``), property chains
(``dkg:statedIn``, ``dkg:holds``…) and functional properties join triples that may
come from different sources, and the closure of the union is not the union of the
closures. Nor is SHACL per source: ``sh:class`` constraints, the SPARQL targets and
the SPARQL constraints of ``ontology/shapes/data.ttl`` look at entities declared
by other sources and at inferences over the union, so the whole union is validated.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib import Literal, URIRef
from rdflib.term import Node

from diplokg import __version__
from diplokg.provenance import Evidence
from diplokg.sources import Source

#: Bump when the layout of an entry changes.
FORMAT = "diplokg-source-cache/2"

#: The modules whose output an entry holds: a change to any of them invalidates every entry.
_CODE = (
    "cache.py",
    "loading.py",
    "provenance.py",
    "skolem.py",
    "sources.py",
    "namespaces.py",
    "terms.py",
    "stage.py",
)

Triple = tuple[Node, Node, Node]


def code_digest() -> str:
    """Return the sha256 of the modules whose output the cache holds."""
    here = Path(__file__).parent
    h = hashlib.sha256()
    for name in _CODE:
        h.update(name.encode() + b"\0" + (here / name).read_bytes())
    return h.hexdigest()


def text_digest(text: str) -> str:
    """Return the sha256 of a source text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _enc(term: Node) -> Any:
    if isinstance(term, URIRef):
        return str(term)
    if isinstance(term, Literal):
        return [str(term), str(term.datatype or ""), term.language or ""]
    raise TypeError(f"cannot cache {term!r}: only IRIs and literals (skolemise first)")


def _enc_evidence(e: Evidence) -> list[Any]:
    bodies = [_enc(b) for b in e.bodies]
    return [_enc(e.annotation), bodies, str(e.source), e.start, e.end, e.exact]


def _dec(value: Any) -> Node:
    if isinstance(value, str):
        return URIRef(value)
    text, datatype, lang = value
    if not (isinstance(text, str) and isinstance(datatype, str) and isinstance(lang, str)):
        raise TypeError("malformed literal")
    return Literal(text, datatype=URIRef(datatype) if datatype else None, lang=lang or None)


@dataclass
class CachedSource:
    """The work of one source: its checked, skolemised graph and its evidence.

    Attributes:
        graph: The IRI of the source's named graph.
        triples: The graph's triples (Oxigraph terms, no blank node).
        evidence: Its verified evidence quotes.
        quoted: The other sources its quotes point to: source IRI → text sha256.
    """

    graph: str
    triples: list[ox.Triple]
    evidence: list[Evidence]
    quoted: dict[str, str]


def encode_entry(
    graph: str, evidence: list[Evidence], quoted: dict[str, str], ntriples: bytes
) -> bytes:
    """Write an entry's body: a JSON line (graph, evidence, quoted), then N-Triples.

    Args:
        graph: The IRI of the source's named graph.
        evidence: Its verified evidence quotes.
        quoted: The other sources its quotes point to: source IRI → text sha256.
        ntriples: The graph, skolemised, as N-Triples.

    Returns:
        The bytes the cache's checksum covers (:func:`decode_entry` reads them back).
    """
    meta = {
        "graph": graph,
        "evidence": [_enc_evidence(e) for e in evidence],
        "quoted": quoted,
    }
    body = json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return body + b"\n" + ntriples


def decode_entry(body: bytes) -> CachedSource:
    """Read an entry's body (see :func:`encode_entry`).

    Raises:
        ValueError, TypeError, KeyError, SyntaxError: The body is malformed.
    """
    meta, _, ntriples = body.partition(b"\n")
    data = json.loads(meta)
    triples = [q.triple for q in ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)]
    if any(type(t.subject) is ox.BlankNode or type(t.object) is ox.BlankNode for t in triples):
        raise ValueError("blank node in a skolemised graph")
    evidence = [
        Evidence(_dec(a), tuple(_dec(b) for b in bodies), URIRef(src), start, end, exact)
        for a, bodies, src, start, end, exact in data["evidence"]
    ]
    return CachedSource(str(data["graph"]), triples, evidence, dict(data["quoted"]))


class SourceCache:
    """A directory of per-source cache entries.

    Args:
        directory: The cache directory (created when first written).
        base: The dataset namespace the graphs are written in.
    """

    def __init__(self, directory: Path, base: str) -> None:
        self.directory = directory
        self.base = base
        self._code = code_digest()
        self.hits: list[str] = []
        self.misses: list[str] = []

    def digests(self, sources: list[Source]) -> dict[str, str]:
        """Return the sha256 of every source text, by source IRI ``{base}id/{id}``."""
        return {f"{self.base}id/{s.id}": text_digest(s.text) for s in sources}

    def path(self, source_id: str) -> Path:
        """Return the entry file of a source."""
        return self.directory / "sources" / f"{source_id}.json"

    def key(self, root: Path, source: Source) -> str:
        """Return the key of a source's entry: a hash of everything its work depends on.

        Args:
            root: The project directory.
            source: The source.

        Returns:
            The hex sha256.
        """
        h = hashlib.sha256()
        parts = [FORMAT, __version__, self._code, rdflib.__version__, ox.__version__]
        parts += [self.base, source.id]
        h.update("\0".join(parts).encode("utf-8"))
        for rel in (source.metadata_path, source.facts_path):
            data = (root / rel).read_bytes() if rel is not None else b""
            h.update(b"\0%d\0" % len(data) + data)
        h.update(b"\0text\0" + source.text.encode("utf-8"))
        return h.hexdigest()

    def load(self, root: Path, source: Source, texts: dict[str, str]) -> CachedSource | None:
        """Return a source's entry if it can be trusted, else ``None``.

        Args:
            root: The project directory.
            source: The source.
            texts: The sha256 of every current source text, by source IRI.

        Returns:
            The entry, or ``None`` if missing, stale, corrupt or for another key.
        """
        entry = self._read(self.path(source.id), self.key(root, source), texts)
        (self.hits if entry is not None else self.misses).append(source.id)
        return entry

    def _read(self, path: Path, key: str, texts: dict[str, str]) -> CachedSource | None:
        try:
            with open(path, "rb") as f:
                header = json.loads(f.readline())
                body = f.read()
            if header.get("format") != FORMAT or header.get("key") != key:
                return None
            if header.get("sha256") != hashlib.sha256(body).hexdigest():
                return None
            entry = decode_entry(body)
            if any(texts.get(iri) != digest for iri, digest in entry.quoted.items()):
                return None
        except (OSError, ValueError, TypeError, KeyError, AttributeError, SyntaxError):
            return None  # missing or corrupt: recompute
        return entry

    def store(self, root: Path, source: Source, body: bytes) -> None:
        """Write a source's entry atomically (a failure to write is not an error).

        Args:
            root: The project directory.
            source: The source.
            body: The entry's body (:func:`encode_entry`).
        """
        header = {
            "format": FORMAT,
            "key": self.key(root, source),
            "sha256": hashlib.sha256(body).hexdigest(),
        }
        path = self.path(source.id)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{source.id}.", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(json.dumps(header).encode("utf-8") + b"\n" + body)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            return

    def prune(self, source_ids: set[str]) -> None:
        """Remove the entries of sources that no longer exist.

        Args:
            source_ids: The ids of the current sources.
        """
        folder = self.directory / "sources"
        if not folder.is_dir():
            return
        for path in folder.glob("*.json"):
            if path.stem not in source_ids:
                path.unlink(missing_ok=True)
