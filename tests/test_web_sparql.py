"""The SPARQL 1.1 Protocol against a real ``diplokg serve`` (tests/live.py).

The query-side cases follow the W3C SPARQL 1.1 Protocol test suite
(https://w3c.github.io/rdf-tests/sparql/sparql11/protocol/), with this dataset's
graphs in place of the suite's remote ones, plus its update cases, which this
read-only service must refuse.
"""

from __future__ import annotations

import csv
import io
import json
import socket
import threading
import time
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
from rdflib import Graph, URIRef

from tests.live import CAP, TIMEOUT, LiveServer, Reply

G = "https://w3id.org/diplokg/graph/"
ID = "https://w3id.org/diplokg/id/"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
DIRECT = {"Content-Type": "application/sparql-query"}
SELECT = "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }"
ASK = "ASK { ?s ?p ?o }"
CONSTRUCT = f"CONSTRUCT {{ <{ID}nato> ?p ?o }} WHERE {{ <{ID}nato> ?p ?o }}"
DESCRIBE = f"DESCRIBE <{ID}nato>"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
SD = "http://www.w3.org/ns/sparql-service-description#"
AZ = "Hikm\u0259t Hac\u0131yev"  # Azerbaijani spelling, with a dotless i


def q(query: str, **params: str) -> str:
    return "/sparql?" + urlencode({"query": query, **params})


def bindings(body: bytes) -> list[dict[str, dict[str, str]]]:
    result: list[dict[str, dict[str, str]]] = json.loads(body)["results"]["bindings"]
    return result


def content_type_of(reply: Reply) -> str:
    """The reply's Content-Type, which every answer of the endpoint has."""
    value = reply.header("Content-Type")
    assert value is not None
    return value


def json_error(reply_body: bytes, status: int) -> dict[str, object]:
    doc: dict[str, object] = json.loads(reply_body)
    assert doc["ok"] is False
    assert doc["status"] == status
    assert isinstance(doc["error"], str)
    assert doc["error"]
    assert set(doc) <= {"ok", "status", "error", "detail"}
    return doc


# --- query operation: the three ways in ----------------------------------


def test_query_get(live_server: LiveServer) -> None:
    r = live_server.request("GET", q(SELECT))
    assert r.status == 200
    assert r.header("Content-Type") == "application/sparql-results+json; charset=utf-8"
    assert len(bindings(r.body)) > 10


def test_query_post_form(live_server: LiveServer) -> None:
    r = live_server.request("POST", "/sparql", urlencode({"query": ASK}), FORM)
    assert r.status == 200
    assert json.loads(r.body) == {"head": {}, "boolean": True}


def test_query_post_form_with_charset(live_server: LiveServer) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}
    r = live_server.request("POST", "/sparql", urlencode({"query": ASK}), headers)
    assert r.status == 200


def test_query_post_direct(live_server: LiveServer) -> None:
    r = live_server.request("POST", "/sparql", SELECT, DIRECT)
    assert r.status == 200
    assert len(bindings(r.body)) > 10


def test_query_post_direct_with_dataset_in_url(live_server: LiveServer) -> None:
    path = "/sparql?" + urlencode({"default-graph-uri": G + "background"})
    r = live_server.request("POST", path, "SELECT * WHERE { ?s ?p ?o }", DIRECT)
    assert r.status == 200
    assert len(bindings(r.body)) == 2


def test_unicode_query_and_results(live_server: LiveServer) -> None:
    r = live_server.request("GET", q(f'SELECT ?s WHERE {{ ?s ?p "{AZ}"@az }}'))
    assert bindings(r.body) == [{"s": {"type": "uri", "value": ID + "hikmat-hajiyev"}}]


# --- the dataset ----------------------------------------------------------


def test_default_graph_is_the_union(live_server: LiveServer) -> None:
    r = live_server.request("GET", q("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"))
    assert bindings(r.body)[0]["n"]["value"] == "54"


