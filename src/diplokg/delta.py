"""What follows from added triples: the closure, consistency and VoID counts, extended.

When sources are only *added* to a project, the previous build's dataset is kept in
a store (:mod:`diplokg.state`) and this module works out what the additions change,
looking up the rest in that store instead of recomputing it:

- **the closure**: OWL 2 RL is monotone, so the closure of ``old + added`` is the old
  closure plus what the rules derive from the added triples together with the old
  closure. :func:`extend_closure` applies the A-box rules of the ``rules`` route
  (:mod:`diplokg.reasoning`), compiled once by the full build from its T-box closure
  (:class:`RuleSet`), semi-naively from the added triples: each new triple is joined
  with the store and with the triples derived so far, and whatever it derives that
  the store does not hold is new. The store holds the published closure (asserted
  graphs + ``graph/inferred``), not the noise the build leaves out (``rdf:type
  owl:Thing``, literal subjects, reflexive schema triples…). Rules with a
  superclass of ``owl:Thing`` are refused, so ``rdf:type owl:Thing`` is no premise;
  a derived triple with a literal subject is a premise only of the subclass rules
  (a literal typed by a range) and of the consistency checks, unless its predicate
  has rules of its own (then the additions are refused): the literal's types are
  checked on the spot (:func:`_check_literal_type`), so nothing is missed;
- **consistency**: the old closure was consistent, so a contradiction must involve
  a new triple: members of ``owl:Nothing``, disjoint classes and properties, and
  functional properties are checked around the new triples only;
- **VoID counts** (:class:`~diplokg.void.DatasetStatistics`): a triple new to the
  union adds one to its property's count (and, for ``rdf:type``, its class's), an
  IRI under ``{base}id/`` not yet in the union adds one entity.

Anything outside what this covers raises :class:`NotIncremental` and the build does
a full run, which reports errors exactly as usual: an added triple that belongs to
the T-box (the compiled rules would change), ``owl:sameAs``, a resource typed with a
datatype, a literal outside its datatype, a derived triple the ``rules`` route would
hand to owlrl, and any inconsistency. (A literal subject, which the ``rules`` route
also hands to owlrl, cannot come from sources: Oxigraph parses them.)
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from owlrl.AxiomaticTriples import OWLRL_Datatypes_Disjointness
from owlrl.DatatypeHandling import AltXSDToPYTHON
from rdflib import URIRef
from rdflib.term import Node

from diplokg.consistency import _pairs
from diplokg.namespaces import OWL, RDF, RDFS, project_namespaces
from diplokg.reasoning import (
    _DATATYPES,
    _LIST_PREDICATES,
    _PREMISE_CLASSES,
    _SUBSUMPTIONS,
    Reasoning,
    _schema_class,
    _schema_predicate,
    noise_rule,
)
from diplokg.terms import ToRdflib
from diplokg.void import DatasetStatistics

#: Bump when :class:`RuleSet`'s JSON changes.
RULES_FORMAT = 1

_TYPE = ox.NamedNode(str(RDF.type))
_NOTHING = ox.NamedNode(str(OWL.Nothing))
_SAME_AS = ox.NamedNode(str(OWL.sameAs))
_THING = str(OWL.Thing)


class NotIncremental(Exception):
    """The additions need a full build; the message says why."""


@dataclass(frozen=True)
class Plan:
    """What the A-box rules do with a triple of one predicate (IRIs).

    Attributes:
        supers: prp-spo1, prp-eqp1/2: the closed super-properties.
        inverses: prp-inv1/2 (and the predicate itself if symmetric: prp-symp).
        domain: prp-dom, the classes with their superclasses.
        range: prp-rng, likewise.
        transitive: prp-trp.
        chains: prp-spo2: ``(head, chain, position of this predicate)``.
    """

    supers: tuple[str, ...] = ()
    inverses: tuple[str, ...] = ()
    domain: tuple[str, ...] = ()
    range: tuple[str, ...] = ()
    transitive: bool = False
    chains: tuple[tuple[str, tuple[str, ...], int], ...] = ()


@dataclass
class RuleSet:
    """The A-box rules of a T-box closure, and the axioms consistency checks, as IRIs.

    Attributes:
        superclasses: cax-sco, cax-eqc1/2: each class's closed superclasses.
        plans: By predicate.
        functional: Functional properties.
        inverse_functional: Inverse-functional properties.
        disjoint_classes: Pairs of disjoint classes (cax-dw, cax-adc).
        disjoint_properties: Pairs of disjoint properties (prp-pdw, prp-adp).
    """

    superclasses: dict[str, tuple[str, ...]] = field(default_factory=dict)
    plans: dict[str, Plan] = field(default_factory=dict)
    functional: tuple[str, ...] = ()
    inverse_functional: tuple[str, ...] = ()
    disjoint_classes: tuple[tuple[str, str], ...] = ()
    disjoint_properties: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, reasoning: Reasoning) -> RuleSet | None:
        """Return the rules the ``rules`` route compiled, or ``None`` if there are none.

        ``None`` too when a rule involves a term that is not an IRI, or makes a class a
        subclass of ``owl:Thing`` (a premise the store does not hold).
        """
        compiled = reasoning.compiled
        if compiled is None:
            return None
        terms = reasoning.closure.terms
        names: dict[int, str] = {}

        def iri(i: int) -> str:
            found = names.get(i)
            if found is None:
                term = terms[i]
                if not isinstance(term, URIRef):
                    raise NotIncremental(f"a rule involves {term!r}, not an IRI")
                found = names[i] = str(term)
            return found

        def iris(ids: Iterable[int]) -> tuple[str, ...]:
            return tuple(iri(i) for i in ids)

        try:
            superclasses = {iri(c): iris(ds) for c, ds in compiled.superclasses.items()}
            plans = {
                iri(p): Plan(
                    iris(plan.supers),
                    iris(plan.inverses) + ((iri(p),) if plan.symmetric else ()),
                    iris(plan.domain),
                    iris(plan.range),
                    plan.transitive,
                    tuple((iri(h), iris(chain), pos) for h, chain, pos in plan.chains),
                )
                for p, plan in compiled.plans.items()
            }
            functional = iris(compiled.functional)
            inverse_functional = iris(compiled.inverse_functional)
        except NotIncremental:
            return None
        if superclasses.get(_THING) or _THING in plans:
            return None  # owl:Thing would be a premise, and its members are not stored
        closure = reasoning.closure
        classes = _pairs(closure, OWL.disjointWith, OWL.AllDisjointClasses)
        properties = _pairs(
            closure, OWL.propertyDisjointWith, OWL.AllDisjointProperties, reflexive=True
        )
        return cls(
            superclasses,
            plans,
            functional,
            inverse_functional,
            tuple(sorted((str(a), str(b)) for a, b in classes)),
            tuple(sorted((str(a), str(b)) for a, b in properties)),
        )

    def to_json(self) -> dict[str, Any]:
        """Return the rules as JSON data (:meth:`from_json` reads it back)."""
        return {
            "format": RULES_FORMAT,
            "superclasses": {c: list(ds) for c, ds in sorted(self.superclasses.items())},
            "plans": {
                p: [
                    list(plan.supers),
                    list(plan.inverses),
                    list(plan.domain),
                    list(plan.range),
                    plan.transitive,
                    [[h, list(chain), pos] for h, chain, pos in plan.chains],
                ]
                for p, plan in sorted(self.plans.items())
            },
            "functional": list(self.functional),
            "inverse_functional": list(self.inverse_functional),
            "disjoint_classes": [list(pair) for pair in self.disjoint_classes],
            "disjoint_properties": [list(pair) for pair in self.disjoint_properties],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RuleSet:
        """Read rules written by :meth:`to_json`.

        Raises:
            ValueError: Another format, or malformed data.
        """
        if data.get("format") != RULES_FORMAT:
            raise ValueError("another rule set format")
        try:
            plans = {
                p: Plan(
                    tuple(sup),
                    tuple(inv),
                    tuple(dom),
                    tuple(rng),
                    bool(trp),
                    tuple((h, tuple(chain), int(pos)) for h, chain, pos in chains),
                )
                for p, (sup, inv, dom, rng, trp, chains) in data["plans"].items()
            }
            return cls(
                {c: tuple(ds) for c, ds in data["superclasses"].items()},
                plans,
                tuple(data["functional"]),
                tuple(data["inverse_functional"]),
                tuple((a, b) for a, b in data["disjoint_classes"]),
                tuple((a, b) for a, b in data["disjoint_properties"]),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"malformed rule set: {e}") from None

    def dumps(self) -> str:
        """The rules as compact JSON text."""
        return json.dumps(self.to_json(), separators=(",", ":"), sort_keys=True)


class Union:
    """The union of a store's named graphs but some, plus triples not yet stored.

    Args:
        store: The store.
        excluded: Graphs left out of the union (the shapes and meta graphs).
    """

    def __init__(self, store: ox.Store, excluded: Iterable[ox.NamedNode]) -> None:
        self.store = store
        self.excluded = set(excluded)
        self.pending: set[ox.Triple] = set()
        self._out: dict[tuple[Any, Any], set[Any]] = defaultdict(set)
        self._in: dict[tuple[Any, Any], set[Any]] = defaultdict(set)

    def stored(self, s: Any, p: Any, o: Any) -> bool:
        """Whether the store's union holds the triple."""
        excluded = self.excluded
        return any(
            q.graph_name not in excluded for q in self.store.quads_for_pattern(s, p, o, None)
        )

    def __contains__(self, t: ox.Triple) -> bool:
        return t in self.pending or self.stored(t.subject, t.predicate, t.object)

    def add(self, t: ox.Triple) -> None:
        """Add a triple to the pending ones."""
        self.pending.add(t)
        self._out[t.subject, t.predicate].add(t.object)
        self._in[t.predicate, t.object].add(t.subject)

    def objects(self, s: Any, p: Any) -> set[Any]:
        """The objects of ``s p ?o`` (none for a literal ``s``: no stored triple has one)."""
        if type(s) is ox.Literal:
            return set()
        excluded = self.excluded
        found = {
            q.object
            for q in self.store.quads_for_pattern(s, p, None, None)
            if q.graph_name not in excluded
        }
        return found | self._out.get((s, p), set())

    def subjects(self, p: Any, o: Any) -> set[Any]:
        """The subjects of ``?s p o``."""
        excluded = self.excluded
        found = {
            q.subject
            for q in self.store.quads_for_pattern(None, p, o, None)
            if q.graph_name not in excluded
        }
        return found | self._in.get((p, o), set())


