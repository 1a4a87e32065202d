"""Reasoning: the OWL 2 RL closure, keeping only the inferences worth publishing.

Implements the OWL 2 RL/RDF rules (https://www.w3.org/TR/owl2-profiles/#OWL_2_RL)
with owlrl's ``DeductiveClosure(OWLRL_Semantics)``, run on a *copy* of ontology +
facts + background (never in place). The published ``graph/inferred`` is the
closure minus the input minus the noise below, each rule with what owlrl
actually adds on a small ontology (``NOISE_RULES``):

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

Two reasoners compute the closure (``Settings.reasoner``):

- ``owlrl``: owlrl's ``OWLRL_Semantics``, the reference;
- ``reasonable``: the Rust ``reasonable`` package (about a hundred times faster),
  completed here with the OWL 2 RL rules it lacks and this ontology relies on —
  prp-spo2 (property chains: ``dkg:statedIn``, ``dkg:holds``…) and the schema rules
  scm-spo, scm-eqp1/2, scm-dom1/2, scm-rng1/2 — applied with reasonable's own rules
  until a fixpoint. Its plain literals come back typed ``xsd:string``; they are
  turned back into the same (RDF 1.1-equal) plain literals. A graph that uses a
  construct this route does not cover (``UNCOVERED``: keys, max cardinalities,
  enumerations, class expressions in schema rules, and the axioms whose violations
  only owlrl reports) is reasoned with owlrl instead. After the noise filter the
  two give the same ``graph/inferred`` on the article and the generated corpus
  (``tests/test_reasoning.py``, ``benchmarks/REASONERS.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import owlrl
import reasonable
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from diplokg.errors import InputError
from diplokg.namespaces import OWL, RDF, RDFS, XSD, graph_iri

#: owlrl writes inconsistencies into the graph as ``[] a err:ErrorMessage ; err:error "…"``.
ERR = Namespace("http://www.daml.org/2002/03/agents/agent-ont#")

AXIOMATIC_NAMESPACES = (str(RDF), str(RDFS), str(OWL), str(XSD))
_REFLEXIVE = {RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass, OWL.equivalentProperty}
_THING_SCHEMA = {RDFS.subClassOf, RDFS.domain, RDFS.range}

Triple = tuple[Node, Node, Node]


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


@dataclass
class Reasoning:
    """The outcome of OWL 2 RL reasoning.

    Attributes:
        asserted: The union of the input graphs.
        closure: The full closure (input + every inference), without owlrl's error triples.
        inferred: The inferences worth keeping, named ``{base}graph/inferred``.
        errors: owlrl's own inconsistency messages, sorted.
        noise: How many inferred triples each noise rule removed.
        reasoner: The reasoner that ran (``owlrl`` or ``reasonable``).
    """

    asserted: Graph
    closure: Graph
    inferred: Graph
    errors: list[str] = field(default_factory=list)
    noise: dict[str, int] = field(default_factory=dict)
    reasoner: str = "owlrl"


#: The reasoners a build can use (``Settings.reasoner``).
REASONERS = ("owlrl", "reasonable")

#: Constructs whose OWL 2 RL rules the ``reasonable`` route does not cover (the rule
#: missing from ``reasonable`` and not added here, or an inconsistency only owlrl
#: reports); a graph using one is reasoned with owlrl.
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
    OWL.someValuesFrom: "scm-svf1/2",
    OWL.allValuesFrom: "scm-avf1/2",
    OWL.hasValue: "scm-hv",
    OWL.intersectionOf: "scm-int",
    OWL.unionOf: "scm-uni",
}


def uncovered_constructs(graph: Graph) -> list[str]:
    """List the constructs of a graph that the ``reasonable`` route does not cover.

    Args:
        graph: The asserted graph.

    Returns:
        ``owl:Term (rule)`` for each construct used, sorted; empty if none.
    """
    found = []
    for term, rule in UNCOVERED.items():
        if (None, term, None) in graph or (None, RDF.type, term) in graph:
            found.append(f"owl:{term[len(str(OWL)) :]} ({rule})")
    return sorted(found)


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


def _extra_rules(graph: Graph) -> set[tuple[Node, Node, Node]]:
    """Apply once the OWL 2 RL rules ``reasonable`` lacks; return what is new.

    prp-spo2 (property chains) and the schema rules scm-spo, scm-eqp1/2,
    scm-dom1/2 and scm-rng1/2 (https://www.w3.org/TR/owl2-profiles/#Reasoning_in_OWL_2_RL_and_RDF_Graphs_using_Rules).
    """
    new: set[tuple[Node, Node, Node]] = set()
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


def _reasonable_closure(asserted: Graph) -> Graph:
    """Compute the OWL 2 RL closure with ``reasonable`` and the rules it lacks."""
    closure = Graph(bind_namespaces="none")
    seen: set[tuple[Node, Node, Node]] = set()
    for triple in asserted:
        closure.add(triple)
        seen.add(triple)
    pending: list[tuple[Node, Node, Node]] = list(seen)
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


def compute_inferences(graphs: Iterable[Graph], base: str, reasoner: str = "owlrl") -> Reasoning:
    """Compute the OWL 2 RL closure of some graphs and keep what is worth keeping.

    Args:
        graphs: The ontology, facts and background graphs (not modified).
        base: The dataset namespace (names ``graph/inferred``).
        reasoner: ``owlrl`` (the reference) or ``reasonable``; a graph using a
            construct of :data:`UNCOVERED` is reasoned with owlrl either way.

    Returns:
        The asserted union, the closure, the filtered inferences and owlrl's errors.

    Raises:
        InputError: An unknown reasoner.
    """
    if reasoner not in REASONERS:
        raise InputError(f"unknown reasoner {reasoner!r} (choose from {', '.join(REASONERS)})")
    asserted = Graph(bind_namespaces="none")
    for g in graphs:
        for triple in g:
            asserted.add(triple)
    if reasoner == "reasonable" and uncovered_constructs(asserted):
        reasoner = "owlrl"
    if reasoner == "reasonable":
        closure = _reasonable_closure(asserted)
    else:
        closure = Graph(bind_namespaces="none")
        for triple in asserted:
            closure.add(triple)
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(closure)

    errors: set[str] = set()
    for message in list(closure.subjects(RDF.type, ERR.ErrorMessage)):
        errors.update(str(e) for e in closure.objects(message, ERR.error))
        closure.remove((message, None, None))

    inferred = Graph(identifier=graph_iri(base, "inferred"), bind_namespaces="none")
    noise: dict[str, int] = {rule.name: 0 for rule in NOISE_RULES}
    given = set(asserted)  # a set answers membership much faster than a Graph
    for triple in closure:
        if triple in given:
            continue
        rule = noise_rule(triple)
        if rule is None:
            inferred.add(triple)
        else:
            noise[rule] += 1
    return Reasoning(asserted, closure, inferred, sorted(errors), noise, reasoner)
