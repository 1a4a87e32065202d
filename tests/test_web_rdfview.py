"""diplokg.web.rdfview: IRIs ↔ paths (RFC 3987 §3.1/§3.2) and representation choice."""

from __future__ import annotations

import pytest
from flask import Flask

from diplokg import conneg
from diplokg.errors import NotAcceptable
from diplokg.web import rdfview

BASE = "https://w3id.org/diplokg/"


@pytest.mark.parametrize(
    ("iri", "path"),
    [
        (BASE + "id/azerbaijan", "/id/azerbaijan"),
        (BASE + "id/genève-café", "/id/gen%C3%A8ve-caf%C3%A9"),
        (BASE + "id/a%20b", "/id/a%20b"),
        (BASE + "id/x(1)", "/id/x(1)"),
        (BASE + "id/o'brien", "/id/o'brien"),
        (BASE + "ontology#State", "/ontology#State"),
        (BASE + ".well-known/genid/abc", "/.well-known/genid/abc"),
        (BASE, "/"),
    ],
)
def test_iri_path_round_trip(iri: str, path: str) -> None:
    assert rdfview.iri_to_path(iri, BASE) == path
    if "#" not in iri:
        assert rdfview.path_to_iri(path, BASE) == iri


def test_iri_outside_the_namespace_has_no_path() -> None:
    assert rdfview.iri_to_path("http://www.wikidata.org/entity/Q227", BASE) is None


@pytest.mark.parametrize(
    ("raw", "iri"),
    [
        ("/id/caf%c3%a9", BASE + "id/café"),  # lower-case hex
        ("/id/%61bc", BASE + "id/abc"),  # unreserved characters are decoded
        ("/id/a%2Fb", BASE + "id/a%2Fb"),  # a reserved one is not
        ('/id/a"b<c>', BASE + "id/a%22b%3Cc%3E"),  # what an IRI cannot hold is encoded
        ("/id/a b", BASE + "id/a%20b"),
        ("/id/%FF%C3%A9", BASE + "id/%FFé"),  # an octet that is not UTF-8 stays encoded
    ],
)
def test_raw_paths_become_valid_iris(raw: str, iri: str) -> None:
    assert rdfview.path_to_iri(raw, BASE) == iri


def test_suffix_of() -> None:
    offers = rdfview.DOCUMENT_FORMATS
    assert rdfview.suffix_of("id/x.ttl", offers) == ("id/x", "ttl")
    assert rdfview.suffix_of("id/x.jsonld", offers) == ("id/x", "jsonld")
    assert rdfview.suffix_of("id/x.y", offers) == ("id/x.y", None)
    assert rdfview.suffix_of("id/x", offers) == ("id/x", None)


@pytest.mark.parametrize(
    ("accept", "args", "expected"),
    [
        ("text/turtle", "", "turtle"),
        ("application/ld+json;q=0.9, application/rdf+xml", "", "rdfxml"),
        ("*/*", "", "html"),
        ("text/turtle", "?_mediatype=application/n-triples", "nt"),
        ("text/html", "?format=jsonld", "jsonld"),
    ],
)
def test_choose(accept: str, args: str, expected: str) -> None:
    app = Flask(__name__)
    with app.test_request_context("/doc/x" + args, headers={"Accept": accept}):
        assert rdfview.choose(rdfview.DOCUMENT_FORMATS).name == expected


def test_choose_refuses_what_is_not_offered() -> None:
    app = Flask(__name__)
    png = app.test_request_context("/doc/x", headers={"Accept": "image/png"})
    with png, pytest.raises(NotAcceptable):
        rdfview.choose(rdfview.DOCUMENT_FORMATS)
    csv = app.test_request_context("/doc/x?_mediatype=text/csv")
    with csv, pytest.raises(NotAcceptable):
        rdfview.choose(rdfview.DOCUMENT_FORMATS)
    assert conneg.HTML in rdfview.DOCUMENT_FORMATS
