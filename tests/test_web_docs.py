"""/ontology, /shapes and /validation: documentation generated from the graphs, and their RDF."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from diplokg.build import BuildResult
from diplokg.config import Settings
from diplokg.describe import Reader
from diplokg.web import create_app
from tests.linked import BASE, RdflibStore

DKG = BASE + "ontology#"


def _graph(ds: Dataset, name: str) -> Graph:
    g = Graph()
    for t in ds.graph(URIRef(BASE + "graph/" + name)):
        g.add(t)
    return g


@pytest.mark.parametrize(
    ("path", "name"),
    [("/ontology", "ontology"), ("/shapes", "shapes")],
)
@pytest.mark.parametrize(
    ("accept", "fmt"),
    [("text/turtle", "turtle"), ("application/ld+json", "json-ld"), ("application/rdf+xml", "xml")],
)
def test_rdf_by_accept_is_the_graph(
    linked_client: FlaskClient,
    linked_dataset: Dataset,
    path: str,
    name: str,
    accept: str,
    fmt: str,
) -> None:
    r = linked_client.get(path, headers={"Accept": accept})
    assert r.status_code == 200
    assert r.mimetype == accept
    assert "Accept" in r.vary
    served = Graph().parse(data=r.data, format=fmt)
    assert isomorphic(served, _graph(linked_dataset, name))


def test_suffix_urls(linked_client: FlaskClient) -> None:
    assert linked_client.get("/ontology.ttl").mimetype == "text/turtle"
    assert linked_client.get("/ontology.nt").mimetype == "application/n-triples"
    assert linked_client.get("/shapes.jsonld").mimetype == "application/ld+json"
    assert linked_client.get("/ontology.html", headers={"Accept": "text/turtle"}).mimetype == (
        "text/html"
    )


def test_every_ontology_term_has_its_anchor(
    linked_client: FlaskClient, linked_dataset: Dataset, linked_union: Graph
) -> None:
    page = linked_client.get("/ontology", headers={"Accept": "text/html"}).text
    anchors = set(re.findall(r'\bid="([^"]+)"', page))
    onto = _graph(linked_dataset, "ontology")
    terms = {s for s in onto.subjects() if isinstance(s, URIRef) and s.startswith(DKG)}
    used = {
        t for triple in linked_union for t in triple if isinstance(t, URIRef) and t.startswith(DKG)
    }
    assert len(terms) > 50
    assert used <= terms | {URIRef(DKG)}
    missing = sorted(t[len(DKG) :] for t in terms if t[len(DKG) :] not in anchors)
    assert not missing
    # and the IRIs resolve there: {base}ontology#Term is /ontology#Term on this server
    assert 'href="/ontology#State"' in linked_client.get("/doc/azerbaijan").text


def test_class_documentation_has_hierarchy_definition_counts_and_example(
    linked_client: FlaskClient, linked_union: Graph
) -> None:
    page = linked_client.get("/ontology").text
    section = page[page.index('id="State"') :]
    section = section[: section.index("</section>")]
    assert "A sovereign country" in section  # its skos:definition
    states = set(linked_union.subjects(RDF.type, URIRef(DKG + "State")))
    assert f"<dd>{len(states)}</dd>" in section  # instances in the data
    assert 'href="/id/' in section  # an example from the data
    assert "Subclass of" in section
    prop = page[page.index('id="participatingState"') :]
    prop = prop[: prop.index("</section>")]
    assert "Domain" in prop
    assert "Range" in prop
    assert "Uses in the data" in prop
    hierarchy = page[page.index('id="hierarchy"') : page.index('id="classes"')]
    assert hierarchy.index("#Event") < hierarchy.index("#Visit")  # Visit under Event


def test_version_iri_resolves(linked_client: FlaskClient) -> None:
    assert linked_client.get("/ontology/0.1.0").status_code == 200
    assert linked_client.get("/ontology/9.9.9", headers={"Accept": "text/html"}).status_code == 404


def test_shapes_page_says_what_each_shape_requires(linked_client: FlaskClient) -> None:
    page = linked_client.get("/shapes", headers={"Accept": "text/html"}).text
    assert 'id="LabelledStateShape"' in page
    assert "Labelled state" in page  # rdfs:label
    assert "A state is named in English." in page  # rdfs:comment
    assert "every instance of dkg:State" in page
    assert "exactly 1 value" in page
    assert "values of datatype rdf:langString" in page
    assert "A state needs exactly one label." in page  # sh:message
    assert "severity sh:Warning" in page
    assert "A fact needs an evidence annotation." in page  # SPARQL constraint
    assert "FILTER NOT EXISTS" in page


def test_validation_report_as_page_and_rdf(
    linked_client: FlaskClient, linked_built: BuildResult
) -> None:
    page = linked_client.get("/validation", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "A person should have an alternative label." in page.text
    assert 'href="/id/hikmat-hajiyev"' in page.text
    assert "3 sh:Warning" in page.text
    turtle = linked_client.get("/validation", headers={"Accept": "text/turtle"})
    assert turtle.data == (linked_built.dist / "validation.ttl").read_bytes()
    js = linked_client.get("/validation.jsonld")
    report = Graph().parse(data=js.data, format="json-ld")
    assert isomorphic(report, Graph().parse(linked_built.dist / "validation.ttl"))


def test_home_and_void_link_the_validation_report(linked_client: FlaskClient) -> None:
    assert 'href="/validation"' in linked_client.get("/").text
    void = linked_client.get("/.well-known/void", headers={"Accept": "text/turtle"}).text
    assert "validation" in void


ONTOLOGY = """
@prefix dkg: <https://w3id.org/diplokg/ontology#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://w3id.org/diplokg/ontology> a owl:Ontology .
dkg:Thing a owl:Class ; rdfs:label "thing"@en ; skos:definition "Anything."@en .
dkg:Undefined a owl:Class ; rdfs:subClassOf dkg:Thing .
dkg:Cycle a owl:Class ; rdfs:label "cycle"@en ; rdfs:subClassOf dkg:Cycle2 .
dkg:Cycle2 a owl:Class ; rdfs:subClassOf dkg:Cycle .
dkg:link a owl:ObjectProperty ; rdfs:label "link"@en ;
    rdfs:domain [ owl:unionOf ( dkg:Thing dkg:Undefined ) ] .
