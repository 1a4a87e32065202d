"""/id and /doc: 303 by Accept, documents in every format, for every entity of the dataset."""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import FOAF, RDFS

from diplokg.build import BuildResult
from diplokg.describe import Reader
from diplokg.namespaces import OA
from diplokg.web.rdfview import iri_to_path
from tests.linked import BASE, ID
from tests.live import LiveServer

#: (Accept, suffix, rdflib format, media type) of each document format.
FORMATS = [
    ("text/turtle", "ttl", "turtle", "text/turtle"),
    ("application/ld+json", "jsonld", "json-ld", "application/ld+json"),
    ("application/n-triples", "nt", "nt", "application/n-triples"),
    ("application/rdf+xml", "rdf", "xml", "application/rdf+xml"),
]


def path_of(iri: URIRef | str) -> str:
    path = iri_to_path(str(iri), BASE)
    assert path is not None
    return path


def doc_of(iri: URIRef | str) -> str:
    return "/doc/" + path_of(iri)[len("/id/") :]


@pytest.mark.parametrize(("accept", "ext", "rdf_format", "media_type"), FORMATS)
def test_every_entity_in_every_format(
    linked_client: FlaskClient,
    linked_entities: list[URIRef],
    accept: str,
    ext: str,
    rdf_format: str,
    media_type: str,
) -> None:
    assert len(linked_entities) > 100
    problems = []
    for iri in linked_entities:
        seen = linked_client.get(path_of(iri), headers={"Accept": accept})
        if seen.status_code != 303 or urlsplit(seen.location).path != f"{doc_of(iri)}.{ext}":
            problems.append(f"{iri}: {seen.status_code} {seen.location}")
            continue
        doc = linked_client.get(f"{doc_of(iri)}.{ext}")
        if doc.status_code != 200 or doc.mimetype != media_type:
            problems.append(f"{iri}: {doc.status_code} {doc.content_type}")
            continue
        g = Graph().parse(data=doc.data, format=rdf_format)
        about = (iri, None, None) in g or (None, None, iri) in g
        topic = (URIRef(BASE + doc_of(iri)[1:]), FOAF.primaryTopic, iri) in g
        if not (about and topic):
            problems.append(f"{iri}: about={about} primaryTopic={topic} ({len(g)} triples)")
    assert not problems, "\n".join(problems[:20])


def test_every_entity_has_a_page(linked_client: FlaskClient, linked_entities: list[URIRef]) -> None:
    problems = []
    for iri in linked_entities:
        seen = linked_client.get(path_of(iri), headers={"Accept": "text/html"})
        assert seen.status_code == 303
        page = linked_client.get(urlsplit(seen.location).path, headers={"Accept": "text/html"})
        if page.status_code != 200 or page.mimetype != "text/html":
            problems.append(f"{iri}: {page.status_code}")
        elif f"<code>{iri}</code>" not in page.text.replace("&#39;", "'"):
            problems.append(f"{iri}: IRI not on the page")
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/turtle;q=0.5, application/ld+json", "jsonld"),
        ("application/rdf+xml;q=0.9, text/html;q=0.1", "rdf"),
        ("application/n-triples, text/turtle;q=0.9", "nt"),
        ("text/html, application/xhtml+xml, application/xml;q=0.9, */*;q=0.8", None),
        ("*/*", None),
        (None, None),
        ("text/*;q=0.3, text/turtle", "ttl"),
        ("application/json", "jsonld"),
    ],
)
def test_303_follows_q_values(
    linked_client: FlaskClient, accept: str | None, expected: str | None
) -> None:
    headers = {"Accept": accept} if accept is not None else {}
    r = linked_client.get("/id/azerbaijan", headers=headers)
    assert r.status_code == 303
    assert "Accept" in r.vary
    want = "/doc/azerbaijan" + (f".{expected}" if expected else "")
    assert urlsplit(r.location).path == want


