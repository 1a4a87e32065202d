"""A small cache of answers in front of any store, keyed by data version and request.

The data behind a store only changes with its :attr:`~diplokg.store.base.Store.version`
(a new ``dist/``, a push to the remote store), so an answer can be reused for the same
request — query text, dataset, formats and cap — as long as the version is the same.
Each web worker keeps its own least-recently-used cache of at most ``entries`` answers,
each at most ``max_bytes``; errors (timeouts, refusals) are never cached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

from diplokg.errors import DiploKGError
from diplokg.store.base import QueryRequest, QueryResult, Store

K = TypeVar("K")
V = TypeVar("V")


class Recent(Generic[K, V]):
    """At most ``entries`` values by key, the least recently used first out; thread-safe.

    Args:
        entries: Most values kept.
    """

    def __init__(self, entries: int) -> None:
        self.entries = entries
        self.hits = 0
        self._lock = threading.Lock()
        self._values: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The value kept for a key (now the most recently used), or ``None``."""
        with self._lock:
            found = self._values.get(key)
            if found is not None:
                self._values.move_to_end(key)
                self.hits += 1
            return found

    def put(self, key: K, value: V) -> None:
        """Keep a value, letting the least recently used go past ``entries``."""
        with self._lock:
            self._values[key] = value
            while len(self._values) > self.entries:
                self._values.popitem(last=False)


def known_version(store: Store) -> str | None:
    """A store's version if it can be had without I/O, else ``None``.

    A remote store's version is refreshed by queries to it, which take time or fail
    when it is slow or down; it says what it knows through ``known_version``. Other
    stores hold their version.
    """
    known: str | None
    try:
        known = store.known_version  # type: ignore[attr-defined]
    except AttributeError:
        try:
            known = store.version
        except DiploKGError:
            known = None
    return known


class CachedStore:
    """A store whose small answers are remembered per (version, request).

    Args:
        store: The backend.
        entries: Most answers kept.
        max_bytes: Largest answer body kept.
    """

    def __init__(self, store: Store, entries: int = 256, max_bytes: int = 256 * 1024) -> None:
        self.inner = store
        self.max_bytes = max_bytes
        self._answers: Recent[tuple[str, QueryRequest], QueryResult] = Recent(entries)

    @property
    def entries(self) -> int:
        """Most answers kept."""
        return self._answers.entries

    @property
    def hits(self) -> int:
        """How many queries a kept answer served."""
        return self._answers.hits

    @property
    def version(self) -> str:
        """The backend's version."""
        return self.inner.version

    @property
    def known_version(self) -> str | None:
        """The backend's version if known without asking a remote store (:func:`known_version`)."""
        return known_version(self.inner)

    def query(self, request: QueryRequest, timeout: float) -> QueryResult:
        """A remembered answer, or the backend's (see :meth:`diplokg.store.base.Store.query`)."""
        key = (self.inner.version, request)
        found = self._answers.get(key)
        if found is not None:
            return found
        result = self.inner.query(request, timeout)
        if len(result.body) <= self.max_bytes:
            self._answers.put(key, result)
        return result

    def graphs(self) -> dict[str, int]:
        """The backend's named graphs and sizes."""
        return self.inner.graphs()

    def triple_count(self) -> int:
        """The backend's number of quads."""
        return self.inner.triple_count()

    def close(self) -> None:
        """Close the backend."""
        self.inner.close()
