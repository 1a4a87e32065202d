"""Stores: one interface (:class:`Store`), a backend per kind of storage.

Backends: ``memory`` (Oxigraph in memory, loaded from ``dist/``). The web layer
depends only on :class:`Store`, :class:`QueryRequest` and :class:`QueryResult`.
"""

from __future__ import annotations

from pathlib import Path

from diplokg.config import Settings
from diplokg.errors import InputError
from diplokg.namespaces import prefixes_for
from diplokg.store.base import QueryRequest, QueryResult, Store

__all__ = ["QueryRequest", "QueryResult", "Store", "dump_path", "open_store"]

DUMP = "diplokg.nq"


def dump_path(settings: Settings) -> Path:
    """The dump the stores load: ``{dist}/diplokg.nq``."""
    return settings.dist_dir / DUMP


def open_store(settings: Settings) -> Store:
    """Open the store the settings name.

    Args:
        settings: ``store`` selects the backend; ``dist``, ``threads`` and
            ``query_memory`` configure it.

    Returns:
        The store, ready to answer.

    Raises:
        InputError: An unknown backend, or a dump that does not load.
        NotFound: No dump: the dataset has not been built.
    """
    if settings.store == "memory":
        from diplokg.store.memory import MemoryStore

        return MemoryStore(
            dump_path(settings),
            evaluators=settings.threads,
            prefixes=prefixes_for(settings.base),
            memory_mb=settings.query_memory,
        )
    raise InputError(f"unknown store {settings.store!r}; available: memory")
