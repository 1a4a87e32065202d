"""Terms: converting between pyoxigraph's and rdflib's RDF terms.

Oxigraph parses, stores and serialises; rdflib is the toolkit the checks are written
in. Both follow RDF 1.1 (https://www.w3.org/TR/rdf11-concepts/), with one difference
of representation: a simple literal is ``xsd:string``-typed in Oxigraph and untyped
in rdflib; the converters map one to the other.

Each converter keeps a dictionary of the terms it has converted, so a term that
recurs (a predicate, a class, a shared entity) becomes one Python object, which
saves both time and memory on large graphs. rdflib's ``Literal`` normalises the
lexical form of some datatypes (``"01"^^xsd:integer`` becomes ``"1"``), exactly as
rdflib's own parsers do, and marks ill-typed literals (``Literal.ill_typed``).
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


class ToRdflib:
    """Convert pyoxigraph terms to rdflib terms, remembering each conversion."""

    def __init__(self) -> None:
        self._seen: dict[Any, Node] = {}

    def __call__(self, term: Any) -> Node:
        """Return the rdflib term of a pyoxigraph term.

        Args:
            term: A ``NamedNode``, ``BlankNode`` or ``Literal``.

        Returns:
            The equal rdflib term.

        Raises:
            TypeError: Any other kind of term (an RDF-star triple term).
        """
        found = self._seen.get(term)
        if found is not None:
            return found
        node: Node
        if isinstance(term, ox.NamedNode):
            node = URIRef(term.value)
        elif isinstance(term, ox.BlankNode):
            node = BNode(term.value)
        elif isinstance(term, ox.Literal):
            if term.language:
                node = Literal(term.value, lang=term.language)
            elif term.datatype.value == _XSD_STRING:
                node = Literal(term.value)
            else:
                node = Literal(term.value, datatype=URIRef(term.datatype.value))
        else:
            raise TypeError(f"unsupported term {term!r}")
        self._seen[term] = node
        return node


class ToOxigraph:
    """Convert rdflib terms to pyoxigraph terms, remembering each conversion."""

    def __init__(self) -> None:
        self._seen: dict[Node, Any] = {}

    def __call__(self, term: Node) -> Any:
        """Return the pyoxigraph term of an rdflib term.

        Args:
            term: A ``URIRef``, ``BNode`` or ``Literal``.

        Returns:
            The equal pyoxigraph term.

        Raises:
            TypeError: Any other kind of term (a variable, a formula).
        """
        found = self._seen.get(term)
        if found is not None:
            return found
        node: Any
        if isinstance(term, URIRef):
            node = ox.NamedNode(str(term))
        elif isinstance(term, BNode):
            node = ox.BlankNode(str(term))
        elif isinstance(term, Literal):
            if term.language:
                node = ox.Literal(str(term), language=term.language)
            elif term.datatype is None:
                node = ox.Literal(str(term))
            else:
                node = ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        else:
            raise TypeError(f"unsupported term {term!r}")
        self._seen[term] = node
        return node

    def quad(self, s: Node, p: Node, o: Node, graph: str) -> Any:
        """Return the pyoxigraph quad of a triple in a named graph."""
        return ox.Quad(self(s), self(p), self(o), self(URIRef(graph)))
