"""The build: every check, then ``dist/``, written atomically.

Parse → check provenance → skolemise → OWL 2 RL closure → consistency → SHACL →
VoID → write. Any failure raises a :class:`~diplokg.errors.DiploKGError` before
anything is written; ``dist/`` is replaced only by a complete new one, swapped in
with two renames (RDF 1.1 datasets: https://www.w3.org/TR/rdf11-concepts/#section-dataset).

``dist/`` holds ``diplokg.trig`` and ``diplokg.nq`` (every named graph),
``diplokg.ttl`` and ``diplokg.nt`` (their union), the gzip of each of the four,
``validation.ttl`` (the SHACL report) and ``manifest.json`` (build time, input
digest, counts, size and sha256 of every file). Every file but the manifest is
byte-identical for the same inputs.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.term import BNode, Node

from diplokg import __version__
from diplokg.cache import CachedSource, SourceCache
from diplokg.config import Settings
from diplokg.consistency import check_consistency
from diplokg.errors import InputError, ProvenanceError
from diplokg.loading import Project, load_project, new_graph
from diplokg.namespaces import graph_iri
from diplokg.provenance import Evidence, check_evidence
from diplokg.reasoning import Reasoning, compute_inferences
from diplokg.serialise import graph_turtle, render_dumps, store_predicates, turtle_prefixes
from diplokg.skolem import skolemise
from diplokg.stage import StageResult, run_stage
from diplokg.terms import ToOxigraph, ToRdflib
from diplokg.validation import SEVERITIES, ShaclReport, check_report, validate_project
from diplokg.void import dataset_statistics, describe_dataset

MANIFEST = "manifest.json"

T = TypeVar("T")
Triple = tuple[Node, Node, Node]


class GraphView(Mapping[str, Graph]):
    """The named graphs of a store as rdflib graphs, converted when first asked for.

    Args:
        store: The store holding ``{base}graph/{name}`` for every name.
        base: The dataset namespace.
        names: The graph names, in order.
    """

    def __init__(self, store: ox.Store, base: str, names: list[str]) -> None:
        self._store = store
        self._base = base
        self._names = list(names)
        self._converted: dict[str, Graph] = {}

    def __getitem__(self, name: str) -> Graph:
        if name not in self._names:
            raise KeyError(name)
        if name not in self._converted:
            iri = graph_iri(self._base, name)
            graph = new_graph(iri)
            term = ToRdflib()
            for q in self._store.quads_for_pattern(None, None, None, ox.NamedNode(str(iri))):
                graph.add((term(q.subject), term(q.predicate), term(q.object)))
            self._converted[name] = graph
        return self._converted[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


@dataclass
class CheckedDataset:
    """A project that passed every check, ready to be written.

    Attributes:
        project: The parsed inputs, its graphs skolemised.
        store: Every named graph ``{base}graph/{name}``, skolemised, including
            ``inferred`` and ``meta``: what the dumps are written from.
        sizes: Triples per named graph, by name.
        evidence: The verified evidence quotes.
        reasoning: The OWL 2 RL closure and its filtered inferences.
        report: The SHACL report (violations make the check fail; warnings stay here).
        report_graph: The report as RDF, skolemised, for ``validation.ttl``.
        timings: Seconds spent in each step.
        cache: How many sources the incremental cache answered (``hits``) and how
            many were parsed, checked and skolemised (``misses``).
    """

    project: Project
    store: ox.Store
    sizes: dict[str, int]
    evidence: list[Evidence]
    reasoning: Reasoning
    report: ShaclReport
    report_graph: Graph
    timings: dict[str, float] = field(default_factory=dict)
    cache: dict[str, int] = field(default_factory=dict)

    @property
    def graphs(self) -> GraphView:
        """Every named graph by name as an rdflib graph (converted on first access)."""
        view: GraphView | None = self.__dict__.get("_view")
        if view is None:
            view = GraphView(self.store, self.project.base, sorted(self.sizes))
            self.__dict__["_view"] = view
        return view

    def counts(self) -> dict[str, Any]:
        """Return the counts recorded in the manifest and printed by the CLI."""
        return {
            "graphs": dict(sorted(self.sizes.items())),
            "sources": len(self.project.sources),
            "evidence": len(self.evidence),
            "inferred": self.sizes["inferred"],
            "shacl": {s.lower(): len(self.report.by_severity(s)) for s in SEVERITIES},
        }


@dataclass
class BuildResult:
    """What a build wrote.

    Attributes:
        dist: The output directory.
        checked: The checked dataset.
        manifest: The content of ``manifest.json``.
    """

    dist: Path
    checked: CheckedDataset
    manifest: dict[str, Any]


@contextmanager
def _timed(timings: dict[str, float], step: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[step] = round(time.perf_counter() - start, 3)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the duration of a build.

    A build allocates millions of small objects (terms, triples) that live until it
    ends; each full collection walks all of them, so the collector's cost grows with
    the square of the data: at a million triples it took half the build's time. The
    build makes almost no reference cycles, and reference counting frees the rest.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            # Everything allocated meanwhile is still in the youngest generation, so the
            # first collection would walk all of it: move it to the oldest one first.
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def _step(timings: dict[str, float], step: str, fn: Callable[[], T]) -> T:
    with _timed(timings, step):
        return fn()


def source_cache(settings: Settings) -> SourceCache | None:
    """Return the incremental build cache of a project, or ``None`` if disabled.

    Args:
        settings: ``cache`` (empty: no cache; relative: under ``root``) and ``base``.

    Returns:
        The cache.
    """
    if not settings.cache:
        return None
    path = Path(settings.cache)
    return SourceCache(path if path.is_absolute() else settings.root / path, settings.base)


def warm_cache(settings: Settings) -> dict[str, int]:
    """Fill the incremental cache: parse, check provenance and skolemise, nothing more.

    Args:
        settings: Project root, base and cache directory.

    Returns:
        The cache ``hits`` and ``misses``.

    Raises:
        InputError: No cache is configured, or a file is missing or does not parse.
        ProvenanceError: An evidence quote does not match its source.
    """
    cache = source_cache(settings)
    if cache is None:
        raise InputError("no cache directory configured (DIPLOKG_CACHE is empty)")
    project = load_project(settings, parse_sources=False)
    with _no_cyclic_gc():
        stage = run_stage(settings.root, settings.base, project.sources, cache)
    return {"hits": len(stage.hits), "misses": len(stage.misses)}


def _sources(project: Project, cache: SourceCache | None) -> tuple[StageResult, list[Evidence]]:
    """Run the per-source stage and check the background's evidence.

    Returns:
        The sources' entries, and the background's verified evidence.

    Raises:
        FileSyntaxError: A source does not parse.
        ProvenanceError: Listing every evidence problem, the background's first.
    """
    background = check_evidence(project.graphs["background"], project.source_texts(), project.base)
    problems = [f"graph/background: {p}" for p in background.problems]
    try:
        stage = run_stage(project.root, project.base, project.sources, cache)
    except ProvenanceError as e:
        raise ProvenanceError(problems + e.problems) from None
    if problems:
        raise ProvenanceError(problems)
    return stage, background.evidence


def check_project(settings: Settings) -> CheckedDataset:
    """Run every check of the build, writing nothing.

    Args:
        settings: Project root and base.

    Returns:
        The checked dataset.

    Raises:
        InputError: A file is missing or does not parse (exit 2).
        ProvenanceError: An evidence quote does not match its source (exit 1).
        InconsistencyError: The OWL 2 RL closure is inconsistent (exit 1).
        ValidationFailed: A SHACL violation (exit 1).
    """
    with _no_cyclic_gc():
        return _check_project(settings)


def _check_project(settings: Settings) -> CheckedDataset:
    """The checks of :func:`check_project`, with the collector as the caller left it."""
    timings: dict[str, float] = {}
    base = settings.base
    cache = source_cache(settings)
    project = _step(timings, "parse", lambda: load_project(settings, parse_sources=False))
    stage, evidence = _step(timings, "sources", lambda: _sources(project, cache))
    for name in sorted(stage.entries):
        evidence += stage.entries[name].evidence

    shapes_ids: dict[BNode, URIRef] = {}

    def skolemise_all() -> dict[str, Graph]:
        return {
            name: skolemise(g, base, shapes_ids if name == "shapes" else None)
            for name, g in project.graphs.items()
        }

    graphs = _step(timings, "skolemise", skolemise_all)
    project.graphs = graphs  # the graphs as parsed are no longer needed
    to_rdflib = ToRdflib()

    def facts(entry: CachedSource) -> Iterator[Triple]:
        for t in entry.triples:
            yield to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)

    inputs: list[Iterable[Triple]] = [graphs["ontology"], graphs["background"]]
    inputs += map(facts, stage.entries.values())
    reasoning = _step(
        timings, "reason", lambda: compute_inferences(inputs, base, settings.reasoner)
    )
    inferred: Iterable[Triple] = reasoning.inferred
    if any(type(t) is BNode for triple in inferred for t in triple):  # not from OWL 2 RL rules
        inferred = skolemise(_as_graph(inferred, graph_iri(base, "inferred")), base)
    _step(timings, "consistency", lambda: check_consistency(reasoning, base))
    # The store holds what SHACL validates (ontology, facts, background, inferred);
    # the shapes join it after validation, the meta graph after that.
    validated = {n: g for n, g in graphs.items() if n != "shapes"}
    store = _step(timings, "store", lambda: _load_store(validated, stage.entries, inferred, base))

    def shacl() -> ShaclReport:
        ontology = Graph(bind_namespaces="none")  # pySHACL needs a context-aware store
        for triple in graphs["ontology"]:
            ontology.add(triple)
        return validate_project(
            store,
            project.data_shapes,
            ontology,
            project.ontology_shapes,
            base,
            engine=settings.shacl,
        )

    report = _step(timings, "shacl", shacl)
    named = Graph(identifier=URIRef(base + "validation"), bind_namespaces="none")
    for triple in report.graph:
        named.add(triple)
    report_graph = skolemise(named, base, dict(shapes_ids))
    check_report(report, base)
    _add_graph(store, graphs["shapes"])

    sizes = {name: len(g) for name, g in graphs.items()}
    sizes.update((name, len(entry.triples)) for name, entry in stage.entries.items())
    sizes["inferred"] = len(reasoning.inferred)
    names = sorted(sizes)

    def meta() -> Graph:
        ids = [s.id for s in project.sources]
        stats = dataset_statistics(store, names, base)
        return describe_dataset(stats, base, ids, project.input_digest, __version__)

    meta_graph = _step(timings, "void", meta)
    _add_graph(store, meta_graph)
    sizes["meta"] = len(meta_graph)
    counts = {"hits": len(stage.hits), "misses": len(stage.misses)}
    return CheckedDataset(
        project, store, sizes, evidence, reasoning, report, report_graph, timings, counts
    )


def _as_graph(triples: Iterable[Triple], name: URIRef) -> Graph:
    graph = new_graph(name)
    for triple in triples:
        graph.add(triple)
    return graph


def _add_graph(store: ox.Store, graph: Graph, to_ox: ToOxigraph | None = None) -> None:
    """Add an rdflib graph to the store as the named graph of its identifier."""
    term = to_ox or ToOxigraph()
    name = term(graph.identifier)
    store.bulk_extend(ox.Quad(term(s), term(p), term(o), name) for s, p, o in graph)


def _load_store(
    graphs: dict[str, Graph],
    entries: dict[str, CachedSource],
    inferred: Iterable[Triple],
    base: str,
) -> ox.Store:
    """Put the graphs, the sources' graphs and the inferences in an Oxigraph store."""
    store = ox.Store()
    term = ToOxigraph()
    for graph in graphs.values():
        _add_graph(store, graph, term)
    for entry in entries.values():
        name = ox.NamedNode(entry.graph)
        store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, name) for t in entry.triples)
    name = term(graph_iri(base, "inferred"))
    store.bulk_extend(ox.Quad(term(s), term(p), term(o), name) for s, p, o in inferred)
    return store


