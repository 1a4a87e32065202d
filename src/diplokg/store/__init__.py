"""Stores: one interface (:class:`Store`), a backend per kind of storage.

Backends, chosen by the ``store`` setting: ``memory`` (Oxigraph in memory,
loaded from ``dist/`` at start-up), ``disk`` (Oxigraph persisted at
``store_path``, loaded only when ``dist/`` changed) and ``remote`` (a SPARQL 1.1
endpoint at ``store_query_url``). The web layer depends only on :class:`Store`,
:class:`QueryRequest` and :class:`QueryResult`.
"""

from __future__ import annotations

from pathlib import Path

from diplokg.config import Settings
from diplokg.errors import DistError, InputError
from diplokg.namespaces import prefixes_for
from diplokg.store.base import QueryRequest, QueryResult, Store
from diplokg.store.dist import DUMP, check_dist, dump_digest, file_stats, sha256_file

__all__ = [
    "BACKENDS",
    "QueryRequest",
    "QueryResult",
    "Store",
    "dump_path",
    "open_backend",
    "open_store",
    "prepare_store",
]

BACKENDS = ("memory", "disk", "remote")


def dump_path(settings: Settings) -> Path:
    """The dump the stores load: ``{dist}/diplokg.nq``."""
    return settings.dist_dir / DUMP


def open_store(settings: Settings) -> Store:
    """Open the store the settings name, with the answer cache of ``query_cache`` in front.

    See :func:`open_backend`, which this wraps in a :class:`~diplokg.store.cached.CachedStore`
    when ``query_cache`` is above 0.
    """
    store = open_backend(settings)
    if settings.query_cache > 0:
        from diplokg.store.cached import CachedStore

        return CachedStore(store, settings.query_cache)
    return store


def open_backend(settings: Settings) -> Store:
    """Open the store the settings name, after checking ``dist/`` against its manifest.

    Args:
        settings: ``store`` selects the backend; ``dist``, ``threads``,
            ``query_memory``, ``store_path``, ``store_query_url`` and
            ``query_timeout`` configure it.

    Returns:
        The store, ready to answer (a remote store is only contacted when asked).

    Raises:
        InputError: An unknown backend, or a setting it needs is missing.
        NotFound: No ``dist/``: the dataset has not been built.
        DistError: ``dist/`` is partial or corrupt, or its dump does not load.
    """
    prefixes = prefixes_for(settings.base)
    dump = dump_path(settings)
    if settings.store == "memory":
        from diplokg.store.memory import MemoryStore

        digest = dump_digest(check_dist(settings.dist_dir, full=False))
        if sha256_file(dump) != digest:
            raise DistError(
                f"{dump} does not match its sha256 in the manifest (corrupt);"
                " rebuild it with `diplokg build`"
            )
        return MemoryStore(
            dump,
            evaluators=settings.threads,
            prefixes=prefixes,
            memory_mb=settings.query_memory,
            version=digest[:16],
        )
    if settings.store == "disk":
        from diplokg.store.disk import DiskStore, read_marker

        manifest = check_dist(settings.dist_dir, full=False)
        digest = dump_digest(manifest)
        marker = read_marker(settings.store_dir)
        if (marker is None or marker.get("digest") != digest) and sha256_file(dump) != digest:
            raise DistError(
                f"{dump} does not match its sha256 in the manifest (corrupt);"
                " rebuild it with `diplokg build`"
            )
        return DiskStore(
            settings.store_dir,
            dump,
            digest,
            evaluators=settings.threads,
            prefixes=prefixes,
            memory_mb=settings.query_memory,
        )
    if settings.store == "remote":
        from diplokg.store.remote import RemoteStore

        if settings.dist_dir.exists():  # served dumps and pages; the data is remote
            check_dist(settings.dist_dir, full=False)
        return RemoteStore(
            settings.store_query_url,
            base=settings.base,
            prefixes=prefixes,
            timeout=settings.query_timeout,
        )
    raise InputError(f"unknown store {settings.store!r}; available: {', '.join(BACKENDS)}")


def prepare_store(settings: Settings) -> None:
    """Check ``dist/`` fully and bring a disk store up to date, once, before serving.

    ``diplokg serve`` calls this in the master process, before the web workers
    start (and each opens the store): every file of ``dist/`` is compared with
    its sha256 in the manifest (a truncated dump, a bad gzip), and a disk store
    is loaded when it does not hold this ``dist/`` yet.

    Args:
        settings: The backend and where ``dist/`` is.

    Raises:
        NotFound: No ``dist/`` (memory and disk backends).
        DistError: ``dist/`` is partial or corrupt, or its dump does not load.
    """
    if settings.store == "remote" and not settings.dist_dir.exists():
        return
    if settings.store != "disk":
        check_dist(settings.dist_dir, full=True)
        return
    import multiprocessing

    from diplokg.store.disk import prepare, read_marker, remember_verified

    # The disk store's marker remembers the stat of each file it found right, so a
    # restart on the same dist/ reads none of it again (start-up independent of size).
    marker = read_marker(settings.store_dir) or {}
    manifest = check_dist(settings.dist_dir, full=True, trusted=marker.get("verified"))
    digest = dump_digest(manifest)
    verified = file_stats(settings.dist_dir, manifest)
    if marker.get("digest") == digest:
        remember_verified(settings.store_dir, verified)
        return
    # Load in a child process: RocksDB's threads must not exist in the process
    # the WSGI server (granian or gunicorn) forks its workers from.
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        pool.apply(prepare, (settings.store_dir, dump_path(settings), digest, verified))