def test_dataset_default_graphs_get(live_server: LiveServer) -> None:
    path = (
        q("SELECT * WHERE { ?s ?p ?o }")
        + "&"
        + urlencode([("default-graph-uri", G + "background"), ("default-graph-uri", G + "meta")])
    )
    r = live_server.request("GET", path)
    assert r.status == 200
    assert len(bindings(r.body)) == 5


def test_dataset_named_graphs_post(live_server: LiveServer) -> None:
    body = urlencode(
        [
            ("query", "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"),
            ("named-graph-uri", G + "meta"),
            ("named-graph-uri", G + "inferred"),
        ]
    )
    r = live_server.request("POST", "/sparql", body, FORM)
    assert {b["g"]["value"] for b in bindings(r.body)} == {G + "meta", G + "inferred"}


def test_dataset_full(live_server: LiveServer) -> None:
    query = (
        "SELECT ?g (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
        " GROUP BY ?g"
    )
    path = (
        q(query)
        + "&"
        + urlencode([("default-graph-uri", G + "background"), ("named-graph-uri", G + "meta")])
    )
    rows = {
        b.get("g", {}).get("value"): b["n"]["value"]
        for b in bindings(live_server.request("GET", path).body)
    }
    assert rows == {None: "2", G + "meta": "3"}


def test_from_clause_of_the_dataset(live_server: LiveServer) -> None:
    r = live_server.request("GET", q(f"SELECT * FROM <{G}meta> WHERE {{ ?s ?p ?o }}"))
    assert len(bindings(r.body)) == 3


def test_protocol_dataset_overrides_from(live_server: LiveServer) -> None:
    path = q(
        f"SELECT * FROM <{G}meta> WHERE {{ ?s ?p ?o }}", **{"default-graph-uri": G + "background"}
    )
    assert len(bindings(live_server.request("GET", path).body)) == 2


