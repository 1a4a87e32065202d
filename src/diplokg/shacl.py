"""SHACL validation over an Oxigraph store, one shape at a time for all its focus nodes.

pySHACL evaluates every constraint for one focus node at a time (and re-parses a
SPARQL constraint's query for each), which is minutes at 100k triples. This module
gives the same results (https://www.w3.org/TR/shacl/, with pySHACL's choices where
the standard leaves room) set at a time:

- **targets** are computed once per shape: class targets from one fetch of the
  ``rdf:type`` and ``rdfs:subClassOf`` relations (a SHACL instance is
  ``rdf:type/rdfs:subClassOf*``), subjects-of and objects-of targets from one query
  each, SPARQL-based targets (SHACL-AF ``sh:target [ sh:select … ]``) by running their
  query once;
- **value nodes** of a property shape come from the relations of the predicates its
  ``sh:path`` uses, each fetched once from the store (one ``SELECT DISTINCT ?s ?o``
  per predicate, read as TSV, which is several times faster than Python term objects)
  and combined in Python for inverse, sequence, alternative and zero/one-or-more paths;
- **core constraints** are checked in Python on those values; ``sh:class`` looks up
  the value's types in the ``rdf:type`` relation against the subclasses of the class;
- **shape-based constraints** (``sh:node``, ``sh:property``, ``sh:or``, ``sh:and``,
  ``sh:xone``, ``sh:not``, ``sh:qualifiedValueShape``) evaluate the nested shape on the
  set of all value nodes at once; a node's results against a shape are memoised,
  so a shape used by many others is evaluated once per node;
- **SHACL-SPARQL constraints** run once for all focus nodes: ``$this`` is bound to
  them by a ``VALUES`` block that opens the query's group (so that it is bound
  wherever the query uses it, as pre-binding requires), and the solutions are
  grouped by ``$this``; ``$PATH`` is replaced by the shape's path, ``$currentShape``
  substituted, the ``sh:prefixes`` declarations prepended.

When triples are only added to the data, :func:`validate_incremental` brings a previous
validation up to date (its state from :func:`validate_keeping_state`) with the results
a full validation would give: an analysis of the shapes (:class:`Reach`) tells which
triples each shape's results at a focus node can depend on and how to walk back from
such a triple to the focus node, so each added triple gives the focus nodes it can
concern (:meth:`Validator.affected`); only those are validated again, the data looked
up around them instead of fetched a whole relation at a time.

Results carry what pySHACL's carry (focus node, path, value, severity, source shape
and constraint component, ``sh:sourceConstraint`` of a SPARQL constraint, messages,
``sh:detail`` of ``sh:node``), with pySHACL's wording for a constraint without
``sh:message`` and its ``{$this}``/``{?var}`` substitution; the report graph is
shaped like pySHACL's (blank nodes of the shapes graph keep their identifiers).

What the engine does not implement is listed by :func:`unsupported_constructs`
(``sh:closed``, ``sh:equals``, SHACL rules and functions, custom constraint
components, recursive shapes, …); a shapes graph that uses any of it must be
validated with pySHACL, never half-checked here.

Known differences, all outside what the project's shapes and data use: Oxigraph
stores numbers, booleans and dates in canonical form (``"01"^^xsd:integer`` is
``"1"``), so a result value is the canonical literal; a literal typed explicitly
``xsd:string`` comes back as a plain literal.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import itertools
import json
import re
import zlib
from collections import abc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pyoxigraph as ox
from pyparsing import ParseBaseException
from pyshacl.constraints.core.value_constraints import DatatypeConstraintComponent
from pyshacl.helper.sparql_query_helper import SPARQLQueryHelper
from pyshacl.rdfutil import clone as _clone
from pyshacl.rdfutil import compare as _compare
from pyshacl.rdfutil import stringify as _stringify
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.paths import AlternativePath, InvPath, MulPath, NegatedPath, SequencePath
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.algebra import translateGroupGraphPattern
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Node, Variable

from diplokg.errors import InputError
from diplokg.skolem import blank_node_labels
from diplokg.terms import ToRdflib

SH_NS = "http://www.w3.org/ns/shacl#"

# pySHACL's own helpers, so that values compare and print exactly as they do there.
clone_blank_node: Callable[..., Any] = _clone.clone_blank_node
compare_literal: Callable[[Literal, Literal], int] = _compare.compare_literal
stringify_node: Callable[..., str] = _stringify.stringify_node


def _sh(name: str) -> URIRef:
    return URIRef(SH_NS + name)


#: Constraint parameters the engine evaluates.
PARAMETERS = {
    _sh(n)
    for n in [
        "class",
        "datatype",
        "nodeKind",
        "minCount",
        "maxCount",
        "minExclusive",
        "minInclusive",
        "maxExclusive",
        "maxInclusive",
        "minLength",
        "maxLength",
        "pattern",
        "flags",
        "languageIn",
        "uniqueLang",
        "lessThan",
        "lessThanOrEquals",
        "not",
        "and",
        "or",
        "xone",
        "node",
        "property",
        "qualifiedValueShape",
        "qualifiedMinCount",
        "qualifiedMaxCount",
        "qualifiedValueShapesDisjoint",
        "hasValue",
        "in",
        "sparql",
    ]
}

#: Other SHACL terms the engine understands or that do not change the results.
KNOWN = PARAMETERS | {
    _sh(n)
    for n in [
        "NodeShape",
        "PropertyShape",
        "Shape",
        "SPARQLConstraint",
        "SPARQLTarget",
        "path",
        "inversePath",
        "alternativePath",
        "zeroOrMorePath",
        "oneOrMorePath",
        "zeroOrOnePath",
        "targetClass",
        "targetNode",
        "targetSubjectsOf",
        "targetObjectsOf",
        "target",
        "select",
        "prefixes",
        "declare",
        "prefix",
        "namespace",
        "PrefixDeclaration",
        "message",
        "severity",
        "Violation",
        "Warning",
        "Info",
        "deactivated",
        "name",
        "description",
        "order",
        "group",
        "defaultValue",
        "PropertyGroup",
        "IRI",
        "BlankNode",
        "Literal",
        "BlankNodeOrIRI",
        "BlankNodeOrLiteral",
        "IRIOrLiteral",
    ]
}

#: SHACL terms that need pySHACL, with what they are.
UNSUPPORTED = {
    "closed": "sh:closed (closed shapes)",
    "ignoredProperties": "sh:closed (closed shapes)",
    "equals": "sh:equals",
    "disjoint": "sh:disjoint",
    "expression": "sh:expression (SHACL-AF node expressions)",
    "rule": "sh:rule (SHACL-AF rules)",
    "ConstraintComponent": "custom constraint components",
    "parameter": "custom constraint components",
    "SPARQLTargetType": "SPARQL-based target types",
    "ask": "SPARQL ASK validators",
    "SPARQLFunction": "SHACL functions",
    "Function": "SHACL functions",
    "shapesGraph": "sh:shapesGraph",
    "entailment": "sh:entailment",
}

_RDF_TYPE = "<" + str(RDF.type) + ">"
_SUBCLASS = "<" + str(RDFS.subClassOf) + ">"
_LANGSTRING = str(RDF.langString)
_XSD_STRING = str(XSD.string)
_EMPTY: tuple[str, ...] = ()
_NODE_KINDS = {
    "iri": {_sh("IRI"), _sh("IRIOrLiteral"), _sh("BlankNodeOrIRI")},
    "bnode": {_sh("BlankNode"), _sh("BlankNodeOrLiteral"), _sh("BlankNodeOrIRI")},
    "literal": {_sh("Literal"), _sh("BlankNodeOrLiteral"), _sh("IRIOrLiteral")},
}
_Term = ox.NamedNode | ox.BlankNode | ox.Literal
_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)")
_ESCAPES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


class ShaclError(InputError):
    """The shapes cannot be used (a malformed SHACL-SPARQL query, a malformed shape)."""


# --------------------------------------------------------------------------- terms


def _unescape(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        code = m.group(1)
        if code[0] in "uU" and len(code) > 1:
            return chr(int(code[1:], 16))
        return _ESCAPES.get(code, code)

    return _ESCAPE.sub(one, text) if "\\" in text else text


def parse_key(key: str) -> tuple[str, str, str | None, str | None]:
    """Read a term as Oxigraph writes it in SPARQL TSV results.

    Args:
        key: ``<iri>``, ``_:id``, ``"lex"``, ``"lex"@lang``, ``"lex"^^<dt>``, or a bare
            number or boolean (TSV's short form).

    Returns:
        ``(kind, text, language, datatype)``: kind ``iri``, ``bnode`` or ``literal``;
        text the IRI, blank node id or lexical form.
    """
    first = key[0]
    if first == "<":
        return "iri", key[1:-1], None, None
    if first == "_":
        return "bnode", key[2:], None, None
    if first == '"':
        end = key.rfind('"')
        lex = _unescape(key[1:end])
        rest = key[end + 1 :]
        if rest.startswith("@"):
            return "literal", lex, rest[1:], _LANGSTRING
        if rest.startswith("^^"):
            return "literal", lex, None, rest[3:-1]
        return "literal", lex, None, _XSD_STRING
    if key in ("true", "false"):
        return "literal", key, None, str(XSD.boolean)
    if "e" in key or "E" in key:
        return "literal", key, None, str(XSD.double)
    if "." in key:
        return "literal", key, None, str(XSD.decimal)
    return "literal", key, None, str(XSD.integer)


def _ox_term(node: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(node, URIRef):
        return ox.NamedNode(str(node))
    if isinstance(node, BNode):
        return ox.BlankNode(str(node))
    if isinstance(node, Literal):
        if node.language:
            return ox.Literal(str(node), language=str(node.language))
        if node.datatype is not None:
            return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype)))
        return ox.Literal(str(node))
    raise TypeError(f"not an RDF term: {node!r}")


def _quad(s: Node, p: Node, o: Node) -> ox.Quad:
    subject, predicate = _ox_term(s), _ox_term(p)
    assert not isinstance(subject, ox.Literal)
    assert isinstance(predicate, ox.NamedNode)
    return ox.Quad(subject, predicate, _ox_term(o))


def _tsv(result: Any) -> bytes:
    """SELECT results as SPARQL TSV."""
    return bytes(result.serialize(format=ox.QueryResultsFormat.TSV))


def store_from_graph(graph: Graph) -> ox.Store:
    """Copy an rdflib graph into a new in-memory store (its default graph).

    Args:
        graph: The graph; blank nodes keep their identifiers.

    Returns:
        The store.
    """
    store = ox.Store()
    store.extend(_quad(s, p, o) for s, p, o in graph)
    return store


def graph_from_store(store: ox.Store, graphs: Sequence[ox.NamedNode] | None = None) -> Graph:
    """Copy the union of a store's graphs into an rdflib graph (for pySHACL).

    Args:
        store: The store.
        graphs: The graphs to copy; all of them (named and default) when None.

    Returns:
        The union as one rdflib graph, without namespace bindings.
    """
    out = Graph(bind_namespaces="none")
    data = _Data(store, graphs, None, None)
    for s, p, o in data.rows("SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o }"):
        out.add((data.node(s), data.node(p), data.node(o)))
    return out


# --------------------------------------------------------------------------- the data


class _Data:
    """The data graph: queries over the union of a store's graphs, relations and terms.

    A relation (a predicate's pairs) is fetched whole, once, which is the fastest way
    to answer for all the focus nodes of a full validation. With ``local`` (a
    validation restricted to a few focus nodes of a large store), the values of a
    predicate for a small node set are looked up for those nodes only (``VALUES``
    queries), unless there are so many that fetching the whole relation is cheaper.
    """

    def __init__(
        self,
        store: ox.Store,
        graphs: Sequence[ox.NamedNode] | None,
        source: Graph | None,
        namespaces: Graph | None,
        local: bool = False,
    ) -> None:
        self.store = store
        self.graphs = list(graphs) if graphs is not None else None
        self.source = source  # the rdflib graph the store was copied from, if any
        self.namespaces = namespaces if namespaces is not None else Graph(bind_namespaces="core")
        self.local = local
        self._pairs: dict[str, list[tuple[str, str]]] = {}
        self._forward: dict[str, dict[str, list[str]]] = {}
        self._backward: dict[str, dict[str, list[str]]] = {}
        self._near: dict[tuple[str, bool], dict[str, list[str]]] = {}
        self._nodes: dict[str, Node] = _source_literals(store, source) if source else {}
        self._subclasses: dict[str, frozenset[str]] = {}
        self._keys: dict[Node, str] = {}
        self._bnode_graphs: dict[str, Graph] = {}

    def query(self, text: str, substitutions: dict[str, Any] | None = None) -> bytes:
        kwargs: dict[str, Any] = {}
        if self.graphs is None:
            kwargs["use_default_graph_as_union"] = True
        else:
            kwargs["default_graph"] = self.graphs
        if substitutions:
            kwargs["substitutions"] = {ox.Variable(k): v for k, v in substitutions.items()}
        return _tsv(self.store.query(text, **kwargs))

    def table(
        self, text: str, substitutions: dict[str, Any] | None = None
    ) -> tuple[list[str], list[list[str]]]:
        """Run a SELECT query; return its variables and rows (``""`` when unbound)."""
        lines = self.query(text, substitutions).decode("utf-8").split("\n")
        header = [v[1:] for v in lines[0].split("\t")] if lines[0] else []
        return header, [line.split("\t") for line in lines[1:] if line]

    def rows(self, text: str) -> list[list[str]]:
        return self.table(text)[1]

    def column(self, text: str) -> list[str]:
        return [row[0] for row in self.rows(text) if row[0]]

    def pairs(self, predicate: str) -> list[tuple[str, str]]:
        found = self._pairs.get(predicate)
        if found is None:
            rows = self.rows(f"SELECT DISTINCT ?s ?o WHERE {{ ?s {predicate} ?o }}")
            found = self._pairs[predicate] = [(r[0], r[1]) for r in rows]
        return found

    def forward(self, predicate: str) -> dict[str, list[str]]:
        found = self._forward.get(predicate)
        if found is None:
            found = self._forward[predicate] = {}
            for s, o in self.pairs(predicate):
                found.setdefault(s, []).append(o)
        return found

    def backward(self, predicate: str) -> dict[str, list[str]]:
        found = self._backward.get(predicate)
        if found is None:
            found = self._backward[predicate] = {}
            for s, o in self.pairs(predicate):
                found.setdefault(o, []).append(s)
        return found

    def forward_of(self, predicate: str, nodes: abc.Collection[str]) -> Mapping[str, Sequence[str]]:
        """The values of a predicate for (at least) some nodes, by subject."""
        if not self.local or predicate in self._pairs:
            return self.forward(predicate)
        return self._around(predicate, nodes, True)

    def backward_of(
        self, predicate: str, nodes: abc.Collection[str]
    ) -> Mapping[str, Sequence[str]]:
        """The subjects of a predicate for (at least) some nodes, by object."""
        if not self.local or predicate in self._pairs:
            return self.backward(predicate)
        return self._around(predicate, nodes, False)

    def _around(
        self, predicate: str, nodes: abc.Collection[str], forward: bool
    ) -> Mapping[str, Sequence[str]]:
        """A relation's pairs at some nodes, each node looked up once (``local`` mode)."""
        known = self._near.setdefault((predicate, forward), {})
        missing = [n for n in nodes if n not in known]
        if len(missing) > _LOCAL_LIMIT and not self.has_at_least(
            predicate, _LOOKUP_COST * len(missing)
        ):
            return self.forward(predicate) if forward else self.backward(predicate)
        here, there = ("s", "o") if forward else ("o", "s")
        pattern = f"?s {predicate} ?o"
        for n in missing:
            known[n] = []
        for n, value in self.lookup(pattern, here, there, missing):
            known[n].append(value)
        return known

    def has_at_least(self, predicate: str, n: int) -> bool:
        """Whether at least ``n`` triples have a predicate (counting stops at ``n``)."""
        limited = f"SELECT ?s WHERE {{ ?s {predicate} ?o }} LIMIT {n}"
        rows = self.rows(f"SELECT (COUNT(*) AS ?n) WHERE {{ {{ {limited} }} }}")
        return int(rows[0][0]) >= n

    def lookup(
        self, pattern: str, given: str, wanted: str, nodes: Sequence[str]
    ) -> Iterator[tuple[str, str]]:
        """The distinct ``(given, wanted)`` bindings of a graph pattern for some ``given`` nodes.

        IRIs and literals are bound by ``VALUES`` blocks; a blank node, which a query
        cannot write, by a query of its own.
        """
        head = f"SELECT DISTINCT ?{given} ?{wanted} WHERE {{"
        written = [n for n in nodes if n[0] != "_"]
        for i in range(0, len(written), _CHUNK):
            values = " ".join(written[i : i + _CHUNK])
            for row in self.rows(f"{head} VALUES ?{given} {{ {values} }} {pattern} }}"):
                yield row[0], row[1]
        for n in nodes:
            if n[0] == "_":
                bound = {given: ox.BlankNode(n[2:])}
                for row in self.table(f"{head} {pattern} }}", bound)[1]:
                    yield n, row[1]

    def keys_of(self, terms: Iterable[_Term]) -> list[str]:
        """The keys of store terms (literals as the store writes them, canonical)."""
        out: list[str] = []
        literals: list[tuple[int, ox.Literal]] = []
        for term in terms:
            if isinstance(term, ox.NamedNode):
                out.append(f"<{term.value}>")
            elif isinstance(term, ox.BlankNode):
                out.append(f"_:{term.value}")
            else:
                literals.append((len(out), term))
                out.append("")
        for i in range(0, len(literals), _CHUNK):
            rows = " ".join(f"({j} {term})" for j, term in literals[i : i + _CHUNK])
            for j, key in self.rows(f"SELECT ?i ?v WHERE {{ VALUES (?i ?v) {{ {rows} }} }}"):
                out[int(j)] = key
        return out

    def subclasses(self, cls: str) -> frozenset[str]:
        """The class and everything ``rdfs:subClassOf*`` it, in the data graph."""
        found = self._subclasses.get(cls)
        if found is None:
            down = self.backward(_SUBCLASS)
            seen = {cls}
            todo = [cls]
            while todo:
                for sub in down.get(todo.pop(), _EMPTY):
                    if sub not in seen:
                        seen.add(sub)
                        todo.append(sub)
            found = self._subclasses[cls] = frozenset(seen)
        return found

    def instances(self, cls: str) -> set[str]:
        """The SHACL instances of a class (``rdf:type/rdfs:subClassOf*``)."""
        typed = self.backward(_RDF_TYPE)
        out: set[str] = set()
        for sub in self.subclasses(cls):
            out.update(typed.get(sub, _EMPTY))
        return out

    def is_instance(self, node: str, cls: str) -> bool:
        if node[0] not in "<_":
            return False
        subs = self.subclasses(cls)
        types = self.forward_of(_RDF_TYPE, (node,)) if self.local else self.forward(_RDF_TYPE)
        return any(t in subs for t in types.get(node, _EMPTY))

    def node(self, key: str) -> Node:
        """The rdflib term of a key (the source graph's own blank nodes)."""
        found = self._nodes.get(key)
        if found is None:
            kind, text, lang, datatype = parse_key(key)
            if kind == "iri":
                found = URIRef(text)
            elif kind == "bnode":
                found = BNode(text)
            elif lang is not None:
                found = Literal(text, lang=lang)
            elif datatype == _XSD_STRING:
                found = Literal(text)
            else:
                found = Literal(text, datatype=URIRef(datatype or _XSD_STRING))
            self._nodes[key] = found
        return found

    def key(self, node: Node) -> str:
        """The key of an rdflib term as the store writes it (canonical literals)."""
        found = self._keys.get(node)
        if found is None:
            if isinstance(node, URIRef):
                found = f"<{node}>"
            elif isinstance(node, BNode):
                found = f"_:{node}"
            else:
                _header, rows = self.table("SELECT ?v WHERE {}", {"v": _ox_term(node)})
                found = rows[0][0] if rows and rows[0] else node.n3()
            self._keys[node] = found
        return found

    def stringify(self, key: str) -> str:
        """PySHACL's text for a data node in its default messages."""
        node = self.node(key)
        graph = self.namespaces
        if isinstance(node, BNode):
            graph = self.source if self.source is not None else self.bnode_graph(key)
        return str(stringify_node(graph, node, ns_manager=self.namespaces.namespace_manager))

    def bnode_graph(self, key: str) -> Graph:
        """A graph with what the data says about a blank node (to stringify or clone it)."""
        found = self._bnode_graphs.get(key)
        if found is not None:
            return found
        graph = Graph(bind_namespaces="none")
        for prefix, namespace in self.namespaces.namespaces():
            graph.bind(prefix, namespace, override=True, replace=True)
        todo, seen = [key], {key}
        while todo and len(seen) < 1000:
            node = todo.pop()
            kind, text, _l, _d = parse_key(node)
            subject = ox.BlankNode(text) if kind == "bnode" else ox.NamedNode(text)
            for quad in self.store.quads_for_pattern(subject, None, None):
                if self.graphs is not None and quad.graph_name not in self.graphs:
                    continue
                o_key = (
                    f"_:{quad.object.value}"
                    if isinstance(quad.object, ox.BlankNode)
                    else self.key(ToRdflib()(quad.object))
                )
                graph.add((self.node(node), URIRef(quad.predicate.value), self.node(o_key)))
                if o_key.startswith("_:") and o_key not in seen:
                    seen.add(o_key)
                    todo.append(o_key)
        self._bnode_graphs[key] = graph
        return graph


def _source_literals(store: ox.Store, source: Graph) -> dict[str, Node]:
    """The source graph's typed literals by the key the store gives them (canonical form)."""
    typed = sorted(
        {
            o
            for o in source.objects()
            if isinstance(o, Literal) and (o.language or o.datatype not in (None, XSD.string))
        },
        key=lambda o: (str(o), str(o.language), str(o.datatype)),
    )
    if not typed:
        return {}
    scratch = ox.Store()
    p = ox.NamedNode("urn:x-diplokg:literal")
    scratch.extend(
        ox.Quad(ox.NamedNode(f"urn:x-diplokg:{i}"), p, _ox_term(o)) for i, o in enumerate(typed)
    )
    result = scratch.query(f"SELECT ?s ?o WHERE {{ ?s <{p.value}> ?o }}")
    lines = _tsv(result).decode("utf-8")
    out: dict[str, Node] = {}
    for line in lines.split("\n")[1:]:
        if line:
            s, o = line.split("\t")
            out[o] = typed[int(s[len("<urn:x-diplokg:") : -1])]
    return out


# --------------------------------------------------------------------------- shapes


@dataclass(eq=False)
class _Sparql:
    node: Node
    query: str  # prefixes prepended, $PATH replaced
    messages: list[Literal]
    current_shape: bool
    algebra: CompValue  # the query's, for the reach analysis


@dataclass(eq=False)
class Shape:
    """A shape of the shapes graph, as the engine evaluates it.

    Attributes:
        node: The shape's node in the shapes graph (blank or IRI).
        path: Its ``sh:path`` node (a property shape) or None (a node shape).
        severity: ``sh:severity``, ``sh:Violation`` by default.
        messages: Its ``sh:message`` values.
        deactivated: ``sh:deactivated true``.
    """

    node: Node
    path: Node | None
    severity: Node
    messages: list[Literal]
    deactivated: bool
    params: dict[URIRef, list[Node]] = field(default_factory=dict)
    sparql: list[_Sparql] = field(default_factory=list)
    memo: dict[str, tuple[Result, ...]] = field(default_factory=dict)

    @property
    def is_property(self) -> bool:
        """True for a property shape."""
        return self.path is not None

    def one(self, param: str) -> Node | None:
        """The first value of a parameter (``sh:`` local name), or None."""
        values = self.params.get(_sh(param), [])
        return values[0] if values else None


@dataclass(frozen=True, eq=False)
class Result:
    """One validation result (keys are data terms as the store writes them).

    Attributes:
        focus: The focus node's key.
        shape: The source shape.
        component: The source constraint component.
        value: The value's key, if any.
        path: The result path (a shapes graph node), if any.
        messages: The result messages.
        constraint: ``sh:sourceConstraint`` (a SPARQL constraint's node), if any.
        details: Nested results (``sh:detail``, for ``sh:node``).
        lazy: Writes the default message (pySHACL's wording) when there is no other.
    """

    focus: str
    shape: Shape
    component: URIRef
    value: str | None
    path: Node | None
    messages: tuple[Literal, ...]
    constraint: Node | None = None
    details: tuple[Result, ...] = ()
    lazy: Callable[[], str] | None = None

    def texts(self) -> tuple[Literal, ...]:
        """The messages, with the component's default one when the shape has none."""
        if not self.messages and self.lazy is not None:
            return (Literal(self.lazy()),)
        return self.messages


def _declared_shapes(g: Graph) -> tuple[set[Node], dict[Node, Node]]:
    """The node shapes and property shapes (with their path) pySHACL would load."""
    node_shapes = set(g.subjects(RDF.type, _sh("NodeShape")))
    paths: dict[Node, Node] = {}
    for s in set(g.subjects(RDF.type, _sh("PropertyShape"))):
        path_values = list(g.objects(s, _sh("path")))
        if len(path_values) != 1 or s in node_shapes:
            raise ShaclError(f"shape {s}: a property shape needs exactly one sh:path")
        paths[s] = path_values[0]
    implied: set[Node] = set()
    for p in (
        "targetClass",
        "targetNode",
        "targetObjectsOf",
        "targetSubjectsOf",
        "property",
        "node",
    ):
        implied.update(g.subjects(_sh(p), None))
    for p in ("property", "node", "not", "qualifiedValueShape"):
        implied.update(g.objects(None, _sh(p)))
    for p in ("and", "or", "xone"):
        for lst in g.objects(None, _sh(p)):
            implied.update(Collection(g, lst))
    for s in implied:
        if s in node_shapes or s in paths:
            continue
        path_values = list(g.objects(s, _sh("path")))
        if not path_values:
            node_shapes.add(s)
        elif len(path_values) > 1:
            raise ShaclError(f"shape {s}: more than one sh:path")
        else:
            paths[s] = path_values[0]
    return node_shapes, paths


def _references(g: Graph, shape: Node) -> list[Node]:
    out: list[Node] = []
    for p in ("property", "node", "not", "qualifiedValueShape"):
        out.extend(g.objects(shape, _sh(p)))
    for p in ("and", "or", "xone"):
        for lst in g.objects(shape, _sh(p)):
            out.extend(Collection(g, lst))
    return out


def _short(node: Node) -> str:
    return (
        "sh:" + node[len(SH_NS) :]
        if isinstance(node, URIRef) and node.startswith(SH_NS)
        else str(node)
    )


def _sparql_texts(g: Graph) -> Iterator[tuple[Node, str]]:
    for holder in set(g.subjects(_sh("select"), None)):
        for text in g.objects(holder, _sh("select")):
            yield holder, str(text)


_OPTIONAL = re.compile(r"\bOPTIONAL\b", re.I)
_SELECT = re.compile(r"\bSELECT\b", re.I)
NESTED_SELECT = "a nested SELECT with LIMIT, OFFSET or an aggregate in a SPARQL constraint"
_PER_SOLUTION = re.compile(
    r"\b(LIMIT|OFFSET|GROUP\s+BY|COUNT|SUM|MIN|MAX|AVG|SAMPLE|GROUP_CONCAT)\b", re.I
)


def unsupported_constructs(shapes: Graph) -> list[str]:
    """List what a shapes graph uses that this engine does not implement.

    Args:
        shapes: The shapes graph.

    Returns:
        A sorted list of constructs (empty when the engine can validate with it).
    """
    found: set[str] = set()
    for triple in shapes:
        for term in triple:
            if isinstance(term, URIRef) and term.startswith(SH_NS) and term not in KNOWN:
                name = term[len(SH_NS) :]
                found.add(UNSUPPORTED.get(name, _short(term)))
    for holder, text in _sparql_texts(shapes):
        if SPARQLQueryHelper.bind_sg_regex.search(text):
            found.add("$shapesGraph in a SPARQL query")
        if _OPTIONAL.search(text) and (None, _sh("sparql"), holder) in shapes:
            found.add("OPTIONAL in a SPARQL constraint")
        # $this is bound by a VALUES block of the outer query, so a nested SELECT sees
        # it unbound and is joined with it on $this: the same solutions as pre-binding
        # unless the nested query limits, offsets or aggregates them.
        nested = len(_SELECT.findall(text)) > 1 and _PER_SOLUTION.search(text)
        if nested and (None, _sh("sparql"), holder) in shapes:
            found.add(NESTED_SELECT)
    for target in shapes.objects(None, _sh("target")):
        if (target, _sh("select"), None) not in shapes:
            found.add("sh:target without sh:select (target types)")
    try:
        node_shapes, paths = _declared_shapes(shapes)
    except ShaclError:
        return sorted(found)
    if _has_cycle(shapes, node_shapes | set(paths)):
        found.add("recursive shapes")
    return sorted(found)


def _has_cycle(g: Graph, shapes: set[Node]) -> bool:
    state: dict[Node, int] = {}

    def visit(node: Node) -> bool:
        state[node] = 1
        for ref in _references(g, node):
            mark = state.get(ref, 0)
            if mark == 1 or (mark == 0 and visit(ref)):
                return True
        state[node] = 2
        return False

    return any(state.get(s, 0) == 0 and visit(s) for s in shapes)


def _prefixes(g: Graph, holder: Node) -> str:
    """The PREFIX lines for a SPARQL holder's ``sh:prefixes``, as pySHACL collects them."""
    prefixes_values = set(g.objects(holder, _sh("prefixes")))
    if not prefixes_values:
        return ""
    ontologies = set(g.subjects(RDF.type, OWL.Ontology))
    graph_declares = set(g.objects(g.identifier, _sh("declare")))
    global_declares = set(graph_declares)
    for o in ontologies:
        global_declares.update(g.objects(o, _sh("declare")))
    found: dict[str, str] = {}
    for value in prefixes_values:
        own = set(g.objects(value, _sh("declare")))
        declares = own | graph_declares if own and value in ontologies else global_declares | own
        for dec in declares:
            prefix = g.value(dec, _sh("prefix"))
            namespace = g.value(dec, _sh("namespace"))
            if prefix is None or namespace is None:
                raise ShaclError(f"sh:declare {dec} needs one sh:prefix and one sh:namespace")
            found[str(prefix)] = str(namespace)
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in found.items()) + "\n"


def _path_sparql(g: Graph, path: Node) -> str:
    if isinstance(path, URIRef):
        return f"<{path}>"
    if (path, RDF.first, None) in g:
        return "(" + "/".join(_path_sparql(g, p) for p in Collection(g, path)) + ")"
    for name, form in (
        ("inversePath", "^{}"),
        ("zeroOrMorePath", "{}*"),
        ("oneOrMorePath", "{}+"),
        ("zeroOrOnePath", "{}?"),
    ):
        inner = g.value(path, _sh(name))
        if inner is not None:
            return "(" + form.format(_path_sparql(g, inner)) + ")"
    alternatives = g.value(path, _sh("alternativePath"))
    if alternatives is not None:
        items = [_path_sparql(g, p) for p in Collection(g, alternatives)]
        return "(" + "|".join(items) + ")"
    raise ShaclError(f"not a SHACL path: {path}")


def _load(g: Graph) -> dict[Node, Shape]:
    node_shapes, paths = _declared_shapes(g)
    shapes: dict[Node, Shape] = {}
    for node in node_shapes | set(paths):
        deactivated = g.value(node, _sh("deactivated"))
        shape = Shape(
            node=node,
            path=paths.get(node),
            severity=g.value(node, _sh("severity")) or _sh("Violation"),
            messages=[m for m in g.objects(node, _sh("message")) if isinstance(m, Literal)],
            deactivated=isinstance(deactivated, Literal) and bool(deactivated.value),
        )
        for p, o in g.predicate_objects(node):
            if p in PARAMETERS and isinstance(p, URIRef):
                shape.params.setdefault(p, []).append(o)
        for constraint in shape.params.get(_sh("sparql"), []):
            shape.sparql.extend(_load_sparql(g, shape, constraint))
        shapes[node] = shape
    return shapes


def _load_sparql(g: Graph, shape: Shape, constraint: Node) -> list[_Sparql]:
    deactivated = g.value(constraint, _sh("deactivated"))
    if isinstance(deactivated, Literal) and deactivated.value:
        return []
    selects = list(g.objects(constraint, _sh("select")))
    if len(selects) != 1:
        raise ShaclError(f"shape {shape.node}: a SPARQL constraint needs exactly one sh:select")
    text = str(selects[0])
    name = f"shape {shape.node}"
    helper = SPARQLQueryHelper
    problems = [
        (helper.has_minus_regex, "must not contain a MINUS clause"),
        (helper.has_values_regex, "must not contain a VALUES clause"),
        (helper.has_service_regex, "must not contain a federated query (SERVICE)"),
    ]
    for regex, problem in problems:
        if regex.search(text):
            raise ShaclError(f"{name}: a SPARQL constraint {problem}")
    as_var = helper.has_as_var_regex.search(text)
    if as_var and as_var.group(1) in ("this", "shapesGraph", "currentShape"):
        raise ShaclError(f"{name}: a SPARQL constraint cannot use AS to re-bind ${as_var.group(1)}")
    if shape.path is not None:
        path_text = _path_sparql(g, shape.path)
        text = helper.bind_path_regex.sub(
            lambda m: m.group(1) + path_text,
            text,
        )
    elif helper.bind_path_regex.search(text):
        raise ShaclError(f"{name}: the SPARQL constraint uses $PATH but the shape has no path")
    query = _prefixes(g, constraint) + text
    algebra = _algebra(query, name, "its constraint")
    projected = {str(v) for v in algebra["PV"] or ()}
    if helper.bind_this_regex.search(text) and "this" not in projected:
        raise ShaclError(f"{name}: the SPARQL constraint must select $this")
    messages = [m for m in g.objects(constraint, _sh("message")) if isinstance(m, Literal)]
    current = bool(helper.bind_cs_regex.search(text))
    return [_Sparql(constraint, query, messages, current, algebra)]


# --------------------------------------------------------------------------- reach

# What a shape's results at a focus node can depend on, for validating again only the
# focus nodes that triples added to the data can change (:meth:`Validator.affected`).


@dataclass(frozen=True)
class _Path:
    """A property path (of a shape or of a SPARQL query), as the reach analysis reads it.

    Attributes:
        op: ``iri``; ``neg`` (any predicate but ``keys``); or ``inv``, ``seq``, ``alt``,
            ``star`` (zero or more), ``plus`` (one or more), ``opt`` (zero or one) of
            ``args``.
        keys: The predicate of ``iri``, the predicates ``neg`` excludes (keys).
        args: The inner paths.
    """

    op: str
    keys: tuple[str, ...] = ()
    args: tuple[_Path, ...] = ()

    def sparql(self) -> str:
        """The path in SPARQL."""
        if self.op == "iri":
            return self.keys[0]
        if self.op == "neg":
            return "!(" + "|".join(self.keys) + ")"
        inner = [a.sparql() for a in self.args]
        if self.op == "inv":
            return f"^({inner[0]})"
        if self.op in ("seq", "alt"):
            return "(" + ("/" if self.op == "seq" else "|").join(inner) + ")"
        return f"({inner[0]})" + {"star": "*", "plus": "+", "opt": "?"}[self.op]


def _seq(parts: Iterable[_Path | None]) -> _Path | None:
    kept = tuple(p for p in parts if p is not None)
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else _Path("seq", args=kept)


def _inv(path: _Path | None) -> _Path | None:
    if path is None:
        return None
    return path.args[0] if path.op == "inv" else _Path("inv", args=(path,))


@dataclass(frozen=True)
class _Atom:
    """One predicate step of a path: the triples it matches and where it sits in the path.

    Attributes:
        keys: The predicates it matches (keys), or with ``excluded`` those it does not.
        excluded: ``keys`` are the predicates it does not match.
        forward: The path goes from the triple's subject to its object.
        prefix: The path from the path's start to the step's first node (None: empty).
        suffix: The path from the step's second node to the path's end (None: empty).
    """

    keys: tuple[str, ...]
    excluded: bool
    forward: bool
    prefix: _Path | None
    suffix: _Path | None


def _atoms(path: _Path) -> list[_Atom]:
    """The predicate steps of a path."""
    if path.op in ("iri", "neg"):
        return [_Atom(path.keys, path.op == "neg", True, None, None)]
    if path.op == "inv":
        return [
            _Atom(a.keys, a.excluded, not a.forward, _inv(a.suffix), _inv(a.prefix))
            for a in _atoms(path.args[0])
        ]
    if path.op == "seq":
        out: list[_Atom] = []
        for i, part in enumerate(path.args):
            before, after = path.args[:i], path.args[i + 1 :]
            for a in _atoms(part):
                prefix, suffix = _seq([*before, a.prefix]), _seq([a.suffix, *after])
                out.append(_Atom(a.keys, a.excluded, a.forward, prefix, suffix))
        return out
    if path.op in ("star", "plus"):  # any number of repetitions on either side
        around = _Path("star", args=path.args)
        return [
            _Atom(a.keys, a.excluded, a.forward, _seq([around, a.prefix]), _seq([a.suffix, around]))
            for a in _atoms(path.args[0])
        ]
    return [a for arg in path.args for a in _atoms(arg)]  # alt, opt


@dataclass(frozen=True)
class _Step:
    """One hop of a route, outward from the focus node, as a SPARQL triple pattern.

    ``?u`` is the node nearer the focus node, ``?n`` the farther one, ``?x`` free;
    the predicate is a path or one of these variables.
    """

    subject: str
    predicate: _Path | str
    object: str

    def sparql(self) -> str:
        """The triple pattern."""
        p = self.predicate.sparql() if isinstance(self.predicate, _Path) else f"?{self.predicate}"
        return f"?{self.subject} {p} ?{self.object}"


def _steps(path: _Path | None, forward: bool) -> tuple[_Step, ...]:
    """The route along a path: ``?u path ?n`` (forward) or ``?n path ?u``, a hop per part."""
    if path is None:
        return ()
    if path.op == "inv":
        return _steps(path.args[0], not forward)
    if path.op == "seq":
        parts = path.args if forward else path.args[::-1]
        return tuple(step for part in parts for step in _steps(part, forward))
    return (_Step("u", path, "n") if forward else _Step("n", path, "u"),)


@dataclass(frozen=True)
class Reach:
    """A kind of data triple that a shape's results at a focus node can depend on.

    A triple that matches it (its predicate, and its constant subject or object if
    any) can change the results at the focus nodes from which ``route`` leads to the
    triple's term ``near``: walking the route back from that term, in the data, finds
    them. Without a route (None), it can change the results at every focus node.

    Attributes:
        predicates: The predicates (keys) it matches; with ``excluded``, those it
            does not match (none listed: any predicate).
        excluded: ``predicates`` are the ones it does not match.
        subject: The subject (an IRI's key) it requires, if any.
        object: The object (an IRI's key) it requires, if any.
        near: The term of the triple the route ends at: 0 subject, 1 predicate,
            2 object.
        route: The hops from the focus node to that term, or None (global).
    """

    predicates: tuple[str, ...]
    excluded: bool
    subject: str | None
    object: str | None
    near: int
    route: tuple[_Step, ...] | None

    def matches(self, predicate: str, subject: str | None, obj: str | None) -> bool:
        """Whether a triple (its terms' keys; None for a blank node or literal) matches."""
        if self.excluded == (predicate in self.predicates):
            return False
        if self.subject is not None and self.subject != subject:
            return False
        return self.object is None or self.object == obj


#: Any triple, changing the results anywhere: what an unanalysable query reads.
_ANYTHING = Reach((), True, None, None, 0, None)
#: SHACL instances (class targets, ``sh:class``) follow ``rdfs:subClassOf*`` in the data.
_SUBCLASSES = Reach((_SUBCLASS,), False, None, None, 0, None)


def _path_reach(path: _Path) -> set[Reach]:
    """The triples a path from the focus node reads, each with its route."""
    return {
        Reach(a.keys, a.excluded, None, None, 0 if a.forward else 2, _steps(a.prefix, True))
        for a in _atoms(path)
    }


def _routed(reach: Reach, route: tuple[_Step, ...]) -> Reach:
    """A nested shape's reach, seen from a focus node ``route`` away from its own."""
    if reach.route is None:
        return reach
    return replace(reach, route=route + reach.route)


class _Unanalysable(Exception):
    """A query construct the reach analysis does not follow."""


@functools.lru_cache(maxsize=256)
def _parsed(query: str) -> CompValue:
    """A query's algebra; parsing takes rdflib tens of milliseconds, so it is kept."""
    algebra: CompValue = prepareQuery(query).algebra
    return algebra


def _algebra(query: str, name: str, where: str) -> CompValue:
    """Parse a SHACL-SPARQL query (for its algebra) or say where it is malformed."""
    try:
        algebra = _parsed(query)
    except ParseBaseException as e:
        raise ShaclError(f"{name}: malformed SPARQL in {where}: {e}") from None
    except Exception as e:  # rdflib raises several kinds for undeclared prefixes
        raise ShaclError(f"{name}: malformed SPARQL in {where}: {e}") from None
    return algebra


def _bound_vars(node: CompValue) -> set[str]:
    """Variables that every solution of a query's pattern binds (an under-estimate)."""
    name = node.name
    if name == "BGP":
        return {str(t) for triple in node.triples for t in triple if isinstance(t, Variable)}
    if name == "Join":
        return _bound_vars(node.p1) | _bound_vars(node.p2)
    if name in ("LeftJoin", "Minus"):
        return _bound_vars(node.p1)
    if name == "Union":
        return _bound_vars(node.p1) & _bound_vars(node.p2)
    if name == "Project":
        return _bound_vars(node.p) & {str(v) for v in node.PV}
    if name in ("SelectQuery", "Filter", "Extend", "Distinct", "Reduced", "OrderBy", "Slice"):
        return _bound_vars(node.p)
    if name == "ToMultiSet" and isinstance(node.p, CompValue) and node.p.name != "values":
        return _bound_vars(node.p)
    return set()


def _values_keep(algebra: CompValue) -> bool:
    """Whether a ``VALUES`` block for ``?this`` that opens a query's group only restricts it.

    That is how a SPARQL target's query is run for some candidates. It only restricts
    the solutions when every solution of the group's elements before its first
    ``OPTIONAL`` or ``MINUS`` binds ``?this``: joining the values there restricts them,
    and what follows extends, removes or filters each solution on its own. Otherwise
    (an ``OPTIONAL`` or ``MINUS`` that meets ``?this`` unbound, ``LIMIT``, grouping) it
    may not, and the query is run whole.
    """
    node = algebra.p
    while node.name in ("Distinct", "Reduced", "OrderBy"):
        node = node.p
    if node.name != "Project":
        return False
    node = prefix = node.p
    while node.name in ("Filter", "Extend", "OrderBy", "Join", "LeftJoin", "Minus"):
        if node.name in ("LeftJoin", "Minus"):
            prefix = node.p1
        node = node.p if node.name in ("Filter", "Extend", "OrderBy") else node.p1
    return "this" in _bound_vars(prefix)


def _sparql_path(path: Any) -> _Path:
    """A path of rdflib's SPARQL algebra."""
    if isinstance(path, URIRef):
        return _Path("iri", (f"<{path}>",))
    if isinstance(path, InvPath):
        return _Path("inv", args=(_sparql_path(path.arg),))
    if isinstance(path, SequencePath | AlternativePath):
        op = "seq" if isinstance(path, SequencePath) else "alt"
        return _Path(op, args=tuple(_sparql_path(a) for a in path.args))
    if isinstance(path, MulPath):
        op = {"*": "star", "+": "plus", "?": "opt"}[path.mod]
        return _Path(op, args=(_sparql_path(path.path),))
    if isinstance(path, NegatedPath):
        # rdflib keeps no IRI for an inverse member (^p) of a negated property set
        if not all(isinstance(a, URIRef) for a in path.args):
            raise _Unanalysable("an inverse in a negated property set")
        return _Path("neg", tuple(f"<{a}>" for a in path.args))
    raise _Unanalysable(f"the path {path!r}")


@dataclass
class _Pattern:
    """A triple pattern of a query: its variables (vertices) and constant IRIs (keys)."""

    subject: str | None
    subject_key: str | None
    predicate: _Path | str  # a path, or a variable
    object: str | None
    object_key: str | None


@dataclass
class _Group:
    """A graph pattern of a query, for which patterns hold together in a solution.

    Attributes:
        kind: ``bgp``, ``join``, ``union``, ``optional`` (children: left, right),
            ``minus`` (children: left, right) or ``filter`` (children: the pattern).
        patterns: A ``bgp``'s triple patterns (indexes).
        children: The inner graph patterns.
        exists: ``EXISTS``/``NOT EXISTS`` patterns evaluated on the solutions.
    """

    kind: str
    patterns: list[int] = field(default_factory=list)
    children: list[_Group] = field(default_factory=list)
    exists: list[_Group] = field(default_factory=list)


class _QueryGraph:
    """The triple patterns of a SELECT query, joined by their variables.

    Each pattern is routed from ``$this`` along a shortest chain of the patterns that
    hold with it in every solution (or match) it takes part in: those of its group,
    of the groups its group is joined to, the left side of an ``OPTIONAL`` or
    ``MINUS`` it is the right side of, the pattern an ``EXISTS`` of its is evaluated
    on; not the other branch of a ``UNION``. A sub-select's variables that it does not
    project (or, grouping, does not group by) are its own.
    """

    def __init__(self, algebra: CompValue) -> None:
        self.patterns: list[_Pattern] = []
        self._scopes = 0
        self.root = self._select(algebra.p, None)

    def _select(self, node: CompValue, outer: Callable[[str], str] | None) -> _Group:
        while node.name in ("Distinct", "Reduced", "OrderBy"):
            node = node.p
        if node.name != "Project":  # LIMIT, OFFSET: the solutions kept depend on all
            raise _Unanalysable(node.name)
        kept = {str(v) for v in node.PV}
        keys = _group_keys(node.p)
        if keys is not None:
            kept &= keys
        tag = self._scopes
        self._scopes += 1

        def name(var: str) -> str:
            if var not in kept:
                return f"{var}/{tag}"
            return var if outer is None else outer(var)

        return self._build(node.p, name)

    def _build(self, node: CompValue, name: Callable[[str], str]) -> _Group:
        kind = node.name
        if kind == "BGP":
            return _Group("bgp", [self._pattern(t, name) for t in node.triples])
        if kind in ("Join", "Union", "LeftJoin", "Minus"):
            children = [self._build(node.p1, name), self._build(node.p2, name)]
            if kind == "LeftJoin":
                return _Group("optional", children=children, exists=self._exists(node.expr, name))
            return _Group(kind.lower(), children=children)
        if kind in ("Filter", "Extend"):
            exists = self._exists(node.expr, name)
            return _Group("filter", children=[self._build(node.p, name)], exists=exists)
        if kind == "AggregateJoin":
            exists = self._exists(node.A, name)
            return _Group("filter", children=[self._build(node.p, name)], exists=exists)
        if kind in ("Group", "Distinct", "Reduced", "OrderBy"):
            return self._build(node.p, name)
        if kind == "ToMultiSet":
            if isinstance(node.p, CompValue) and node.p.name != "values":
                return self._select(node.p, name)
            return _Group("bgp")
        if kind == "values":
            return _Group("bgp")
        raise _Unanalysable(kind)  # GRAPH, SERVICE, …

    def _exists(self, expr: Any, name: Callable[[str], str]) -> list[_Group]:
        found: list[_Group] = []

        def visit(e: Any) -> None:
            if isinstance(e, CompValue):
                if e.name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
                    e["graph"] = translateGroupGraphPattern(e.graph)  # rdflib may leave it raw
                    found.append(self._build(e.graph, name))
                    return
                for value in e.values():
                    visit(value)
            elif isinstance(e, list | tuple):
                for value in e:
                    visit(value)

        visit(expr)
        return found

    def _pattern(self, triple: tuple[Any, Any, Any], name: Callable[[str], str]) -> int:
        s, p, o = triple

        def term(t: Any) -> tuple[str | None, str | None]:
            if isinstance(t, Variable):
                return name(str(t)), None
            if isinstance(t, BNode):  # a blank node of a query is a variable
                return name(f"_:{t}"), None
            return None, (f"<{t}>" if isinstance(t, URIRef) else None)

        subject, subject_key = term(s)
        obj, object_key = term(o)
        predicate = name(str(p)) if isinstance(p, Variable) else _sparql_path(p)
        self.patterns.append(_Pattern(subject, subject_key, predicate, obj, object_key))
        return len(self.patterns) - 1

    def together(self) -> list[set[int]]:
        """For each pattern, the patterns that hold with it (itself included)."""
        out: list[set[int]] = [set() for _ in self.patterns]
        memo: dict[int, set[int]] = {}

        def required(g: _Group) -> set[int]:  # the patterns every solution of g matches
            found = memo.get(id(g))
            if found is None:
                if g.kind == "bgp":
                    found = set(g.patterns)
                elif g.kind == "join":
                    found = required(g.children[0]) | required(g.children[1])
                elif g.kind == "union":
                    found = set()
                else:
                    found = required(g.children[0])
                memo[id(g)] = found
            return found

        def assign(g: _Group, context: set[int]) -> None:
            if g.kind == "bgp":
                for i in g.patterns:
                    out[i] = context | set(g.patterns)
                return
            if g.kind == "join":
                left, right = g.children
                assign(left, context | required(right))
                assign(right, context | required(left))
                return
            if g.kind == "union":
                for child in g.children:
                    assign(child, context)
                return
            assign(g.children[0], context)
            seen = context | required(g.children[0])
            if len(g.children) > 1:
                assign(g.children[1], seen)
                seen = seen | required(g.children[1])
            for e in g.exists:
                assign(e, seen)

        assign(self.root, set())
        return out

    def reach(self) -> set[Reach]:
        """Every pattern's reach, routed from ``$this``."""
        out: set[Reach] = set()
        for i, together in enumerate(self.together()):
            routes = _routes([self.patterns[j] for j in together])
            out |= _pattern_reach(self.patterns[i], routes)
        return out


def _group_keys(node: CompValue) -> set[str] | None:
    """The variables a select groups by (None when it does not group)."""
    while node.name in ("Extend", "Filter", "AggregateJoin", "OrderBy"):
        node = node.p
    if node.name != "Group":
        return None
    return {str(e) for e in node.expr or () if isinstance(e, Variable)}


_Cost = tuple[int, int]  # hops, of which through a variable predicate


def _edges(q: _Pattern) -> Iterator[tuple[str, str, tuple[_Step, ...], _Cost]]:
    """The hops a pattern makes between its variables (from, to, route, cost)."""
    s, o = q.subject, q.object
    if isinstance(q.predicate, _Path):
        if s is not None and o is not None and s != o:
            forward, backward = _steps(q.predicate, True), _steps(q.predicate, False)
            yield s, o, forward, (len(forward), 0)
            yield o, s, backward, (len(backward), 0)
        return
    p = q.predicate
    hops = [
        (s, o, _Step("u", "x", "n"), _Step("n", "x", "u"), (1, 0)),
        (s, p, _Step("u", "n", "x"), _Step("n", "u", "x"), (1, 1)),
        (o, p, _Step("x", "n", "u"), _Step("x", "u", "n"), (1, 1)),
    ]
    for a, b, there, back, cost in hops:
        if a is not None and b is not None and a != b:
            yield a, b, (there,), cost
            yield b, a, (back,), cost


def _routes(patterns: list[_Pattern]) -> dict[str, tuple[_Cost, tuple[_Step, ...]]]:
    """The shortest route from ``this`` to each variable over some patterns' hops."""
    hops: dict[str, list[tuple[str, tuple[_Step, ...], _Cost]]] = {}
    for q in patterns:
        for a, b, route, cost in _edges(q):
            hops.setdefault(a, []).append((b, route, cost))
    best: dict[str, tuple[_Cost, tuple[_Step, ...]]] = {}
    heap: list[tuple[_Cost, int, str, tuple[_Step, ...]]] = [((0, 0), 0, "this", ())]
    order = 1
    while heap:
        cost, _order, vertex, route = heapq.heappop(heap)
        if vertex in best:
            continue
        best[vertex] = (cost, route)
        for b, more, c in hops.get(vertex, ()):
            if b not in best:
                heapq.heappush(heap, ((cost[0] + c[0], cost[1] + c[1]), order, b, route + more))
                order += 1
    return best


def _pattern_reach(q: _Pattern, routes: dict[str, tuple[_Cost, tuple[_Step, ...]]]) -> set[Reach]:
    """A pattern's reach: the nearest of its terms to ``$this``, and the route there."""
    if not isinstance(q.predicate, _Path):
        options = [
            (routes[v], near)
            for v, near in ((q.subject, 0), (q.object, 2), (q.predicate, 1))
            if v is not None and v in routes
        ]
        if not options:
            return {Reach((), True, q.subject_key, q.object_key, 0, None)}
        (_cost, route), near = min(options, key=lambda x: x[0][0])
        return {Reach((), True, q.subject_key, q.object_key, near, route)}
    out: set[Reach] = set()
    for a in _atoms(q.predicate):
        ends = (q.subject_key, q.object_key) if a.forward else (q.object_key, q.subject_key)
        if a.prefix is not None or a.suffix is not None:
            ends = (None, None)  # the step's own nodes are not the pattern's
        choices: list[tuple[_Cost, int, tuple[_Step, ...]]] = []
        if q.subject is not None and q.subject in routes:
            (c, route), more = routes[q.subject], _steps(a.prefix, True)
            choices.append(((c[0] + len(more), c[1]), 0 if a.forward else 2, route + more))
        if q.object is not None and q.object in routes:
            (c, route), more = routes[q.object], _steps(a.suffix, False)
            choices.append(((c[0] + len(more), c[1]), 2 if a.forward else 0, route + more))
        if choices:
            _cost, near, found = min(choices, key=lambda x: x[0])
            out.add(Reach(a.keys, a.excluded, *ends, near, found))
        else:
            out.add(Reach(a.keys, a.excluded, *ends, 0, None))
    return out


#: Each targeted shape's reaches by predicate, and those that match any predicate.
_ReachIndex = tuple[dict[str, list[tuple[Node, Reach]]], list[tuple[Node, Reach]]]


def _query_reach(algebra: CompValue) -> frozenset[Reach]:
    """What a SHACL-SPARQL query (a constraint's or a target's) reads, from ``$this``."""
    try:
        return frozenset(_QueryGraph(algebra).reach())
    except _Unanalysable:
        return frozenset({_ANYTHING})


# --------------------------------------------------------------------------- validation


_CHUNK = 5000
# A node set larger than _LOCAL_LIMIT fetches a predicate's whole relation when it has
# fewer than _LOOKUP_COST pairs per node: a node looked up (a VALUES row) costs about as
# much as that many pairs of a relation fetched whole.
_LOCAL_LIMIT = 1000
_LOOKUP_COST = 8


def _bound_queries(query: str, focus: list[str]) -> Iterator[str]:
    """The query with ``$this`` bound to the focus nodes (``VALUES``), in chunks.

    The ``VALUES`` block opens the query's outer group, so ``$this`` is bound wherever
    the group uses it (a ``FILTER NOT EXISTS { $this … }`` included), as SHACL's
    pre-binding requires. Blank focus nodes cannot be written in a query: for them the
    query runs once with ``$this`` free and its solutions are joined with them.
    """
    named = [f for f in focus if f[0] != "_"]
    start = query.index("{") + 1
    for i in range(0, len(named), _CHUNK):
        values = " ".join(named[i : i + _CHUNK])
        yield f"{query[:start]} VALUES ?this {{ {values} }} {query[start:]}"
    if len(named) < len(focus):
        yield query


def _format(message: str, bound: dict[str, Node]) -> str:
    """PySHACL's substitution of ``{$var}``/``{?var}`` in a SPARQL constraint's message."""
    for var, val in bound.items():
        message = re.sub(f"{{[?$]{var}}}", str(val), message)
    return message


class Validator:
    """Validates the union of a store's graphs against a shapes graph.

    Args:
        store: The data.
        shapes: The shapes graph (must pass :func:`unsupported_constructs`).
        graphs: The graphs of the store to validate; their union. All graphs
            (the default graph as the union of the named graphs) when None.
        source: The rdflib graph the store was copied from, if any (its blank
            nodes are used to write and clone them in the report).
        namespaces: A graph whose prefixes name data terms in default messages
            (pySHACL uses the data graph's).
        local: Look the data up around the nodes evaluated rather than fetching
            whole relations: for validations restricted to a few focus nodes
            (:meth:`validate` with ``only``) of a large store.

    Raises:
        ShaclError: The shapes cannot be used.
    """

    def __init__(
        self,
        store: ox.Store,
        shapes: Graph,
        graphs: Sequence[ox.NamedNode] | None = None,
        source: Graph | None = None,
        namespaces: Graph | None = None,
        local: bool = False,
    ) -> None:
        self.g = shapes
        self.data = _Data(store, graphs, source, namespaces, local)
        self.shapes = _load(shapes)
        self._shape_text: dict[Node, str] = {}
        self._members: dict[Node, dict[str, bool]] = {}
        self._target_rows: dict[Node, set[str]] = {}
        self._targets: dict[str, CompValue] = {}
        self._reach: dict[Node, frozenset[Reach]] = {}
        self._back: dict[_Step, dict[str, list[str]]] = {}
        self._index: _ReachIndex | None = None

    # ------------------------------------------------------------------- targets

    def focus_nodes(self, shape: Shape) -> set[str]:
        """The focus nodes of a shape's own targets."""
        g, data, node = self.g, self.data, shape.node
        found: set[str] = set()
        for target in g.objects(node, _sh("targetNode")):
            found.add(data.key(target))
        for cls in self._target_classes(shape):
            found |= data.instances(data.key(cls))
        for p in g.objects(node, _sh("targetSubjectsOf")):
            found.update(data.forward(data.key(p)))
        for p in g.objects(node, _sh("targetObjectsOf")):
            found.update(data.backward(data.key(p)))
        for _target, query in self._target_queries(shape):
            found |= self._target_query_rows(shape, query, None)
        return found

    def _target_classes(self, shape: Shape) -> set[Node]:
        """The classes whose instances are a shape's targets (``sh:targetClass``, implicit)."""
        g = self.g
        classes = set(g.objects(shape.node, _sh("targetClass")))
        class_types = set(g.subjects(RDFS.subClassOf, RDFS.Class)) | {RDFS.Class}
        if any(t in class_types for t in g.objects(shape.node, RDF.type)):
            classes.add(shape.node)
        return classes

    def _target_queries(self, shape: Shape) -> Iterator[tuple[Node, str]]:
        """A shape's SPARQL-based targets and their queries (prefixes prepended)."""
        g = self.g
        for target in g.objects(shape.node, _sh("target")):
            select = g.value(target, _sh("select"))
            if select is not None:
                yield target, _prefixes(g, target) + str(select)

    def _target_query_rows(self, shape: Shape, query: str, among: list[str] | None) -> set[str]:
        """The ``?this`` of a target query's solutions (those among some nodes, if given)."""
        queries = [query] if among is None else _bound_queries(query, among)
        found: set[str] = set()
        for text in queries:
            try:
                header, rows = self.data.table(text)
            except SyntaxError as e:
                raise ShaclError(
                    f"shape {shape.node}: malformed SPARQL in its target: {e}"
                ) from None
            if "this" in header:
                i = header.index("this")
                found.update(r[i] for r in rows if r[i])
        return found if among is None else found & set(among)

    def focus_among(self, shape: Shape, nodes: abc.Collection[str]) -> set[str]:
        """Which of some nodes are focus nodes of a shape's own targets.

        Only the nodes' own data is read (``local`` lookups), except for a SPARQL
        target whose query may leave ``?this`` unbound (then run whole, once).
        """
        members = self._members.setdefault(shape.node, {})
        todo = [n for n in nodes if n not in members]
        if todo:
            found = self._focus_among(shape, todo)
            for n in todo:
                members[n] = n in found
        return {n for n in nodes if members[n]}

    def _focus_among(self, shape: Shape, nodes: list[str]) -> set[str]:
        g, data, node = self.g, self.data, shape.node
        found = {data.key(t) for t in g.objects(node, _sh("targetNode"))} & set(nodes)
        classes = self._target_classes(shape)
        if classes:
            subs = set().union(*(data.subclasses(data.key(c)) for c in classes))
            types = data.forward_of(_RDF_TYPE, nodes)
            found.update(n for n in nodes if any(t in subs for t in types.get(n, _EMPTY)))
        for p in g.objects(node, _sh("targetSubjectsOf")):
            values = data.forward_of(data.key(p), nodes)
            found.update(n for n in nodes if values.get(n))
        for p in g.objects(node, _sh("targetObjectsOf")):
            subjects = data.backward_of(data.key(p), nodes)
            found.update(n for n in nodes if subjects.get(n))
        for target, query in self._target_queries(shape):
            if _values_keep(self._target_algebra(shape, query)):
                found |= self._target_query_rows(shape, query, nodes)
            else:
                rows = self._target_rows.get(target)
                if rows is None:
                    rows = self._target_rows[target] = self._target_query_rows(shape, query, None)
                found.update(n for n in nodes if n in rows)
        return found

    def _target_algebra(self, shape: Shape, query: str) -> CompValue:
        """A target query's algebra (parsed once)."""
        found = self._targets.get(query)
        if found is None:
            found = self._targets[query] = _algebra(query, f"shape {shape.node}", "its target")
        return found

    # ------------------------------------------------------------------- values

    def _step(self, path: Node, nodes: abc.Collection[str]) -> dict[str, set[str]]:
        g, data = self.g, self.data
        if isinstance(path, URIRef):
            fwd = data.forward_of(f"<{path}>", nodes)
            return {n: set(fwd.get(n, _EMPTY)) for n in nodes}
        if (path, RDF.first, None) in g:
            current = {n: {n} for n in nodes}
            for part in Collection(g, path):
                reached = {v for vs in current.values() for v in vs}
                step = self._step(part, reached)
                current = {n: {w for v in vs for w in step[v]} for n, vs in current.items()}
            return current
        inverse = g.value(path, _sh("inversePath"))
        if inverse is not None:
            if isinstance(inverse, URIRef):
                bwd = data.backward_of(f"<{inverse}>", nodes)
                return {n: set(bwd.get(n, _EMPTY)) for n in nodes}
            return self._step(self._invert(inverse), nodes)
        alternatives = g.value(path, _sh("alternativePath"))
        if alternatives is not None:
            nodes = list(nodes)
            out: dict[str, set[str]] = {n: set() for n in nodes}
            for part in Collection(g, alternatives):
                for n, vs in self._step(part, nodes).items():
                    out[n] |= vs
            return out
        for name, include_self, repeat in (
            ("zeroOrMorePath", True, True),
            ("oneOrMorePath", False, True),
            ("zeroOrOnePath", True, False),
        ):
            inner = g.value(path, _sh(name))
            if inner is not None:
                return self._closure(inner, nodes, include_self, repeat)
        raise ShaclError(f"not a SHACL path: {path}")

    def _invert(self, path: Node) -> Node:
        """A path node that is the inverse of a complex path (written into a scratch graph)."""
        g = self.g
        scratch = BNode()
        if (path, RDF.first, None) in g:
            parts = [self._inverse_of(p) for p in Collection(g, path)][::-1]
            Collection(g, scratch, parts)
            return scratch
        for name in ("alternativePath",):
            inner = g.value(path, _sh(name))
            if inner is not None:
                items = [self._inverse_of(p) for p in Collection(g, inner)]
                lst = BNode()
                Collection(g, lst, items)
                g.add((scratch, _sh(name), lst))
                return scratch
        for name in ("zeroOrMorePath", "oneOrMorePath", "zeroOrOnePath"):
            inner = g.value(path, _sh(name))
            if inner is not None:
                g.add((scratch, _sh(name), self._inverse_of(inner)))
                return scratch
        inverse = g.value(path, _sh("inversePath"))
        if inverse is not None:
            return inverse
        raise ShaclError(f"not a SHACL path: {path}")

    def _inverse_of(self, path: Node) -> Node:
        if isinstance(path, URIRef):
            node = BNode()
            self.g.add((node, _sh("inversePath"), path))
            return node
        return self._invert(path)

    def _closure(
        self, inner: Node, nodes: abc.Collection[str], include_self: bool, repeat: bool
    ) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for n in nodes:
            reached: set[str] = {n} if include_self else set()
            frontier = {n}
            while frontier:
                step = self._step(inner, frontier)
                new = {w for vs in step.values() for w in vs} - reached
                reached |= new
                frontier = new if repeat else set()
            out[n] = reached
        return out

    def value_nodes(self, shape: Shape, focus: abc.Collection[str]) -> dict[str, Sequence[str]]:
        """Each focus node's value nodes for a shape (itself for a node shape)."""
        if shape.path is None:
            return {f: (f,) for f in focus}
        if isinstance(shape.path, URIRef):
            fwd = self.data.forward_of(f"<{shape.path}>", focus)
            return {f: fwd.get(f, _EMPTY) for f in focus}
        return {f: tuple(vs) for f, vs in self._step(shape.path, focus).items()}

    # ------------------------------------------------------------------- evaluation

    def evaluate(self, shape: Shape, focus: Iterable[str]) -> dict[str, tuple[Result, ...]]:
        """Each focus node's results against a shape (memoised per shape and node)."""
        memo = shape.memo
        todo = [f for f in set(focus) if f not in memo]
        if todo:
            if shape.deactivated:
                for f in todo:
                    memo[f] = ()
            else:
                found: dict[str, list[Result]] = {}
                for r in self._run(shape, todo):
                    found.setdefault(r.focus, []).append(r)
                for f in todo:
                    memo[f] = tuple(found.get(f, ()))
        return {f: memo[f] for f in focus}

    def conforming(self, shape_node: Node, nodes: Iterable[str]) -> dict[str, bool]:
        """Whether each node conforms to a shape (has no result against it)."""
        shape = self.shapes[shape_node]
        return {n: not rs for n, rs in self.evaluate(shape, nodes).items()}

    def validate(
        self, only: Mapping[Node, abc.Collection[str] | None] | None = None
    ) -> list[Result]:
        """Validate every shape on its targets; return the top-level results.

        Args:
            only: Restrict the validation to some shapes (by node), each on all its
                focus nodes (None) or on those of some nodes that are its focus nodes.
        """
        return [
            r
            for by_focus in self.results_by_focus(only).values()
            for rs in by_focus.values()
            for r in rs
        ]

    def results_by_focus(
        self, only: Mapping[Node, abc.Collection[str] | None] | None = None
    ) -> dict[Node, dict[str, tuple[Result, ...]]]:
        """Each shape's top-level results at each of its focus nodes (see :meth:`validate`)."""
        out: dict[Node, dict[str, tuple[Result, ...]]] = {}
        for shape in self.shapes.values():
            if shape.deactivated or (only is not None and shape.node not in only):
                continue
            among = None if only is None else only[shape.node]
            focus = self.focus_nodes(shape) if among is None else self.focus_among(shape, among)
            if focus:
                out[shape.node] = self.evaluate(shape, focus)
        return out

    def _run(self, shape: Shape, focus: list[str]) -> list[Result]:
        values = self.value_nodes(shape, focus)
        out: list[Result] = []
        for param, check in _CHECKS:
            if _sh(param) in shape.params:
                check(self, shape, values, out)
        if shape.sparql:
            self._sparql(shape, values, out)
        return out

    def result(
        self,
        shape: Shape,
        component: str,
        focus: str,
        value: str | None = None,
        generic: Callable[[], str] | None = None,
        details: tuple[Result, ...] = (),
    ) -> Result:
        """A result of a shape, with its messages or the component's default one."""
        messages: tuple[Literal, ...] = tuple(shape.messages)
        lazy = generic if not messages else None  # written only if the result is reported
        return Result(
            focus, shape, _sh(component), value, shape.path, messages, details=details, lazy=lazy
        )

    def shape_text(self, node: Node) -> str:
        """The text pySHACL gives a node of the shapes graph in its default messages."""
        found = self._shape_text.get(node)
        if found is None:
            found = self._shape_text[node] = str(stringify_node(self.g, node))
        return found

    # ------------------------------------------------------------------- SPARQL

    def _sparql(self, shape: Shape, values: dict[str, Sequence[str]], out: list[Result]) -> None:
        data = self.data
        for constraint in shape.sparql:
            subs = {"currentShape": _ox_term(shape.node)} if constraint.current_shape else None
            header: list[str] = []
            rows: list[list[str]] = []
            for query in _bound_queries(constraint.query, list(values)):
                try:
                    header, found = data.table(query, subs)
                except SyntaxError as e:
                    raise ShaclError(
                        f"shape {shape.node}: malformed SPARQL in its constraint: {e}"
                    ) from None
                rows.extend(found)
            by_focus: dict[str, list[dict[str, str]]] = {}
            unbound: list[dict[str, str]] = []
            for row in rows:
                bound = {v: t for v, t in zip(header, row, strict=False) if t}
                this = bound.get("this")
                if this is None:
                    unbound.append(bound)
                elif this in values:
                    by_focus.setdefault(this, []).append(bound)
            for f in values:
                solutions = by_focus.get(f, [])
                if unbound:
                    solutions = solutions + [{**b, "this": f} for b in unbound]
                if solutions:
                    self._sparql_results(shape, constraint, f, solutions, out)

    def _sparql_results(
        self,
        shape: Shape,
        constraint: _Sparql,
        f: str,
        solutions: list[dict[str, str]],
        out: list[Result],
    ) -> None:
        node = self.data.node
        default_value = None if shape.is_property else f
        seen: list[tuple[Any, ...]] = []
        failure = False
        for solution in solutions:
            rest = {k: node(v) for k, v in solution.items()}
            if rest.pop("failure", None) is not None:
                if failure:
                    continue
                failure = True
                messages = self._sparql_messages(shape, constraint, rest)
                out.append(
                    Result(
                        f,
                        shape,
                        _sh("SPARQLConstraintComponent"),
                        default_value,
                        shape.path,
                        messages,
                        constraint.node,
                    )
                )
                continue
            p_node = rest.pop("path", None)
            v_node = rest.pop("value", None)
            t_node = rest.pop("this", None)
            if p_node is None and v_node is None and t_node is None:
                continue
            signature = (t_node, p_node, v_node, rest)
            if signature in seen:
                continue
            seen.append(signature)
            v_key = solution.get("value") or default_value
            if v_node is None and default_value is not None:
                v_node = node(default_value)
            bound: dict[str, Node] = dict(rest)
            if t_node is not None:
                bound["this"] = t_node
            if p_node is not None:
                bound["path"] = p_node
            if v_node is not None:
                bound["value"] = v_node
            out.append(
                Result(
                    solution.get("this") or f,
                    shape,
                    _sh("SPARQLConstraintComponent"),
                    v_key,
                    p_node if p_node is not None else shape.path,
                    self._sparql_messages(shape, constraint, bound),
                    constraint.node,
                )
            )

    def _sparql_messages(
        self, shape: Shape, constraint: _Sparql, bound: dict[str, Node]
    ) -> tuple[Literal, ...]:
        messages: list[Literal] = []
        for m in constraint.messages:
            if m in shape.messages:
                continue
            messages.append(Literal(_format(str(m.value), bound)))
        for m in shape.messages:
            messages.append(Literal(_format(str(m.value), bound)))
        return tuple(messages)

    # ------------------------------------------------------------------- reach

    def reaches(self, shape: Shape) -> frozenset[Reach]:
        """What a shape's results at its focus nodes can depend on, its targets included.

        Class targets read ``rdf:type`` at the focus node (and the class hierarchy),
        subjects-of and objects-of targets their predicate there, a SPARQL target what
        its query reads; then the shape itself (:meth:`shape_reach`).
        """
        g, data, node = self.g, self.data, shape.node
        out = set(self.shape_reach(shape))
        if self._target_classes(shape):
            out |= {Reach((_RDF_TYPE,), False, None, None, 0, ()), _SUBCLASSES}
        for p in g.objects(node, _sh("targetSubjectsOf")):
            out.add(Reach((data.key(p),), False, None, None, 0, ()))
        for p in g.objects(node, _sh("targetObjectsOf")):
            out.add(Reach((data.key(p),), False, None, None, 2, ()))
        for _target, query in self._target_queries(shape):
            out |= _query_reach(self._target_algebra(shape, query))
        return frozenset(out)

    def shape_reach(self, shape: Shape) -> frozenset[Reach]:
        """What a shape's results at a focus node can depend on (routes from it).

        A property shape reads its path's triples, and its constraints read at the
        value nodes: ``sh:class`` their ``rdf:type`` (and the class hierarchy), the
        shape-based constraints what the nested shapes read there; ``sh:lessThan``
        and ``sh:lessThanOrEquals`` read the other predicate at the focus node,
        SHACL-SPARQL constraints what their query reads. The other core constraints
        read only the value nodes themselves.
        """
        found = self._reach.get(shape.node)
        if found is not None:
            return found
        out: set[Reach] = set()
        if not shape.deactivated:
            route: tuple[_Step, ...] = ()
            if shape.path is not None:
                path = self._path(shape.path)
                out |= _path_reach(path)
                route = _steps(path, True)
            if _sh("class") in shape.params:
                out |= {Reach((_RDF_TYPE,), False, None, None, 0, route), _SUBCLASSES}
            for which in ("lessThan", "lessThanOrEquals"):
                for other in shape.params.get(_sh(which), []):
                    out.add(Reach((f"<{other}>",), False, None, None, 0, ()))
            for nested in self._nested(shape):
                out.update(_routed(r, route) for r in self.shape_reach(nested))
            for constraint in shape.sparql:
                out |= _query_reach(constraint.algebra)
        found = self._reach[shape.node] = frozenset(out)
        return found

    def _nested(self, shape: Shape) -> Iterator[Shape]:
        """The shapes a shape evaluates on its value nodes."""
        g = self.g
        nodes = _references(g, shape.node)
        disjoint = any(
            isinstance(d, Literal) and d.value is True
            for d in shape.params.get(_sh("qualifiedValueShapesDisjoint"), [])
        )
        if disjoint:  # the sibling qualified value shapes, as _check_qualified finds them
            for parent in g.subjects(_sh("property"), shape.node):
                for sibling in g.objects(parent, _sh("property")):
                    nodes.extend(g.objects(sibling, _sh("qualifiedValueShape")))
        for node in dict.fromkeys(nodes):
            nested = self.shapes.get(node)
            if nested is not None:
                yield nested

    def _path(self, path: Node) -> _Path:
        """A shape's ``sh:path``, as the reach analysis reads it."""
        g = self.g
        if isinstance(path, URIRef):
            return _Path("iri", (f"<{path}>",))
        if (path, RDF.first, None) in g:
            return _Path("seq", args=tuple(self._path(p) for p in Collection(g, path)))
        alternatives = g.value(path, _sh("alternativePath"))
        if alternatives is not None:
            return _Path("alt", args=tuple(self._path(p) for p in Collection(g, alternatives)))
        for name, op in (
            ("inversePath", "inv"),
            ("zeroOrMorePath", "star"),
            ("oneOrMorePath", "plus"),
            ("zeroOrOnePath", "opt"),
        ):
            inner = g.value(path, _sh(name))
            if inner is not None:
                return _Path(op, args=(self._path(inner),))
        raise ShaclError(f"not a SHACL path: {path}")

    def _has_targets(self, shape: Shape) -> bool:
        return any(
            (shape.node, _sh(p), None) in self.g
            for p in ("targetNode", "targetClass", "targetSubjectsOf", "targetObjectsOf", "target")
        ) or bool(self._target_classes(shape))

    def affected(self, added: Iterable[ox.Triple | ox.Quad]) -> dict[Node, set[str] | None]:
        """The focus nodes whose results triples added to the data can have changed.

        For each shape with targets, every added triple that matches one of its
        :meth:`reaches` gives the triple's term at the end of the reach's route;
        walking the route back from it in the data (which holds the additions)
        finds the focus nodes it can concern. Those are kept if they are focus
        nodes of the shape (their target membership looked up for them alone),
        except for a shape with a SPARQL target: its query can drop a node when
        triples are added (``MINUS``, ``NOT EXISTS``), and that node's previous
        results must go, so its candidates are all kept.

        Why no focus node is missed: with triples only added, a result that appears
        or disappears at a focus node ``f`` (or ``f`` becoming, or for a SPARQL
        target ceasing to be, a focus node) has a solution or match in the new data
        that contains an added triple, together with the pattern triples that lead
        from ``f`` to it: the path's triples to the value node, the nested shapes'
        triples from there, the query's patterns that hold with the added one in a
        solution; they are all in the data now, so walking them back from the added
        triple reaches ``f``. A pattern that no route joins to the focus node is
        global: a triple that matches it re-validates every focus node of the shape.

        Args:
            added: The triples new to the validated graphs, already in the store.

        Returns:
            Shape node → its focus nodes to validate again, or None for all of them;
            shapes not concerned are absent.
        """
        by_predicate, any_predicate = self._reach_index()
        everything: set[Node] = set()
        starts: dict[tuple[Node, tuple[_Step, ...]], list[_Term]] = {}
        for t in added:
            terms = (t.subject, t.predicate, t.object)
            p = f"<{t.predicate.value}>"
            s = f"<{t.subject.value}>" if isinstance(t.subject, ox.NamedNode) else None
            o = f"<{t.object.value}>" if isinstance(t.object, ox.NamedNode) else None
            for node, reach in itertools.chain(by_predicate.get(p, ()), any_predicate):
                if node in everything or not reach.matches(p, s, o):
                    continue
                term = terms[reach.near]
                if reach.route is None or isinstance(term, ox.Triple):  # a quoted triple
                    everything.add(node)
                else:
                    starts.setdefault((node, reach.route), []).append(term)
        unique = list(dict.fromkeys(term for ts in starts.values() for term in ts))
        keys = dict(zip(unique, self.data.keys_of(unique), strict=True))
        found: dict[Node, set[str]] = {}
        for (node, route), ts in starts.items():
            if node in everything:
                continue
            nodes = {keys[term] for term in ts}
            for step in reversed(route):
                if not nodes:
                    break
                nodes = self._walk_back(step, nodes)
            found.setdefault(node, set()).update(nodes)
        out: dict[Node, set[str] | None] = dict.fromkeys(everything)
        for node, nodes in found.items():
            shape = self.shapes[node]
            if next(self._target_queries(shape), None) is None:
                nodes = self.focus_among(shape, nodes)
            if nodes:
                out[node] = nodes
        return out

    def _reach_index(self) -> _ReachIndex:
        """Every targeted shape's reaches, by predicate, and those of any predicate."""
        if self._index is None:
            by_predicate: dict[str, list[tuple[Node, Reach]]] = {}
            wildcards: list[tuple[Node, Reach]] = []
            for shape in self.shapes.values():
                if shape.deactivated or not self._has_targets(shape):
                    continue
                for reach in self.reaches(shape):
                    if reach.excluded:
                        wildcards.append((shape.node, reach))
                    for p in () if reach.excluded else reach.predicates:
                        by_predicate.setdefault(p, []).append((shape.node, reach))
            self._index = by_predicate, wildcards
        return self._index

    def _walk_back(self, step: _Step, nodes: set[str]) -> set[str]:
        """The nodes one hop nearer the focus node than some nodes (each looked up once)."""
        known = self._back.setdefault(step, {})
        missing = [n for n in nodes if n not in known]
        for n in missing:
            known[n] = []
        for n, u in self.data.lookup(step.sparql(), "n", "u", missing):
            known[n].append(u)
        return {u for n in nodes for u in known[n]}

    # ------------------------------------------------------------------- report

    def report(self, results: list[Result]) -> Graph:
        """A report graph shaped like pySHACL's (``sh:ValidationReport``)."""
        vg = Graph(bind_namespaces="core")
        for prefix, namespace in self.g.namespace_manager.namespaces():
            vg.bind(prefix, namespace)
        root = BNode()
        vg.add((root, RDF.type, _sh("ValidationReport")))
        vg.add((root, _sh("conforms"), Literal(not results)))
        cloned: set[tuple[str, Node]] = set()
        for r in results:
            vg.add((root, _sh("result"), self._write(vg, r, cloned)))
        return vg

    def _shapes_node(self, vg: Graph, node: Node, cloned: set[tuple[str, Node]]) -> Node:
        if isinstance(node, BNode) and ("shapes", node) not in cloned:
            cloned.add(("shapes", node))
            clone_blank_node(self.g, node, vg, keepid=True)
        return node

    def _data_node(self, vg: Graph, key: str, cloned: set[tuple[str, Node]]) -> Node:
        node = self.data.node(key)
        if isinstance(node, BNode) and ("data", node) not in cloned:
            cloned.add(("data", node))
            source = self.data.source
            graph = source if source is not None else self.data.bnode_graph(key)
            clone_blank_node(graph, node, vg, keepid=True)
        return node

    def _write(self, vg: Graph, r: Result, cloned: set[tuple[str, Node]]) -> BNode:
        node = BNode()
        vg.add((node, RDF.type, _sh("ValidationResult")))
        vg.add((node, _sh("sourceConstraintComponent"), r.component))
        vg.add((node, _sh("sourceShape"), self._shapes_node(vg, r.shape.node, cloned)))
        vg.add((node, _sh("resultSeverity"), r.shape.severity))
        vg.add((node, _sh("focusNode"), self._data_node(vg, r.focus, cloned)))
        if r.value is not None:
            vg.add((node, _sh("value"), self._data_node(vg, r.value, cloned)))
        if r.path is not None:
            vg.add((node, _sh("resultPath"), self._shapes_node(vg, r.path, cloned)))
        if r.constraint is not None:
            vg.add((node, _sh("sourceConstraint"), self._shapes_node(vg, r.constraint, cloned)))
        for m in r.texts():
            vg.add((node, _sh("resultMessage"), m))
        for d in r.details:
            vg.add((node, _sh("detail"), self._write(vg, d, cloned)))
        return node


# --------------------------------------------------------------------------- constraints

_Values = dict[str, Sequence[str]]


def _const(text: str) -> Callable[[], str]:
    return lambda: text


def _fixed(text: str) -> Callable[[str, str], str]:
    return lambda _f, _x: text


def _bind(generic: Callable[[str, str], str], f: str, x: str) -> Callable[[], str]:
    return lambda: generic(f, x)


def _instance_test(v: Validator, cls: str) -> Callable[[str], bool]:
    return lambda x: v.data.is_instance(x, cls)


def _pattern_test(v: Validator, regex: re.Pattern[str]) -> Callable[[str], bool]:
    return lambda x: x[0] != "_" and regex.search(_string(v, x)) is not None


def _each_value(
    v: Validator,
    shape: Shape,
    values: _Values,
    out: list[Result],
    component: str,
    ok: Callable[[str], bool],
    generic: Callable[[str, str], str],
) -> None:
    cache: dict[str, bool] = {}
    for f, vs in values.items():
        for value in vs:
            passed = cache.get(value)
            if passed is None:
                passed = cache[value] = ok(value)
            if not passed:
                out.append(v.result(shape, component, f, value, _bind(generic, f, value)))


def _check_class(v: Validator, shape: Shape, values: _Values, out: list[Result]) -> None:
    classes = shape.params[_sh("class")]
    if len(classes) == 1:
        text = f"Value does not have class {v.shape_text(classes[0])}"
    else:
        text = "Value class is not in classes ({})".format(
            ", ".join(v.shape_text(c) for c in classes)
        )
    if v.data.local:
        v.data.forward_of(_RDF_TYPE, _all_values(values))  # the types of all values at once
    for cls in classes:
        key = v.data.key(cls)
        _each_value(
            v,
            shape,
            values,
            out,
            "ClassConstraintComponent",
            _instance_test(v, key),
            lambda f, x: text,
        )


_DATATYPE_CHECK: Callable[[Any, Literal, Node], bool] = (
    DatatypeConstraintComponent._assert_actual_datatype
)


def _datatype_matches(v: Validator, rule: Node, key: str) -> bool:
    if key[0] in "<_":
        return False
    literal = v.data.node(key)
    assert isinstance(literal, Literal)
    datatype, lang = literal.datatype, literal.language
    if datatype == rule:
        if getattr(literal, "ill_typed", None) is True:
            return False
        return bool(_DATATYPE_CHECK(None, literal, rule))
    if rule == RDFS.Literal:
        return True
    if rule == RDFS.Datatype and datatype:
        return True
    if datatype is None and lang is None and rule == XSD.string:
        return bool(_DATATYPE_CHECK(None, literal, rule))
    if rule == RDF.langString and lang:
        return bool(_DATATYPE_CHECK(None, literal, rule))
    return False


def _check_datatype(v: Validator, shape: Shape, values: _Values, out: list[Result]) -> None:
    rules = shape.params[_sh("datatype")]
    if len(rules) > 1:
        raise ShaclError(f"shape {shape.node}: more than one sh:datatype")
    rule = rules[0]
    text = f"Value is not Literal with datatype {v.shape_text(rule)}"
    _each_value(
        v,
        shape,
        values,
        out,
        "DatatypeConstraintComponent",
        lambda x: _datatype_matches(v, rule, x),
        lambda f, x: text,
    )


def _kind(key: str) -> str:
    return "iri" if key[0] == "<" else "bnode" if key[0] == "_" else "literal"


def _check_node_kind(v: Validator, shape: Shape, values: _Values, out: list[Result]) -> None:
    rule = shape.params[_sh("nodeKind")][0]
    text = f"Value is not of Node Kind {v.shape_text(rule)}"
    _each_value(
        v,
        shape,
        values,
        out,
        "NodeKindConstraintComponent",
        lambda x: rule in _NODE_KINDS[_kind(x)],
        lambda f, x: text,
    )


def _path_text(v: Validator, shape: Shape) -> str:
    return v.shape_text(shape.path) if shape.path is not None else ""


def _count(v: Validator, shape: Shape, values: _Values, out: list[Result], which: str) -> None:
    param = shape.params[_sh(which)]
    if len(param) != 1 or not isinstance(param[0], Literal) or param[0].datatype != XSD.integer:
        raise ShaclError(f"shape {shape.node}: sh:{which} must be one xsd:integer")
    if shape.path is None:
        raise ShaclError(f"shape {shape.node}: sh:{which} on a node shape")
    limit = int(param[0].value)
    words = "Less than" if which == "minCount" else "More than"
    component = (
        "MinCountConstraintComponent" if which == "minCount" else "MaxCountConstraintComponent"
    )
    if which == "minCount" and limit == 0:
        return
    for f, vs in values.items():
        n = len(vs)
        if (n < limit) if which == "minCount" else (n > limit):
            out.append(
                v.result(
                    shape,
                    component,
                    f,
                    None,
                    _bind(_count_text(v, shape, words, limit), f, ""),
                )
            )


def _count_text(v: Validator, shape: Shape, words: str, limit: int) -> Callable[[str, str], str]:
    return lambda f, _x: f"{words} {limit} values on {v.data.stringify(f)}->{_path_text(v, shape)}"


def _logical_text(v: Validator, words: str, list_text: str) -> Callable[[str, str], str]:
    return lambda _f, x: f"Node {v.data.stringify(x)} {words} {list_text}"


def _check_min_count(v: Validator, shape: Shape, values: _Values, out: list[Result]) -> None:
    _count(v, shape, values, out, "minCount")


def _check_max_count(v: Validator, shape: Shape, values: _Values, out: list[Result]) -> None:
    _count(v, shape, values, out, "maxCount")


def _range(v: Validator, shape: Shape, values: _Values, out: list[Result], which: str) -> None:
    tests: dict[str, tuple[str, Callable[[int], bool]]] = {
        "minExclusive": (">", lambda c: c > 0),
        "minInclusive": (">=", lambda c: c >= 0),
        "maxExclusive": ("<", lambda c: c < 0),
        "maxInclusive": ("<=", lambda c: c <= 0),
    }
    symbol, wanted = tests[which]
    limits = shape.params[_sh(which)]
    if len(limits) == 1:
        text = f"Value is not {symbol} {v.shape_text(limits[0])}"
    else:
        text = "Value is not {} in ({})".format(symbol, ", ".join(v.shape_text(x) for x in limits))
    component = which[0].upper() + which[1:] + "ConstraintComponent"
    for limit in limits:
        if not isinstance(limit, Literal):
            raise ShaclError(f"shape {shape.node}: sh:{which} must be a literal")
        limit_is_string = isinstance(limit.value, str)

        def ok(key: str, limit: Literal = limit, limit_is_string: bool = limit_is_string) -> bool:
            if key[0] in "<_":
                return False
            literal = v.data.node(key)
            assert isinstance(literal, Literal)
            if isinstance(literal.value, str) != limit_is_string:
                return False
            try:
                return bool(wanted(compare_literal(literal, limit)))
            except (TypeError, NotImplementedError):
                return False

        _each_value(v, shape, values, out, component, ok, lambda f, x: text)


def _check_min_exclusive(v: Validator, shape: Shape, values: _Values, out: list[Result]) -> None:
    _range(v, shape, values, out, "minExclusive")


def _check_min_inclusive(v: Validator, shape: Shape, values: _Values, out: list[Result]) -> None:
    _range(v, shape, values, out, "minInclusive")


def _check_max_exclusive(v: Validator, shape: Shape, values: _Values, out: list[Result]) -> None:
    _range(v, shape, values, out, "maxExclusive")


def _check_max_inclusive(v: Validator, shape: Shape, values: _Values, out: list[Result]) -> None:
    _range(v, shape, values, out, "maxInclusive")


def _string(v: Validator, key: str) -> str:
    """PySHACL's string of a value node for the string-based constraints."""
    kind, text, _lang, datatype = parse_key(key)
    if kind != "literal" or datatype in (_XSD_STRING, _LANGSTRING):
        return text
    literal = v.data.node(key)
    if (
        isinstance(literal, Literal)
        and literal.value is not None
        and literal.datatype
        in (
            None,
            RDF.langString,
            XSD.string,
        )
    ):
        return str(literal.value)
    return str(literal)


def _length(v: Validator, shape: Shape, values: _Values, out: list[Result], which: str) -> None:
    for rule in shape.params[_sh(which)]:
        if not isinstance(rule, Literal) or not isinstance(rule.value, int):
            raise ShaclError(f"shape {shape.node}: sh:{which} must be an integer")
        n = int(rule.value)
        if which == "minLength":
            text = f"String length not >= {v.data.stringify(v.data.key(rule))}"

            def ok(key: str, n: int = n) -> bool:
                return n == 0 or (key[0] != "_" and len(_string(v, key)) >= n)

        else:
            text = f"String length not <= {v.data.stringify(v.data.key(rule))}"

            def ok(key: str, n: int = n) -> bool:
                return key[0] != "_" and len(_string(v, key)) <= n

        component = (
            "MinLengthConstraintComponent"
            if which == "minLength"
            else "MaxLengthConstraintComponent"
        )
        _each_value(v, shape, values, out, component, ok, _fixed(text))


def _check_min_length(v: Validator, shape: Shape, values: _Values, out: list[Result]) -> None:
    _length(v, shape, values, out, "minLength")


def _check_max_length(v: Validator, shape: Shape, values: _Values, out: list[Result]) -> None:
    _length(v, shape, values, out, "maxLength")


def _check_pattern(v: Validator, shape: Shape, values: _Values, out: list[Result]) -> None:
    patterns = [p for p in shape.params[_sh("pattern")] if isinstance(p, Literal)]
    flags_node = shape.one("flags")
    flags = 0
    if flags_node is not None:
        text_flags = str(flags_node).lower()
        flags |= re.I if "i" in text_flags else 0
        flags |= re.M if "m" in text_flags else 0
    if len(patterns) < 2:
        text = f"Value does not match pattern '{patterns[0].value}'"
    else:
        text = "Value does not match every pattern in ('{}')".format(
            "', '".join(str(p.value) for p in patterns)
        )
    for pattern in patterns:
        source = (
            str(pattern.value)
            if pattern.value is not None and len(pattern.value) > 1
            else str(pattern)
        )
        regex = re.compile(source, flags)
        _each_value(
            v,
            shape,
            values,
            out,
            "PatternConstraintComponent",
            _pattern_test(v, regex),
            lambda f, x: text,
        )


def _check_language_in(v: Validator, shape: Shape, values: _Values, out: list[Result]) -> None:
    lst = shape.params[_sh("languageIn")][0]
    wanted = {str(x).lower() for x in Collection(v.g, lst)}
    text = f"String language is not in {v.shape_text(lst)}"

    def ok(key: str) -> bool:
        _k, _t, lang, _d = parse_key(key)
        if not lang:
            return False
        lang = lang.lower()
        return "*" in wanted or lang in wanted or lang.split("-")[0] in wanted

    _each_value(v, shape, values, out, "LanguageInConstraintComponent", ok, lambda f, x: text)


def _check_unique_lang(v: Validator, shape: Shape, values: _Values, out: list[Result]) -> None:
    flag = shape.params[_sh("uniqueLang")][0]
    if not (isinstance(flag, Literal) and flag.value is True):
        return
    for f, vs in values.items():
        seen: set[str] = set()
        duplicates: set[str] = set()
        for key in vs:
            _k, _t, lang, _d = parse_key(key)
            if lang:
                low = lang.lower()
                (duplicates if low in seen else seen).add(low)
        for _ in duplicates:
            out.append(
                v.result(
                    shape,
                    "UniqueLangConstraintComponent",
                    f,
                    None,
                    lambda: "More than one String shares the same Language",
                )
            )


def _pair(v: Validator, shape: Shape, values: _Values, out: list[Result], which: str) -> None:
    strict = which == "lessThan"
    component = "LessThanConstraintComponent" if strict else "LessThanOrEqualsConstraintComponent"
    for other in shape.params[_sh(which)]:
        if not isinstance(other, URIRef):
            raise ShaclError(f"shape {shape.node}: sh:{which} must be an IRI")
        compare = v.data.forward_of(f"<{other}>", values)
        for f, vs in values.items():
            for value in vs:
                for c in compare.get(f, _EMPTY):
                    if value[0] == "_" or c[0] == "_":
                        raise ShaclError(f"shape {shape.node}: sh:{which} on a blank node")
                    a, b = v.data.node(value), v.data.node(c)
                    a_s = isinstance(a, URIRef) or (
                        isinstance(a, Literal) and isinstance(a.value, str)
                    )
                    b_s = isinstance(b, URIRef) or (
                        isinstance(b, Literal) and isinstance(b.value, str)
                    )
                    x: Any = (
                        str(a) if isinstance(a, URIRef) else getattr(a, "value", a) if a_s else a
                    )
                    y: Any = (
                        str(b) if isinstance(b, URIRef) else getattr(b, "value", b) if b_s else b
                    )
                    if a_s == b_s:
                        try:
                            if (x < y) if strict else (x <= y):
                                continue
                        except TypeError:
                            pass
                    out.append(
                        v.result(shape, component, f, value, _pair_text(v, f, other, value, strict))
                    )


def _pair_text(v: Validator, f: str, other: Node, value: str, strict: bool) -> Callable[[], str]:
    symbol = "<=" if strict else "<"  # pySHACL's wording

    def text() -> str:
        shown = v.data.stringify(f), v.shape_text(other), v.data.stringify(value)
        return f"Value of {shown[0]}->{shown[1]} {symbol} {shown[2]}"

    return text


def _check_less_than(v: Validator, shape: Shape, values: _Values, out: list[Result]) -> None:
    _pair(v, shape, values, out, "lessThan")


def _check_less_than_or_equals(
    v: Validator, shape: Shape, values: _Values, out: list[Result]
) -> None:
    _pair(v, shape, values, out, "lessThanOrEquals")


def _all_values(values: _Values) -> set[str]:
    return {x for vs in values.values() for x in vs}


def _logical(v: Validator, shape: Shape, values: _Values, out: list[Result], which: str) -> None:
    component = which[0].upper() + which[1:] + "ConstraintComponent"
    nodes = _all_values(values)
    lists = shape.params[_sh(which)]
    texts = [" , ".join(v.shape_text(m) for m in Collection(v.g, lst)) for lst in lists]
    list_text = texts[0] if len(texts) < 2 else " and ".join(f"({t})" for t in texts)
    for lst in lists:
        members = list(Collection(v.g, lst))
        if which in ("and", "or"):
            members = list(dict.fromkeys(members))
        if not members:
            raise ShaclError(f"shape {shape.node}: sh:{which} needs a non-empty list")
        verdicts = [v.conforming(m, nodes) for m in members]
        words = {
            "and": "must conform to all shapes in",
            "or": "must conform to one or more shapes in",
            "xone": "must conform to exactly one shape in",
        }[which]
        for f, vs in values.items():
            for value in vs:
                passed = sum(1 for verdict in verdicts if verdict[value])
                ok = (
                    passed == len(verdicts)
                    if which == "and"
                    else passed > 0
                    if which == "or"
                    else passed == 1
                )
                if not ok:
                    out.append(
                        v.result(
                            shape,
                            component,
                            f,
                            value,
                            _bind(_logical_text(v, words, list_text), f, value),
                        )
                    )


def _check_and(v: Validator, shape: Shape, values: _Values, out: list[Result]) -> None:
    _logical(v, shape, values, out, "and")


def _check_or(v: Validator, shape: Shape, values: _Values, out: list[Result]) -> None:
    _logical(v, shape, values, out, "or")


def _check_xone(v: Validator, shape: Shape, values: _Values, out: list[Result]) -> None:
    _logical(v, shape, values, out, "xone")


def _check_not(v: Validator, shape: Shape, values: _Values, out: list[Result]) -> None:
    nots = shape.params[_sh("not")]
    nodes = _all_values(values)
    for negated in nots:
        verdict = v.conforming(negated, nodes)
        for f, vs in values.items():
            for value in vs:
                if verdict[value]:

                    def text(value: str = value) -> str:
                        shown = v.data.stringify(value)
                        if len(nots) == 1:
                            return f"Node {shown} must not conform to shape {v.shape_text(nots[0])}"
                        listed = " , ".join(v.shape_text(n) for n in nots)
                        return f"Node {shown} must not conform to any shapes in {listed}"

                    out.append(v.result(shape, "NotConstraintComponent", f, value, text))


def _check_node(v: Validator, shape: Shape, values: _Values, out: list[Result]) -> None:
    node_shapes = shape.params[_sh("node")]
    nodes = _all_values(values)
    if not nodes:
        return
    if len(node_shapes) < 2:
        text = f"Value does not conform to Shape {v.shape_text(node_shapes[0])}."
    else:
        rules = "', '".join(v.shape_text(c) for c in node_shapes)
        text = f"Value must conform to every Shape in ('{rules}')."
    text += " See details for more information."
    for node_shape in node_shapes:
        target = v.shapes[node_shape]
        if target.is_property:
            raise ShaclError(f"shape {shape.node}: sh:node points to a property shape")
        nested = v.evaluate(target, nodes)
        for f, vs in values.items():
            for value in vs:
                if nested[value]:
                    out.append(
                        v.result(
                            shape, "NodeConstraintComponent", f, value, lambda: text, nested[value]
                        )
                    )


def _check_property(v: Validator, shape: Shape, values: _Values, out: list[Result]) -> None:
    nodes = _all_values(values)
    if not nodes:
        return
    for prop in shape.params[_sh("property")]:
        target = v.shapes.get(prop)
        if target is None or not target.is_property:
            raise ShaclError(f"shape {shape.node}: sh:property {prop} is not a property shape")
        nested = v.evaluate(target, nodes)
        for vs in values.values():
            for value in vs:
                out.extend(nested[value])


def _check_qualified(v: Validator, shape: Shape, values: _Values, out: list[Result]) -> None:
    if shape.path is None:
        return  # pySHACL ignores it on a node shape
    g = v.g
    mins = shape.params.get(_sh("qualifiedMinCount"), [])
    maxs = shape.params.get(_sh("qualifiedMaxCount"), [])
    low = int(mins[0].value) if mins and isinstance(mins[0], Literal) else None
    high = int(maxs[0].value) if maxs and isinstance(maxs[0], Literal) else None
    if low is None and high is None:
        raise ShaclError(f"shape {shape.node}: sh:qualifiedValueShape without a count")
    disjoint = any(
        isinstance(d, Literal) and d.value is True
        for d in shape.params.get(_sh("qualifiedValueShapesDisjoint"), [])
    )
    value_shapes = set(v.g.objects(shape.node, _sh("qualifiedValueShape")))
    if not disjoint and not _all_values(values) and (low is None or low < 1):
        return
    for value_shape in value_shapes:
        siblings: set[Node] = set()
        if disjoint:
            for parent in g.subjects(_sh("property"), shape.node):
                for sibling_prop in g.objects(parent, _sh("property")):
                    for sibling in g.objects(sibling_prop, _sh("qualifiedValueShape")):
                        if sibling != value_shape and sibling in v.shapes:
                            siblings.add(sibling)
        # Without a maximum, counting can stop at the minimum.
        counts = _qualified_counts(v, value_shape, siblings, values, low if high is None else None)
        shapes_text = ",".join(v.shape_text(s) for s in value_shapes)
        counts_text = (f" MinCount {low}" if low is not None else "") + (
            f" MaxCount {high}" if high is not None else ""
        )
        if len(value_shapes) > 1:
            text = f"Focus node does not conform to shapes{counts_text}: ({shapes_text})"
        else:
            text = f"Focus node does not conform to shape{counts_text}: {shapes_text}"
        for f, n in counts.items():
            if high is not None and n > high:
                out.append(
                    v.result(shape, "QualifiedMaxCountConstraintComponent", f, None, _const(text))
                )
            if low is not None and n < low:
                out.append(
                    v.result(shape, "QualifiedMinCountConstraintComponent", f, None, _const(text))
                )


def _qualified_counts(
    v: Validator, value_shape: Node, siblings: set[Node], values: _Values, enough: int | None
) -> dict[str, int]:
    """How many of each focus node's values conform to a shape and to none of its siblings.

    With ``enough``, a focus node's count stops once it is reached: its values are
    checked a chunk at a time (16, then 64, ...), so a node with thousands of values,
    one of which is enough, costs one chunk (the evidence of an often cited entity).
    """
    counts = dict.fromkeys(values, 0)
    pending = dict.fromkeys(values, 0)  # focus node -> where its next chunk starts
    size = 16
    while pending:
        chunk = {
            f: values[f][i : i + size] if enough is not None else values[f]
            for f, i in pending.items()
        }
        nodes = _all_values(chunk)
        verdict = v.conforming(value_shape, nodes)
        sibling_verdicts = [v.conforming(s, nodes) for s in siblings]
        after: dict[str, int] = {}
        for f, vs in chunk.items():
            counts[f] += sum(
                1 for x in vs if verdict[x] and not any(s[x] for s in sibling_verdicts)
            )
            start = pending[f] + len(vs)
            if enough is not None and counts[f] < enough and start < len(values[f]):
                after[f] = start
        pending = after
        size *= 4
    return counts


def _check_has_value(v: Validator, shape: Shape, values: _Values, out: list[Result]) -> None:
    wanted = set(v.g.objects(shape.node, _sh("hasValue")))  # in pySHACL's order
    the_set = [v.shape_text(s) for s in wanted]
    for hv in wanted:
        key = v.data.key(hv)
        for f, vs in values.items():
            if key not in vs:

                def text(f: str = f) -> str:
                    if shape.path is not None:
                        where = f"{v.data.stringify(f)}->{_path_text(v, shape)}"
                        return f"Node {where} does not contain a value in the set: {the_set}"
                    shown = v.data.stringify(f)
                    return f"Node {shown} value is not a in the set of values: {the_set}"

                out.append(v.result(shape, "HasValueConstraintComponent", f, None, text))


def _check_in(v: Validator, shape: Shape, values: _Values, out: list[Result]) -> None:
    lists = shape.params[_sh("in")]
    if len(lists) != 1:
        raise ShaclError(f"shape {shape.node}: exactly one sh:in")
    members: set[Node] = set()  # pySHACL lists them in the order of its set
    for m in Collection(v.g, lists[0]):
        members.add(m)
    keys = {v.data.key(m) for m in members}
    shown = [v.shape_text(m) for m in members]
    _each_value(
        v,
        shape,
        values,
        out,
        "InConstraintComponent",
        lambda x: x in keys,
        lambda f, x: f"Value {v.data.stringify(x)} not in list {shown}",
    )


_CHECKS: list[tuple[str, Callable[[Validator, Shape, _Values, list[Result]], None]]] = [
    ("class", _check_class),
    ("datatype", _check_datatype),
    ("nodeKind", _check_node_kind),
    ("minCount", _check_min_count),
    ("maxCount", _check_max_count),
    ("minExclusive", _check_min_exclusive),
    ("minInclusive", _check_min_inclusive),
    ("maxExclusive", _check_max_exclusive),
    ("maxInclusive", _check_max_inclusive),
    ("minLength", _check_min_length),
    ("maxLength", _check_max_length),
    ("pattern", _check_pattern),
    ("languageIn", _check_language_in),
    ("uniqueLang", _check_unique_lang),
    ("lessThan", _check_less_than),
    ("lessThanOrEquals", _check_less_than_or_equals),
    ("and", _check_and),
    ("or", _check_or),
    ("xone", _check_xone),
    ("not", _check_not),
    ("node", _check_node),
    ("property", _check_property),
    ("qualifiedValueShape", _check_qualified),
    ("hasValue", _check_has_value),
    ("in", _check_in),
]


def validate(
    data: ox.Store | Graph,
    shapes: Graph,
    graphs: Sequence[ox.NamedNode] | None = None,
    namespaces: Graph | None = None,
) -> tuple[bool, Graph]:
    """Validate data against shapes with this engine.

    Args:
        data: A store (the union of its graphs, or of ``graphs``) or an rdflib graph.
        shapes: The shapes graph; it must have no :func:`unsupported_constructs`.
        graphs: With a store: the graphs to validate (their union); all when None.
        namespaces: Prefixes for data terms in default messages (pySHACL takes the data
            graph's); with an rdflib graph, its own.

    Returns:
        Whether the data conforms, and the report graph (``sh:ValidationReport``).

    Raises:
        ShaclError: The shapes cannot be used (malformed SPARQL, a malformed shape), or
            use a construct this engine does not implement.
    """
    _check_supported(shapes)
    validator = _prepare(data, shapes, graphs, namespaces)
    results = validator.validate()
    return not results, validator.report(results)


# --------------------------------------------------------------------------- incremental

STATE_FORMAT = "diplokg-shacl-results"
STATE_VERSION = 1

_ByFocus = dict[Node, dict[str, tuple[Result, ...]]]


class NotIncrementalShacl(Exception):
    """A validation cannot be brought up to date incrementally: validate in full.

    The shapes need pySHACL, or the previous state is of another version, another
    shapes graph or other graphs.
    """


def _prepare(
    data: ox.Store | Graph,
    shapes: Graph,
    graphs: Sequence[ox.NamedNode] | None,
    namespaces: Graph | None,
    local: bool = False,
) -> Validator:
    """A validator of data against shapes the engine implements (see :func:`validate`)."""
    source: Graph | None = None
    if isinstance(data, Graph):
        source = data
        ns = Graph(bind_namespaces="core")
        for prefix, namespace in data.namespace_manager.namespaces():
            ns.namespace_manager.bind(prefix, namespace, override=True, replace=True)
        namespaces = ns
        store = store_from_graph(data)
    else:
        store = data
    working = Graph(bind_namespaces="none")  # a copy: inverse paths may add scratch nodes
    for prefix, namespace in shapes.namespace_manager.namespaces():
        working.bind(prefix, namespace, override=True, replace=True)
    for triple in shapes:
        working.add(triple)
    return Validator(store, working, graphs, source, namespaces, local)


def graph_digest(graph: Graph, labels: Mapping[BNode, str] | None = None) -> str:
    """A digest of a graph that does not depend on the identifiers of its blank nodes.

    Args:
        graph: The graph.
        labels: Its blank nodes' labels (:func:`diplokg.skolem.blank_node_labels`),
            if already computed.

    Returns:
        The SHA-256 (hex) of its sorted triples, blank nodes written by their labels.
    """
    named = blank_node_labels(graph) if labels is None else labels
    lines = sorted(
        " ".join(f"_:{named[t]}" if isinstance(t, BNode) else t.n3() for t in triple)
        for triple in graph
    )
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _check_supported(shapes: Graph) -> None:
    unsupported = unsupported_constructs(shapes)
    if unsupported:
        raise ShaclError("the SHACL engine does not implement " + ", ".join(unsupported))


def _flatten(by_shape: _ByFocus) -> list[Result]:
    return [r for by_focus in by_shape.values() for rs in by_focus.values() for r in rs]


class _Codec:
    """Results to and from the state's JSON.

    A node of the shapes graph is written by its IRI, or a blank node by its label
    (:func:`diplokg.skolem.blank_node_labels`, the same for the same shapes parsed
    again); a data term by its key. Messages are written out (default ones too).
    """

    def __init__(self, validator: Validator, shapes: Graph, graphs: list[str] | None) -> None:
        self.validator = validator
        self.labels = blank_node_labels(shapes)
        self.nodes = {label: node for node, label in self.labels.items()}
        self.header = {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "shapes": graph_digest(shapes, self.labels),
            "graphs": graphs,
        }

    def ref(self, node: Node) -> str:
        label = self.labels.get(node) if isinstance(node, BNode) else None
        return "#" + label if label is not None else self.validator.data.key(node)

    def node(self, ref: str) -> Node:
        return self.nodes[ref[1:]] if ref[0] == "#" else self.validator.data.node(ref)

    def write(self, by_shape: _ByFocus) -> bytes:
        entries = [
            [self.ref(shape), focus, sorted((self._result(r) for r in rs), key=json.dumps)]
            for shape, by_focus in by_shape.items()
            for focus, rs in by_focus.items()
            if rs
        ]
        entries.sort(key=lambda e: (e[0], e[1]))
        text = json.dumps({**self.header, "results": entries}, separators=(",", ":"))
        return zlib.compress(text.encode("utf-8"))

    def _result(self, r: Result) -> list[Any]:
        return [
            self.ref(r.shape.node),
            r.component[len(SH_NS) :],
            r.focus,
            r.value,
            None if r.path is None else self.ref(r.path),
            [[str(m), m.language, m.datatype and str(m.datatype)] for m in r.texts()],
            None if r.constraint is None else self.ref(r.constraint),
            [self._result(d) for d in r.details],
        ]

    def read(self, state: bytes) -> _ByFocus:
        try:
            found = json.loads(zlib.decompress(state).decode("utf-8"))
        except (zlib.error, UnicodeDecodeError, json.JSONDecodeError):
            raise NotIncrementalShacl("the previous SHACL state cannot be read") from None
        for name, wanted in self.header.items():
            if not isinstance(found, dict) or found.get(name) != wanted:
                raise NotIncrementalShacl(f"the previous SHACL state differs in its {name}")
        out: _ByFocus = {}
        for shape, focus, results in found["results"]:
            by_focus = out.setdefault(self.node(shape), {})
            by_focus[focus] = tuple(self._read_result(r) for r in results)
        return out

    def _read_result(self, r: list[Any]) -> Result:
        shape, component, focus, value, path, messages, constraint, details = r
        return Result(
            focus,
            self.validator.shapes[self.node(shape)],
            _sh(component),
            value,
            None if path is None else self.node(path),
            tuple(
                Literal(text, lang=lang, datatype=None if dt is None else URIRef(dt))
                for text, lang, dt in messages
            ),
            None if constraint is None else self.node(constraint),
            tuple(self._read_result(d) for d in details),
        )


def validate_keeping_state(
    data: ox.Store | Graph,
    shapes: Graph,
    graphs: Sequence[ox.NamedNode] | None = None,
    namespaces: Graph | None = None,
) -> tuple[bool, Graph, bytes]:
    """Validate like :func:`validate`, and give the state :func:`validate_incremental` reads.

    Args:
        data: As for :func:`validate`.
        shapes: As for :func:`validate`.
        graphs: As for :func:`validate`.
        namespaces: As for :func:`validate`.

    Returns:
        Whether the data conforms, the report graph, and the state: zlib-compressed
        JSON with the format, its version, a digest of the shapes graph, the graphs
        validated, and every result by top-level shape and focus node.

    Raises:
        ShaclError: As :func:`validate`.
    """
    _check_supported(shapes)
    validator = _prepare(data, shapes, graphs, namespaces)
    by_shape = validator.results_by_focus()
    results = _flatten(by_shape)
    codec = _Codec(validator, shapes, _graph_names(graphs))
    return not results, validator.report(results), codec.write(by_shape)


def _graph_names(graphs: Sequence[ox.NamedNode] | None) -> list[str] | None:
    return None if graphs is None else sorted(g.value for g in graphs)


def validate_incremental(
    store: ox.Store,
    shapes: Graph,
    previous: bytes,
    added: Sequence[ox.Triple | ox.Quad],
    graphs: Sequence[ox.NamedNode] | None = None,
    namespaces: Graph | None = None,
) -> tuple[bool, Graph, bytes]:
    """Bring a validation up to date after triples were added to the data.

    Gives exactly the results (and an isomorphic report) of validating the data in
    full: the previous results of every (shape, focus node) that the additions
    cannot change (:meth:`Validator.affected`), and those of the others validated
    again, alone (:meth:`Validator.validate` with ``only``). A default message that
    writes out a blank node of the data changes with what the data says about it, so
    a result naming a blank node that an added triple describes is validated again.

    Args:
        store: The data, the additions included.
        shapes: The shapes graph, the same as the previous validation's.
        previous: The previous validation's state (:func:`validate_keeping_state`).
        added: The triples new to the union of the validated graphs.
        graphs: The graphs validated (all when None), as before.
        namespaces: As for :func:`validate`.

    Returns:
        Whether the data conforms, the report graph, and the new state.

    Raises:
        NotIncrementalShacl: The shapes need pySHACL, or the state does not fit.
        ShaclError: The shapes cannot be used.
    """
    unsupported = unsupported_constructs(shapes)
    if unsupported:
        raise NotIncrementalShacl("the shapes need pySHACL: " + ", ".join(unsupported))
    validator = _prepare(store, shapes, graphs, namespaces, local=True)
    codec = _Codec(validator, shapes, _graph_names(graphs))
    before = codec.read(previous)
    only = validator.affected(added)
    for shape, focus in _naming(before, _described(validator.data, added)):
        nodes = only.setdefault(shape, set())
        if nodes is not None:
            nodes.add(focus)
    fresh = validator.results_by_focus(only)
    by_shape: _ByFocus = {}
    for shape in validator.shapes:
        kept = before.get(shape, {})
        if shape in only:
            nodes = only[shape]
            kept = {} if nodes is None else {f: rs for f, rs in kept.items() if f not in nodes}
        merged = {**kept, **{f: rs for f, rs in fresh.get(shape, {}).items() if rs}}
        if merged:
            by_shape[shape] = merged
    results = _flatten(by_shape)
    return not results, validator.report(results), codec.write(by_shape)


def _described(data: _Data, added: Sequence[ox.Triple | ox.Quad]) -> set[str]:
    """The blank nodes whose description (what pySHACL writes of them) added triples change."""
    todo = [t.subject for t in added if isinstance(t.subject, ox.BlankNode)]
    found = {f"_:{b.value}" for b in todo}
    while todo:
        for quad in data.store.quads_for_pattern(None, None, todo.pop()):
            subject = quad.subject
            if isinstance(subject, ox.BlankNode) and f"_:{subject.value}" not in found:
                found.add(f"_:{subject.value}")
                todo.append(subject)
    return found


def _naming(results: _ByFocus, nodes: set[str]) -> Iterator[tuple[Node, str]]:
    """The (shape, focus node) pairs with a result that has one of some nodes as focus or value."""
    for shape, by_focus in results.items() if nodes else ():
        for focus, rs in by_focus.items():
            if any(_names(r, nodes) for r in rs):
                yield shape, focus


def _names(r: Result, nodes: set[str]) -> bool:
    """Whether a result (or one of its details) has one of some nodes as focus or value."""
    return r.focus in nodes or r.value in nodes or any(_names(d, nodes) for d in r.details)
