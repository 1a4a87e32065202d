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

from diplokg.store.base import QueryRequest, QueryResult, Store


class CachedStore:
    """A store whose small answers are remembered per (version, request).

    Args:
        store: The backend.
        entries: Most answers kept.
        max_bytes: Largest answer body kept.
    """

    def __init__(self, store: Store, entries: int = 256, max_bytes: int = 256 * 1024) -> None:
        self.inner = store
        self.entries = entries
        self.max_bytes = max_bytes
        self.hits = 0
        self._lock = threading.Lock()
        self._answers: OrderedDict[tuple[str, QueryRequest], QueryResult] = OrderedDict()

    @property
    def version(self) -> str:
        """The backend's version."""
        return self.inner.version

    def query(self, request: QueryRequest, timeout: float) -> QueryResult:
        """A remembered answer, or the backend's (see :meth:`diplokg.store.base.Store.query`)."""
        key = (self.inner.version, request)
        with self._lock:
            found = self._answers.get(key)
            if found is not None:
                self._answers.move_to_end(key)
                self.hits += 1
                return found
        result = self.inner.query(request, timeout)
        if len(result.body) <= self.max_bytes:
            with self._lock:
                self._answers[key] = result
                while len(self._answers) > self.entries:
                    self._answers.popitem(last=False)
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