# --- formats and negotiation ----------------------------------------------


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        (None, "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("application/json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("text/csv;q=0.2, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        ("application/sparql-results+json;q=0, */*;q=0.1", "application/sparql-results+xml"),
    ],
)
def test_query_content_type_select(
    live_server: LiveServer, accept: str | None, content_type: str
) -> None:
    headers = {"Accept": accept} if accept else {}
    r = live_server.request("GET", q(SELECT), headers=headers)
    assert r.status == 200
    assert content_type_of(r).split(";")[0] == content_type
    assert r.header("Vary") == "Accept"


def test_select_results_agree_across_formats(live_server: LiveServer) -> None:
    label = "<http://www.w3.org/2000/01/rdf-schema#label>"
    query = f"SELECT ?label WHERE {{ <{ID}hikmat-hajiyev> {label} ?label }} ORDER BY ?label"
    as_json = [b["label"]["value"] for b in bindings(live_server.request("GET", q(query)).body)]
    xml = live_server.request("GET", q(query, format="xml")).body
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    as_xml = [e.text for e in ET.fromstring(xml).findall(".//r:literal", ns)]
    as_csv = [
        row["label"]
        for row in csv.DictReader(
            io.StringIO(live_server.request("GET", q(query, format="csv")).text)
        )
    ]
    tsv = live_server.request("GET", q(query, format="tsv")).text.splitlines()
    assert tsv[0] == "?label"
    assert as_json == as_xml == as_csv == ["Hikmat Hajiyev", AZ]
    assert tsv[1:] == ['"Hikmat Hajiyev"@en', f'"{AZ}"@az']


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("text/csv", "text/csv"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
    ],
)
def test_query_content_type_ask(live_server: LiveServer, accept: str, content_type: str) -> None:
    r = live_server.request("GET", q(ASK), headers={"Accept": accept})
    assert r.status == 200
    assert content_type_of(r).startswith(content_type)


@pytest.mark.parametrize(
    ("accept", "content_type", "rdflib_format"),
    [
        (None, "text/turtle", "turtle"),
        ("text/turtle", "text/turtle", "turtle"),
        ("application/n-triples", "application/n-triples", "nt"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
        ("application/trig", "application/trig", "trig"),
        ("application/n-quads", "application/n-quads", "nquads"),
        ("application/json", "application/ld+json", "json-ld"),
    ],
)
@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE])
def test_query_content_type_construct_and_describe(
    live_server: LiveServer, query: str, accept: str | None, content_type: str, rdflib_format: str
) -> None:
    r = live_server.request("GET", q(query), headers={"Accept": accept} if accept else {})
    assert r.status == 200
    assert content_type_of(r).split(";")[0] == content_type
    graph = Graph()
    if rdflib_format in ("trig", "nquads"):
        from rdflib import Dataset

        ds = Dataset()
        ds.parse(data=r.body, format=rdflib_format)
        graph = Graph()
        for s, p, o, _ in ds.quads():
            graph.add((s, p, o))
    else:
        graph.parse(data=r.body, format=rdflib_format)
    assert (URIRef(ID + "nato"), None, None) in graph
    assert len(graph) == 3  # type, label (facts) and sameAs (background)


def test_format_parameter_overrides_accept(live_server: LiveServer) -> None:
    r = live_server.request("GET", q(SELECT, format="csv"), headers={"Accept": "application/json"})
    assert content_type_of(r).startswith("text/csv")
    r = live_server.request("GET", q(CONSTRUCT, format="nt", download="1"))
    assert content_type_of(r).startswith("application/n-triples")
    assert r.header("Content-Disposition") == 'attachment; filename="query.nt"'


def test_not_acceptable_lists_the_offers(live_server: LiveServer) -> None:
    r = live_server.request("GET", q(SELECT), headers={"Accept": "image/png"})
    assert r.status == 406
    assert "application/sparql-results+json" in r.text
    r = live_server.request("GET", q(SELECT), headers={"Accept": "application/n-triples"})
    assert r.status == 406
    assert "text/csv" in r.text
    r = live_server.request("GET", q(SELECT, format="pdf"))
    assert r.status == 406


# --- the result cap ---------------------------------------------------------


def test_result_cap_is_signalled(live_server: LiveServer) -> None:
    r = live_server.request("GET", q("SELECT * WHERE { ?s ?p ?o }"))
    assert r.status == 200
    assert len(bindings(r.body)) == CAP
    assert r.header("X-SPARQL-MaxRows") == str(CAP)
    r = live_server.request("GET", q("SELECT * WHERE { ?s ?p ?o } LIMIT 3"))
    assert r.header("X-SPARQL-MaxRows") is None


# --- caching, HEAD, methods, CORS -------------------------------------------


def test_etag_and_conditional_get(live_server: LiveServer) -> None:
    r = live_server.request("GET", q(SELECT))
    etag = r.header("ETag")
    assert etag
    again = live_server.request("GET", q(SELECT), headers={"If-None-Match": etag})
    assert again.status == 304
    assert again.body == b""
    assert again.header("ETag") == etag
    other = live_server.request(
        "GET", q(SELECT), headers={"If-None-Match": etag, "Accept": "text/csv"}
    )
    assert other.status == 200
    assert other.header("ETag") != etag


def test_head(live_server: LiveServer) -> None:
    r = live_server.request("HEAD", q(SELECT))
    assert r.status == 200
    assert r.body == b""
    assert r.header("ETag")
    assert int(r.header("Content-Length") or 0) > 0
    assert live_server.request("HEAD", q("SELECT * {")).status == 400


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_get_405_with_allow(live_server: LiveServer, method: str) -> None:
    r = live_server.request(method, q(ASK))
    assert r.status == 405
    allow = {m.strip() for m in (r.header("Allow") or "").split(",")}
    assert {"GET", "POST", "HEAD", "OPTIONS"} <= allow
    json_error(r.body, 405)
    assert r.header("Access-Control-Allow-Origin") == "*"


def test_cors_preflight(live_server: LiveServer) -> None:
    r = live_server.request(
        "OPTIONS",
        "/sparql",
        headers={
            "Origin": "https://yasgui.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert r.status == 200
    assert r.header("Access-Control-Allow-Origin") == "*"
    assert "POST" in (r.header("Access-Control-Allow-Methods") or "")
    assert "content-type" in (r.header("Access-Control-Allow-Headers") or "").lower()


# --- the Service Description -------------------------------------------------


def test_service_description(live_server: LiveServer) -> None:
    r = live_server.request("GET", "/sparql", headers={"Accept": "text/turtle"})
    assert r.status == 200
    assert r.header("ETag")
    g = Graph().parse(data=r.body, format="turtle")
    service = URIRef(live_server.url + "/sparql")

    def sd(name: str) -> URIRef:
        return URIRef(SD + name)

    assert (service, sd("endpoint"), service) in g
    assert set(g.objects(service, sd("supportedLanguage"))) == {sd("SPARQL11Query")}
    assert (service, sd("feature"), sd("UnionDefaultGraph")) in g
    assert (service, sd("feature"), sd("BasicFederatedQuery")) not in g
    formats = {str(o).rsplit("/", 1)[1] for o in g.objects(service, sd("resultFormat"))}
    assert {"SPARQL_Results_JSON", "SPARQL_Results_CSV", "Turtle", "JSON-LD"} <= formats
    sizes = dict(
        g.query(
            """PREFIX sd: <http://www.w3.org/ns/sparql-service-description#>
            PREFIX void: <http://rdfs.org/ns/void#>
            SELECT ?name ?n WHERE { ?s sd:defaultDataset/sd:namedGraph ?ng .
              ?ng sd:name ?name ; sd:graph/void:triples ?n }"""
        )
    )
    assert {str(k): int(v) for k, v in sizes.items()} == {
        G + "background": 2,
        G + "facts/tiny-news": 32,
        G + "inferred": 5,
        G + "meta": 3,
        G + "ontology": 12,
    }
    available = g.value(service, sd("availableGraphs"))
    names = {str(g.value(n, sd("name"))) for n in g.objects(available, sd("namedGraph"))}
    assert names == {str(k) for k in sizes}
    regime = g.value(next(g.subjects(sd("name"), URIRef(G + "inferred"))), sd("entailmentRegime"))
    assert str(regime) == "http://www.w3.org/ns/entailment/OWL-RDF-Based"


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        (None, "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
        ("application/n-triples", "nt"),
    ],
)
def test_service_description_formats(live_server: LiveServer, accept: str | None, fmt: str) -> None:
    r = live_server.request("GET", "/sparql", headers={"Accept": accept} if accept else {})
    assert r.status == 200
    assert len(Graph().parse(data=r.body, format=fmt)) > 20


def test_service_description_not_acceptable(live_server: LiveServer) -> None:
    assert live_server.request("GET", "/sparql", headers={"Accept": "text/csv"}).status == 406


# --- errors -------------------------------------------------------------------


def test_malformed_query_says_where(live_server: LiveServer) -> None:
    r = live_server.request("GET", q("SELECT *\nWHERE { ?s ?p ?o . FILTER(?s = ) }"))
    assert r.status == 400
    doc = json_error(r.body, 400)
    assert doc["detail"] == {"line": 2, "column": 20}
    assert "line 2, column 20" in str(doc["error"])


@pytest.mark.parametrize(
    ("name", "method", "path", "body", "headers", "status"),
    [
        ("bad_multiple_queries", "GET", "/sparql?query=ASK%7B%7D&query=ASK%7B%7D", None, {}, 400),
        ("bad_multiple_queries_post", "POST", "/sparql?query=ASK%7B%7D", "ASK {}", DIRECT, 400),
        ("bad_query_missing_form_type", "POST", "/sparql", "query=ASK%7B%7D", {}, 400),
        ("bad_query_missing_direct_type", "POST", "/sparql", "ASK {}", {}, 400),
        (
            "bad_query_wrong_media_type",
            "POST",
            "/sparql",
            "ASK {}",
            {"Content-Type": "text/plain"},
            415,
        ),
        (
            "bad_query_non_utf8_get",
            "GET",
            "/sparql?query=ASK%7B%3Fs%3Fp%22%FF%22%7D",
            None,
            {},
            400,
        ),
        (
            "bad_query_non_utf8_form",
            "POST",
            "/sparql",
            b"query=ASK%7B%3Fs%3Fp%22%FF%22%7D",
            FORM,
            400,
        ),
        ("bad_query_non_utf8_direct", "POST", "/sparql", b'ASK { ?s ?p "\xff" }', DIRECT, 400),
        ("bad_query_syntax", "GET", q("SELECT * WHERE {"), None, {}, 400),
        ("bad_post_no_query", "POST", "/sparql", "", FORM, 400),
        ("bad_query_method", "PUT", q(ASK), None, {}, 405),
        ("bad_update_get", "GET", "/sparql?" + urlencode({"update": "CLEAR ALL"}), None, {}, 403),
        ("update_post_form", "POST", "/sparql", urlencode({"update": "CLEAR ALL"}), FORM, 403),
        (
            "update_post_direct",
            "POST",
            "/sparql",
            "CLEAR ALL",
            {"Content-Type": "application/sparql-update"},
            403,
        ),
        ("update_in_query_get", "GET", q("DROP ALL"), None, {}, 403),
        (
            "update_in_query_direct",
            "POST",
            "/sparql",
            "INSERT DATA { <a:b> <a:c> <a:d> }",
            DIRECT,
            403,
        ),
        (
            "update_using_graph",
            "POST",
            "/sparql?using-graph-uri=a%3Ab",
            "query=ASK%7B%7D",
            FORM,
            403,
        ),
        (
            "service",
            "GET",
            q("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"),
            None,
            {},
            403,
        ),
        (
            "remote_from",
            "GET",
            q("SELECT * FROM <http://127.0.0.1:9/x.ttl> WHERE { ?s ?p ?o }"),
            None,
            {},
            403,
        ),
        (
            "remote_from_named",
            "GET",
            q("SELECT * FROM NAMED <http://127.0.0.1:9/x.ttl> WHERE { ?s ?p ?o }"),
            None,
            {},
            403,
        ),
        (
            "remote_default_graph_uri",
            "GET",
            q(ASK, **{"default-graph-uri": "http://127.0.0.1:9/x.ttl"}),
            None,
            {},
            403,
        ),
        (
            "remote_named_graph_uri",
            "POST",
            "/sparql",
            urlencode({"query": ASK, "named-graph-uri": "http://127.0.0.1:9/x"}),
            FORM,
            403,
        ),
        ("body_too_large", "POST", "/sparql", "query=" + "%20" * 100_001, FORM, 413),
        ("not_acceptable", "GET", q(ASK), None, {"Accept": "image/png"}, 406),
    ],
)
def test_errors_have_status_shape_and_cors(
    live_server: LiveServer,
    name: str,
    method: str,
    path: str,
    body: str | bytes | None,
    headers: dict[str, str],
    status: int,
) -> None:
    r = live_server.request(
        method, path, body, {**headers, "Accept": headers.get("Accept", "application/json")}
    )
    assert r.status == status, r.body
    assert r.header("Access-Control-Allow-Origin") == "*"
    if status != 406:
        json_error(r.body, status)
    assert r.header("ETag") is None


@pytest.mark.parametrize(
    ("accept", "content_type", "marker"),
    [
        ("text/plain, */*;q=0.1", "text/plain", "400 Bad Request: malformed query"),
        ("text/html", "text/html", '<p class="error" id="error">malformed query'),
        ("application/sparql-results+xml", "application/xml", '<error status="400">'),
        ("application/sparql-results+json", "application/json", '"ok": false'),
    ],
)
def test_errors_follow_accept(
    live_server: LiveServer, accept: str, content_type: str, marker: str
) -> None:
    r = live_server.request("GET", q("SELECT * {"), headers={"Accept": accept})
    assert r.status == 400
    assert content_type_of(r).split(";")[0] == content_type
    assert marker in r.text


