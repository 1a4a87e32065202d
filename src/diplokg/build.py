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
import itertools
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
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
from diplokg.delta import (
    NotIncremental,
    RuleSet,
    Union,
    check_extension,
    extend_closure,
    extend_statistics,
)
from diplokg.errors import InputError, ProvenanceError
from diplokg.loading import Project, digest_files, load_project, new_graph
from diplokg.namespaces import graph_iri
from diplokg.provenance import Evidence, check_evidence
from diplokg.reasoning import Reasoning, compute_inferences
from diplokg.serialise import (
    Content,
    Previous,
    Rendered,
    graph_turtle,
    render_dumps,
    store_predicates,
    turtle_prefixes,
)
from diplokg.skolem import skolemise
from diplokg.stage import StageResult, run_stage
from diplokg.state import (
    BuildState,
    StateDir,
    file_stamps,
    fingerprint,
    statistics_from_json,
    statistics_to_json,
)
from diplokg.terms import ToOxigraph, ToRdflib
from diplokg.validation import (
    SEVERITIES,
    NotIncrementalShacl,
    ShaclReport,
    check_report,
    validate_project,
    validate_project_incremental,
)
from diplokg.void import (
    DatasetStatistics,
    dataset_statistics,
    describe_dataset,
    describe_triples,
)

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
        reasoning: The OWL 2 RL closure and its filtered inferences (``None`` after
            an incremental build, which extends the previous closure instead).
        report: The SHACL report (violations make the check fail; warnings stay here).
        report_graph: The report as RDF, skolemised, for ``validation.ttl``.
        timings: Seconds spent in each step.
        cache: How many sources the incremental cache answered (``hits``) and how
            many were parsed, checked and skolemised (``misses``).
        statistics: The VoID counts of ``graph/meta``.
        shacl_state: The SHACL results in the form an incremental build reads.
        evidence_count: How many evidence quotes the dataset has, if not all are in
            ``evidence`` (an incremental build verifies only the added sources').
        mode: ``full``, or ``incremental`` (only added sources were worked on).
        added: The ids of the sources an incremental build added.
        why_full: Why a build with a state did a full run.
    """

    project: Project
    store: ox.Store
    sizes: dict[str, int]
    evidence: list[Evidence]
    reasoning: Reasoning | None
    report: ShaclReport
    report_graph: Graph
    timings: dict[str, float] = field(default_factory=dict)
    cache: dict[str, int] = field(default_factory=dict)
    statistics: DatasetStatistics | None = None
    shacl_state: bytes | None = None
    evidence_count: int | None = None
    mode: str = "full"
    added: list[str] = field(default_factory=list)
    why_full: str = ""

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
            "evidence": len(self.evidence) if self.evidence_count is None else self.evidence_count,
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

    def shacl() -> tuple[ShaclReport, bytes | None]:
        return validate_project(
            store,
            project.data_shapes,
            _context_aware(graphs["ontology"]),
            project.ontology_shapes,
            base,
            engine=settings.shacl,
            keep_state=True,
        )

    report, shacl_state = _step(timings, "shacl", shacl)
    report_graph = _report_graph(report, base, shapes_ids)
    check_report(report, base)
    _add_graph(store, graphs["shapes"])

    sizes = {name: len(g) for name, g in graphs.items()}
    sizes.update((name, len(entry.triples)) for name, entry in stage.entries.items())
    sizes["inferred"] = len(reasoning.inferred)
    names = sorted(sizes)

    stats = _step(timings, "void", lambda: dataset_statistics(store, names, base))
    meta_graph = _meta_graph(project, stats)
    _add_graph(store, meta_graph)
    sizes["meta"] = len(meta_graph)
    counts = {"hits": len(stage.hits), "misses": len(stage.misses)}
    return CheckedDataset(
        project,
        store,
        sizes,
        evidence,
        reasoning,
        report,
        report_graph,
        timings,
        counts,
        statistics=stats,
        shacl_state=shacl_state,
    )


def _report_graph(report: ShaclReport, base: str, shapes_ids: dict[BNode, URIRef]) -> Graph:
    """The SHACL report as ``{base}validation``, skolemised like the shapes it cites."""
    named = Graph(identifier=URIRef(base + "validation"), bind_namespaces="none")
    for triple in report.graph:
        named.add(triple)
    return skolemise(named, base, dict(shapes_ids))


def _context_aware(graph: Graph) -> Graph:
    """Copy a graph into a plain rdflib ``Graph`` (pySHACL needs a context-aware store)."""
    copy = Graph(bind_namespaces="none")
    for triple in graph:
        copy.add(triple)
    return copy


def _meta_graph(project: Project, stats: DatasetStatistics) -> Graph:
    """The ``graph/meta`` of a project with these counts."""
    ids = [s.id for s in project.sources]
    return describe_dataset(stats, project.base, ids, project.input_digest, __version__)


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
    return render_build(checked, store_predicates(checked.store)).files


def render_build(
    checked: CheckedDataset, predicates: set[str], previous: Previous | None = None
) -> Rendered:
    """Serialise a checked dataset, reusing the unchanged parts of the previous dumps.

    Args:
        checked: The checked dataset.
        predicates: The predicates of its store (they choose the prefixes).
        previous: The previous build's dumps, their index and what changed since.

    Returns:
        The files (all but the manifest, deterministic for the same inputs) and the
        dumps' index.
    """
    predicates = predicates | {str(p) for p in checked.report_graph.predicates()}
    prefixes = turtle_prefixes(checked.project.base, predicates)
    rendered = render_dumps(checked.store, prefixes, previous)
    rendered.contents["validation.ttl"] = Content([graph_turtle(checked.report_graph, prefixes)])
    return rendered


def make_manifest(
    checked: CheckedDataset,
    files: Mapping[str, Mapping[str, Any]],
    now: datetime | None = None,
) -> dict[str, Any]:
    """Describe a build: time, inputs, counts and every file's size and sha256.

    Args:
        checked: The checked dataset.
        files: File name → its ``bytes`` and ``sha256`` (as :func:`write_dist` gives them).
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
        "files": {name: dict(files[name]) for name in sorted(files)},
    }


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_and_close(fd: int) -> None:
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_dist(
    files: Mapping[str, bytes | Content],
    dist: Path,
    last: Callable[[dict[str, dict[str, Any]]], tuple[str, bytes]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Replace a directory by one holding exactly these files, atomically.

    The files are written and fsynced in a new directory beside ``dist``, which is
    then swapped in: ``dist`` is renamed away, the new one renamed to ``dist``, the
    old one deleted. If anything fails before the swap, ``dist`` is untouched.
    Each file's sha256 is worked out while the files are written (in threads, as
    are the fsyncs), and the parts of a :class:`~diplokg.serialise.Content` that
    come from the previous files are copied by the kernel.

    Args:
        files: File name → content.
        dist: The directory to replace (created if missing).
        last: Given the size and sha256 of every file, the name and content of one
            more file to write (the manifest).

    Returns:
        File name → its ``bytes`` (size) and ``sha256``, for ``files``.

    Raises:
        InputError: ``dist`` exists but is not a directory.
    """
    if dist.exists() and not dist.is_dir():
        raise InputError(f"{dist}: exists and is not a directory")
    parent = dist.parent
    parent.mkdir(parents=True, exist_ok=True)
    contents = {n: d if isinstance(d, Content) else Content([d]) for n, d in files.items()}
    # Those whose digest is being worked out first: the gzip's trailers wait for them.
    names = sorted(contents, key=lambda n: (contents[n].digest is None, n))
    tmp = Path(tempfile.mkdtemp(prefix=f".{dist.name}.new-", dir=parent))
    try:
        os.chmod(tmp, 0o755)
        synced: list[tuple[int, Future[None]]] = []  # each file's fd, and its fsync
        with ThreadPoolExecutor(max_workers=4) as pool:

            def write(name: str, content: Content) -> int:
                """Write one file; its fsync (and close) is left to the pool."""
                fd = os.open(tmp / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
                try:
                    size = content.write(fd)
                except BaseException:
                    os.close(fd)
                    raise
                synced.append((fd, pool.submit(_sync_and_close, fd)))
                return size

            try:
                digests = {n: pool.submit(contents[n].sha256) for n in names}
                sizes = {name: write(name, contents[name]) for name in names}
                described = {
                    n: {"bytes": sizes[n], "sha256": digests[n].result()} for n in sorted(names)
                }
                if last is not None:
                    name, data = last(described)
                    write(name, Content([data]))
                for _fd, done in synced:
                    done.result()
            except BaseException:
                pool.shutdown(cancel_futures=True)
                for fd, done in synced:
                    if done.cancelled():  # never ran: its file is still open
                        os.close(fd)
                raise
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
    return described


def state_dir(settings: Settings) -> StateDir | None:
    """Return the build state directory of a project (``{cache}/build``), or ``None``."""
    cache = source_cache(settings)
    return None if cache is None else StateDir(cache.directory / "build")


def build(settings: Settings, now: datetime | None = None) -> BuildResult:
    """Check the project and write ``dist/``, incrementally when only sources were added.

    With a cache directory, the previous build's state (:mod:`diplokg.state`) is
    extended when the only change since is added sources; otherwise (or if the
    additions need it, see :mod:`diplokg.delta`) every step runs on everything, and
    the state is written anew.

    Args:
        settings: Project root, output directory and base.
        now: The build time recorded in the manifest (default: now).

    Returns:
        What was written.

    Raises:
        DiploKGError: Any failed check (see :func:`check_project`); ``dist/`` is
            then left exactly as it was.
    """
    states = state_dir(settings)
    with _no_cyclic_gc():
        if states is None:
            return _full_build(settings, now, None)
        with states.locked():
            extended = _incremental_build(settings, now, states)
            if isinstance(extended, BuildResult):
                return extended
            result = _full_build(settings, now, states)
            result.checked.why_full = extended
            return result


def _write_build(
    settings: Settings,
    checked: CheckedDataset,
    files: Mapping[str, bytes | Content],
    now: datetime | None,
) -> BuildResult:
    """Write ``dist/``: the files, then the manifest describing them."""
    manifest: dict[str, Any] = {}

    def describe(written: dict[str, dict[str, Any]]) -> tuple[str, bytes]:
        manifest.update(make_manifest(checked, written, now))
        return MANIFEST, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()

    write_dist(files, settings.dist_dir, describe)
    return BuildResult(settings.dist_dir, checked, manifest)


def _full_build(settings: Settings, now: datetime | None, states: StateDir | None) -> BuildResult:
    """Check everything and write ``dist/``; then write the state, if there is one."""
    checked = _check_project(settings)
    with _timed(checked.timings, "write"):
        rendered = render_build(checked, store_predicates(checked.store))
        result = _write_build(settings, checked, rendered.contents, now)
    if states is not None:
        with _timed(checked.timings, "state"):
            try:
                _save_state(settings, states, checked, rendered.index)
            except OSError:  # dist/ is written: the build stands, the next one is full
                states.forget()
    return result


def _fingerprint(settings: Settings, project: Project) -> str:
    """The state fingerprint of a project: everything but its sources."""
    others = [p for name, ps in project.files.items() if not name.startswith("facts/") for p in ps]
    options = {"base": settings.base, "reasoner": settings.reasoner, "shacl": settings.shacl}
    return fingerprint(options, digest_files(project.root, sorted(others)))


def _source_keys(settings: Settings, project: Project) -> dict[str, str]:
    cache = source_cache(settings)
    assert cache is not None
    return {s.id: cache.key(project.root, s) for s in project.sources}


def _save_state(
    settings: Settings, states: StateDir, checked: CheckedDataset, index: bytes
) -> None:
    """Write the state of a full build (or forget the old one if this build has none)."""
    rules = RuleSet.of(checked.reasoning) if checked.reasoning is not None else None
    stats = statistics_to_json(checked.statistics) if checked.statistics else None
    if rules is None or stats is None or checked.shacl_state is None:
        states.forget()
        return
    project = checked.project
    generation = states.replace_store(settings.dist_dir / "diplokg.nq")
    state = BuildState(
        _fingerprint(settings, project),
        _source_keys(settings, project),
        checked.sizes,
        checked.counts()["evidence"],
        stats,
        rules,
        sorted(store_predicates(checked.store)),
        file_stamps(settings.dist_dir),
        generation=generation,
    )
    states.write(state, checked.shacl_state, index)


def _incremental_build(
    settings: Settings, now: datetime | None, states: StateDir
) -> BuildResult | str:
    """Extend the previous build with the added sources.

    Returns:
        What was written, or why a full build is needed instead.

    Raises:
        DiploKGError: A check failed (the state is left as it was; a failure after
            the checks, writing ``dist/`` say, leaves it dirty: the next build is full).
    """
    timings: dict[str, float] = {}
    found = states.read()
    if found is None:
        return "no usable build state"
    state, shacl_state, index = found
    project = _step(timings, "parse", lambda: load_project(settings, parse_sources=False))
    if _fingerprint(settings, project) != state.fingerprint:
        return "the code, settings, ontology, shapes or background changed"
    if file_stamps(settings.dist_dir) != state.dist:
        return "dist/ is not the one the state describes"
    with _timed(timings, "sources"):
        keys = _source_keys(settings, project)
        if any(keys.get(i) != k for i, k in state.sources.items()):
            return "a source was edited or removed"
        added = {i for i in keys if i not in state.sources}
        cache = source_cache(settings)
        stage = run_stage(project.root, project.base, project.sources, cache, only=added)
    try:
        store = states.open_store(state.generation)
    except OSError as e:
        return f"the state's store cannot be opened: {e}"
    try:
        extended = _extend(settings, project, state, shacl_state, stage, store, states, timings)
    except (NotIncremental, NotIncrementalShacl) as e:
        return f"the added sources need it: {e}"
    checked = extended.checked
    with _timed(timings, "write"):
        previous = Previous.read(
            settings.dist_dir, index, extended.changes, extended.added, extended.removed
        )
        rendered = render_build(checked, extended.predicates, previous)
        result = _write_build(settings, checked, rendered.contents, now)
    with _timed(timings, "state"):
        state.sources = keys
        state.sizes = checked.sizes
        state.evidence = checked.counts()["evidence"]
        assert checked.statistics is not None
        stats = statistics_to_json(checked.statistics)
        if stats is None:
            states.forget()
        else:
            state.statistics = stats
            state.predicates = sorted(extended.predicates)
            state.dist = file_stamps(settings.dist_dir)
            state.status = "clean"
            states.write(state, checked.shacl_state, rendered.index)
    return result


@dataclass
class _Extended:
    """An incremental build's checked dataset, and what it changed in the store.

    Attributes:
        checked: The checked dataset.
        changes: Graph name → the subjects whose statements in it changed.
        predicates: The predicates of the store.
        added: The quads added to the store.
        removed: The quads removed from it (before those were added).
    """

    checked: CheckedDataset
    changes: dict[str, set[str]]
    predicates: set[str]
    added: list[ox.Quad]
    removed: list[ox.Quad]


def _quads(triples: Iterable[ox.Triple], graph: ox.NamedNode) -> list[ox.Quad]:
    return [ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples]


def _extend(
    settings: Settings,
    project: Project,
    state: BuildState,
    shacl_state: bytes,
    stage: StageResult,
    store: ox.Store,
    states: StateDir,
    timings: dict[str, float],
) -> _Extended:
    """Add the staged sources to the state's store, with what follows from them.

    The store is changed in place; if any check fails, the changes are undone and
    the error raised (the state stays usable).

    Raises:
        NotIncremental: The additions need a full build.
        DiploKGError: A check failed.
    """
    base = settings.base

    def named(name: str) -> ox.NamedNode:
        return ox.NamedNode(str(graph_iri(base, name)))

    shapes_g, meta_g, inferred_g = named("shapes"), named("meta"), named("inferred")
    shapes_ids: dict[BNode, URIRef] = {}
    project.graphs = _step(
        timings,
        "skolemise",
        lambda: {
            name: skolemise(g, base, shapes_ids if name == "shapes" else None)
            for name, g in project.graphs.items()
        },
    )
    entries = stage.entries
    added = [t for entry in entries.values() for t in entry.triples]
    union = Union(store, [shapes_g, meta_g])
    extension = _step(timings, "reason", lambda: extend_closure(union, state.rules, added))
    _step(timings, "consistency", lambda: check_extension(union, state.rules, extension))
    moved = sorted({t for t in added if _in_graph(store, t, inferred_g)}, key=str)

    sizes = dict(state.sizes)
    sizes.update((name, len(entry.triples)) for name, entry in entries.items())
    sizes["inferred"] += len(extension.inferred) - len(moved)

    def count() -> DatasetStatistics:
        previous = statistics_from_json(state.statistics)
        new = itertools.chain(added, extension.inferred)
        stats = extend_statistics(previous, Union(store, [meta_g]), new, base)
        inferred = previous.graph_triples["inferred"] + len(extension.inferred) - len(moved)
        stats.graph_triples["inferred"] = inferred
        return stats

    stats = _step(timings, "void", count)

    state.status = "dirty"
    states.write(state)
    shapes_quads = list(store.quads_for_pattern(None, None, None, shapes_g))
    old_meta = list(store.quads_for_pattern(None, None, None, meta_g))
    removed = shapes_quads + old_meta + _quads(moved, inferred_g)
    inserted = [q for e in entries.values() for q in _quads(e.triples, ox.NamedNode(e.graph))]
    inserted += _quads(extension.inferred, inferred_g)
    try:
        with _timed(timings, "store"):
            for quad in removed:
                store.remove(quad)
            store.extend(inserted)
        for name, entry in entries.items():  # counted as the full build counts them
            graph = ox.NamedNode(entry.graph)
            stats.graph_triples[name] = sum(
                1 for _ in store.quads_for_pattern(None, None, None, graph)
            )
        stats.graph_triples = dict(sorted(stats.graph_triples.items()))

        def shacl() -> tuple[ShaclReport, bytes]:
            return validate_project_incremental(
                store,
                project.data_shapes,
                _context_aware(project.graphs["ontology"]),
                project.ontology_shapes,
                base,
                shacl_state,
                [*extension.asserted, *extension.inferred],
            )

        report, new_shacl = _step(timings, "shacl", shacl)
        report_graph = _report_graph(report, base, shapes_ids)
        check_report(report, base)
        ids = [s.id for s in project.sources]
        meta = describe_triples(stats, base, ids, project.input_digest, __version__)
        new_meta = _quads(_ox_triples(meta), meta_g)
        store.extend(shapes_quads)
        inserted += shapes_quads
        store.extend(new_meta)
        inserted += new_meta
    except BaseException:
        for quad in inserted:
            store.remove(quad)
        store.extend(removed)
        state.status = "clean"
        states.write(state)
        raise
    sizes["meta"] = len(meta)

    # What changed: the store is the previous one less `removed` (all read from it),
    # plus `inserted`; a quad in both (the shapes, most of graph/meta) is unchanged.
    gone, kept = set(removed), set(inserted)
    net_added = [quad for quad in kept if quad not in gone]
    net_removed = [quad for quad in gone if quad not in kept]
    changes: dict[str, set[str]] = {}
    for quad in itertools.chain(net_added, net_removed):
        changes.setdefault(str(quad.graph_name), set()).add(str(quad.subject))
    predicates = set(state.predicates)
    predicates.update(q.predicate.value for q in inserted)
    for p in {q.predicate for q in removed} - {q.predicate for q in inserted}:
        if next(store.quads_for_pattern(None, p, None, None), None) is None:
            predicates.discard(p.value)
    evidence = [e for entry in entries.values() for e in entry.evidence]
    checked = CheckedDataset(
        project,
        store,
        sizes,
        evidence,
        None,
        report,
        report_graph,
        timings,
        {"hits": len(state.sources) + len(stage.hits), "misses": len(stage.misses)},
        statistics=stats,
        shacl_state=new_shacl,
        evidence_count=state.evidence + len(evidence),
        mode="incremental",
        added=[name.removeprefix("facts/") for name in entries],
    )
    return _Extended(checked, changes, predicates, net_added, net_removed)


def _in_graph(store: ox.Store, t: ox.Triple, graph: ox.NamedNode) -> bool:
    return next(store.quads_for_pattern(t.subject, t.predicate, t.object, graph), None) is not None


def _ox_triples(triples: Iterable[Triple]) -> list[ox.Triple]:
    term = ToOxigraph()
    return [ox.Triple(term(s), term(p), term(o)) for s, p, o in triples]
