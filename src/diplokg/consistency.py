"""Consistency: the OWL 2 RL closure must not contain a contradiction.

Checks the rules of https://www.w3.org/TR/owl2-profiles/#Reasoning_in_OWL_2_RL_and_RDF_Graphs_using_Rules
that derive ``false``, on the closure computed by :mod:`diplokg.reasoning`:

- cls-nothing2: members of ``owl:Nothing``;
- cax-dw, cax-adc: an individual in two classes declared disjoint
  (``owl:disjointWith``, ``owl:AllDisjointClasses``);
- prp-pdw, prp-adp: the same pair linked by two disjoint properties
  (``owl:propertyDisjointWith``, ``owl:AllDisjointProperties``);
- prp-fp / prp-ifp: a functional property with two distinct values, an
  inverse-functional one shared by two distinct subjects. OWL 2 RL does not call
  this inconsistent (it infers ``owl:sameAs``); here two values are *distinct*
  unless they are equal literals or the input states they are ``owl:sameAs``,
  since an unintended merge of two entities is always a data error;
- every other inconsistency owlrl reports itself (``err:ErrorMessage``: irreflexive
  and asymmetric properties, ``owl:complementOf``, ``owl:maxCardinality``,
  ``owl:sameAs`` with ``owl:differentFrom``, ill-typed literals, …).

Each problem names the offending triples, marked asserted or inferred. The checks
read the route's :class:`~diplokg.reasoning.Closure` (triples as integer pairs by
predicate) and the asserted set: each predicate they need is read once, and the
members of every class of a disjointness axiom are collected in one scan of
``rdf:type``, so that a closure of millions of triples is checked in seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

from rdflib import Literal, URIRef
from rdflib.term import Node

from diplokg.errors import InconsistencyError
from diplokg.namespaces import OWL, RDF, shorten
from diplokg.reasoning import Closure, Reasoning

#: owlrl messages that the checks here already report, with the triples.
_COVERED = (
    "Disjoint classes ",
    "is defined of type 'Nothing'",
    "Erroneous usage of disjoint properties",
    "Disjoint properties in an 'AllDisjointProperties'",
)


class _Checker:
    def __init__(self, reasoning: Reasoning, base: str) -> None:
        self.closure = reasoning.closure
        self.asserted = reasoning.asserted
        self.base = base
        self.problems: list[str] = []
        self.nothing = self.closure.subjects(RDF.type, OWL.Nothing)
        self.same = _same_as(self.asserted)

    def triple(self, s: Node, p: Node, o: Node) -> str:
        how = "asserted" if (s, p, o) in self.asserted else "inferred"
        b = self.base
        return f"{shorten(s, b)} {shorten(p, b)} {shorten(o, b)} ({how})"

    def report(self, head: str, triples: Sequence[tuple[Node, Node, Node]]) -> None:
        self.problems.append(head + "".join(f"\n    {self.triple(*t)}" for t in triples))

    def run(self, owlrl_errors: list[str]) -> list[str]:
        self.check_nothing()
        self.check_disjoint_classes()
        self.check_disjoint_properties()
        self.check_functional(OWL.FunctionalProperty, inverse=False)
        self.check_functional(OWL.InverseFunctionalProperty, inverse=True)
        self.problems += [f"owlrl: {m}" for m in owlrl_errors if not any(c in m for c in _COVERED)]
        return self.problems

    def check_nothing(self) -> None:
        for x in sorted(self.nothing, key=str):
            self.report(
                f"{shorten(x, self.base)} is a member of owl:Nothing", [(x, RDF.type, OWL.Nothing)]
            )

    def check_disjoint_classes(self) -> None:
        c = self.closure
        pairs = _pairs(c, OWL.disjointWith, OWL.AllDisjointClasses)
        members = c.members({x for pair in pairs for x in pair})
        for a, b in sorted(pairs, key=str):
            common = members[a] & members[b] - self.nothing
            for x in sorted(common, key=str):
                axiom = (a, OWL.disjointWith, b)
                if axiom not in c:
                    axiom = (b, OWL.disjointWith, a) if (b, OWL.disjointWith, a) in c else axiom
                triples = [(x, RDF.type, a), (x, RDF.type, b)]
                head = (
                    f"{shorten(x, self.base)} is in disjoint classes"
                    f" {shorten(a, self.base)} and {shorten(b, self.base)}"
                )
                if axiom in c:
                    triples.append(axiom)
                else:
                    head += " (owl:AllDisjointClasses)"
                self.report(head, triples)

    def check_disjoint_properties(self) -> None:
        c = self.closure
        pairs = _pairs(c, OWL.propertyDisjointWith, OWL.AllDisjointProperties, reflexive=True)
        for p1, p2 in sorted(pairs, key=str):
            for x, y in sorted(c.common(p1, p2), key=str):
                self.report(
                    f"{shorten(x, self.base)} is linked to {shorten(y, self.base)} by disjoint"
                    f" properties {shorten(p1, self.base)} and {shorten(p2, self.base)}",
                    [(x, p1, y), (x, p2, y)],
                )

    def distinct(self, v1: Node, v2: Node) -> bool:
        if isinstance(v1, Literal) and isinstance(v2, Literal):
            if v1 == v2:
                return False
            try:
                return not v1.eq(v2)
            except TypeError:
                return True
        return self.same.get(v1, v1) != self.same.get(v2, v2)

    def check_functional(self, kind: URIRef, inverse: bool) -> None:
        c = self.closure
        word = "inverse-functional" if inverse else "functional"
        for p in sorted(c.subjects(RDF.type, kind), key=str):
            grouped = c.multi_valued(p, inverse)  # a key with one value cannot clash
            seen: set[frozenset[Node]] = set()
            for key in sorted(grouped, key=str):
                values = sorted(grouped[key], key=str)
                clash = [(v1, v2) for v1, v2 in combinations(values, 2) if self.distinct(v1, v2)]
                involved = frozenset(v for pair in clash for v in pair)
                if not clash or involved in seen:
                    continue
                seen.add(involved)
                names = ", ".join(shorten(v, self.base) for v in sorted(involved, key=str))
                if inverse:
                    head = f"{shorten(p, self.base)} is {word} but {shorten(key, self.base)}"
                    head += f" is the value of {len(involved)} distinct subjects: {names}"
                    triples = [(v, p, key) for v in sorted(involved, key=str)]
                else:
                    head = f"{shorten(p, self.base)} is {word} but {shorten(key, self.base)}"
                    head += f" has {len(involved)} distinct values: {names}"
                    triples = [(key, p, v) for v in sorted(involved, key=str)]
                self.report(head, [*triples, (p, RDF.type, kind)])


def _pairs(
    closure: Closure, axiom: URIRef, kind: URIRef, reflexive: bool = False
) -> set[tuple[Node, Node]]:
    """The pairs declared disjoint by ``axiom`` or by the members of a ``kind`` node.

    Args:
        closure: The closure.
        axiom: ``owl:disjointWith`` or ``owl:propertyDisjointWith``.
        kind: ``owl:AllDisjointClasses`` or ``owl:AllDisjointProperties``.
        reflexive: Keep a pair of a term with itself.

    Returns:
        Each pair once, its two terms sorted.
    """
    pairs: set[tuple[Node, Node]] = set()
    for a, b in closure.subject_objects(axiom):
        pairs.add((a, b) if str(a) <= str(b) else (b, a))
    members = set(closure.subject_objects(OWL.members))
    for node in closure.subjects(RDF.type, kind):
        for head in {m for n, m in members if n == node}:
            for a, b in combinations(closure.items(head), 2):
                pairs.add((a, b) if str(a) <= str(b) else (b, a))
    return pairs if reflexive else {(a, b) for a, b in pairs if a != b}


def _same_as(asserted: Closure) -> dict[Node, Node]:
    """Map every term to a representative of its asserted ``owl:sameAs`` class."""
    parent: dict[Node, Node] = {}

    def find(x: Node) -> Node:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for a, b in asserted.subject_objects(OWL.sameAs):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb, key=str)] = min(ra, rb, key=str)
    return {x: find(x) for x in list(parent)}


def find_inconsistencies(reasoning: Reasoning, base: str) -> list[str]:
    """List every inconsistency of an OWL 2 RL closure.

    Args:
        reasoning: The closure, the asserted union and owlrl's own error messages.
        base: The dataset namespace, used to write IRIs compactly.

    Returns:
        One readable message per problem, naming the offending triples.
    """
    return _Checker(reasoning, base).run(reasoning.errors)


def check_consistency(reasoning: Reasoning, base: str) -> None:
    """Fail if the closure is inconsistent.

    Args:
        reasoning: The outcome of :func:`diplokg.reasoning.compute_inferences`.
        base: The dataset namespace.

    Raises:
        InconsistencyError: Listing every problem found.
    """
    problems = find_inconsistencies(reasoning, base)
    if problems:
        raise InconsistencyError(problems)