def test_updates_leave_the_data_unchanged(live_server: LiveServer) -> None:
    count = q("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    before = bindings(live_server.request("GET", count).body)
    for update in ["CLEAR ALL", f"DROP GRAPH <{G}meta>", "INSERT DATA { <a:x> <a:y> <a:z> }"]:
        for method, path, body, headers in [
            ("POST", "/sparql", update, {"Content-Type": "application/sparql-update"}),
            ("POST", "/sparql", urlencode({"update": update}), FORM),
            ("POST", "/sparql", update, DIRECT),
            ("GET", q(update), None, {}),
        ]:
            assert live_server.request(method, path, body, headers).status == 403
    assert bindings(live_server.request("GET", count).body) == before


def test_no_outbound_request_for_service_or_remote_graphs(live_server: LiveServer) -> None:
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    target = f"http://127.0.0.1:{port}/sparql"
    try:
        queries = [
            f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ SERVICE SILENT <{target}> {{ ?s ?p ?o }} }}",
            f"SELECT * FROM <{target}> WHERE {{ ?s ?p ?o }}",
            f"SELECT * WHERE {{ ?s ?p ?o . SERVI\\u0043E <{target}> {{ ?x ?y ?z }} }}",
        ]
        for query in queries:
            assert live_server.request("GET", q(query)).status == 403, query
        assert live_server.request("GET", q(ASK, **{"default-graph-uri": target})).status == 403
        with pytest.raises(TimeoutError):
            listener.accept()
    finally:
        listener.close()


