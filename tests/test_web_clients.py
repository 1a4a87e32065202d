"""Real SPARQL clients get the same answers as direct HTTP (SPARQLWrapper, rdflib)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from xml.dom.minidom import Document, Element, Text

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from rdflib.query import ResultRow
from SPARQLWrapper import CSV, JSON, POST, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from tests.live import LiveServer

ID = "https://w3id.org/diplokg/id/"
SELECT = (
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
    "SELECT ?s ?label WHERE { ?s rdfs:label ?label } ORDER BY ?s ?label"
)
CONSTRUCT = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o . FILTER(?s = <{ID}visit-1>) }}"


def direct_json(server: LiveServer, query: str) -> dict[str, Any]:
    r = server.request("GET", "/sparql?" + urlencode({"query": query}))
    assert r.status == 200
    doc: dict[str, Any] = json.loads(r.body)
    return doc


def direct_graph(server: LiveServer, query: str) -> Graph:
    r = server.request("GET", "/sparql?" + urlencode({"query": query}))
    return Graph().parse(data=r.body, format="turtle")


def rows(doc: dict[str, Any]) -> Counter[str]:
    bindings = doc["results"]["bindings"]
    return Counter(json.dumps(b, sort_keys=True) for b in bindings)


def text_of(element: Element) -> str:
    """The text of an element that holds only text (the value of a SPARQL XML term)."""
    parts = []
    for node in element.childNodes:
        assert isinstance(node, Text), node
        parts.append(node.data)
    return "".join(parts)


@pytest.fixture
def wrapper(live_server: LiveServer) -> SPARQLWrapper:
    return SPARQLWrapper(live_server.url + "/sparql")


@pytest.mark.parametrize("method", ["GET", POST])
def test_sparqlwrapper_select_json(
    wrapper: SPARQLWrapper, live_server: LiveServer, method: str
) -> None:
    wrapper.setMethod(method)
    wrapper.setQuery(SELECT)
    wrapper.setReturnFormat(JSON)
    got = wrapper.query().convert()
    assert isinstance(got, dict)
    assert rows(got) == rows(direct_json(live_server, SELECT))


def test_sparqlwrapper_select_xml_and_csv(wrapper: SPARQLWrapper, live_server: LiveServer) -> None:
    expected = sorted(
        b["label"]["value"] for b in direct_json(live_server, SELECT)["results"]["bindings"]
    )
    wrapper.setQuery(SELECT)
    wrapper.setReturnFormat(XML)
    doc = wrapper.query().convert()
    assert isinstance(doc, Document)
    ns = "http://www.w3.org/2005/sparql-results#"
    labels = [
        text_of(b.getElementsByTagNameNS(ns, "literal")[0])
        for b in doc.getElementsByTagNameNS(ns, "binding")
        if b.getAttribute("name") == "label"
    ]
    assert sorted(labels) == expected
    wrapper.setReturnFormat(CSV)
    csv = wrapper.query().convert()
    assert isinstance(csv, bytes)
    text = csv.decode()
    assert text.splitlines()[0] == "s,label"
    assert len(text.splitlines()) == len(expected) + 1


def test_sparqlwrapper_ask(wrapper: SPARQLWrapper) -> None:
    wrapper.setQuery("ASK { ?s ?p ?o }")
    wrapper.setReturnFormat(JSON)
    assert wrapper.query().convert() == {"head": {}, "boolean": True}


def test_sparqlwrapper_construct(wrapper: SPARQLWrapper, live_server: LiveServer) -> None:
    wrapper.setQuery(CONSTRUCT)
    wrapper.setReturnFormat(TURTLE)
    data = wrapper.query().convert()
    assert isinstance(data, bytes)
    got = Graph().parse(data=data, format="turtle")
    assert isomorphic(got, direct_graph(live_server, CONSTRUCT))
    assert len(got) == 6  # five facts and one inferred type


def test_sparqlwrapper_reports_errors(wrapper: SPARQLWrapper) -> None:
    wrapper.setQuery("SELECT * WHERE { ?s ?p ?o ")
    wrapper.setReturnFormat(JSON)
    with pytest.raises(QueryBadFormed, match="line 1"):
        wrapper.query()
    wrapper.setQuery("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    with pytest.raises(HTTPError) as info:  # SPARQLWrapper has no exception for 403
        wrapper.query()
    assert info.value.code == 403
    info.value.close()


def test_rdflib_sparqlstore_json(live_server: LiveServer) -> None:
    graph = Graph(SPARQLStore(live_server.url + "/sparql", returnFormat="json"))
    result = []
    for row in graph.query(SELECT):
        assert isinstance(row, ResultRow), row
        result.append(tuple(row))
    expected = direct_json(live_server, SELECT)["results"]["bindings"]
    assert len(result) == len(expected)
    nato = Literal("North Atlantic Treaty Organization", lang="en")
    assert (URIRef(ID + "nato"), nato) in result
    assert bool(graph.query("ASK { ?s ?p ?o }"))
    # With returnFormat="json" rdflib accepts only SPARQL JSON, which cannot carry a
    # graph: a CONSTRUCT is then rightly 406 (see the XML default below).


@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
def test_rdflib_sparqlstore_default_xml(live_server: LiveServer, method: str) -> None:
    graph = Graph(SPARQLStore(live_server.url + "/sparql", method=method))
    expected = direct_json(live_server, SELECT)["results"]["bindings"]
    assert len(list(graph.query(SELECT))) == len(expected)
    triples = graph.query(CONSTRUCT).graph
    assert triples is not None
    assert isomorphic(triples, direct_graph(live_server, CONSTRUCT))
    assert (URIRef(ID + "nato"), None, None) in graph
