"""The remote backend: the policy holds before any request; failures become 502/503/504."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from diplokg import errors
from diplokg.store import QueryRequest
from diplokg.store.remote import SIZES_TTL, RemoteStore
from tests.fakestore import fake_store
from tests.live import WEB, Oxigraph, free_port, push, start_oxigraph, stop_process

G = "https://w3id.org/diplokg/graph/"
FORBIDDEN = [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "SELECT * FROM <http://example.org/remote.ttl> WHERE { ?s ?p ?o }",
    "INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }",
    "DROP ALL",
    "LOAD <http://127.0.0.1:9/data.ttl>",
]


@pytest.fixture(scope="module")
def oxigraph() -> Iterator[Oxigraph]:
    store = start_oxigraph(timeout_s=5)
    done = push(store, WEB)
    assert done.returncode == 0, done.stderr
    yield store
    stop_process(store.process)


@pytest.fixture(scope="module")
def remote(oxigraph: Oxigraph) -> Iterator[RemoteStore]:
    store = RemoteStore(oxigraph.query_url)
    yield store
    store.close()


@pytest.mark.parametrize("query", FORBIDDEN)
def test_the_policy_refuses_before_any_request_reaches_the_store(query: str) -> None:
    with fake_store("json") as fake:
        store = RemoteStore(fake.url)
        with pytest.raises(errors.Forbidden):
            store.query(QueryRequest(query), 5)
        store.close()
        assert not any(b"SERVICE" in r or b"INSERT" in r for r in fake.requests)
        assert not any(b"remote.ttl" in r or b"LOAD" in r for r in fake.requests)


def test_a_graph_outside_the_dataset_is_refused_even_if_the_store_has_it(
    remote: RemoteStore,
) -> None:
    with pytest.raises(errors.Forbidden, match="not in this dataset"):
        remote.query(QueryRequest("SELECT * { ?s ?p ?o }", default_graph_uris=("http://x/",)), 5)


def test_answers_match_the_local_store(remote: RemoteStore) -> None:
    assert remote.triple_count() == 54
    assert set(remote.graphs()) == {
        G + n for n in ["ontology", "facts/tiny-news", "inferred", "meta", "background"]
    }
    r = remote.query(QueryRequest("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"), 5)
    assert json.loads(r.body)["results"]["bindings"][0]["n"]["value"] == "54"
    # FROM is honoured (sent as protocol parameters, which a union-default store obeys).
    r = remote.query(QueryRequest(f"SELECT (COUNT(*) AS ?n) FROM <{G}meta> {{ ?s ?p ?o }}"), 5)
    assert json.loads(r.body)["results"]["bindings"][0]["n"]["value"] == "3"
    r = remote.query(QueryRequest("ASK { ?s ?p ?o }", results_format="xml"), 5)
    assert b"<boolean>true</boolean>" in r.body


def test_the_result_cap_holds(remote: RemoteStore) -> None:
    r = remote.query(QueryRequest("SELECT * WHERE { ?s ?p ?o }", result_cap=7), 5)
    assert (r.count, r.truncated) == (7, True)
    assert len(json.loads(r.body)["results"]["bindings"]) == 7
    r = remote.query(
        QueryRequest("CONSTRUCT WHERE { ?s ?p ?o }", graph_format="nt", result_cap=5), 5
    )
    assert (r.count, r.truncated) == (5, True)
    assert r.body.count(b"\n") == 5


def test_a_syntax_error_is_400_with_a_position(remote: RemoteStore) -> None:
    with pytest.raises(errors.QuerySyntaxError) as info:
        remote.query(QueryRequest("SELECT * WHERE {"), 5)
    assert info.value.http_status == 400


def test_version_changes_with_the_data(oxigraph: Oxigraph) -> None:
    store = RemoteStore(oxigraph.query_url)
    assert len(store.version) == 16
    store.close()


def _known_version(store: RemoteStore) -> str | None:
    # Read through a call: mypy would keep ``store.known_version`` narrowed to its first
    # value, though the property changes as the store fetches and its fetch ages.
    return store.known_version


def test_the_known_version_is_only_a_fresh_one_and_never_asks(oxigraph: Oxigraph) -> None:
    store = RemoteStore(oxigraph.query_url)
    assert _known_version(store) is None  # nothing fetched yet, and nothing fetched now
    assert store._sizes is None
    version = store.version
    assert _known_version(store) == version
    store._fetched -= SIZES_TTL  # five seconds later
    assert _known_version(store) is None
    store.close()


@pytest.mark.parametrize(
    ("mode", "error", "status"),
    [
        ("garbage", errors.BadGateway, 502),
        ("not-http", errors.BadGateway, 502),
        ("error", errors.BadGateway, 502),
        ("slow", errors.GatewayTimeout, 504),
    ],
)
def test_a_misbehaving_store(mode: str, error: type[errors.DiploKGError], status: int) -> None:
    with fake_store(mode) as fake:
        store = RemoteStore(fake.url)
        start = time.monotonic()
        with pytest.raises(error) as info:
            store.query(QueryRequest("ASK { ?s ?p ?o }"), 1.0)
        assert time.monotonic() - start < 2.5
        assert info.value.http_status == status
        assert isinstance(info.value, errors.ServiceUnavailable)  # so: Retry-After
        assert info.value.retry_after >= 1
        assert fake.url in info.value.message
        store.close()


def test_a_store_that_is_down_is_503_and_it_recovers_when_it_returns() -> None:
    port = free_port()
    store = RemoteStore(f"http://127.0.0.1:{port}/query")
    with pytest.raises(errors.StoreUnavailable, match="cannot be reached") as info:
        store.query(QueryRequest("ASK { ?s ?p ?o }"), 2)
    assert info.value.http_status == 503
    oxigraph = start_oxigraph(port)
    try:
        assert push(oxigraph, WEB).returncode == 0
        r = store.query(QueryRequest("ASK { ?s ?p ?o }"), 2)
        assert r.body.endswith(b"true}")
    finally:
        stop_process(oxigraph.process)
    with pytest.raises(errors.StoreUnavailable):
        store.query(QueryRequest("ASK { ?s ?p ?o }"), 2)
    store.close()


def test_no_query_url_is_a_clear_error() -> None:
    with pytest.raises(errors.InputError, match="store_query_url"):
        RemoteStore("")
    with pytest.raises(errors.InputError, match="not an HTTP URL"):
        RemoteStore("ftp://example.org/sparql")