def test_nothing_acceptable_is_406(linked_client: FlaskClient) -> None:
    for path in ("/id/azerbaijan", "/doc/azerbaijan"):
        r = linked_client.get(path, headers={"Accept": "image/png"})
        assert r.status_code == 406
        assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_document_is_negotiated_with_vary_and_links(linked_client: FlaskClient) -> None:
    r = linked_client.get("/doc/nato", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    assert r.mimetype == "text/turtle"
    assert "Accept" in r.vary
    link = r.headers["Link"]
    for ext, media in (("jsonld", "application/ld+json"), ("nt", "application/n-triples")):
        assert f'</doc/nato.{ext}>; rel="alternate"; type="{media}"' in link
    page = linked_client.get("/doc/nato", headers={"Accept": "text/html"})
    assert page.mimetype == "text/html"
    assert '</doc/nato.ttl>; rel="alternate"; type="text/turtle"' in page.headers["Link"]
    for ext in ("ttl", "jsonld", "nt", "rdf"):
        assert f'href="/doc/nato.{ext}"' in page.text
    html = linked_client.get("/doc/nato.html", headers={"Accept": "text/turtle"})
    assert html.mimetype == "text/html"
    assert r.headers["Content-Location"] == "/doc/nato.ttl"
    assert page.headers["Content-Location"] == "/doc/nato.html"


def test_etag_and_304(linked_client: FlaskClient) -> None:
    for path in ("/doc/nato.ttl", "/doc/nato", "/doc/nato.jsonld"):
        r = linked_client.get(path)
        tag = r.headers["ETag"]
        assert tag.startswith('"')
        again = linked_client.get(path, headers={"If-None-Match": tag})
        assert again.status_code == 304
        assert again.data == b""
        assert again.headers["Access-Control-Allow-Origin"] == "*"
    turtle = linked_client.get("/doc/nato.ttl").headers["ETag"]
    assert linked_client.get("/doc/nato.nt").headers["ETag"] != turtle


def test_head_has_the_headers_and_no_body(linked_client: FlaskClient) -> None:
    get = linked_client.get("/doc/nato.ttl")
    head = linked_client.head("/doc/nato.ttl")
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["ETag"] == get.headers["ETag"]
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    assert linked_client.head("/id/nato").status_code == 303


def test_cors_on_every_response(linked_client: FlaskClient) -> None:
    for path, status in (("/id/nato", 303), ("/doc/nato", 200), ("/id/no-such-thing", 404)):
        r = linked_client.get(path)
        assert r.status_code == status
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        assert "Link" in r.headers["Access-Control-Expose-Headers"]
    pre = linked_client.options(
        "/doc/nato",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"},
    )
    assert pre.status_code == 200
    assert "GET" in pre.headers["Access-Control-Allow-Methods"]


@pytest.mark.parametrize("path", ["/id/no-such-thing", "/doc/no-such-thing", "/doc/nope.ttl"])
def test_unknown_iri_is_404_as_page_or_rdf(linked_client: FlaskClient, path: str) -> None:
    page = linked_client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert page.mimetype == "text/html"
    assert "no-such-thing" in page.text or "nope" in page.text
    rdf = linked_client.get(path, headers={"Accept": "text/turtle"})
    assert rdf.status_code == 404
    assert rdf.mimetype == "text/turtle"
    assert len(Graph().parse(data=rdf.data, format="turtle")) == 0
    js = linked_client.get(path, headers={"Accept": "application/json"})
    assert js.status_code == 404
    body = json.loads(js.data)
    assert body["ok"] is False
    assert body["status"] == 404


ESCAPED = [
    ID + "genève-café",
    ID + "a%20b",
    ID + "x(1)",
    ID + "o'brien",
]


@pytest.mark.parametrize("iri", ESCAPED)
def test_iris_that_need_escaping_survive_the_round_trip(
    linked_client: FlaskClient, iri: str
) -> None:
    path = path_of(iri)
    assert path.isascii()
    r = linked_client.get(path, headers={"Accept": "text/turtle"})
    assert r.status_code == 303, path
    doc = linked_client.get(urlsplit(r.location).path)
    assert doc.status_code == 200
    g = Graph().parse(data=doc.data, format="turtle")
    assert (URIRef(iri), RDFS.label, None) in g
    page = linked_client.get(doc_of(iri), headers={"Accept": "text/html"})
    assert page.status_code == 200


def test_escaped_links_on_pages_lead_to_their_resources(linked_client: FlaskClient) -> None:
    page = linked_client.get(doc_of(ID + "genève-café"), headers={"Accept": "text/html"}).text
    assert 'href="/id/a%20b"' in page
    r = linked_client.get("/id/a%20b", headers={"Accept": "text/turtle"})
    g = Graph().parse(data=linked_client.get(urlsplit(r.location).path).data, format="turtle")
    assert (URIRef(ID + "a%20b"), RDFS.seeAlso, URIRef(ID + "x(1)")) in g
    assert linked_client.get("/id/a%2520b").status_code == 404  # the IRI …/a%2520b


def test_document_holds_cbd_labels_and_evidence(
    linked_client: FlaskClient, linked_union: Graph
) -> None:
    visit = URIRef(ID + "hajiyev-visit-to-nato-headquarters-2020-01-20")
    g = Graph().parse(data=linked_client.get(doc_of(visit) + ".ttl").data, format="turtle")
    # every statement of the thing in the data (asserted and inferred)
    for p, o in linked_union.predicate_objects(visit):
        assert (visit, p, o) in g
    # the labels of what it links to
    for o in linked_union.objects(visit):
        label = linked_union.value(o, RDFS.label)
        if label is not None:
            assert (o, RDFS.label, label) in g
    # its evidence: the annotation, its target and the quote
    annotations = set(g.subjects(OA.hasBody, visit))
    assert annotations
    exact = {
        str(q)
        for a in annotations
        for t in g.objects(a, OA.hasTarget)
        for sel in g.objects(t, OA.hasSelector)
        for q in g.objects(sel, OA.exact)
    }
    assert "Hajiyev\u2019s visit to NATO Headquarters on 20 January" in exact


def test_nested_skolem_nodes_are_in_the_description(linked_client: FlaskClient) -> None:
    meeting = URIRef(ID + "nato-russia-military-meeting-in-azerbaijan")
    g = Graph().parse(data=linked_client.get(doc_of(meeting) + ".nt").data, format="nt")
    dates = [o for o in g.objects() if isinstance(o, Literal) and str(o) == "2020-01-21"]
    assert dates  # meeting → interval → end instant → date, three levels down


def test_skolem_iris_and_graphs_dereference(
    linked_client: FlaskClient, linked_union: Graph
) -> None:
    genid = next(
        o for o in linked_union.objects() if isinstance(o, URIRef) and "/.well-known/genid/" in o
    )
    r = linked_client.get(path_of(genid), headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    assert (genid, None, None) in Graph().parse(data=r.data, format="turtle")
    graph = linked_client.get("/graph/inferred", headers={"Accept": "text/turtle"})
    assert graph.status_code == 200


def test_a_consumer_can_follow_links_through_the_dataset(
    linked_client: FlaskClient, linked_union: Graph
) -> None:
    """Start from one IRI and follow every id/ link, in JSON-LD, reaching its component."""
    start = URIRef(ID + "azerbaijan")
    component = {start}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        neighbours = set(linked_union.objects(node)) | set(linked_union.subjects(None, node))
        for n in neighbours:
            if isinstance(n, URIRef) and n.startswith(ID) and n not in component:
                component.add(n)
                queue.append(n)
    reached = {start}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        seen = linked_client.get(path_of(node), headers={"Accept": "application/ld+json"})
        doc = linked_client.get(urlsplit(seen.location).path)
        g = Graph().parse(data=doc.data, format="json-ld")
        for t in set(g.subjects()) | set(g.objects()):
            if isinstance(t, URIRef) and t.startswith(ID) and t not in reached:
                reached.add(t)
                queue.append(t)
    assert component <= reached
    assert len(reached) > 100


def test_real_server_redirects_with_absolute_location(linked_server: LiveServer) -> None:
    r = linked_server.request("GET", "/id/azerbaijan", headers={"Accept": "text/turtle"})
    assert r.status == 303
    assert r.header("Location") == f"{linked_server.url}/doc/azerbaijan.ttl"
    assert r.header("Access-Control-Allow-Origin") == "*"
    doc = linked_server.request("GET", "/doc/azerbaijan.ttl")
    assert doc.status == 200
    g = Graph().parse(data=doc.body, format="turtle")
    assert (URIRef(ID + "azerbaijan"), RDFS.label, Literal("Azerbaijan", lang="en")) in g
    cached = linked_server.request(
        "GET", "/doc/azerbaijan.ttl", headers={"If-None-Match": doc.header("ETag") or ""}
    )
    assert cached.status == 304
    escaped = linked_server.request(
        "GET",
        "/id/genève-café".replace("è", "%C3%A8").replace("é", "%C3%A9"),
        headers={"Accept": "application/n-triples"},
    )
    assert escaped.status == 303


def _real_entities(app: Flask) -> list[URIRef]:
    reader = Reader(app.extensions["diplokg"]["store"], BASE, 60)
    rows = reader.select(
        f"SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), {Literal(ID).n3()})) }}"
    )
    return sorted(r["s"] for r in rows if isinstance(r["s"], URIRef))


@pytest.mark.realdata
def test_real_dataset_every_entity_in_every_format(real_app: Flask) -> None:
    """The repository's own build, exactly as it is: every entity, every format, and its page."""
    client = real_app.test_client()
    entities = _real_entities(real_app)
    assert len(entities) > 100
    problems = []
    for iri in entities:
        for accept, ext, rdf_format, _ in FORMATS:
            seen = client.get(path_of(iri), headers={"Accept": accept})
            doc = client.get(urlsplit(seen.location).path) if seen.status_code == 303 else seen
            if doc.status_code != 200:
                problems.append(f"{iri} {ext}: {seen.status_code} {doc.status_code}")
                continue
            g = Graph().parse(data=doc.data, format=rdf_format)
            if (iri, None, None) not in g and (None, None, iri) not in g:
                problems.append(f"{iri} {ext}: nothing about it")
        page = client.get(doc_of(iri), headers={"Accept": "text/html"})
        if page.status_code != 200:
            problems.append(f"{iri} html: {page.status_code}")
    assert not problems, "\n".join(problems[:20])


def test_text_segments_mark_nested_quotes(linked_app: Flask) -> None:
    from diplokg.describe import Evidence
    from diplokg.web.resources import text_segments

    text = "Alpha beta gamma. Delta."
    src = URIRef(ID + "s")
    outer = Evidence(src, URIRef(ID + "outer"), src, "Alpha beta gamma.", 0, 17)
    inner = Evidence(src, URIRef(ID + "inner"), src, "beta", 6, 10)
    moved = Evidence(src, URIRef(ID + "moved"), src, "Delta", 0, 5)  # wrong offsets
    with linked_app.test_request_context("/"):
        segments = text_segments(text, [outer, inner, moved])
    assert "".join(s.text for s in segments) == text
    marked = [(s.text, s.href, s.count) for s in segments if s.href]
    assert marked == [
        ("Alpha ", "/id/outer", 1),
        ("beta", "/id/inner", 2),
        (" gamma.", "/id/outer", 1),
        ("Delta", "/id/moved", 1),
    ]


def test_another_base_is_served_under_its_own_namespace(project: Path) -> None:
    """With DIPLOKG_BASE set, every IRI of the data and of the documents is under it."""
    from diplokg.build import build
    from diplokg.config import Settings
    from diplokg.web import create_app

    base = "http://example.org/kg/"
    settings = Settings.from_env({}, root=project, base=base, threads=1)
    build(settings)
    app = create_app(settings)
    try:
        client = app.test_client()
        seen = client.get("/id/ana-petrovic", headers={"Accept": "text/turtle"})
        assert seen.status_code == 303
        g = Graph().parse(data=client.get(urlsplit(seen.location).path).data, format="turtle")
        thing = URIRef(base + "id/ana-petrovic")
        assert (URIRef(base + "doc/ana-petrovic"), FOAF.primaryTopic, thing) in g
        assert not [t for t in g.all_nodes() if str(t).startswith(BASE)]
        page = client.get("/doc/ana-petrovic", headers={"Accept": "text/html"}).text
        assert f"<code>{thing}</code>" in page
        assert 'href="/ontology#Person"' in page
    finally:
        app.extensions["diplokg"]["store"].close()


def test_public_url_is_used_in_redirects(linked_built: BuildResult) -> None:
    """Behind a proxy, the 303 points to the public URL, not to the address asked."""
    from diplokg.config import Settings
    from diplokg.web import create_app

    root = linked_built.checked.project.root
    settings = Settings.from_env({}, root=root, public_url="https://kg.example.org/", threads=1)
    app = create_app(settings)
    try:
        r = app.test_client().get("/id/nato", headers={"Accept": "text/turtle"})
        assert r.status_code == 303
        assert r.location == "https://kg.example.org/doc/nato.ttl"
    finally:
        app.extensions["diplokg"]["store"].close()