@dataclass
class Extension:
    """What added triples change in the closure.

    Attributes:
        asserted: The added triples the union did not hold, in input order.
        inferred: The new inferences worth publishing (not noise), sorted.
        derived: Every new derivation, noise included.
    """

    asserted: list[ox.Triple]
    inferred: list[ox.Triple]
    derived: list[ox.Triple]


def _check_tbox(t: ox.Triple, to_rdflib: ToRdflib, derived: bool) -> None:
    """Refuse a triple the compiled rules cannot take (the T-box would change)."""
    what = "a derived" if derived else "an added"
    p = to_rdflib(t.predicate)
    if p in _LIST_PREDICATES or _schema_predicate(p) or t.predicate == _SAME_AS:
        raise NotIncremental(f"{what} triple has the schema predicate <{p}>")
    if t.predicate == _TYPE:
        c = to_rdflib(t.object)
        if _schema_class(c) or c in _PREMISE_CLASSES:
            raise NotIncremental(f"{what} triple types a resource as <{c}>")


def _check_literal(t: ox.Triple) -> None:
    """Refuse a literal outside its datatype (dt-not-type: the full build reports it)."""
    o = t.object
    if type(o) is not ox.Literal:
        return
    datatype = URIRef(o.datatype.value)
    if datatype in _DATATYPES:
        converter = AltXSDToPYTHON.get(datatype, lambda v: v)
        try:
            converter(o.value)
        except ValueError:
            raise NotIncremental(f"the literal {o} is outside its datatype") from None


