"""The disk backend: Oxigraph persisted in a directory, loaded once per build.

The store directory (the ``store_path`` setting) holds an Oxigraph (RocksDB)
store and a marker file, ``diplokg-loaded.json``, written last, that records the
sha256 of the dump it was loaded from (as ``dist/manifest.json`` states it) and
the size of each named graph. At start-up, when the marker matches the manifest,
nothing is loaded or counted: the evaluators open the directory read-only, which
takes milliseconds at any size. Otherwise the dump is bulk-loaded into a new
directory beside it, the marker is written, and the new directory replaces the
old one, so a failed or interrupted load never leaves a half-loaded store in use.
Queries run in the supervised evaluator processes of :mod:`diplokg.store.pool`,
each with its own read-only handle, so that the timeout can stop them.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from diplokg.errors import DistError, InputError
from diplokg.store.evaluator import graph_sizes
from diplokg.store.pool import EvaluatorPool, PooledStore

MARKER = "diplokg-loaded.json"


def read_marker(directory: Path) -> dict[str, Any] | None:
    """What a store directory says it holds, or ``None`` (no store, or an unfinished load)."""
    try:
        data = json.loads((directory / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("sizes"), dict):
        return None
    return data


def remember_verified(directory: Path, verified: dict[str, list[int]]) -> None:
    """Record in the marker the stat of the ``dist/`` files just found right."""
    marker = read_marker(directory)
    if marker is None or marker.get("verified") == verified:
        return
    marker["verified"] = verified
    fresh = directory / f".{MARKER}.tmp"
    fresh.write_text(json.dumps(marker, indent=1), encoding="utf-8")
    fresh.replace(directory / MARKER)


def _replaceable(directory: Path) -> bool:
    """Whether a directory may be replaced: absent, empty, or an Oxigraph store."""
    if not directory.exists():
        return True
    if not directory.is_dir():
        return False
    return (
        (directory / MARKER).exists()
        or (directory / "CURRENT").exists()
        or not any(directory.iterdir())
    )


def prepare(
    directory: Path, dump: Path, digest: str, verified: dict[str, list[int]] | None = None
) -> tuple[dict[str, int], bool]:
    """Make the store at ``directory`` hold ``dump``, loading it only when it changed.

    Args:
        directory: The store directory.
        dump: The N-Quads dump (``dist/diplokg.nq``).
        digest: The dump's sha256 from the manifest.
        verified: Size and mtime (ns) of the ``dist/`` files just checked against
            their sha256, recorded in the marker so that a restart need not read them.

    Returns:
        The graph sizes (IRI → triples) and whether the dump was loaded now.

    Raises:
        InputError: The directory exists and is not a store (it is left alone).
        DistError: The dump does not load.
    """
    marker = read_marker(directory)
    if marker is not None and marker.get("digest") == digest:
        return {str(k): int(v) for k, v in marker["sizes"].items()}, False
    if not _replaceable(directory):
        raise InputError(
            f"{directory} exists and is not a DiploKG store; choose another store_path"
        )
    directory.parent.mkdir(parents=True, exist_ok=True)
    fresh = directory.parent / f".{directory.name}.loading-{os.getpid()}"
    shutil.rmtree(fresh, ignore_errors=True)
    try:
        store = ox.Store(str(fresh))
        store.bulk_load(path=str(dump), format=ox.RdfFormat.N_QUADS)
        store.flush()
        sizes = graph_sizes(store)
        del store
        gc.collect()  # closes the RocksDB handle before the directory moves
    except (OSError, SyntaxError, ValueError) as error:
        shutil.rmtree(fresh, ignore_errors=True)
        raise DistError(
            f"cannot load {dump} into the disk store: {error}; rebuild it with `diplokg build`"
        ) from None
    (fresh / MARKER).write_text(
        json.dumps(
            {"digest": digest, "dump": str(dump), "sizes": sizes, "verified": verified or {}},
            indent=1,
        ),
        encoding="utf-8",
    )
    old = directory.parent / f".{directory.name}.old-{os.getpid()}"
    if directory.exists():
        directory.rename(old)
    fresh.rename(directory)
    shutil.rmtree(old, ignore_errors=True)
    return sizes, True


class DiskStore(PooledStore):
    """Oxigraph on disk, opened read-only by each evaluator process.

    Args:
        directory: The store directory.
        dump: The dump to load when the store does not hold it yet.
        digest: The dump's sha256 (from ``dist/manifest.json``).
        evaluators: How many queries may run at once.
        prefixes: Prefixes for Turtle, TriG and RDF/XML output.
        memory_mb: Address-space limit of each evaluator in MiB (0: none).

    Raises:
        InputError: The directory is not a store.
        DistError: The dump does not load.
    """

    def __init__(
        self,
        directory: Path,
        dump: Path,
        digest: str,
        evaluators: int = 1,
        prefixes: dict[str, str] | None = None,
        memory_mb: int = 0,
    ) -> None:
        self.directory = directory
        sizes, self.loaded = prepare(directory, dump, digest)
        self.version = digest[:16]
        self.pool = EvaluatorPool(str(directory), evaluators, prefixes or {}, memory_mb, sizes)
