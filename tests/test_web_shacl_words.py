"""diplokg.web.shacl_words: shapes, paths and constraints said in words."""

from __future__ import annotations

from flask import Flask
from rdflib import Graph, URIRef

from diplokg.config import Settings
from diplokg.web.shacl_words import ShapeDoc, path_words, shapes_context
from tests.linked import BASE

SHAPES = """
@prefix dkg: <https://w3id.org/diplokg/ontology#> .
@prefix shapes: <https://w3id.org/diplokg/shapes#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

shapes:VisitShape a sh:NodeShape ;
    rdfs:label "Visit"@en ;
    sh:targetClass dkg:Visit ;
    sh:pattern "/id/" ;
    sh:property [ sh:path ( dkg:visitor dkg:holder ) ; sh:minCount 1 ] ,
        [ sh:path [ sh:inversePath dkg:isSubEventOf ] ; sh:maxCount 3 ] ,
        [ sh:path dkg:date ; sh:or ( [ sh:datatype xsd:date ] [ sh:datatype xsd:gYear ] ) ] ,
        [ sh:path dkg:visitedPlace ;
          sh:node [ sh:property [ sh:path rdfs:label ; sh:minCount 1 ] ] ] ,
        [ sh:path dkg:manner ; sh:in ( "official" "private" ) ; sh:severity sh:Info ;
          sh:message "Say how."@en ] .
"""


def test_shapes_in_words() -> None:
    g = Graph().parse(data=SHAPES, format="turtle")
    app = Flask(__name__)
    app.extensions["diplokg"] = {"settings": Settings.from_env({}), "store": None}
    with app.app_context():
        context = shapes_context(g, BASE)
    shapes = context["shapes"]
    assert isinstance(shapes, list)
    (shape,) = shapes
    assert isinstance(shape, ShapeDoc)
    assert shape.anchor == "VisitShape"
    assert shape.title == "Visit"
    assert shape.targets == ["every instance of dkg:Visit"]
    text = "\n".join(r.text for r in shape.requirements)
    assert "The node itself must match the regular expression /id/." in text
    assert "dkg:visitor / dkg:holder: at least 1 value" in text
    assert "^dkg:isSubEventOf (inverse): at most 3 values" in text
    assert "either (values of datatype xsd:date) or (values of datatype xsd:gYear)" in text
    assert "values that conform to (rdfs:label with at least 1 value)" in text
    assert "values among: official, private" in text
    assert "(severity sh:Info)" in text
    assert "Say how." in text


def test_path_words_for_an_iri() -> None:
    app = Flask(__name__)
    app.extensions["diplokg"] = {"settings": Settings.from_env({}), "store": None}
    with app.app_context():
        assert path_words(Graph(), URIRef(BASE + "ontology#date")) == "dkg:date"
