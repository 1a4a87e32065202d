"""/.well-known/void and /dumps/: counts that match the data, dumps that are the build's bytes."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections import Counter

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, RDFS, VOID, XSD
from rdflib.term import Node

from diplokg.build import BuildResult
from diplokg.describe import Reader
from diplokg.namespaces import SCHEMA
from diplokg.void import DUMP_FILES
from tests.linked import BASE, ID
from tests.live import LiveServer

TYPES = {
    "diplokg.trig": "application/trig",
    "diplokg.nq": "application/n-quads",
    "diplokg.ttl": "text/turtle",
    "diplokg.nt": "application/n-triples",
}


def void_count(void: Graph, subject: Node, prop: URIRef) -> int:
    """A count of a VoID description: the literal value of ``prop``."""
    value = void.value(subject, prop)
    assert isinstance(value, Literal), f"{subject} {prop}: {value!r}"
    return int(value)


@pytest.fixture(scope="module")
def void(linked_app: Flask) -> Graph:
    r = linked_app.test_client().get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    return Graph().parse(data=r.data, format="turtle")


def test_void_counts_match_the_data(void: Graph, linked_dataset: Dataset) -> None:
    """graph/meta counts every other graph (it cannot count itself)."""
    dataset = URIRef(BASE)
    assert (dataset, RDF.type, VOID.Dataset) in void
    assert void.value(dataset, VOID.uriSpace) == Literal(ID)
    data = {
        t for g in linked_dataset.graphs() if str(g.identifier) != BASE + "graph/meta" for t in g
    }
    assert void_count(void, dataset, VOID.triples) == len(data)
    instances: dict[object, set[object]] = {}
    uses: Counter[object] = Counter()
    for s, p, o in data:
        uses[p] += 1
        if p == RDF.type:
            instances.setdefault(o, set()).add(s)
    parts = list(void.objects(dataset, VOID.classPartition))
    assert len(parts) == len(instances) == void_count(void, dataset, VOID.classes)
    for part in parts:
        cls = void.value(part, VOID["class"])
        assert void_count(void, part, VOID.entities) == len(instances[cls]), cls
    props = list(void.objects(dataset, VOID.propertyPartition))
    assert len(props) == len(uses) == void_count(void, dataset, VOID.properties)
    for part in props:
        prop = void.value(part, VOID.property)
        assert void_count(void, part, VOID.triples) == uses[prop], prop
    entities = {
        t
        for triple in data
        for t in (triple[0], triple[2])
        if isinstance(t, URIRef) and t.startswith(ID)
    }
    assert void_count(void, dataset, VOID.entities) == len(entities)
    assert len(entities) > 100


def test_void_subsets_match_the_store(void: Graph, linked_dataset: Dataset) -> None:
    sizes = {str(g.identifier): len(g) for g in linked_dataset.graphs() if len(g)}
    subsets = {
        str(s): void_count(void, s, VOID.triples) for s in void.objects(URIRef(BASE), VOID.subset)
    }
    for name, size in subsets.items():
        assert sizes[name] == size, name
    assert set(sizes) - set(subsets) == {BASE + "graph/meta"}


def test_void_lists_every_dump_with_type_length_and_etag(
    void: Graph, linked_built: BuildResult, linked_client: FlaskClient
) -> None:
    dataset = URIRef(BASE)
    dumps = set(void.objects(dataset, VOID.dataDump))
    assert {URIRef(f"{BASE}dumps/{n}") for n in DUMP_FILES} <= dumps
    manifest = json.loads((linked_built.dist / "manifest.json").read_text())
    for name in DUMP_FILES:
        node = URIRef(f"{BASE}dumps/{name}")
        data = (linked_built.dist / name).read_bytes()
        assert void.value(node, DCAT.byteSize) == Literal(
            len(data), datatype=XSD.nonNegativeInteger
        )
        sha = hashlib.sha256(data).hexdigest()
        assert str(void.value(node, SCHEMA.sha256)) == sha
        assert manifest["files"][name]["sha256"] == sha
        expected = "application/gzip" if name.endswith(".gz") else TYPES[name]
        assert str(void.value(node, DCTERMS.format)) == expected
        with linked_client.head(f"/dumps/{name}") as served:
            assert served.headers["ETag"] == f'"{sha}"'
    modified = void.value(dataset, DCTERMS.modified)
    assert isinstance(modified, Literal)
    built = Literal(manifest["build_time"], datatype=XSD.dateTime)
    assert modified.toPython() == built.toPython()
    assert void.value(dataset, DCTERMS.license) is not None
    assert void.value(dataset, VOID.sparqlEndpoint) == URIRef(BASE + "sparql")
    assert (dataset, RDFS.seeAlso, URIRef(BASE + "validation")) in void
    assert list(void.objects(dataset, DCTERMS.source))
    examples = list(void.objects(dataset, VOID.exampleResource))
    assert URIRef(ID + "azerbaijan") in examples
    assert URIRef("http://www.w3.org/ns/formats/Turtle") in set(void.objects(dataset, VOID.feature))


@pytest.mark.parametrize("accept", ["application/ld+json", "application/n-triples", "text/html"])
def test_void_in_other_formats(linked_client: FlaskClient, accept: str) -> None:
    r = linked_client.get("/.well-known/void", headers={"Accept": accept})
    assert r.status_code == 200
    assert r.mimetype == accept
    assert "Accept" in r.vary
    if accept == "text/html":
        assert 'href="/dumps/diplokg.trig"' in r.text
    else:
        fmt = "json-ld" if "json" in accept else "nt"
        assert (URIRef(BASE), VOID.uriSpace, None) in Graph().parse(data=r.data, format=fmt)


def fetch(client: FlaskClient, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    """GET a file and close the response (it holds the file open until then)."""
    with client.get(path, headers=headers) as r:
        return r.status_code, dict(r.headers), r.get_data()


@pytest.mark.parametrize("name", DUMP_FILES)
def test_dumps_are_the_bytes_the_build_wrote(
    linked_client: FlaskClient, linked_built: BuildResult, name: str
) -> None:
    status, headers, data = fetch(linked_client, f"/dumps/{name}")
    assert status == 200
    assert data == (linked_built.dist / name).read_bytes()
    assert "Content-Encoding" not in headers
    if name.endswith(".gz"):
        assert headers["Content-Type"] == "application/gzip"
        assert "attachment" in headers["Content-Disposition"]
        assert gzip.decompress(data) == (linked_built.dist / name[:-3]).read_bytes()
    else:
        assert headers["Content-Type"] == f"{TYPES[name]}; charset=utf-8"
    tag = headers["ETag"]
    assert fetch(linked_client, f"/dumps/{name}", **{"If-None-Match": tag})[0] == 304
    status, _, part = fetch(linked_client, f"/dumps/{name}", Range="bytes=0-9")
    assert status == 206
    assert part == data[:10]


def test_unknown_dump_is_404(linked_client: FlaskClient) -> None:
    r = linked_client.get("/dumps/secret.txt", headers={"Accept": "application/json"})
    assert r.status_code == 404
    assert r.json is not None
    assert r.json["status"] == 404
    assert linked_client.get("/dumps/../manifest.json").status_code == 404


def test_dump_index_lists_every_dump(linked_client: FlaskClient) -> None:
    page = linked_client.get("/dumps/")
    assert page.status_code == 200
    for name in DUMP_FILES:
        assert f'href="/dumps/{name}"' in page.text


def _norm(term: object) -> object:
    """Literals by value (a store may write 2.0 where the dump has 2.0 or 2.00)."""
    if isinstance(term, Literal):
        value = term.value if term.value is not None else str(term)
        return ("literal", value, term.datatype, term.language)
    return term


def _store_quads(linked_app: Flask) -> set[tuple[object, ...]]:
    store = linked_app.extensions["diplokg"]["store"]
    reader = Reader(store, BASE, 30)
    rows = reader.select("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    return {(r["s"], r["p"], _norm(r["o"]), r["g"]) for r in rows}


def test_dumps_parse_and_equal_the_store(linked_app: Flask) -> None:
    client = linked_app.test_client()
    quads = _store_quads(linked_app)
    assert len(quads) > 3000
    triples = {q[:3] for q in quads}
    for name, fmt in (("diplokg.trig", "trig"), ("diplokg.nq.gz", "nquads")):
        data = fetch(client, f"/dumps/{name}")[2]
        if name.endswith(".gz"):
            data = gzip.decompress(data)
        ds = Dataset()
        ds.parse(data=data, format=fmt)
        parsed = {
            (s, p, _norm(o), g) for s, p, o, g in ds.quads() if g != ds.default_graph.identifier
        }
        assert parsed == quads, name
    for name, fmt in (("diplokg.ttl", "turtle"), ("diplokg.nt.gz", "nt")):
        data = fetch(client, f"/dumps/{name}")[2]
        if name.endswith(".gz"):
            data = gzip.decompress(data)
        union = {(s, p, _norm(o)) for s, p, o in Graph().parse(data=data, format=fmt)}
        assert union == triples, name


def test_real_server_serves_dumps(linked_server: LiveServer, linked_built: BuildResult) -> None:
    r = linked_server.request("GET", "/dumps/diplokg.nt.gz", headers={"Accept-Encoding": "gzip"})
    assert r.status == 200
    assert r.header("Content-Type") == "application/gzip"
    assert r.header("Content-Encoding") is None
    assert r.body == (linked_built.dist / "diplokg.nt.gz").read_bytes()
    assert r.header("Access-Control-Allow-Origin") == "*"
    void = linked_server.request("GET", "/.well-known/void", headers={"Accept": "text/turtle"})
    assert void.status == 200


@pytest.mark.realdata
def test_real_void_counts_match_the_real_build(real_app: Flask) -> None:
    """The repository's own build: VoID counts equal its graphs, every dump is listed and served."""
    client = real_app.test_client()
    void = Graph().parse(
        data=client.get("/.well-known/void", headers={"Accept": "text/turtle"}).data,
        format="turtle",
    )
    dist = real_app.extensions["diplokg"]["settings"].dist_dir
    ds = Dataset()
    ds.parse(dist / "diplokg.trig", format="trig")
    data = {t for g in ds.graphs() if str(g.identifier) != BASE + "graph/meta" for t in g}
    assert void_count(void, URIRef(BASE), VOID.triples) == len(data)
    for name in DUMP_FILES:
        status, _, body = fetch(client, f"/dumps/{name}")
        assert status == 200
        assert body == (dist / name).read_bytes()
        node = URIRef(f"{BASE}dumps/{name}")
        assert str(void.value(node, SCHEMA.sha256)) == hashlib.sha256(body).hexdigest()