# --- the timeout ----------------------------------------------------------------


def test_timeout_stops_the_query_and_the_server_answers_right_after(
    live_server: LiveServer,
) -> None:
    start = time.monotonic()
    r = live_server.request("GET", q(SLOW))
    elapsed = time.monotonic() - start
    assert r.status == live_server.timeout_status  # 504 from a remote store
    assert TIMEOUT * 0.95 <= elapsed < TIMEOUT + 1.5
    assert int(r.header("Retry-After") or 0) >= 1
    assert "time limit" in str(json_error(r.body, r.status)["error"])
    start = time.monotonic()
    assert live_server.request("GET", q(ASK)).status == 200
    assert time.monotonic() - start < 1.0
    # The evaluation really stopped: the server's process tree burns no more CPU.
    time.sleep(0.2)
    cpu = live_server.tree_cpu_seconds()
    time.sleep(0.5)
    assert live_server.tree_cpu_seconds() - cpu < 0.2


def test_the_server_answers_others_during_a_slow_query(live_server: LiveServer) -> None:
    statuses: list[int] = []
    slow = threading.Thread(
        target=lambda: statuses.append(live_server.request("GET", q(SLOW)).status)
    )
    slow.start()
    time.sleep(0.2)
    for _ in range(5):
        start = time.monotonic()
        assert live_server.request("GET", q(SELECT)).status == 200
        assert time.monotonic() - start < 1.0
    slow.join()
    assert statuses == [live_server.timeout_status]