def _iri(value: str) -> ox.NamedNode:
    return ox.NamedNode(value)


#: The datatypes owlrl declares disjoint with some other (``owl:disjointWith``).
_DISJOINT_DATATYPES = {t for left, _, right in OWLRL_Datatypes_Disjointness for t in (left, right)}


def _check_literal_type(
    literal: ox.Literal,
    cls: ox.NamedNode,
    superclasses: dict[Any, list[ox.NamedNode]],
    disjoint: set[ox.NamedNode],
) -> None:
    """Refuse a literal typed (by a range) with a class that could contradict it.

    The full build keeps ``literal rdf:type cls`` and its superclasses in the
    closure (not published) and checks them for disjointness, owlrl's datatype
    disjointness included; here, a class with a disjoint partner, or a datatype
    that has one in owlrl's table and is not the literal's own or one it is
    subsumed by, needs the full build (other ranges may have typed the same literal
    before: the types the previous build gave it are not stored).
    """
    own = URIRef(literal.datatype.value)
    allowed: set[Node] = {own, RDFS.Literal}
    todo: list[Node] = [own]
    while todo:
        for sup in _SUBSUMPTIONS.get(todo.pop(), ()):
            if sup not in allowed:
                allowed.add(sup)
                todo.append(sup)
    for c in [cls, *superclasses.get(cls, ())]:
        if c in disjoint:
            raise NotIncremental(f"the literal {literal} is typed <{c.value}>, a disjoint class")
        term = URIRef(c.value)
        if term in _DISJOINT_DATATYPES and term not in allowed:
            raise NotIncremental(f"the literal {literal} is typed with the datatype <{c.value}>")