"""


def test_a_term_without_definition_is_shown_and_flagged(tmp_path: Path) -> None:
    ds = Dataset()
    g = ds.graph(URIRef(BASE + "graph/ontology"))
    g.parse(data=ONTOLOGY, format="turtle")
    ds.graph(URIRef(BASE + "graph/facts/x")).add(
        (URIRef(BASE + "id/x"), RDF.type, URIRef(DKG + "Undefined"))
    )
    app = create_app(Settings.from_env({}, root=tmp_path), store=RdflibStore(ds))
    page = app.test_client().get("/ontology", headers={"Accept": "text/html"})
    assert page.status_code == 200
    text = page.text
    undefined = text[text.index('id="Undefined"') :]
    undefined = undefined[: undefined.index("</section>")]
    assert "no definition" in undefined
    assert "no label" in undefined
    assert "Terms to fix" in text
    assert 'id="Cycle"' in text  # a subclass cycle is shown, not followed forever
    link = text[text.index('id="link"') :]
    assert 'href="#Thing"' in link[: link.index("</section>")]  # union domain
    assert (URIRef(DKG + "Thing"), SKOS.definition, Literal("Anything.", lang="en")) in g
    assert (URIRef(DKG + "link"), RDF.type, OWL.ObjectProperty) in g
    assert (URIRef(DKG + "Undefined"), RDFS.subClassOf, URIRef(DKG + "Thing")) in g


@pytest.mark.realdata
def test_real_ontology_shapes_and_validation_pages(real_app: Flask) -> None:
    """The repository's own ontology and shapes: every term and named shape has its anchor."""
    client = real_app.test_client()
    store = real_app.extensions["diplokg"]["store"]
    reader = Reader(store, BASE, 60)
    ontology = client.get("/ontology", headers={"Accept": "text/html"})
    assert ontology.status_code == 200
    anchors = set(re.findall(r'\bid="([^"]+)"', ontology.text))
    rows = reader.select(
        f"SELECT DISTINCT ?t WHERE {{ GRAPH <{BASE}graph/ontology> {{ ?t ?p ?o }} "
        f"FILTER(STRSTARTS(STR(?t), '{DKG}')) }}"
    )
    terms = {str(r["t"])[len(DKG) :] for r in rows}
    assert len(terms) > 50
    assert terms <= anchors
    shapes = client.get("/shapes", headers={"Accept": "text/html"})
    assert shapes.status_code == 200
    rows = reader.select(  # every named shape, node or property shape
        f"SELECT DISTINCT ?s WHERE {{ GRAPH <{BASE}graph/shapes> {{ ?s ?p ?o }} "
        f"FILTER(STRSTARTS(STR(?s), '{BASE}shapes#') && STR(?s) != '{BASE}shapes#') }}"
    )
    named = {str(r["s"]).split("#", 1)[1] for r in rows}
    assert named
    assert named <= set(re.findall(r'\bid="([^"]+)"', shapes.text))
    assert client.get("/validation", headers={"Accept": "text/html"}).status_code == 200
    report = client.get("/validation", headers={"Accept": "text/turtle"})
    assert len(Graph().parse(data=report.data, format="turtle")) > 0
