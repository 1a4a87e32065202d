"""Answers replayed in front of Flask (web/replay.py), through the real app."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from flask import Flask

from diplokg import errors
from diplokg.config import Settings
from diplokg.store import QueryRequest, QueryResult
from diplokg.web import create_app
from diplokg.web.replay import Replay
from tests.live import LiveServer, Reply

ASK = "/sparql?" + urlencode({"query": "ASK { ?s ?p ?o }"})
JSON = {"Accept": "application/sparql-results+json"}


class Counting:
    """A store that counts its queries; its version, answer and failure can be changed."""

    def __init__(self) -> None:
        self.data_version = "v1"
        self.calls = 0
        self.error: BaseException | None = None
        self.version_error: BaseException | None = None
        self.body = b'{"head":{},"boolean":true}'

    @property
    def version(self) -> str:
        if self.version_error is not None:
            raise self.version_error
        return self.data_version

    def query(self, request: QueryRequest, timeout: float) -> QueryResult:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return QueryResult("ask", request.results_format or "json", self.body, 1, False)

    def graphs(self) -> dict[str, int]:
        return {"https://w3id.org/diplokg/graph/meta": 3}

    def triple_count(self) -> int:
        return 3

    def close(self) -> None:
        pass


class Remote(Counting):
    """A store whose version, like a remote store's, is known only while fresh."""

    fresh = True

    @property
    def known_version(self) -> str | None:
        return self.data_version if self.fresh else None


def app_with(store: Counting, **overrides: object) -> Flask:
    return create_app(Settings.from_env({}, root=Path("/nonexistent"), **overrides), store)


def replay_of(app: Flask) -> Replay:
    middleware = app.wsgi_app
    assert isinstance(middleware, Replay)
    return middleware


def test_a_repeated_get_gets_the_same_response_without_the_app() -> None:
    store = Counting()
    app = app_with(store)
    client = app.test_client()
    first = client.get(ASK, headers=JSON)
    second = client.get(ASK, headers=JSON)
    assert first.status_code == second.status_code == 200
    assert first.data == second.data == store.body
    assert list(first.headers.items()) == list(second.headers.items())
    assert first.headers["ETag"].startswith('W/"')
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    assert store.calls == 1
    assert replay_of(app).hits == 1


def test_what_the_answer_depends_on_is_in_the_key() -> None:
    store = Counting()
    app = app_with(store)
    client = app.test_client()
    client.get(ASK, headers=JSON)
    xml = client.get(ASK, headers={"Accept": "application/sparql-results+xml"})
    assert xml.headers["Content-Type"].startswith("application/sparql-results+xml")
    assert store.calls == 2  # another Accept: another answer
    client.get(ASK + "&format=xml", headers=JSON)
    assert store.calls == 3  # another query string
    store.data_version = "v2"
    client.get(ASK, headers=JSON)
    assert store.calls == 4  # new data: nothing replayed
    assert replay_of(app).hits == 0
    client.get(ASK, headers=JSON)
    assert (store.calls, replay_of(app).hits) == (4, 1)