def extend_closure(union: Union, rules: RuleSet, added: Iterable[ox.Triple]) -> Extension:
    """Derive what added triples bring to a closed union, semi-naively.

    Args:
        union: The previous closure (stored) — triples derived here are added to its
            pending triples.
        rules: The A-box rules the full build compiled.
        added: The asserted triples of the added sources.

    Returns:
        The new asserted triples and the new inferences.

    Raises:
        NotIncremental: An added or derived triple needs the full build.
    """
    to_rdflib = ToRdflib()
    asserted: list[ox.Triple] = []
    for t in added:
        if t in union:
            continue
        _check_tbox(t, to_rdflib, derived=False)
        _check_literal(t)
        if t.predicate == _TYPE and to_rdflib(t.object) in _DATATYPES:
            raise NotIncremental("an added triple types a resource with a datatype")
        union.add(t)
        asserted.append(t)
    superclasses: dict[Any, list[ox.NamedNode]] = {
        _iri(c): [_iri(d) for d in ds] for c, ds in rules.superclasses.items()
    }
    plans = {_iri(p): plan for p, plan in rules.plans.items()}
    disjoint = {_iri(c) for pair in rules.disjoint_classes for c in pair}
    derived: list[ox.Triple] = []

    def emit(s: Any, p: Any, o: Any) -> None:
        if type(s) is ox.Literal:  # literal-subject: noise, never stored
            if p == _TYPE:
                _check_literal_type(s, o, superclasses, disjoint)
            elif p in plans:
                raise NotIncremental(f"the literal {s} would be the subject of <{p.value}>")
            return
        t = ox.Triple(s, p, o)
        if t not in union:
            union.add(t)
            derived.append(t)
            queue.append(t)

    queue = list(asserted)
    while queue:
        t = queue.pop()
        s, p, o = t.subject, t.predicate, t.object
        if p == _TYPE:
            for d in superclasses.get(o, ()):  # cax-sco, cax-eqc1/2
                emit(s, _TYPE, d)
        plan = plans.get(p)
        if plan is None:
            continue
        for q in plan.supers:  # prp-spo1, prp-eqp1/2
            emit(s, _iri(q), o)
        for q in plan.inverses:  # prp-inv1/2, prp-symp
            emit(o, _iri(q), s)
        for c in plan.domain:  # prp-dom
            emit(s, _TYPE, _iri(c))
        for c in plan.range:  # prp-rng
            emit(o, _TYPE, _iri(c))
        if plan.transitive:  # prp-trp
            for z in union.objects(o, p):
                emit(s, p, z)
            for w in union.subjects(p, s):
                emit(w, p, o)
        for head, chain, position in plan.chains:  # prp-spo2
            left = {s}
            for step in reversed(chain[:position]):
                left = {w for x in left for w in union.subjects(_iri(step), x)}
            right = {o} if left else set()
            for step in chain[position + 1 :]:
                right = {z for y in right for z in union.objects(y, _iri(step))}
            for x in left:
                for z in right:
                    emit(x, _iri(head), z)
    for t in derived:
        _check_tbox(t, to_rdflib, derived=True)
    inferred = [
        t
        for t in derived
        if noise_rule((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object))) is None
    ]
    inferred.sort(key=str)
    return Extension(asserted, inferred, derived)


