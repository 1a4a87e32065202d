"""The build state: what an incremental build needs from the previous build.

A build with a cache directory keeps, under ``{cache}/build/``, what it built:

- ``store/``: an Oxigraph store on disk holding every named graph it wrote to
  ``dist/`` (the inferences, shapes and meta graph included);
- ``state.json``: what the store was built from — a fingerprint of everything but
  the sources (code, library versions, settings, the ontology, shapes and
  background files), each source's cache key (:meth:`SourceCache.key`), the graph
  sizes, the VoID counts, the compiled A-box rules (:class:`~diplokg.delta.RuleSet`),
  and the size and modification time of each file of ``dist/``;
- ``shacl.bin`` and ``dumps.bin``: the SHACL results and the dumps' range index, in
  the formats of :mod:`diplokg.validation` and :mod:`diplokg.serialise`.

The next build reads it only if everything but the sources is unchanged, every
source it lists is still there with the same key, and ``dist/`` is the one it
describes; then only the added sources are worked on (:mod:`diplokg.build`).
Anything else — a source edited or removed, a file of ``dist/`` touched, a state
that does not read — means a full build, which writes a new state.

The store is modified in place by an incremental build. ``state.json`` says
``"status": "dirty"`` from then until the new ``dist/`` and state are written: a
check that fails undoes the changes and marks the state clean again; a build that
is killed, or fails later (writing ``dist/``, say), leaves it dirty, and the next
build is a full one. A lock file keeps two builds from using the state at once;
each full build gives the store a new *generation*, so that a process still
holding an older store does not take it for the current one.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sys
import tempfile
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import owlrl
import pyoxigraph as ox
import pyshacl
import rdflib
from rdflib import URIRef

from diplokg import __version__
from diplokg.delta import RuleSet
from diplokg.void import DatasetStatistics

#: Bump when the layout of the state changes.
FORMAT = "diplokg-build-state/1"

_STATE, _SHACL, _DUMPS, _STORE, _LOCK = "state.json", "shacl.bin", "dumps.bin", "store", "lock"


def code_digest() -> str:
    """Return the sha256 of every module of the package (any change means a full build)."""
    here = Path(__file__).parent
    h = hashlib.sha256()
    for path in sorted(here.rglob("*.py")):
        h.update(path.relative_to(here).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def fingerprint(settings: dict[str, str], inputs_digest: str) -> str:
    """Return the digest of everything a build depends on but its sources.

    Args:
        settings: The settings that change the output (base, reasoner, SHACL engine).
        inputs_digest: The digest of the input files that are not sources.

    Returns:
        The hex sha256.
    """
    parts = [FORMAT, __version__, code_digest(), inputs_digest]
    parts += [rdflib.__version__, ox.__version__, owlrl.__version__, pyshacl.__version__]
    parts.append(zlib.ZLIB_RUNTIME_VERSION)  # another zlib compresses the kept chunks otherwise
    parts += [f"{k}={v}" for k, v in sorted(settings.items())]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def statistics_to_json(stats: DatasetStatistics) -> dict[str, Any] | None:
    """The VoID counts as JSON data, or ``None`` if a class or property is not an IRI."""
    if not all(isinstance(t, URIRef) for t in [*stats.classes, *stats.properties]):
        return None
    return {
        "triples": stats.triples,
        "entities": stats.entities,
        "graph_triples": stats.graph_triples,
        "classes": {str(c): n for c, n in sorted(stats.classes.items())},
        "properties": {str(p): n for p, n in sorted(stats.properties.items())},
    }


def statistics_from_json(data: dict[str, Any]) -> DatasetStatistics:
    """Read what :func:`statistics_to_json` wrote."""
    return DatasetStatistics(
        int(data["triples"]),
        int(data["entities"]),
        {str(k): int(v) for k, v in data["graph_triples"].items()},
        {URIRef(k): int(v) for k, v in data["classes"].items()},
        {URIRef(k): int(v) for k, v in data["properties"].items()},
    )


def file_stamps(directory: Path) -> dict[str, list[int]]:
    """Each file of a directory: ``[size, mtime_ns, inode]``."""
    out: dict[str, list[int]] = {}
    for path in sorted(directory.iterdir()) if directory.is_dir() else []:
        st = path.stat()
        out[path.name] = [st.st_size, st.st_mtime_ns, st.st_ino]
    return out


@dataclass
class BuildState:
    """What ``state.json`` records (see the module docstring).

    Attributes:
        fingerprint: :func:`fingerprint` of the build.
        sources: Each source's cache key, by source id.
        sizes: Triples per named graph, by name (``meta`` included).
        evidence: How many evidence quotes were verified.
        statistics: The VoID counts (the union of every graph but ``meta``).
        rules: The compiled A-box rules.
        predicates: The predicates of the store (they choose the dumps' prefixes).
        dist: :func:`file_stamps` of ``dist/`` once written.
        status: ``clean``, or ``dirty`` while the store is being changed.
        generation: The id of the store (new each time a full build replaces it).
    """

    fingerprint: str
    sources: dict[str, str]
    sizes: dict[str, int]
    evidence: int
    statistics: dict[str, Any]
    rules: RuleSet
    predicates: list[str] = field(default_factory=list)
    dist: dict[str, list[int]] = field(default_factory=dict)
    status: str = "clean"
    generation: str = ""

    def to_json(self) -> dict[str, Any]:
        """The state as JSON data."""
        return {
            "format": FORMAT,
            "status": self.status,
            "fingerprint": self.fingerprint,
            "sources": self.sources,
            "sizes": self.sizes,
            "evidence": self.evidence,
            "statistics": self.statistics,
            "rules": self.rules.to_json(),
            "predicates": self.predicates,
            "dist": self.dist,
            "generation": self.generation,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BuildState:
        """Read :meth:`to_json`'s data.

        Raises:
            ValueError: Another format, or malformed data.
        """
        if data.get("format") != FORMAT:
            raise ValueError("another state format")
        try:
            return cls(
                str(data["fingerprint"]),
                {str(k): str(v) for k, v in data["sources"].items()},
                {str(k): int(v) for k, v in data["sizes"].items()},
                int(data["evidence"]),
                dict(data["statistics"]),
                RuleSet.from_json(data["rules"]),
                [str(p) for p in data["predicates"]],
                {str(k): [int(x) for x in v] for k, v in data["dist"].items()},
                str(data["status"]),
                str(data["generation"]),
            )
        except (KeyError, TypeError, AttributeError) as e:
            raise ValueError(f"malformed state: {e}") from None


#: The state stores open in this process, by path, with their generation. RocksDB
#: lets a process open a store once, and the result of an earlier build may still
#: hold it: the next build in the same process must get that same store, if it is
#: still the one ``state.json`` describes (another process may have replaced it).
_OPEN: dict[str, tuple[str, ox.Store]] = {}


def _open_store(path: Path, generation: str) -> ox.Store:
    """Open the store at ``path``, or return it if this process has it open.

    Raises:
        OSError: The store cannot be opened (say, a stale copy of it is still held).
    """
    key = str(path.resolve())
    for other in list(_OPEN):
        # Held by the registry alone (counted: the dict's tuple and getrefcount's argument).
        if other != key and sys.getrefcount(_OPEN[other][1]) <= 2:
            del _OPEN[other]  # closes it
    found = _OPEN.get(key)
    if found is not None and found[0] == generation:
        return found[1]
    _OPEN.pop(key, None)
    store = ox.Store(key)
    _OPEN[key] = (generation, store)
    return store


def _close_store(path: Path) -> None:
    """Forget this process's store at ``path`` (about to be deleted or replaced)."""
    _OPEN.pop(str(path.resolve()), None)


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class StateDir:
    """The directory of a build state.

    Args:
        directory: ``{cache}/build``.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the state's lock (another build waits for it)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / _LOCK, "a+b") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def read(self) -> tuple[BuildState, bytes, bytes] | None:
        """Return the state, the SHACL state and the dump index, or ``None`` if unusable.

        Unusable: missing, dirty, another format, or any part that does not read.
        """
        try:
            data = json.loads((self.directory / _STATE).read_bytes())
            state = BuildState.from_json(data)
            shacl = (self.directory / _SHACL).read_bytes()
            dumps = (self.directory / _DUMPS).read_bytes()
        except (OSError, ValueError):
            return None
        if state.status != "clean" or not (self.directory / _STORE).is_dir():
            return None
        return state, shacl, dumps

    def open_store(self, generation: str) -> ox.Store:
        """Open the state's store (read and write), of the generation ``state.json`` names.

        Raises:
            OSError: It cannot be opened.
        """
        return _open_store(self.directory / _STORE, generation)

    def write(
        self, state: BuildState, shacl: bytes | None = None, dumps: bytes | None = None
    ) -> None:
        """Write ``state.json`` (last, so that it describes the other files)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        if shacl is not None:
            _write_atomic(self.directory / _SHACL, shacl)
        if dumps is not None:
            _write_atomic(self.directory / _DUMPS, dumps)
        text = json.dumps(state.to_json(), separators=(",", ":"), sort_keys=True)
        _write_atomic(self.directory / _STATE, text.encode("utf-8"))

    def forget(self) -> None:
        """Remove the state (the next build is a full one)."""
        (self.directory / _STATE).unlink(missing_ok=True)
        _close_store(self.directory / _STORE)
        shutil.rmtree(self.directory / _STORE, ignore_errors=True)

    def replace_store(self, nquads: Path) -> str:
        """Make the state's store a copy of an N-Quads file (the full build's dump).

        Loaded into a new directory beside the old store, then swapped in.

        Returns:
            The new store's generation (a random id ``state.json`` records).
        """
        self.forget()
        new = Path(tempfile.mkdtemp(prefix=".store-", dir=self.directory))
        try:
            store = ox.Store(str(new))
            # lenient: the dump was written by the build from terms already checked,
            # and validating its IRIs again took about a fifth of this load at 1M.
            store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS, lenient=True)
            store.flush()
            del store
            os.rename(new, self.directory / _STORE)
        except BaseException:
            shutil.rmtree(new, ignore_errors=True)
            raise
        return uuid.uuid4().hex
