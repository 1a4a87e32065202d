"""The per-source stage of the build: each source parsed, checked and skolemised alone.

What depends on one source only (:mod:`diplokg.cache` lists it) is done source by
source: parse its metadata and facts, add its text, check every evidence quote
against the texts (:mod:`diplokg.provenance`), skolemise (:mod:`diplokg.skolem`) and
write the graph as N-Triples. A source whose cache entry can be trusted is taken
from the cache; the others are worked on, in parallel processes when there are
many, and their entries stored. The result of each source is a
:class:`~diplokg.cache.CachedSource`: Oxigraph triples, ready for the store, and the
verified evidence.

Worker processes are started with ``forkserver`` (never ``fork``: the caller may
have threads) and only when at least :data:`PARALLEL_FROM` sources need work; their
results come back in source order, so the output does not depend on scheduling.
Problems are returned as values and raised in the caller: every provenance problem
of every source is reported together, and a syntax error names its file and line.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, URIRef
from rdflib.term import Node

from diplokg.cache import CachedSource, SourceCache, decode_entry, encode_entry
from diplokg.errors import FileSyntaxError, ProvenanceError
from diplokg.loading import parse_source
from diplokg.namespaces import OA, project_namespaces
from diplokg.provenance import check_evidence
from diplokg.skolem import skolem_iris
from diplokg.sources import Source
from diplokg.terms import ToOxigraph

#: Below this many sources to work on, the work is done in this process.
PARALLEL_FROM = 64


@dataclass
class _Outcome:
    """What working on one source gave: an entry's body, or why there is none."""

    body: bytes = b""
    problems: list[str] = field(default_factory=list)
    syntax: tuple[str, int | None, str] | None = None


@dataclass
class StageResult:
    """The outcome of the per-source stage.

    Attributes:
        entries: Each source's work, by graph name ``facts/{id}``, in source order.
        hits: The ids of the sources taken from the cache.
        misses: The ids of the sources worked on.
    """

    entries: dict[str, CachedSource]
    hits: list[str]
    misses: list[str]


# The state of a worker process, set once by :func:`_start`.
_ROOT = Path()
_BASE = ""
_TEXTS: dict[URIRef, str] = {}
_DIGESTS: dict[str, str] = {}


def _start(root: Path, base: str, texts: dict[str, str], digests: dict[str, str]) -> None:
    global _ROOT, _BASE, _TEXTS, _DIGESTS
    ns = project_namespaces(base)
    _ROOT, _BASE, _DIGESTS = root, base, digests
    _TEXTS = {ns.id[sid]: text for sid, text in texts.items()}


def _start_worker(root: Path, base: str, texts: dict[str, str], digests: dict[str, str]) -> None:
    gc.disable()  # a worker only accumulates live objects (see diplokg.build._no_cyclic_gc)
    _start(root, base, texts, digests)


def _work(source: Source) -> _Outcome:
    """Parse, check and skolemise one source (in a worker, or in the caller)."""
    try:
        graph = parse_source(_ROOT, _BASE, source)
    except FileSyntaxError as e:
        return _Outcome(syntax=(str(e.path), e.line, e.detail))
    name = f"facts/{source.id}"
    report = check_evidence(graph, _TEXTS, _BASE)
    if report.problems:
        return _Outcome(problems=[f"graph/{name}: {p}" for p in report.problems])
    iris = skolem_iris(graph, _BASE)
    to_ox = ToOxigraph()

    def term(t: Node) -> Any:
        return to_ox(iris[t] if type(t) is BNode else t)

    ntriples = ox.serialize(
        (ox.Triple(term(s), term(p), term(o)) for s, p, o in graph),
        format=ox.RdfFormat.N_TRIPLES,
    )
    quoted = {str(s) for s in graph.objects(None, OA.hasSource)}
    digests = {iri: _DIGESTS[iri] for iri in sorted(quoted) if iri in _DIGESTS}
    body = encode_entry(str(graph.identifier), report.evidence, digests, ntriples or b"")
    return _Outcome(body=body)


def _workers(count: int) -> int:
    if count < PARALLEL_FROM:
        return 0
    return min(os.cpu_count() or 1, 4)


def _run(
    root: Path,
    base: str,
    sources: list[Source],
    texts: dict[str, str],
    digests: dict[str, str],
) -> Iterable[_Outcome]:
    workers = _workers(len(sources))
    if workers < 2:
        _start(root, base, texts, digests)
        return map(_work, sources)
    context = multiprocessing.get_context("forkserver")
    pool = ProcessPoolExecutor(
        workers,
        mp_context=context,
        initializer=_start_worker,
        initargs=(root, base, texts, digests),
    )
    with pool:
        chunk = max(1, len(sources) // (workers * 16))
        return list(pool.map(_work, sources, chunksize=chunk))


def run_stage(
    root: Path,
    base: str,
    sources: list[Source],
    cache: SourceCache | None,
    only: set[str] | None = None,
) -> StageResult:
    """Take each source from the cache or work on it; store what was worked on.

    Args:
        root: The project directory.
        base: The dataset namespace.
        sources: Every source of the project, sorted by id.
        cache: The incremental build cache, or ``None``.
        only: Handle just these source ids (quotes are still checked against every
            source's text, and the cache keeps the other sources' entries).

    Returns:
        Every source's entry, and which came from the cache.

    Raises:
        FileSyntaxError: A source's file does not parse (the first, in source order).
        ProvenanceError: Listing every evidence problem of every source.
    """
    digests = cache.digests(sources) if cache is not None else {}
    found: dict[str, CachedSource] = {}
    todo: list[Source] = []
    for source in sources if only is None else [s for s in sources if s.id in only]:
        entry = cache.load(root, source, digests) if cache is not None else None
        if entry is None:
            todo.append(source)
        else:
            found[source.id] = entry
    texts = {s.id: s.text for s in sources}
    problems: list[str] = []
    try:
        for source, outcome in zip(todo, _run(root, base, todo, texts, digests), strict=True):
            if outcome.syntax is not None:
                path, line, reason = outcome.syntax
                raise FileSyntaxError(Path(path), line, reason)
            if outcome.problems:
                problems += outcome.problems
                continue
            found[source.id] = decode_entry(outcome.body)
            if cache is not None:
                cache.store(root, source, outcome.body)
    finally:
        _start(Path(), "", {}, {})  # the texts are not kept in this process after the stage
    if problems:
        raise ProvenanceError(problems)
    if cache is not None and only is None:
        cache.prune({s.id for s in sources})
    done = {s.id for s in todo}
    handled = [s for s in sources if s.id in found]
    return StageResult(
        {f"facts/{s.id}": found[s.id] for s in handled},
        [s.id for s in handled if s.id not in done],
        [s.id for s in handled if s.id in done],
    )
