"""The answer cache in front of a store: per version and request; errors never kept."""

from __future__ import annotations

import pytest

from diplokg import errors
from diplokg.store import QueryRequest, QueryResult
from diplokg.store.cached import CachedStore


class Counting:
    def __init__(self) -> None:
        self.version = "v1"
        self.calls = 0
        self.fail = False
        self.size = 10

    def query(self, request: QueryRequest, timeout: float) -> QueryResult:
        self.calls += 1
        if self.fail:
            raise errors.QueryTimeout("stopped", 1)
        return QueryResult("select", "json", b"x" * self.size, 1, False)

    def graphs(self) -> dict[str, int]:
        return {"g": 1}

    def triple_count(self) -> int:
        return 1

    def close(self) -> None:
        pass


def test_same_request_same_version_is_answered_once() -> None:
    inner = Counting()
    store = CachedStore(inner, entries=2)
    a, b = QueryRequest("ASK {}"), QueryRequest("ASK {}", results_format="xml")
    assert store.query(a, 1) == store.query(a, 1)
    assert inner.calls == 1
    store.query(b, 1)
    assert inner.calls == 2  # another format is another answer
    inner.version = "v2"  # new data: nothing reused
    store.query(a, 1)
    assert inner.calls == 3
    assert store.version == "v2"


def test_least_recently_used_evicted_large_and_failed_answers_not_kept() -> None:
    inner = Counting()
    store = CachedStore(inner, entries=2, max_bytes=100)
    r1, r2, r3 = (QueryRequest(f"SELECT * {{ ?s ?p {i} }}") for i in range(3))
    for r in (r1, r2, r3):
        store.query(r, 1)
    store.query(r1, 1)
    assert inner.calls == 4  # r1 was evicted
    inner.size = 1000
    big = QueryRequest("SELECT * { ?s ?p ?o }")
    store.query(big, 1)
    store.query(big, 1)
    assert inner.calls == 6
    inner.fail = True
    slow = QueryRequest("SELECT * { ?a ?b ?c }")
    for _ in range(2):
        with pytest.raises(errors.QueryTimeout):
            store.query(slow, 1)
    assert inner.calls == 8
