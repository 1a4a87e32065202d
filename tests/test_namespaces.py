from __future__ import annotations

import pytest
from rdflib import Literal, URIRef

from diplokg.namespaces import OA, SCHEMA, SD, graph_iri, prefixes_for, project_namespaces, shorten

BASE = "https://w3id.org/diplokg/"


def test_project_namespaces_follow_the_base() -> None:
    ns = project_namespaces("http://example.org/kg/")
    assert str(ns.dkg) == "http://example.org/kg/ontology#"
    assert str(ns.id) == "http://example.org/kg/id/"
    assert str(ns.genid) == "http://example.org/kg/.well-known/genid/"
    assert graph_iri("http://example.org/kg/", "facts/x") == URIRef(
        "http://example.org/kg/graph/facts/x"
    )


def test_reused_vocabularies() -> None:
    assert str(SCHEMA) == "https://schema.org/"
    assert OA.exact == URIRef("http://www.w3.org/ns/oa#exact")
    assert SD.endpoint == URIRef("http://www.w3.org/ns/sparql-service-description#endpoint")


def test_closed_namespaces_reject_typos() -> None:
    with pytest.raises(AttributeError):
        _ = OA.exactt


def test_shorten() -> None:
    assert shorten(URIRef(BASE + "id/ana"), BASE) == "id:ana"
    assert shorten(URIRef("http://example.org/x"), BASE) == "<http://example.org/x>"
    assert (
        shorten(
            Literal("2021-02-01", datatype=URIRef("http://www.w3.org/2001/XMLSchema#date")), BASE
        )
        == '"2021-02-01"^^xsd:date'
    )
    assert prefixes_for(BASE)["id"] == BASE + "id/"