def render_files(checked: CheckedDataset) -> dict[str, bytes]:
    """Serialise a checked dataset into the files of ``dist/`` (all but the manifest).

    Args:
        checked: The checked dataset.

    Returns:
        File name → content, deterministic for the same inputs.
    """
    predicates = store_predicates(checked.store)
    predicates.update(str(p) for p in checked.report_graph.predicates())
    prefixes = turtle_prefixes(checked.project.base, predicates)
    files = render_dumps(checked.store, prefixes)
    files["validation.ttl"] = graph_turtle(checked.report_graph, prefixes)
    return files


def make_manifest(
    checked: CheckedDataset, files: dict[str, bytes], now: datetime | None = None
) -> dict[str, Any]:
    """Describe a build: time, inputs, counts and every file's size and sha256.

    Args:
        checked: The checked dataset.
        files: The rendered files.
        now: The build time (default: now, UTC).

    Returns:
        The manifest, ready for ``json.dumps``.
    """
    when = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return {
        "build_time": when.isoformat().replace("+00:00", "Z"),
        "diplokg_version": __version__,
        "base": checked.project.base,
        "input_digest": checked.project.input_digest,
        "inputs": [p.as_posix() for ps in checked.project.files.values() for p in ps],
        "counts": checked.counts(),
        "files": {
            name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in sorted(files.items())
        },
    }


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_dist(files: dict[str, bytes], dist: Path) -> None:
    """Replace a directory by one holding exactly these files, atomically.

    The files are written and fsynced in a new directory beside ``dist``, which is
    then swapped in: ``dist`` is renamed away, the new one renamed to ``dist``, the
    old one deleted. If anything fails before the swap, ``dist`` is untouched.

    Args:
        files: File name → content.
        dist: The directory to replace (created if missing).

    Raises:
        InputError: ``dist`` exists but is not a directory.
    """
    if dist.exists() and not dist.is_dir():
        raise InputError(f"{dist}: exists and is not a directory")
    parent = dist.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dist.name}.new-", dir=parent))
    try:
        os.chmod(tmp, 0o755)
        for name, data in sorted(files.items()):
            with open(tmp / name, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        _fsync_dir(tmp)
        if dist.exists():
            old = parent / f".{dist.name}.old-{uuid.uuid4().hex}"
            os.rename(dist, old)
            try:
                os.rename(tmp, dist)
            except BaseException:
                os.rename(old, dist)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, dist)
        _fsync_dir(parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def build(settings: Settings, now: datetime | None = None) -> BuildResult:
    """Check the project and write ``dist/``.

    Args:
        settings: Project root, output directory and base.
        now: The build time recorded in the manifest (default: now).

    Returns:
        What was written.

    Raises:
        DiploKGError: Any failed check (see :func:`check_project`); ``dist/`` is
            then left exactly as it was.
    """
    with _no_cyclic_gc():
        checked = _check_project(settings)
        with _timed(checked.timings, "write"):
            files = render_files(checked)
            manifest = make_manifest(checked, files, now)
            files[MANIFEST] = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
            write_dist(files, settings.dist_dir)
    return BuildResult(settings.dist_dir, checked, manifest)
