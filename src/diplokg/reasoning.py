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
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import owlrl
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.term import Node

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
    """

    asserted: Graph
    closure: Graph
    inferred: Graph
    errors: list[str] = field(default_factory=list)
    noise: dict[str, int] = field(default_factory=dict)


def compute_inferences(graphs: Iterable[Graph], base: str) -> Reasoning:
    """Compute the OWL 2 RL closure of some graphs and keep what is worth keeping.

    Args:
        graphs: The ontology, facts and background graphs (not modified).
        base: The dataset namespace (names ``graph/inferred``).

    Returns:
        The asserted union, the closure, the filtered inferences and owlrl's errors.
    """
    asserted = Graph(bind_namespaces="none")
    for g in graphs:
        for triple in g:
            asserted.add(triple)
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
    for triple in closure:
        if triple in asserted:
            continue
        rule = noise_rule(triple)
        if rule is None:
            inferred.add(triple)
        else:
            noise[rule] += 1
    return Reasoning(asserted, closure, inferred, sorted(errors), noise)
