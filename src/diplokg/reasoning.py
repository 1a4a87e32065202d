"""Reasoning: the OWL 2 RL closure, keeping only the inferences worth publishing.

Implements the OWL 2 RL/RDF rules (https://www.w3.org/TR/owl2-profiles/#OWL_2_RL).
The reference is owlrl's ``DeductiveClosure(OWLRL_Semantics)`` (no axiomatic
triples), run on a *copy* of ontology + facts + background (never in place). The
published inferences (``graph/inferred``, named by the build) are the closure minus
the input minus the noise below, each rule with what owlrl actually adds on a small
ontology (``NOISE_RULES``):

- ``reflexive-sameas`` (eq-ref): ``id:alice owl:sameAs id:alice`` for every term;
- ``literal-subject`` (literal typing, eq-ref on literals):
  ``"94"^^xsd:integer rdf:type xsd:decimal``, ``"Alice" owl:sameAs "Alice"``;
- ``axiomatic-subject`` (OWL RL's axiomatic and datatype triples, whose subject
  is an ``rdf:``/``rdfs:``/``owl:``/``xsd:`` term): ``xsd:date rdf:type rdfs:Datatype``,
  ``rdfs:label rdf:type owl:AnnotationProperty``, ``owl:Thing owl:equivalentClass
  owl:Thing``, ``owl:Nothing rdfs:subClassOf dkg:Agent``;
- ``type-thing`` (cls-thing, cax-sco with owl:Thing): ``id:alice rdf:type owl:Thing``;
  likewise ``rdf:type rdfs:Resource`` (RDFS entailment, if it is ever enabled);
- ``reflexive-schema`` (scm-cls, scm-op, scm-dp): ``dkg:Agent rdfs:subClassOf dkg:Agent``,
  ``dkg:Agent owl:equivalentClass dkg:Agent``, ``dkg:host rdfs:subPropertyOf dkg:host``,
  ``dkg:host owl:equivalentProperty dkg:host``;
- ``thing-schema`` (scm-cls, scm-dom1/scm-rng1 through it): ``dkg:Agent rdfs:subClassOf
  owl:Thing``, ``dkg:host rdfs:domain owl:Thing``, ``dkg:host rdfs:range owl:Thing``;
- ``owlrl-error``: owlrl's inconsistency messages, ``[] a err:ErrorMessage ; err:error
  "…"`` (``err:`` = ``http://www.daml.org/2002/03/agents/agent-ont#``); they are
  taken out of the closure and reported by :mod:`diplokg.consistency`.

Kept: types from subclass, domain and range (``id:visit rdf:type dkg:Event``),
inverses (``fact dkg:hasEvidence annotation`` from ``oa:hasBody``), transitive and
symmetric properties, sub-property entailments, ``owl:sameAs`` between distinct
terms, and the schema-level entailments (``dkg:Visit rdfs:subClassOf dkg:Fact``).

Three routes compute the closure (``Settings.reasoner``):

- ``owlrl``: owlrl's ``OWLRL_Semantics`` on the whole input, the reference;
- ``reasonable``: the Rust ``reasonable`` package, completed here with the OWL 2 RL
  rules it lacks and this ontology relies on — prp-spo2 (property chains:
  ``dkg:statedIn``, ``dkg:holds``…) and the schema rules scm-spo, scm-eqp1/2,
  scm-dom1/2, scm-rng1/2 — applied with reasonable's own rules until a fixpoint. Its
  plain literals come back typed ``xsd:string``; they are turned back into the same
  (RDF 1.1-equal) plain literals. A graph using a construct of ``UNCOVERED`` is
  reasoned with owlrl instead;
- ``rules``: the T-box (schema triples) is small, so owlrl computes its closure
  alone; the A-box (everything else, about a million triples) is then closed by rules
  compiled from that T-box closure, on terms mapped to integers, semi-naively to a
  fixpoint. No rdflib ``Graph`` holds the data. It is exactly owlrl's closure for the
  inputs it accepts; for any other input it falls back to owlrl (below).

The ``rules`` route, rule by rule (the tables of
https://www.w3.org/TR/owl2-profiles/#Reasoning_in_OWL_2_RL_and_RDF_Graphs_using_Rules).
The T-box is every asserted triple whose predicate is ``rdfs:subClassOf``,
``rdfs:subPropertyOf``, ``rdfs:domain``, ``rdfs:range`` or an ``owl:`` term, every
``rdf:type`` whose class is an ``rdf:``/``rdfs:``/``owl:`` term (but ``owl:Thing``,
``owl:Nothing``, ``owl:NamedIndividual``, ``rdfs:Resource``) or a datatype, and the
``rdf:first``/``rdf:rest`` triples of the lists those triples reach:

- implemented on the A-box: cax-sco, cax-eqc1/2 (through the closed subclass
  hierarchy, which holds scm-eqc1's two subclass links), prp-dom, prp-rng, prp-spo1,
  prp-eqp1/2 (through scm-eqp1's two sub-property links), prp-inv1/2, prp-symp,
  prp-trp, prp-spo2 (chains of any length, joined through subject and object
  indexes), dt-type2 and dt-not-type exactly as owlrl does them once (typing each
  literal with its datatype and owlrl's datatype subsumptions, the disjointness of
  the datatypes in use, an error for a lexical form outside its datatype);
- delegated to the T-box run (owlrl): every scm-* rule, cls-thing, cls-nothing1,
  prp-ap, dt-type1, and every rule above when all its premises are T-box triples;
- checked by :mod:`diplokg.consistency` on the closure: cls-nothing2, cax-dw,
  cax-adc, prp-pdw, prp-adp (and prp-fp/prp-ifp clashes, below);
- fall back to owlrl (``Reasoning.fallback`` says why): a construct of
  ``UNCOVERED`` in the T-box closure (prp-key, prp-irp, prp-asyp, prp-npa1/2,
  eq-diff1-3, every cls-* rule on class expressions: cls-int1/2, cls-uni, cls-com,
  cls-svf1/2, cls-avf, cls-hv1/2, cls-maxc1/2, cls-maxqc1-4, cls-oo); ``owl:sameAs``
  between distinct terms in the T-box closure (eq-sym, eq-trans, eq-rep-s/p/o); a
  property axiom on ``owl:sameAs`` itself (owlrl's eq-ref would feed it every term);
  a functional or inverse-functional property with two distinct values in the
  closure (prp-fp/prp-ifp would derive ``owl:sameAs``); an A-box inference that is a
  T-box triple (a data triple whose predicate is a sub-property, inverse or chain of
  a schema predicate, a type such as ``owl:Class`` from a domain or range): the
  T-box closure would no longer be closed; a literal as the subject of an asserted
  triple; a list reached by the T-box closure but not by the asserted T-box.
  dt-eq and dt-diff are skipped by owlrl too.

Triples with a blank node as predicate (from ``[ owl:inverseOf :p ]`` in a chain)
take part in the reasoning and are then removed, as owlrl does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import TypeVar

import owlrl
import reasonable
from owlrl.AxiomaticTriples import OWLRL_Datatypes_Disjointness
from owlrl.DatatypeHandling import AltXSDToPYTHON
from owlrl.XsdDatatypes import OWL_Datatype_Subsumptions, OWL_RL_Datatypes
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from diplokg.errors import InputError
from diplokg.namespaces import OWL, RDF, RDFS, XSD

#: owlrl writes inconsistencies into the graph as ``[] a err:ErrorMessage ; err:error "…"``.
ERR = Namespace("http://www.daml.org/2002/03/agents/agent-ont#")

AXIOMATIC_NAMESPACES = (str(RDF), str(RDFS), str(OWL), str(XSD))
_REFLEXIVE = {RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass, OWL.equivalentProperty}
_THING_SCHEMA = {RDFS.subClassOf, RDFS.domain, RDFS.range}

Triple = tuple[Node, Node, Node]
_S = TypeVar("_S")


@dataclass(frozen=True)
class NoiseRule:
    """A kind of inferred triple left out of ``graph/inferred``.

    Attributes:
        name: Short identifier.
        example: A triple owlrl adds that the rule removes (Turtle-like).
        matches: The test.
    """

    name: str
    example: str
    matches: Callable[[Triple], bool]


def _axiomatic(term: Node) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(AXIOMATIC_NAMESPACES)


NOISE_RULES: tuple[NoiseRule, ...] = (
    NoiseRule(
        "reflexive-sameas",
        "id:alice owl:sameAs id:alice",
        lambda t: t[1] == OWL.sameAs and t[0] == t[2],
    ),
    NoiseRule(
        "literal-subject",
        '"94"^^xsd:integer rdf:type xsd:decimal',
        lambda t: isinstance(t[0], Literal),
    ),
    NoiseRule(
        "axiomatic-subject",
        "xsd:date rdf:type rdfs:Datatype",
        lambda t: _axiomatic(t[0]),
    ),
    NoiseRule(
        "type-thing",
        "id:alice rdf:type owl:Thing",
        lambda t: t[1] == RDF.type and t[2] in (OWL.Thing, RDFS.Resource),
    ),
    NoiseRule(
        "reflexive-schema",
        "dkg:Agent rdfs:subClassOf dkg:Agent",
        lambda t: t[1] in _REFLEXIVE and t[0] == t[2],
    ),
    NoiseRule(
        "thing-schema",
        "dkg:Agent rdfs:subClassOf owl:Thing",
        lambda t: t[1] in _THING_SCHEMA and t[2] in (OWL.Thing, RDFS.Resource),
    ),
    NoiseRule(
        "owlrl-error",
        '[] a err:ErrorMessage ; err:error "…"',
        lambda t: (t[1] == RDF.type and t[2] == ERR.ErrorMessage) or t[1] == ERR.error,
    ),
)


def noise_rule(triple: Triple) -> str | None:
    """Name the noise rule a triple falls under.

    Args:
        triple: An inferred triple.

    Returns:
        The rule's name, or ``None`` if the triple is worth keeping.
    """
    for rule in NOISE_RULES:
        if rule.matches(triple):
            return rule.name
    return None


#: A subject and an object packed in one int: ``(subject_id << 32) | object_id``.
_LOW = 0xFFFFFFFF


class Terms:
    """Numbers rdflib terms: each distinct term gets an int once, shared by the sets using it.

    Equal terms are found by value; the object first seen for a term is also found by
    identity (``id()``), which spares rdflib's Python-level ``Literal.__hash__`` and
    ``__eq__`` when the input shares its term objects (the loader's converter does).
    """

    def __init__(self) -> None:
        """Start empty."""
        self.terms: list[Node] = []
        self.ids: dict[Node, int] = {}
        self._by_object: dict[int, int] = {}  # id() of the object in ``terms`` -> its id

    def intern(self, term: Node) -> int:
        """Return the id of a term, numbering it if it is new."""
        found = self._by_object.get(id(term))
        if found is None:
            found = self.ids.get(term)
            if found is None:
                found = self.ids[term] = len(self.terms)
                self.terms.append(term)
                self._by_object[id(term)] = found
        return found

    def get(self, term: Node) -> int | None:
        """Return the id of a term, or ``None`` if it was never numbered."""
        found = self._by_object.get(id(term))
        return self.ids.get(term) if found is None else found


class Closure(AbstractSet[Triple]):
    """A set of triples, each term numbered once, grouped by predicate.

    Each predicate's extension is a set of ints ``(subject << 32) | object`` (term
    ids), a fraction of the memory of an rdflib ``Graph`` or of a set of tuples, and
    no rdflib hashing once the terms are numbered. It is a read-only
    ``collections.abc.Set`` of ``(s, p, o)`` tuples (iteration, ``in``, ``len``,
    comparison with any set), with the lookups :mod:`diplokg.consistency` needs:
    by predicate directly, ``rdf:type`` members through an index built once.
    """

    def __init__(self, terms: Terms | None = None) -> None:
        """Start empty.

        Args:
            terms: The numbering to share (sets sharing one compare and copy by id).
        """
        self.numbering = Terms() if terms is None else terms
        self.terms = self.numbering.terms
        self.by_predicate: dict[int, set[int]] = {}
        self._members: dict[int, list[int]] | None = None
        self._lists: tuple[dict[int, int], dict[int, int]] | None = None

    @classmethod
    def of(cls, triples: Iterable[Triple], terms: Terms | None = None) -> Closure:
        """Return the set of some triples."""
        closure = cls(terms)
        closure.add_all(triples)
        return closure

    @classmethod
    def _from_iterable(cls, it: Iterable[_S]) -> AbstractSet[_S]:
        # Set operators (``a - b``, ``a & b``) return a plain set of tuples.
        return set(it)

    def copy(self) -> Closure:
        """Return a copy sharing the term numbering."""
        out = Closure(self.numbering)
        out.by_predicate = {p: set(ext) for p, ext in self.by_predicate.items()}
        return out

    def add_all(self, triples: Iterable[Triple]) -> None:
        """Add triples (duplicates are ignored).

        Args:
            triples: Triples of rdflib terms.
        """
        intern, by_p = self.numbering.intern, self.by_predicate
        by_object = self.numbering._by_object
        for s, p, o in triples:
            si = by_object.get(id(s))
            if si is None:
                si = intern(s)
            pi = by_object.get(id(p))
            if pi is None:
                pi = intern(p)
            oi = by_object.get(id(o))
            if oi is None:
                oi = intern(o)
            ext = by_p.get(pi)
            if ext is None:
                ext = by_p[pi] = set()
            ext.add((si << 32) | oi)
        self._members = self._lists = None

    def add_new(self, triples: Iterable[Triple]) -> dict[int, list[int]]:
        """Add triples and return those that were not there yet, by predicate id."""
        intern, by_p = self.numbering.intern, self.by_predicate
        added: dict[int, list[int]] = {}
        for s, p, o in triples:
            pi = intern(p)
            ext = by_p.get(pi)
            if ext is None:
                ext = by_p[pi] = set()
            key = (intern(s) << 32) | intern(o)
            if key not in ext:
                ext.add(key)
                added.setdefault(pi, []).append(key)
        self._members = self._lists = None
        return added

    def __contains__(self, triple: object) -> bool:
        """Whether a triple ``(s, p, o)`` of rdflib terms is in the set."""
        if not isinstance(triple, tuple) or len(triple) != 3:
            return False
        s, p, o = (self.numbering.get(t) for t in triple)
        if s is None or p is None or o is None:
            return False
        return (s << 32) | o in self.by_predicate.get(p, ())

    def __len__(self) -> int:
        """The number of triples."""
        return sum(len(ext) for ext in self.by_predicate.values())

    def __iter__(self) -> Iterator[Triple]:
        """Every triple, as rdflib terms."""
        terms = self.terms
        for p, ext in self.by_predicate.items():
            pred = terms[p]
            for key in ext:
                yield terms[key >> 32], pred, terms[key & _LOW]

    def _extension(self, predicate: Node) -> set[int]:
        p = self.numbering.get(predicate)
        return set() if p is None else self.by_predicate.get(p, set())

    def subject_objects(self, predicate: Node) -> list[tuple[Node, Node]]:
        """Every ``(s, o)`` such that ``(s, predicate, o)`` is in the set."""
        terms = self.terms
        return [(terms[k >> 32], terms[k & _LOW]) for k in self._extension(predicate)]

    def subjects(self, predicate: Node, obj: Node) -> set[Node]:
        """Every ``s`` such that ``(s, predicate, obj)`` is in the set."""
        if predicate == RDF.type:
            return self.members([obj])[obj]
        o = self.numbering.get(obj)
        terms = self.terms
        return {terms[k >> 32] for k in self._extension(predicate) if k & _LOW == o}

    def objects(self, subject: Node, predicate: Node) -> set[Node]:
        """Every ``o`` such that ``(subject, predicate, o)`` is in the set."""
        s = self.numbering.get(subject)
        terms = self.terms
        return {terms[k & _LOW] for k in self._extension(predicate) if k >> 32 == s}

    def members(self, classes: Iterable[Node]) -> dict[Node, set[Node]]:
        """The ``rdf:type`` members of some classes.

        The first call indexes ``rdf:type`` by class (one scan).

        Args:
            classes: The classes.

        Returns:
            Each class (also those without members) with its members.
        """
        if self._members is None:
            index: dict[int, list[int]] = defaultdict(list)
            for key in self._extension(RDF.type):
                index[key & _LOW].append(key >> 32)
            self._members = index
        terms, get = self.terms, self.numbering.get
        out: dict[Node, set[Node]] = {}
        for c in classes:
            i = get(c)
            out[c] = set() if i is None else {terms[s] for s in self._members.get(i, ())}
        return out

    def multi_valued(self, predicate: Node, inverse: bool = False) -> dict[Node, set[Node]]:
        """The subjects with two values or more for a predicate (objects if ``inverse``).

        Args:
            predicate: The property.
            inverse: Group the subjects by object instead.

        Returns:
            Each subject (object) that has several values, with its values.
        """
        first: dict[int, int] = {}
        several: dict[int, set[int]] = {}
        for k in self._extension(predicate):
            key, value = (k & _LOW, k >> 32) if inverse else (k >> 32, k & _LOW)
            seen = first.setdefault(key, value)
            if seen != value:
                several.setdefault(key, {seen}).add(value)
        terms = self.terms
        return {terms[k]: {terms[v] for v in vs} for k, vs in several.items()}

    def common(self, p1: Node, p2: Node) -> list[tuple[Node, Node]]:
        """Every ``(s, o)`` linked by both ``p1`` and ``p2``."""
        terms = self.terms
        both = self._extension(p1) & self._extension(p2)
        return [(terms[k >> 32], terms[k & _LOW]) for k in both]

    def items(self, head: Node) -> list[Node]:
        """The members of the RDF list starting at ``head`` (as rdflib's ``Graph.items``)."""
        if self._lists is None:
            first = {k >> 32: k & _LOW for k in self._extension(RDF.first)}
            rest = {k >> 32: k & _LOW for k in self._extension(RDF.rest)}
            self._lists = first, rest
        first, rest = self._lists
        out: list[Node] = []
        node = self.numbering.get(head)
        seen: set[int] = set()
        while node is not None and node in first and node not in seen:
            seen.add(node)
            out.append(self.terms[first[node]])
            node = rest.get(node)
        return out


@dataclass
class Reasoning:
    """The outcome of OWL 2 RL reasoning.

    The three sets of triples share one term numbering; each is a read-only
    ``collections.abc.Set`` of ``(s, p, o)`` tuples of rdflib terms (:class:`Closure`).

    Attributes:
        asserted: The union of the input graphs.
        inferred: The inferences worth publishing (the build names them
            ``{base}graph/inferred``): closure minus ``asserted`` minus noise.
        closure: The full closure (input + every inference), without owlrl's error
            triples (what :mod:`diplokg.consistency` reads).
        errors: owlrl's own inconsistency messages, sorted (the ``rules`` route gives
            those of its T-box run and of literals outside their datatype; the
            others are reported by :mod:`diplokg.consistency` from the closure).
        noise: How many inferred triples each noise rule removed.
        reasoner: The route that ran (``owlrl``, ``reasonable`` or ``rules``).
        fallback: Why the chosen route handed the input to owlrl (empty if it did not).
        compiled: The A-box rules the ``rules`` route compiled from the T-box closure
            (term ids of ``closure``), or ``None`` on another route.
    """

    asserted: Closure
    inferred: Closure
    closure: Closure
    errors: list[str] = field(default_factory=list)
    noise: dict[str, int] = field(default_factory=dict)
    reasoner: str = "owlrl"
    fallback: str = ""
    compiled: _Rules | None = None


#: The reasoners a build can use (``Settings.reasoner``).
REASONERS = ("owlrl", "reasonable", "rules")

#: Constructs whose OWL 2 RL rules the ``reasonable`` and ``rules`` routes do not
#: cover (or an inconsistency only owlrl reports); a graph using one is reasoned
#: with owlrl.
UNCOVERED: dict[URIRef, str] = {
    OWL.hasKey: "prp-key",
    OWL.maxCardinality: "cls-maxc1/2",
    OWL.maxQualifiedCardinality: "cls-maxqc1-4",
    OWL.cardinality: "cls-maxc1/2",
    OWL.qualifiedCardinality: "cls-maxqc1-4",
    OWL.oneOf: "cls-oo",
    OWL.complementOf: "cls-com",
    OWL.IrreflexiveProperty: "prp-irp",
    OWL.AsymmetricProperty: "prp-asyp",
    OWL.differentFrom: "eq-diff1",
    OWL.AllDifferent: "eq-diff2/3",
    OWL.NegativePropertyAssertion: "prp-npa1/2",
    OWL.sourceIndividual: "prp-npa1/2",
    OWL.someValuesFrom: "scm-svf1/2, cls-svf1/2",
    OWL.allValuesFrom: "scm-avf1/2, cls-avf",
    OWL.hasValue: "scm-hv, cls-hv1/2",
    OWL.intersectionOf: "scm-int, cls-int1/2",
    OWL.unionOf: "scm-uni, cls-uni",
}


def uncovered_constructs(triples: Iterable[Triple]) -> list[str]:
    """List the constructs of some triples that the fast routes do not cover.

    Args:
        triples: The asserted triples (a ``Graph`` or any iterable of triples).

    Returns:
        ``owl:Term (rule)`` for each construct used, sorted; empty if none.
    """
    found: set[URIRef] = set()
    for _, p, o in triples:
        term = p if p in UNCOVERED else o if p == RDF.type and o in UNCOVERED else None
        if isinstance(term, URIRef):
            found.add(term)
    return sorted(f"owl:{term[len(str(OWL)) :]} ({UNCOVERED[term]})" for term in found)


# --------------------------------------------------------------------------------------------
# The reasonable route
# --------------------------------------------------------------------------------------------


def _plain(term: Node) -> Node:
    # RDF 1.1: "x"^^xsd:string and "x" are the same literal; rdflib tells them apart.
    if isinstance(term, Literal) and term.datatype == XSD.string:
        return Literal(str(term))
    return term


def _chain_values(graph: Graph, chain: list[Node]) -> set[tuple[Node, Node]]:
    """Return every (x, y) linked by a property chain (prp-spo2)."""
    pairs: set[tuple[Node, Node]] = set(graph.subject_objects(chain[0]))
    for prop in chain[1:]:
        step: dict[Node, set[Node]] = {}
        for s, o in graph.subject_objects(prop):
            step.setdefault(s, set()).add(o)
        pairs = {(x, z) for x, y in pairs for z in step.get(y, ())}
        if not pairs:
            break
    return pairs


def _extra_rules(graph: Graph) -> set[Triple]:
    """Apply once the OWL 2 RL rules ``reasonable`` lacks; return what is new.

    prp-spo2 (property chains) and the schema rules scm-spo, scm-eqp1/2,
    scm-dom1/2 and scm-rng1/2 (https://www.w3.org/TR/owl2-profiles/#Reasoning_in_OWL_2_RL_and_RDF_Graphs_using_Rules).
    """
    new: set[Triple] = set()
    for prop, head in graph.subject_objects(OWL.propertyChainAxiom):
        chain = list(Collection(graph, head))
        if chain:
            new.update((x, prop, y) for x, y in _chain_values(graph, chain))
    spo: dict[Node, set[Node]] = {}
    for p1, p2 in graph.subject_objects(RDFS.subPropertyOf):
        spo.setdefault(p1, set()).add(p2)
    for p1, p2 in graph.subject_objects(OWL.equivalentProperty):  # scm-eqp1
        new.update({(p1, RDFS.subPropertyOf, p2), (p2, RDFS.subPropertyOf, p1)})
    for p1, supers in spo.items():
        for p2 in supers:
            new.update((p1, RDFS.subPropertyOf, p3) for p3 in spo.get(p2, ()))  # scm-spo
            if p1 in spo.get(p2, ()):  # scm-eqp2
                new.add((p1, OWL.equivalentProperty, p2))
    sco: dict[Node, set[Node]] = {}
    for c1, c2 in graph.subject_objects(RDFS.subClassOf):
        sco.setdefault(c1, set()).add(c2)
    for kind in (RDFS.domain, RDFS.range):
        for p, c in graph.subject_objects(kind):
            new.update((p, kind, c2) for c2 in sco.get(c, ()))  # scm-dom1, scm-rng1
            # scm-dom2, scm-rng2: a sub-property has the domain and range of its super.
            new.update((p1, kind, c) for p1, supers in spo.items() if p in supers)
    return {t for t in new if t not in graph}


def _reasonable_closure(asserted: Iterable[Triple]) -> Graph:
    """Compute the OWL 2 RL closure with ``reasonable`` and the rules it lacks."""
    closure = Graph(bind_namespaces="none")
    seen: set[Triple] = set()
    for triple in asserted:
        closure.add(triple)
        seen.add(triple)
    pending: list[Triple] = list(seen)
    reasoner = reasonable.PyReasoner()
    while pending:
        reasoner.from_graph(pending)
        for s, p, o in reasoner.reason():  # every triple, base and inferred
            triple = (s, p, _plain(o))
            if triple not in seen:
                seen.add(triple)
                closure.add(triple)
        pending = sorted(_extra_rules(closure))
        for triple in pending:
            closure.add(triple)
            seen.add(triple)
    return closure


def _owlrl_closure(asserted: Iterable[Triple]) -> Graph:
    """Compute the OWL 2 RL closure with owlrl (the reference), error triples included."""
    closure = Graph(bind_namespaces="none")
    for triple in asserted:
        closure.add(triple)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(closure)
    return closure


def _take_errors(closure: Graph) -> list[str]:
    """Remove owlrl's error triples from a closure graph and return their messages."""
    errors: set[str] = set()
    for message in list(closure.subjects(RDF.type, ERR.ErrorMessage)):
        errors.update(str(e) for e in closure.objects(message, ERR.error))
        closure.remove((message, None, None))
    return sorted(errors)


def _from_graph(asserted: Closure, graph: Graph, reasoner: str, why: str) -> Reasoning:
    """Turn the closure graph of the owlrl or reasonable route into a :class:`Reasoning`."""
    errors = _take_errors(graph)
    closure = Closure.of(graph, asserted.numbering)
    inferred = Closure(asserted.numbering)
    noise: dict[str, int] = {rule.name: 0 for rule in NOISE_RULES}
    terms = closure.terms
    for p, ext in closure.by_predicate.items():
        for k in ext - asserted.by_predicate.get(p, set()):
            rule = noise_rule((terms[k >> 32], terms[p], terms[k & _LOW]))
            if rule is None:
                inferred.by_predicate.setdefault(p, set()).add(k)
            else:
                noise[rule] += 1
    return Reasoning(asserted, inferred, closure, errors, noise, reasoner, why)


# --------------------------------------------------------------------------------------------
# The rules route
# --------------------------------------------------------------------------------------------

#: Predicates of T-box triples besides every ``owl:`` term (``rdf:first``/``rdf:rest``
#: only in the lists T-box triples reach).
_SCHEMA_PREDICATES = {RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range}
_LIST_PREDICATES = (RDF.first, RDF.rest)
#: ``rdf:``/``rdfs:``/``owl:`` classes whose members are individuals (A-box).
_INDIVIDUAL_CLASSES = {OWL.Thing, OWL.Nothing, OWL.NamedIndividual, RDFS.Resource}
_SCHEMA_NAMESPACES = (str(RDF), str(RDFS), str(OWL))
_DATATYPES: frozenset[Node] = frozenset(OWL_RL_Datatypes)
_SUBSUMPTIONS: dict[Node, list[Node]] = dict(OWL_Datatype_Subsumptions)


def _schema_predicate(p: Node) -> bool:
    """Whether triples with this predicate are T-box triples (``rdf:first``/``rest`` aside)."""
    return p in _SCHEMA_PREDICATES or (isinstance(p, URIRef) and str(p).startswith(str(OWL)))


def _datatype(c: Node) -> bool:
    return c in _DATATYPES or (isinstance(c, URIRef) and str(c).startswith(str(XSD)))


def _schema_class(c: Node) -> bool:
    """Whether ``x rdf:type c`` is a T-box triple."""
    if not isinstance(c, URIRef) or c in _INDIVIDUAL_CLASSES:
        return False
    return _datatype(c) or str(c).startswith(_SCHEMA_NAMESPACES)


#: The classes ``c`` such that ``x rdf:type c`` is a premise of an OWL 2 RL rule in
#: owlrl's cycles (scm-cls, scm-op, scm-dp, prp-fp, prp-ifp, prp-irp, prp-symp, prp-asyp,
#: prp-trp, cax-adc, prp-adp, eq-diff2/3); datatype typing is read once, on the input.
_PREMISE_CLASSES = {
    OWL.Class,
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    RDF.Property,
    OWL.FunctionalProperty,
    OWL.InverseFunctionalProperty,
    OWL.IrreflexiveProperty,
    OWL.SymmetricProperty,
    OWL.AsymmetricProperty,
    OWL.TransitiveProperty,
    OWL.AllDisjointClasses,
    OWL.AllDisjointProperties,
    OWL.AllDifferent,
}


class _Fallback(Exception):
    """The rules route does not cover the input; the message says why."""


@dataclass(frozen=True)
class _Plan:
    """What the rules do with a triple of one predicate (term ids)."""

    supers: tuple[int, ...]  # prp-spo1, prp-eqp1/2: the closed super-properties
    inverses: tuple[int, ...]  # prp-inv1/2
    symmetric: bool  # prp-symp
    domain: tuple[int, ...]  # prp-dom (and cax-sco: the classes' superclasses too)
    range: tuple[int, ...]  # prp-rng (likewise)
    transitive: bool  # prp-trp
    chains: tuple[tuple[int, tuple[int, ...], int], ...]  # prp-spo2: (head, chain, position)


@dataclass
class _Rules:
    """The A-box rules compiled from a T-box closure."""

    superclasses: dict[int, tuple[int, ...]]  # cax-sco, cax-eqc1/2 (closed, without c)
    plans: dict[int, _Plan]
    joined: set[int]  # predicates indexed by subject and object (transitive, in a chain)
    functional: list[int]
    inverse_functional: list[int]


def _closed(direct: dict[int, set[int]]) -> dict[int, set[int]]:
    """The transitive closure of a relation, without reflexive pairs."""
    out: dict[int, set[int]] = {}
    for start in direct:
        seen: set[int] = set()
        stack = list(direct[start])
        while stack:
            x = stack.pop()
            if x not in seen:
                seen.add(x)
                stack.extend(direct.get(x, ()))
        seen.discard(start)
        out[start] = seen
    return out


def _compile(tbox: Graph, closure: Closure) -> _Rules:
    """Compile the A-box rules from the closed T-box."""
    i = closure.numbering.intern

    def pairs(p: Node) -> list[tuple[int, int]]:
        return [(i(s), i(o)) for s, o in tbox.subject_objects(p)]

    sco: dict[int, set[int]] = defaultdict(set)
    for c1, c2 in pairs(RDFS.subClassOf):
        sco[c1].add(c2)
    for c1, c2 in pairs(OWL.equivalentClass):
        sco[c1].add(c2)
        sco[c2].add(c1)
    superclasses = {c: tuple(sorted(d)) for c, d in _closed(sco).items() if d}

    spo: dict[int, set[int]] = defaultdict(set)
    for p1, p2 in pairs(RDFS.subPropertyOf):
        spo[p1].add(p2)
    for p1, p2 in pairs(OWL.equivalentProperty):
        spo[p1].add(p2)
        spo[p2].add(p1)
    supers = _closed(spo)
    inverses: dict[int, set[int]] = defaultdict(set)
    for p1, p2 in pairs(OWL.inverseOf):
        inverses[p1].add(p2)
        inverses[p2].add(p1)
    domains: dict[int, set[int]] = defaultdict(set)
    for p, c in pairs(RDFS.domain):
        domains[p].add(c)
    ranges: dict[int, set[int]] = defaultdict(set)
    for p, c in pairs(RDFS.range):
        ranges[p].add(c)

    def typed(kind: URIRef) -> set[int]:
        return {i(p) for p in tbox.subjects(RDF.type, kind)}

    symmetric, transitive = typed(OWL.SymmetricProperty), typed(OWL.TransitiveProperty)
    chains: dict[int, list[tuple[int, tuple[int, ...], int]]] = defaultdict(list)
    for head, lst in tbox.subject_objects(OWL.propertyChainAxiom):
        chain = tuple(i(p) for p in tbox.items(lst))
        for position, p in enumerate(chain):
            chains[p].append((i(head), chain, position))

    def with_supers(classes: set[int]) -> tuple[int, ...]:
        out = set(classes)
        for c in classes:
            out.update(superclasses.get(c, ()))
        return tuple(sorted(out))

    plans: dict[int, _Plan] = {}
    for p in set(supers) | set(inverses) | symmetric | set(domains) | set(ranges):
        plans[p] = _Plan(
            tuple(sorted(supers.get(p, ()))),
            tuple(sorted(inverses.get(p, ()))),
            p in symmetric,
            with_supers(domains.get(p, set())),
            with_supers(ranges.get(p, set())),
            p in transitive,
            tuple(chains.get(p, ())),
        )
    for p in transitive | set(chains):
        if p not in plans:
            plans[p] = _Plan((), (), False, (), (), p in transitive, tuple(chains[p]))
    return _Rules(
        superclasses,
        plans,
        transitive | set(chains),
        sorted(typed(OWL.FunctionalProperty)),
        sorted(typed(OWL.InverseFunctionalProperty)),
    )


#: The delta key of ``rdf:type`` pairs already closed under the subclass hierarchy.
_CLOSED_TYPES = -1


def _sinks(
    by_p: dict[int, set[int]], new: dict[int, list[int]]
) -> Callable[[int, int], tuple[set[int], list[int]]]:
    """Return ``sink(q, bucket)``: the extension of ``q`` and the list of its new pairs."""

    def sink(q: int, bucket: int) -> tuple[set[int], list[int]]:
        ext = by_p.get(q)
        if ext is None:
            ext = by_p[q] = set()
        out = new.get(bucket)
        if out is None:
            out = new[bucket] = []
        return ext, out

    return sink


def _saturate(closure: Closure, rules: _Rules, type_id: int) -> dict[int, list[int]]:
    """Apply the compiled rules semi-naively until nothing new is derived.

    Every triple is handled once: a round applies the rules to the triples the
    previous round derived (the first round to every triple). The predicates that
    joins need (transitive ones, chain steps) are indexed by subject and object as
    their triples are handled, before the join, so every pair of joined triples is
    found by whichever is handled last. The types that cax-sco, prp-dom and prp-rng
    derive come with all their superclasses at once, so cax-sco skips them.

    Returns:
        The pairs derived, by predicate id.
    """
    by_p = closure.by_predicate
    derived: dict[int, list[int]] = defaultdict(list)
    out_index: dict[int, dict[int, set[int]]] = {p: defaultdict(set) for p in rules.joined}
    in_index: dict[int, dict[int, set[int]]] = {p: defaultdict(set) for p in rules.joined}
    superclasses, plans = rules.superclasses, rules.plans
    active = set(plans) | {type_id}
    delta = {p: list(ext) for p, ext in by_p.items() if p in active}
    while delta:
        new: dict[int, list[int]] = {}
        sink = _sinks(by_p, new)
        for bucket, keys in delta.items():
            p = type_id if bucket == _CLOSED_TYPES else bucket
            if bucket == type_id and superclasses:  # cax-sco, cax-eqc1/2
                ext, out = sink(type_id, _CLOSED_TYPES)
                for k in keys:
                    supers = superclasses.get(k & _LOW)
                    if supers:
                        high = k >> 32 << 32
                        for d in supers:
                            kk = high | d
                            if kk not in ext:
                                ext.add(kk)
                                out.append(kk)
            plan = plans.get(p)
            if plan is None:
                continue
            for q in plan.supers:  # prp-spo1, prp-eqp1/2
                ext, out = sink(q, q)
                for k in keys:
                    if k not in ext:
                        ext.add(k)
                        out.append(k)
            for q in plan.inverses + ((p,) if plan.symmetric else ()):  # prp-inv1/2, prp-symp
                ext, out = sink(q, q)
                for k in keys:
                    kk = ((k & _LOW) << 32) | (k >> 32)
                    if kk not in ext:
                        ext.add(kk)
                        out.append(kk)
            if plan.domain or plan.range:  # prp-dom, prp-rng (with cax-sco)
                ext, out = sink(type_id, _CLOSED_TYPES)
                for classes, high_of in ((plan.domain, 0), (plan.range, 1)):
                    if not classes:
                        continue
                    for k in keys:
                        high = (k & _LOW) << 32 if high_of else k >> 32 << 32
                        for c in classes:
                            kk = high | c
                            if kk not in ext:
                                ext.add(kk)
                                out.append(kk)
            if p not in out_index:
                continue
            outs, ins = out_index[p], in_index[p]
            for k in keys:
                outs[k >> 32].add(k & _LOW)
                ins[k & _LOW].add(k >> 32)
            if plan.transitive:  # prp-trp
                ext, out = sink(p, p)
                for k in keys:
                    s, o = k >> 32, k & _LOW
                    found = [(s << 32) | z for z in outs.get(o, ())]
                    found += [(w << 32) | o for w in ins.get(s, ())]
                    for kk in found:
                        if kk not in ext:
                            ext.add(kk)
                            out.append(kk)
            for head, chain, position in plan.chains:  # prp-spo2
                ext, out = sink(head, head)
                for k in keys:
                    left = {k >> 32}
                    for step in reversed(chain[:position]):
                        index = in_index[step]
                        left = {w for x in left for w in index.get(x, ())}
                        if not left:
                            break
                    right = {k & _LOW}
                    for step in chain[position + 1 :]:
                        if not left:
                            break
                        index = out_index[step]
                        right = {z for y in right for z in index.get(y, ())}
                        if not right:
                            break
                    for x in left:
                        high = x << 32
                        for z in right:
                            kk = high | z
                            if kk not in ext:
                                ext.add(kk)
                                out.append(kk)
        for q, keys in new.items():
            derived[type_id if q == _CLOSED_TYPES else q].extend(keys)
        delta = {q: keys for q, keys in new.items() if keys and (q in active or q < 0)}
    return derived


def _datatype_triples(
    literals: Iterable[Node], typed: Iterable[Triple]
) -> tuple[set[Triple], list[str]]:
    """Apply owlrl's one-time datatype rules (dt-type1/2, dt-not-type, datatype disjointness).

    The same steps as ``OWLRL_Semantics._one_time_rules_datatypes`` on the asserted
    triples (without ``owl:sameAs``, which makes the rules route fall back).

    Args:
        literals: Every literal of the asserted triples (all objects).
        typed: The asserted ``(s, rdf:type, datatype)`` triples.

    Returns:
        The triples it adds and its error messages.
    """
    out: set[Triple] = set()
    errors: list[str] = []
    implicit: dict[Node, Node] = {}
    for lt in literals:
        if isinstance(lt, Literal) and lt.datatype in _DATATYPES and lt.datatype is not None:
            implicit[lt] = lt.datatype
    used: set[Node] = set(implicit.values())
    for lt, dt in implicit.items():
        out.add((lt, RDF.type, dt))
        converter = AltXSDToPYTHON.get(dt, lambda v: v)
        try:
            converter(str(lt))
        except ValueError:
            errors.append(f"Lexical value of the literal '{lt}' does not match its datatype ({dt})")
    explicit: dict[Node, set[Node]] = defaultdict(set)
    for s, _, dt in typed:
        used.add(dt)
        if s not in implicit:
            explicit[s].add(dt)
    for dt in _DATATYPES:
        out.add((dt, RDF.type, RDFS.Datatype))
    for r, dts in [*explicit.items(), *((r, {dt}) for r, dt in implicit.items())]:
        for dt in dts:
            out.add((dt, RDF.type, RDFS.Datatype))
            for new_dt in _SUBSUMPTIONS.get(dt, ()):
                out.add((r, RDF.type, new_dt))
                out.add((new_dt, RDF.type, RDFS.Datatype))
                used.add(new_dt)
    for left, pred, right in OWLRL_Datatypes_Disjointness:
        if left in used and right in used:
            out.add((left, pred, right))
    return out, errors


def _tbox(closure: Closure) -> tuple[Graph, dict[int, list[Triple]]]:
    """Collect the asserted T-box triples (see the module docstring) into a graph.

    Returns:
        The T-box, and the list triples it does not reach, by subject id.
    """
    terms = closure.terms
    tbox = Graph(bind_namespaces="none")
    lists: dict[int, list[Triple]] = defaultdict(list)
    for p, ext in closure.by_predicate.items():
        pred = terms[p]
        if pred in _LIST_PREDICATES:
            for k in ext:
                lists[k >> 32].append((terms[k >> 32], pred, terms[k & _LOW]))
        elif pred == RDF.type:
            schema = {c for c in {k & _LOW for k in ext} if _schema_class(terms[c])}
            for k in ext:
                if k & _LOW in schema:
                    tbox.add((terms[k >> 32], pred, terms[k & _LOW]))
        elif _schema_predicate(pred):
            for k in ext:
                tbox.add((terms[k >> 32], pred, terms[k & _LOW]))
    _add_lists(tbox, lists, closure)
    unreached = {n: [t for t in ts if t not in tbox] for n, ts in lists.items()}
    return tbox, {n: ts for n, ts in unreached.items() if ts}


def _add_lists(tbox: Graph, lists: dict[int, list[Triple]], closure: Closure) -> int:
    """Add to ``tbox`` the list triples its nodes reach; return how many were added."""
    ids = closure.numbering.ids
    frontier = [ids[n] for t in tbox for n in t if n in ids]
    added, seen = 0, set()
    while frontier:
        node = frontier.pop()
        if node in seen:
            continue
        seen.add(node)
        for triple in lists.get(node, ()):
            if triple not in tbox:
                tbox.add(triple)
                added += 1
            frontier.append(ids[triple[2]])
    return added


def _rules_reasoning(asserted: Closure) -> Reasoning:
    """Compute the closure with the ``rules`` route (see the module docstring).

    Raises:
        _Fallback: The input uses something the route does not cover.
    """
    closure = asserted.copy()
    terms = closure.terms
    literal_ids = {i for i, t in enumerate(terms) if isinstance(t, Literal)}
    if any(k >> 32 in literal_ids for ext in closure.by_predicate.values() for k in ext):
        raise _Fallback("a literal is the subject of an asserted triple")

    # The T-box closure, by owlrl.
    tbox, unreached = _tbox(closure)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(tbox)
    errors = _take_errors(tbox)
    uncovered = uncovered_constructs(tbox)
    if uncovered:
        raise _Fallback("uncovered construct(s): " + ", ".join(uncovered))
    for s, o in tbox.subject_objects(OWL.sameAs):
        if s != o:
            raise _Fallback(f"owl:sameAs between distinct terms: <{s}> <{o}>")
    reached = Graph(bind_namespaces="none")
    for triple in tbox:
        reached.add(triple)
    if _add_lists(reached, unreached, closure):
        raise _Fallback("the T-box closure reaches a list the asserted T-box does not")

    tbox_added = closure.add_new(tbox)
    type_id = closure.numbering.intern(RDF.type)
    rules = _compile(tbox, closure)
    same_as = closure.numbering.get(OWL.sameAs)
    if same_as is not None and same_as in rules.plans:
        raise _Fallback("owl:sameAs has property axioms (eq-ref would apply them to every term)")

    # owlrl's one-time datatype rules on the asserted literals and datatype typing.
    literals = [terms[i] for i in literal_ids]
    type_ext = closure.by_predicate.get(type_id, set())
    dt_ids = {closure.numbering.ids[d] for d in _DATATYPES if d in closure.numbering.ids}
    typed = [(terms[k >> 32], RDF.type, terms[k & _LOW]) for k in type_ext if k & _LOW in dt_ids]
    typed = [t for t in typed if t in asserted]
    dt_triples, dt_errors = _datatype_triples(literals, typed)
    seeded = closure.add_new(dt_triples)

    derived = _saturate(closure, rules, type_id)
    _check_derived(closure, rules, derived, tbox_added, type_id)

    inferred, noise = _published(closure, [tbox_added, seeded, derived])
    errors = sorted({*errors, *dt_errors})
    return Reasoning(asserted, inferred, closure, errors, noise, "rules", compiled=rules)


def _check_derived(
    closure: Closure,
    rules: _Rules,
    derived: dict[int, list[int]],
    tbox_added: dict[int, list[int]],
    type_id: int,
) -> None:
    """Fall back if prp-fp/prp-ifp would fire or an A-box inference is a T-box triple."""
    terms, by_p = closure.terms, closure.by_predicate
    for props, inverse in ((rules.functional, False), (rules.inverse_functional, True)):
        for p in props:
            first: dict[int, int] = {}
            for k in by_p.get(p, ()):
                key, value = (k & _LOW, k >> 32) if inverse else (k >> 32, k & _LOW)
                if first.setdefault(key, value) != value:
                    rule = "prp-ifp" if inverse else "prp-fp"
                    raise _Fallback(
                        f"<{terms[p]}> has two values for <{terms[key]}>"
                        f" ({rule} would derive owl:sameAs)"
                    )
    for p, keys in derived.items():
        pred = terms[p]
        if p == type_id:
            bad = {c for c in {k & _LOW for k in keys} if terms[c] in _PREMISE_CLASSES}
            if bad:
                sample = sorted(str(terms[c]) for c in bad)[0]
                raise _Fallback(f"an A-box inference types a resource as <{sample}>")
        elif pred in _LIST_PREDICATES or _schema_predicate(pred):
            raise _Fallback(f"an A-box inference has the schema predicate <{pred}>")


def _published(
    closure: Closure, parts: list[dict[int, list[int]]]
) -> tuple[Closure, dict[str, int]]:
    """Filter the derived pairs into the published inferences, counting the noise.

    Triples with a blank node as predicate are dropped from the closure first, as
    owlrl's post-processing does.
    """
    terms, by_p = closure.terms, closure.by_predicate
    for p in [p for p in by_p if isinstance(terms[p], BNode)]:
        del by_p[p]
    ids = closure.numbering.ids
    same_as, type_id = ids.get(OWL.sameAs), ids.get(RDF.type)
    things = {ids[t] for t in (OWL.Thing, RDFS.Resource) if t in ids}
    reflexive = {ids[t] for t in _REFLEXIVE if t in ids}
    thing_schema = {ids[t] for t in _THING_SCHEMA if t in ids}
    subject_noise: dict[int, str | None] = {}
    noise: dict[str, int] = {rule.name: 0 for rule in NOISE_RULES}
    inferred = Closure(closure.numbering)
    for part in parts:
        for p, keys in part.items():
            if p not in by_p:
                continue
            kept = inferred.by_predicate.setdefault(p, set())
            for k in keys:
                s, o = k >> 32, k & _LOW
                rule: str | None = None
                if p == same_as and s == o:
                    rule = "reflexive-sameas"
                else:
                    if s not in subject_noise:
                        term = terms[s]
                        subject_noise[s] = (
                            "literal-subject"
                            if isinstance(term, Literal)
                            else "axiomatic-subject"
                            if _axiomatic(term)
                            else None
                        )
                    rule = subject_noise[s]
                    if rule is None:
                        if p == type_id and o in things:
                            rule = "type-thing"
                        elif p in reflexive and s == o:
                            rule = "reflexive-schema"
                        elif p in thing_schema and o in things:
                            rule = "thing-schema"
                if rule is None:
                    kept.add(k)
                else:
                    noise[rule] += 1
    inferred.by_predicate = {p: ext for p, ext in inferred.by_predicate.items() if ext}
    return inferred, noise


def compute_inferences(
    graphs: Iterable[Iterable[Triple]], base: str, reasoner: str = "owlrl"
) -> Reasoning:
    """Compute the OWL 2 RL closure of some graphs and keep what is worth keeping.

    Args:
        graphs: The ontology, facts and background graphs (rdflib Graphs or any
            iterables of triples; not modified).
        base: The dataset namespace (kept for the callers; the build names the
            inferences ``{base}graph/inferred``).
        reasoner: ``owlrl`` (the reference), ``reasonable`` or ``rules``; the last two
            hand an input they do not cover to owlrl (``Reasoning.fallback``).

    Returns:
        The asserted union, the closure, the filtered inferences and owlrl's errors.

    Raises:
        InputError: An unknown reasoner.
    """
    del base  # the published graph is named by the build
    if reasoner not in REASONERS:
        raise InputError(f"unknown reasoner {reasoner!r} (choose from {', '.join(REASONERS)})")
    asserted = Closure.of(triple for g in graphs for triple in g)
    why = ""
    if reasoner == "rules":
        try:
            return _rules_reasoning(asserted)
        except _Fallback as fallback:
            reasoner, why = "owlrl", str(fallback)
    if reasoner == "reasonable":
        uncovered = uncovered_constructs(asserted)
        if uncovered:
            reasoner, why = "owlrl", "uncovered construct(s): " + ", ".join(uncovered)
        else:
            return _from_graph(asserted, _reasonable_closure(asserted), reasoner, why)
    return _from_graph(asserted, _owlrl_closure(asserted), reasoner, why)