def test_a_timeout_is_never_a_truncated_200(live_server: LiveServer) -> None:
    # A large CONSTRUCT that times out: the status comes before any body byte.
    query = (
        "CONSTRUCT { ?a ?b ?c } WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n ?o }"
        " ORDER BY ?a"
    )
    r = live_server.request("GET", q(query), headers={"Accept": "application/n-triples"})
    assert r.status == live_server.timeout_status
    assert r.header("Retry-After")


# --- the query page (HTML without a browser; see test_web_page.py for Chromium) ---


BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_query_page_without_query(live_server: LiveServer) -> None:
    r = live_server.request("GET", "/sparql", headers=BROWSER)
    assert r.status == 200
    assert content_type_of(r).startswith("text/html")
    html = r.text
    assert '<form id="query-form" method="get"' in html
    assert "PREFIX dkg: &lt;https://w3id.org/diplokg/ontology#&gt;" in html
    # Competency questions by their `# Question:` line; checks/ are not examples.
    assert "Which states take part in the Partnership for Peace?" in html
    assert "Who visited whom, and when?" in html
    assert "not an example" not in html
    assert "<script src=" in html
    assert "http" not in html.split("<script src=")[1][:10]  # served locally, no CDN


def test_query_page_results_table(live_server: LiveServer) -> None:
    label = "<http://www.w3.org/2000/01/rdf-schema#label>"
    query = f"SELECT ?s ?label WHERE {{ ?s {label} ?label . FILTER(?s = <{ID}visit-1>) }}"
    r = live_server.request("GET", q(query), headers=BROWSER)
    assert r.status == 200
    html = r.text
    assert '<table id="results-table">' in html
    assert (
        '<a href="/id/visit-1" title="https://w3id.org/diplokg/id/visit-1">id:visit-1</a>' in html
    )
    # Escaped, never reflected raw.
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; visit" in html
    for fmt in ["json", "xml", "csv", "tsv"]:
        assert f"format={fmt}&amp;download=1" in html