def test_a_conditional_request_is_answered_by_the_app() -> None:
    store = Counting()
    client = app_with(store).test_client()
    etag = client.get(ASK, headers=JSON).headers["ETag"]
    again = client.get(ASK, headers={**JSON, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    other = client.get(ASK, headers={**JSON, "If-None-Match": 'W/"other"'})
    assert other.status_code == 200
    assert other.data == store.body


def test_posts_heads_pages_and_the_service_description_are_not_replayed() -> None:
    store = Counting()
    app = app_with(store)
    client = app.test_client()
    for _ in range(2):
        assert client.post("/sparql", data={"query": "ASK {}"}, headers=JSON).status_code == 200
    assert store.calls == 2
    for _ in range(2):
        assert client.get(ASK, headers={"Accept": "text/html"}).status_code == 200
    assert store.calls == 4  # the query page asks the store each time
    for _ in range(2):
        assert client.head(ASK, headers=JSON).status_code == 200
    assert store.calls == 6
    for _ in range(2):
        assert client.get("/sparql", headers={"Accept": "text/turtle"}).status_code == 200
    assert replay_of(app).hits == 0


def test_errors_are_never_kept() -> None:
    store = Counting()
    app = app_with(store)
    client = app.test_client()
    store.error = errors.QueryTimeout("the query ran for more than 1 s", 1)
    for _ in range(2):
        assert client.get(ASK, headers=JSON).status_code == 503
    assert store.calls == 2
    store.error = None
    assert client.get(ASK, headers=JSON).status_code == 200  # the store is asked again
    assert store.calls == 3
    empty = "/sparql?" + urlencode({"query": " "})
    for _ in range(2):
        assert client.get(empty, headers=JSON).status_code == 400
    unacceptable = {"Accept": "image/png"}
    for _ in range(2):
        assert client.get(ASK, headers=unacceptable).status_code == 406
    assert replay_of(app).hits == 0


def test_a_store_that_cannot_say_its_version_is_left_to_the_app() -> None:
    store = Counting()
    client = app_with(store).test_client()
    assert client.get(ASK, headers=JSON).status_code == 200
    store.version_error = errors.BadGateway("the remote store is down", 5)
    down = client.get(ASK, headers=JSON)
    assert down.status_code == 502
    assert down.headers["Retry-After"] == "5"


def test_a_remote_version_out_of_date_is_not_waited_for() -> None:
    store = Remote()
    app = app_with(store)
    client = app.test_client()
    client.get(ASK, headers=JSON)
    client.get(ASK, headers=JSON)
    assert (store.calls, replay_of(app).hits) == (1, 1)
    store.fresh = False  # the app asks the store, the replay does not
    client.get(ASK, headers=JSON)
    assert (store.calls, replay_of(app).hits) == (2, 1)


def test_large_answers_are_not_kept_and_old_ones_leave_first() -> None:
    store = Counting()
    app = app_with(store, query_cache=2)
    client = app.test_client()
    assert replay_of(app).entries == 2
    queries = ["/sparql?" + urlencode({"query": f"ASK {{ ?s ?p {i} }}"}) for i in range(3)]
    for path in queries:
        client.get(path, headers=JSON)
    client.get(queries[0], headers=JSON)
    assert store.calls == 4  # the first was pushed out by the third
    client.get(queries[2], headers=JSON)
    assert store.calls == 4
    store.body = b" " * (replay_of(app).max_bytes + 1)
    big = "/sparql?" + urlencode({"query": "ASK { ?big ?p ?o }"})
    for _ in range(2):
        assert client.get(big, headers=JSON).data == store.body
    assert store.calls == 6
    store.body = b'{"head":{},"boolean":true}'
    # The key counts too: a small answer to a request with a huge Accept is not kept.
    huge = {"Accept": "text/x-none;q=0.1, " * 15_000 + "application/sparql-results+json"}
    for _ in range(2):
        assert client.get(big, headers=huge).status_code == 200
    assert store.calls == 8


def test_no_replay_without_the_answer_cache() -> None:
    store = Counting()
    app = app_with(store, query_cache=0)
    assert not isinstance(app.wsgi_app, Replay)
    client = app.test_client()
    for _ in range(2):
        client.get(ASK, headers=JSON)
    assert store.calls == 2


def test_over_http_a_replayed_answer_is_the_answer(live_server: LiveServer) -> None:
    """On the real server (granian, two workers), on each store: repeats are the same reply."""
    construct = "/sparql?" + urlencode(
        {"query": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 5"}
    )
    turtle = {"Accept": "text/turtle"}
    replies = [live_server.request("GET", construct, headers=turtle) for _ in range(6)]
    first = replies[0]
    assert first.status == 200
    assert first.header("Content-Type") == "text/turtle; charset=utf-8"

    def kept(reply: Reply) -> list[tuple[str, str]]:
        return [(k, v) for k, v in reply.headers.items() if k.lower() != "date"]

    for reply in replies[1:]:
        assert (reply.status, reply.body, kept(reply)) == (first.status, first.body, kept(first))
    etag = first.header("ETag")
    assert etag is not None
    again = live_server.request("GET", construct, headers={**turtle, "If-None-Match": etag})
    assert again.status == 304
