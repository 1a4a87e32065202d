from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import BNode, Literal, URIRef, Variable

from diplokg.terms import ToOxigraph, ToRdflib

XSD = "http://www.w3.org/2001/XMLSchema#"

PAIRS = [
    (
        ox.NamedNode("https://w3id.org/diplokg/id/azerbaijan"),
        URIRef("https://w3id.org/diplokg/id/azerbaijan"),
    ),
    (ox.Literal("plain"), Literal("plain")),
    (ox.Literal("Bak\u0131", language="az"), Literal("Bak\u0131", lang="az")),
    (ox.Literal("94", datatype=ox.NamedNode(XSD + "integer")), Literal(94)),
    (
        ox.Literal("2020-01-20", datatype=ox.NamedNode(XSD + "date")),
        Literal("2020-01-20", datatype=URIRef(XSD + "date")),
    ),
    (ox.Literal('say "hi"\n\\', language="en"), Literal('say "hi"\n\\', lang="en")),
]


@pytest.mark.parametrize(("ox_term", "rdflib_term"), PAIRS)
def test_terms_convert_both_ways(ox_term: object, rdflib_term: object) -> None:
    back = ToRdflib()(ox_term)
    assert back == rdflib_term
    assert type(back) is type(rdflib_term)
    assert ToOxigraph()(rdflib_term) == ox_term


def test_a_simple_literal_is_untyped_in_rdflib_and_xsd_string_in_oxigraph() -> None:
    simple = ToRdflib()(ox.Literal("x", datatype=ox.NamedNode(XSD + "string")))
    assert isinstance(simple, Literal)
    assert simple.datatype is None
    assert ToOxigraph()(Literal("x")).datatype == ox.NamedNode(XSD + "string")


def test_equal_terms_become_one_object() -> None:
    convert = ToRdflib()
    a = convert(ox.NamedNode("http://e.org/a"))
    assert convert(ox.NamedNode("http://e.org/a")) is a


def test_blank_nodes_keep_their_label() -> None:
    assert ToRdflib()(ox.BlankNode("b1")) == BNode("b1")
    assert ToOxigraph()(BNode("b1")) == ox.BlankNode("b1")


def test_ill_typed_literals_are_marked() -> None:
    term = ToRdflib()(ox.Literal("soon", datatype=ox.NamedNode(XSD + "date")))
    assert isinstance(term, Literal)
    assert term.ill_typed


def test_quads_name_their_graph() -> None:
    quad = ToOxigraph().quad(
        URIRef("http://e.org/s"), URIRef("http://e.org/p"), Literal(1), "http://e.org/g"
    )
    assert quad.graph_name == ox.NamedNode("http://e.org/g")
    assert quad.object == ox.Literal("1", datatype=ox.NamedNode(XSD + "integer"))


def test_other_terms_are_refused() -> None:
    with pytest.raises(TypeError):
        ToOxigraph()(Variable("x"))
    with pytest.raises(TypeError):
        ToRdflib()(ox.DefaultGraph())
