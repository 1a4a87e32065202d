"""The one error mapping (web/errors.py), through the app with stores that fail on purpose."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from diplokg import errors
from diplokg.config import Settings
from diplokg.store import QueryRequest, QueryResult
from diplokg.web import create_app

GRAPHS = {"https://w3id.org/diplokg/graph/meta": 3}


class FailingStore:
    """A store whose every query raises the given exception."""

    version = "test"

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error
        self.calls = 0

    def query(self, request: QueryRequest, timeout: float) -> QueryResult:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return QueryResult("ask", request.results_format or "json", b'{"boolean":true}', 1, False)

    def graphs(self) -> dict[str, int]:
        return dict(GRAPHS)

    def triple_count(self) -> int:
        return 3

    def close(self) -> None:
        pass


def app_for(error: BaseException | None = None, **overrides: object) -> Flask:
    settings = Settings.from_env({}, root=Path("/nonexistent"), **overrides)
    return create_app(settings, FailingStore(error))


def client_for(error: BaseException | None = None, **overrides: object) -> FlaskClient:
    return app_for(error, **overrides).test_client()


def shape(body: bytes, status: int) -> dict[str, object]:
    doc: dict[str, object] = json.loads(body)
    assert set(doc) <= {"ok", "status", "error", "detail"}
    assert doc["ok"] is False
    assert doc["status"] == status
    return doc


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.QuerySyntaxError(3, 7, "bad token"), 400),
        (errors.Forbidden("no"), 403),
        (errors.NotAcceptable("nothing"), 406),
        (errors.EvaluationError("query evaluation failed: type error"), 500),
        (errors.ServiceUnavailable("busy", 4), 503),
        (errors.QueryTimeout("stopped", 10), 503),
        (errors.InputError("bad"), 400),
        (errors.NotFound("gone"), 404),
    ],
)
def test_diplokg_errors_map_to_their_status(error: errors.DiploKGError, status: int) -> None:
    r = client_for(error).get("/sparql", query_string={"query": "ASK {}"})
    assert r.status_code == status
    doc = shape(r.data, status)
    assert doc["error"] == error.message
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    if isinstance(error, errors.ServiceUnavailable):
        assert r.headers["Retry-After"] == str(error.retry_after)
    if isinstance(error, errors.QuerySyntaxError):
        assert doc["detail"] == {"line": 3, "column": 7}


def test_an_unknown_exception_is_a_bare_500(caplog: pytest.LogCaptureFixture) -> None:
    secret = RuntimeError("/secret/path/to/store: password=hunter2")
    r = client_for(secret).get("/sparql", query_string={"query": "ASK {}"})
    assert r.status_code == 500
    assert shape(r.data, 500) == {"ok": False, "status": 500, "error": "internal server error"}
    assert b"hunter2" not in r.data
    assert b"Traceback" not in r.data
    assert "hunter2" in caplog.text  # logged for the operator, not shown to the client


def test_unknown_path_is_404_with_the_same_shape() -> None:
    r = client_for().get("/nope")
    shape(r.data, 404)


@pytest.mark.parametrize(
    ("accept", "mimetype"),
    [
        ("text/html", "text/html"),
        ("text/plain", "text/plain"),
        ("application/xml", "application/xml"),
        (None, "application/json"),
    ],
)
def test_error_body_follows_accept(accept: str | None, mimetype: str) -> None:
    headers = {"Accept": accept} if accept else {}
    r = client_for(errors.Forbidden("<b>no</b>")).get(
        "/sparql", query_string={"query": "ASK {}", "format": "json"}, headers=headers
    )
    assert r.status_code == 403
    assert r.mimetype == mimetype
    if mimetype in ("text/html", "application/xml"):
        assert b"<b>no</b>" not in r.data  # escaped


def test_preflight_on_an_error_path_has_cors() -> None:
    r = client_for().options("/nope", headers={"Origin": "https://x.example"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_conditional_get_does_not_evaluate() -> None:
    app = app_for()
    client = app.test_client()
    r = client.get("/sparql", query_string={"query": "ASK {}"})
    store = app.extensions["diplokg"]["store"]
    assert store.calls == 1
    r2 = client.get(
        "/sparql", query_string={"query": "ASK {}"}, headers={"If-None-Match": r.headers["ETag"]}
    )
    assert r2.status_code == 304
    assert store.calls == 1


def test_public_url_is_the_endpoint_of_the_service_description() -> None:
    client = client_for(public_url="https://kg.example.org/")
    r = client.get("/sparql", headers={"Accept": "application/n-triples"})
    assert r.status_code == 200
    assert (
        b"<https://kg.example.org/sparql> <http://www.w3.org/ns/sparql-service-description#endpoint>"
        in r.data
    )


def test_the_factory_reads_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIPLOKG_QUERY_TIMEOUT", "not a number")
    app = app_for(query_timeout=3.0)
    assert app.extensions["diplokg"]["settings"].query_timeout == 3.0


def test_query_string_longer_than_the_body_limit_is_refused() -> None:
    r = client_for(max_body=100).get("/sparql", query_string={"query": "ASK {}" + " " * 200})
    assert r.status_code == 400
    assert "limit" in shape(r.data, 400)["error"]  # type: ignore[operator]