def test_query_page_construct_and_ask(live_server: LiveServer) -> None:
    html = live_server.request("GET", q(CONSTRUCT), headers=BROWSER).text
    assert '<th scope="col">subject</th>' in html
    assert "format=turtle&amp;download=1" in html
    html = live_server.request("GET", q(ASK), headers=BROWSER).text
    assert '<strong id="boolean">true</strong>' in html


def test_query_page_escapes_what_the_client_sent(live_server: LiveServer) -> None:
    evil = 'SELECT * WHERE { ?s ?p "</textarea><script>alert(1)</script>" }'
    for query in [evil, evil + " {"]:
        html = live_server.request("GET", q(query), headers=BROWSER).text
        assert "<script>alert(1)" not in html
        assert "&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_query_page_error_keeps_the_query(live_server: LiveServer) -> None:
    r = live_server.request("GET", q("SELECT * WHERE { ?s ?p ?o"), headers=BROWSER)
    assert r.status == 400
    assert "SELECT * WHERE { ?s ?p ?o</textarea>" in r.text
    assert "line 1, column 26" in r.text


def test_query_page_is_cached_by_etag(live_server: LiveServer) -> None:
    r = live_server.request("GET", q(ASK), headers=BROWSER)
    etag = r.header("ETag")
    assert etag
    assert (
        live_server.request("GET", q(ASK), headers={**BROWSER, "If-None-Match": etag}).status == 304
    )


def test_static_files(live_server: LiveServer) -> None:
    assert live_server.request("GET", "/static/style.css").status == 200
    assert live_server.request("GET", "/static/sparql.js").status == 200


def test_a_long_query_by_get(live_server: LiveServer) -> None:
    padding = "# " + "x" * 20_000 + "\n"
    r = live_server.request("GET", q(padding + ASK))
    assert r.status == 200
    assert json.loads(r.body)["boolean"] is True


@pytest.mark.parametrize("size", [200, 150_000])
def test_a_chunked_body_is_held_to_the_size_limit(live_server: LiveServer, size: int) -> None:
    # A chunked body announces no Content-Length: the limit must hold all the same.
    query = b"ASK { ?s ?p ?o } #" + b"x" * size
    chunks = [query[i : i + 8192] for i in range(0, len(query), 8192)]
    body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
    head = (
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Type: application/sparql-query\r\nAccept: application/sparql-results+json\r\n"
        b"Connection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=30) as sock:
        sock.sendall(head + body)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    status = int(reply.split(b" ", 2)[1])
    assert status == (200 if size < 100_000 else 413), reply[:300]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/sparql?query=", None),
        ("GET", "/sparql?query=%20%0A", None),
        ("POST", "/sparql", b""),
    ],
)
def test_an_empty_query_is_a_bad_request_not_an_update(
    live_server: LiveServer, method: str, path: str, body: bytes | None
) -> None:
    headers = {"Accept": "application/sparql-results+json"}
    if body is not None:
        headers["Content-Type"] = "application/sparql-query"
    reply = live_server.request(method, path, body=body, headers=headers)
    assert reply.status == 400
    assert "the query is empty" in reply.text