def check_extension(union: Union, rules: RuleSet, extension: Extension) -> None:
    """Look for a contradiction around the new triples (the old closure had none).

    Args:
        union: The closure, with the extension's triples pending.
        rules: The axioms the full build read.
        extension: The new triples.

    Raises:
        NotIncremental: A possible contradiction: the full build reports it.
    """
    disjoint_classes: dict[Any, set[Any]] = defaultdict(set)
    for a, b in rules.disjoint_classes:
        disjoint_classes[_iri(a)].add(_iri(b))
        disjoint_classes[_iri(b)].add(_iri(a))
    disjoint_properties: dict[Any, set[Any]] = defaultdict(set)
    for a, b in rules.disjoint_properties:
        disjoint_properties[_iri(a)].add(_iri(b))
        disjoint_properties[_iri(b)].add(_iri(a))
    functional = {_iri(p) for p in rules.functional}
    inverse_functional = {_iri(p) for p in rules.inverse_functional}
    for t in [*extension.asserted, *extension.derived]:
        s, p, o = t.subject, t.predicate, t.object
        if p == _TYPE:
            if o == _NOTHING:
                raise NotIncremental(f"{s} is a member of owl:Nothing")
            for other in disjoint_classes.get(o, ()):
                if ox.Triple(s, _TYPE, other) in union:
                    raise NotIncremental(f"{s} is in disjoint classes {o} and {other}")
        for other in disjoint_properties.get(p, ()):
            if ox.Triple(s, other, o) in union:
                raise NotIncremental(f"{s} and {o} are linked by disjoint properties")
        if p in functional and len(union.objects(s, p)) > 1:
            raise NotIncremental(f"the functional {p} has two values for {s}")
        if p in inverse_functional and len(union.subjects(p, o)) > 1:
            raise NotIncremental(f"the inverse-functional {p} has two subjects for {o}")


def _union_terms(union: Union, term: Any) -> Iterator[ox.Quad]:
    """The quads of the union where ``term`` is the subject, then where it is the object."""
    yield from union.store.quads_for_pattern(term, None, None, None)
    yield from union.store.quads_for_pattern(None, None, term, None)


def extend_statistics(
    stats: DatasetStatistics, union: Union, new: Iterable[ox.Triple], base: str
) -> DatasetStatistics:
    """Count the triples new to a union into the VoID statistics.

    Args:
        stats: The previous statistics (not modified).
        union: The union the statistics describe, *before* ``new`` is stored (its
            pending triples are ignored).
        new: Triples that may be new to it.
        base: The dataset namespace (entities are IRIs under ``{base}id/``).

    Returns:
        The new statistics (``graph_triples`` is left to the caller).
    """
    to_rdflib = ToRdflib()
    out = DatasetStatistics(
        stats.triples,
        stats.entities,
        dict(stats.graph_triples),
        dict(stats.classes),
        dict(stats.properties),
    )
    id_space = str(project_namespaces(base).id)
    seen: set[ox.Triple] = set()
    entities: set[Any] = set()
    excluded = union.excluded
    for t in new:
        if t in seen or union.stored(t.subject, t.predicate, t.object):
            continue
        seen.add(t)
        out.triples += 1
        p = to_rdflib(t.predicate)
        out.properties[p] = out.properties.get(p, 0) + 1
        if t.predicate == _TYPE:
            c = to_rdflib(t.object)
            out.classes[c] = out.classes.get(c, 0) + 1
        for term in (t.subject, t.object):
            if type(term) is not ox.NamedNode or term in entities:
                continue
            if not term.value.startswith(id_space):
                continue
            entities.add(term)
            if not any(q.graph_name not in excluded for q in _union_terms(union, term)):
                out.entities += 1
    return out
