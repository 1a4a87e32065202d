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

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
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
from rdflib.plugins.sparql import prepareQuery
from rdflib.term import Node

from diplokg.errors import InputError
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
    """The data graph: queries over the union of a store's graphs, relations and terms."""

    def __init__(
        self,
        store: ox.Store,
        graphs: Sequence[ox.NamedNode] | None,
        source: Graph | None,
        namespaces: Graph | None,
    ) -> None:
        self.store = store
        self.graphs = list(graphs) if graphs is not None else None
        self.source = source  # the rdflib graph the store was copied from, if any
        self.namespaces = namespaces if namespaces is not None else Graph(bind_namespaces="core")
        self._pairs: dict[str, list[tuple[str, str]]] = {}
        self._forward: dict[str, dict[str, list[str]]] = {}
        self._backward: dict[str, dict[str, list[str]]] = {}
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
        return any(t in subs for t in self.forward(_RDF_TYPE).get(node, _EMPTY))

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
    try:
        prepared = prepareQuery(query)
    except ParseBaseException as e:
        raise ShaclError(f"{name}: malformed SPARQL in its constraint: {e}") from None
    except Exception as e:  # rdflib raises several kinds for undeclared prefixes
        raise ShaclError(f"{name}: malformed SPARQL in its constraint: {e}") from None
    projected = {str(v) for v in prepared.algebra["PV"] or ()}
    if helper.bind_this_regex.search(text) and "this" not in projected:
        raise ShaclError(f"{name}: the SPARQL constraint must select $this")
    messages = [m for m in g.objects(constraint, _sh("message")) if isinstance(m, Literal)]
    current = bool(helper.bind_cs_regex.search(text))
    return [_Sparql(constraint, query, messages, current)]


# --------------------------------------------------------------------------- validation


_CHUNK = 5000


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
    ) -> None:
        self.g = shapes
        self.data = _Data(store, graphs, source, namespaces)
        self.shapes = _load(shapes)
        self._shape_text: dict[Node, str] = {}

    # ------------------------------------------------------------------- targets

    def focus_nodes(self, shape: Shape) -> set[str]:
        """The focus nodes of a shape's own targets."""
        g, data, node = self.g, self.data, shape.node
        found: set[str] = set()
        for target in g.objects(node, _sh("targetNode")):
            found.add(data.key(target))
        classes = set(g.objects(node, _sh("targetClass")))
        class_types = set(g.subjects(RDFS.subClassOf, RDFS.Class)) | {RDFS.Class}
        if any(t in class_types for t in g.objects(node, RDF.type)):
            classes.add(node)
        for cls in classes:
            found |= data.instances(data.key(cls))
        for p in g.objects(node, _sh("targetSubjectsOf")):
            found.update(data.forward(data.key(p)))
        for p in g.objects(node, _sh("targetObjectsOf")):
            found.update(data.backward(data.key(p)))
        for target in g.objects(node, _sh("target")):
            select = g.value(target, _sh("select"))
            if select is None:
                continue
            query = _prefixes(g, target) + str(select)
            try:
                header, rows = data.table(query)
            except SyntaxError as e:
                raise ShaclError(f"shape {node}: malformed SPARQL in its target: {e}") from None
            if "this" in header:
                i = header.index("this")
                found.update(r[i] for r in rows if r[i])
        return found

    # ------------------------------------------------------------------- values

    def _step(self, path: Node, nodes: Iterable[str]) -> dict[str, set[str]]:
        g, data = self.g, self.data
        if isinstance(path, URIRef):
            fwd = data.forward(f"<{path}>")
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
                bwd = data.backward(f"<{inverse}>")
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
        self, inner: Node, nodes: Iterable[str], include_self: bool, repeat: bool
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

    def value_nodes(self, shape: Shape, focus: Iterable[str]) -> dict[str, Sequence[str]]:
        """Each focus node's value nodes for a shape (itself for a node shape)."""
        if shape.path is None:
            return {f: (f,) for f in focus}
        if isinstance(shape.path, URIRef):
            fwd = self.data.forward(f"<{shape.path}>")
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

    def validate(self) -> list[Result]:
        """Validate every shape on its targets; return the top-level results."""
        results: list[Result] = []
        for shape in self.shapes.values():
            if shape.deactivated:
                continue
            focus = self.focus_nodes(shape)
            if focus:
                for rs in self.evaluate(shape, focus).values():
                    results.extend(rs)
        return results

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
        compare = v.data.forward(f"<{other}>")
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
    nodes = _all_values(values)
    if not disjoint and not nodes and (low is None or low < 1):
        return
    for value_shape in value_shapes:
        siblings: set[Node] = set()
        if disjoint:
            for parent in g.subjects(_sh("property"), shape.node):
                for sibling_prop in g.objects(parent, _sh("property")):
                    for sibling in g.objects(sibling_prop, _sh("qualifiedValueShape")):
                        if sibling != value_shape and sibling in v.shapes:
                            siblings.add(sibling)
        verdict = v.conforming(value_shape, nodes)
        sibling_verdicts = [v.conforming(s, nodes) for s in siblings]
        shapes_text = ",".join(v.shape_text(s) for s in value_shapes)
        counts = (f" MinCount {low}" if low is not None else "") + (
            f" MaxCount {high}" if high is not None else ""
        )
        if len(value_shapes) > 1:
            text = f"Focus node does not conform to shapes{counts}: ({shapes_text})"
        else:
            text = f"Focus node does not conform to shape{counts}: {shapes_text}"
        for f, vs in values.items():
            n = sum(1 for x in vs if verdict[x] and not any(s[x] for s in sibling_verdicts))
            if high is not None and n > high:
                out.append(
                    v.result(shape, "QualifiedMaxCountConstraintComponent", f, None, _const(text))
                )
            if low is not None and n < low:
                out.append(
                    v.result(shape, "QualifiedMinCountConstraintComponent", f, None, _const(text))
                )


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
    unsupported = unsupported_constructs(shapes)
    if unsupported:
        raise ShaclError("the SHACL engine does not implement " + ", ".join(unsupported))
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
    validator = Validator(store, working, graphs, source, namespaces)
    results = validator.validate()
    return not results, validator.report(results)
