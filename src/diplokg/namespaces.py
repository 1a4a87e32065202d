"""Namespaces of DiploKG and of the vocabularies it reuses.

The project namespaces depend on the dataset base (a setting); the constants
``DKG``, ``ID``, ``GRAPH`` and ``SHAPES`` are those of the canonical base
``https://w3id.org/diplokg/`` and :func:`project_namespaces` / :func:`graph_iri`
give them for any other base. Reused vocabularies are closed, typed namespaces
(rdflib's ``DefinedNamespace``) so that a mistyped term raises at import time.

See https://www.w3.org/TR/annotation-vocab/ (OA) and
https://www.w3.org/TR/sparql11-service-description/ (SD).
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Literal, Namespace, URIRef
from rdflib.namespace import (
    DCTERMS,
    FOAF,
    ORG,
    OWL,
    PROV,
    RDF,
    RDFS,
    SDO,
    SH,
    SKOS,
    TIME,
    VOID,
    XSD,
    DefinedNamespace,
)

from diplokg.config import CANONICAL_BASE

__all__ = [
    "DCTERMS",
    "DKG",
    "FOAF",
    "GRAPH",
    "ID",
    "OA",
    "ORG",
    "OWL",
    "PREFIXES",
    "PROV",
    "RDF",
    "RDFS",
    "SCHEMA",
    "SD",
    "SH",
    "SHAPES",
    "SKOS",
    "TIME",
    "VOID",
    "XSD",
    "ProjectNamespaces",
    "graph_iri",
    "project_namespaces",
]

#: schema.org, https form (https://schema.org/), as schema.org itself recommends.
SCHEMA = SDO


class OA(DefinedNamespace):
    """Web Annotation Vocabulary (https://www.w3.org/TR/annotation-vocab/)."""

    _NS = Namespace("http://www.w3.org/ns/oa#")
    _fail = True

    # Classes
    Annotation: URIRef
    Choice: URIRef
    CssSelector: URIRef
    CssStyle: URIRef
    DataPositionSelector: URIRef
    Direction: URIRef
    FragmentSelector: URIRef
    HttpRequestState: URIRef
    Motivation: URIRef
    RangeSelector: URIRef
    ResourceSelection: URIRef
    Selector: URIRef
    SpecificResource: URIRef
    State: URIRef
    Style: URIRef
    SvgSelector: URIRef
    TextPositionSelector: URIRef
    TextQuoteSelector: URIRef
    TextualBody: URIRef
    TimeState: URIRef
    XPathSelector: URIRef
    # Properties
    annotationService: URIRef
    bodyValue: URIRef
    cachedSource: URIRef
    canonical: URIRef
    end: URIRef
    exact: URIRef
    hasBody: URIRef
    hasEndSelector: URIRef
    hasPurpose: URIRef
    hasScope: URIRef
    hasSelector: URIRef
    hasSource: URIRef
    hasStartSelector: URIRef
    hasState: URIRef
    hasTarget: URIRef
    motivatedBy: URIRef
    prefix: URIRef
    processingLanguage: URIRef
    refinedBy: URIRef
    renderedVia: URIRef
    sourceDate: URIRef
    sourceDateEnd: URIRef
    sourceDateStart: URIRef
    start: URIRef
    styleClass: URIRef
    styledBy: URIRef
    suffix: URIRef
    textDirection: URIRef
    via: URIRef
    # Motivations
    assessing: URIRef
    bookmarking: URIRef
    classifying: URIRef
    commenting: URIRef
    describing: URIRef
    editing: URIRef
    highlighting: URIRef
    identifying: URIRef
    linking: URIRef
    moderating: URIRef
    questioning: URIRef
    replying: URIRef
    tagging: URIRef


class SD(DefinedNamespace):
    """SPARQL 1.1 Service Description (https://www.w3.org/TR/sparql11-service-description/)."""

    _NS = Namespace("http://www.w3.org/ns/sparql-service-description#")
    _fail = True

    Aggregate: URIRef
    BasicFederatedQuery: URIRef
    Dataset: URIRef
    DereferencesURIs: URIRef
    EmptyGraphs: URIRef
    EntailmentProfile: URIRef
    EntailmentRegime: URIRef
    Feature: URIRef
    Function: URIRef
    Graph: URIRef
    GraphCollection: URIRef
    Language: URIRef
    NamedGraph: URIRef
    RequiresDataset: URIRef
    SPARQL10Query: URIRef
    SPARQL11Query: URIRef
    SPARQL11Update: URIRef
    Service: URIRef
    UnionDefaultGraph: URIRef
    availableGraphs: URIRef
    defaultDataset: URIRef
    defaultEntailmentRegime: URIRef
    defaultGraph: URIRef
    defaultSupportedEntailmentProfile: URIRef
    endpoint: URIRef
    entailmentRegime: URIRef
    extensionAggregate: URIRef
    extensionFunction: URIRef
    feature: URIRef
    graph: URIRef
    inputFormat: URIRef
    languageExtension: URIRef
    name: URIRef
    namedGraph: URIRef
    propertyFeature: URIRef
    resultFormat: URIRef
    supportedEntailmentProfile: URIRef
    supportedLanguage: URIRef


@dataclass(frozen=True)
class ProjectNamespaces:
    """The project namespaces for one dataset base."""

    base: str
    dkg: Namespace
    id: Namespace
    graph: Namespace
    shapes: Namespace
    genid: Namespace


def project_namespaces(base: str = CANONICAL_BASE) -> ProjectNamespaces:
    """Return the project namespaces under a dataset base.

    Args:
        base: The dataset namespace, ending in ``/``.

    Returns:
        ``dkg`` = ``{base}ontology#``, ``id`` = ``{base}id/``, ``graph`` = ``{base}graph/``,
        ``shapes`` = ``{base}shapes#``, ``genid`` = ``{base}.well-known/genid/``.
    """
    return ProjectNamespaces(
        base=base,
        dkg=Namespace(base + "ontology#"),
        id=Namespace(base + "id/"),
        graph=Namespace(base + "graph/"),
        shapes=Namespace(base + "shapes#"),
        genid=Namespace(base + ".well-known/genid/"),
    )


def graph_iri(base: str, name: str) -> URIRef:
    """Return the IRI of a named graph, e.g. ``graph_iri(base, "facts/x")``.

    Args:
        base: The dataset namespace.
        name: The graph's path below ``{base}graph/``: ``ontology``, ``shapes``,
            ``facts/{source-id}``, ``background``, ``inferred`` or ``meta``.

    Returns:
        The graph IRI.
    """
    return URIRef(f"{base}graph/{name}")


_CANONICAL = project_namespaces()
DKG = _CANONICAL.dkg
ID = _CANONICAL.id
GRAPH = _CANONICAL.graph
SHAPES = _CANONICAL.shapes

#: Fixed prefix bindings used for every serialisation (deterministic output).
PREFIXES: dict[str, str] = {
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "sh": str(SH),
    "oa": str(OA),
    "schema": str(SCHEMA),
    "org": str(ORG),
    "prov": str(PROV),
    "time": str(TIME),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "void": str(VOID),
    "sd": str(SD),
    "foaf": str(FOAF),
    "wd": "http://www.wikidata.org/entity/",
    "wdt": "http://www.wikidata.org/prop/direct/",
}


def prefixes_for(base: str) -> dict[str, str]:
    """Return the fixed prefix bindings for a base: the project's and the reused ones.

    Args:
        base: The dataset namespace.

    Returns:
        Prefix → namespace IRI, the project prefixes (``dkg``, ``id``, ``graph``,
        ``shapes``, ``genid``) first.
    """
    ns = project_namespaces(base)
    own = {"dkg": ns.dkg, "id": ns.id, "graph": ns.graph, "shapes": ns.shapes, "genid": ns.genid}
    return {**{k: str(v) for k, v in own.items()}, **PREFIXES}


def shorten(term: object, base: str) -> str:
    """Write a term for a person: ``id:x`` or ``dkg:Event`` when a prefix fits, else N3.

    Args:
        term: An rdflib term (IRI, literal, blank node) or anything printable.
        base: The dataset namespace.

    Returns:
        The compact form.
    """
    if isinstance(term, URIRef):
        for prefix, ns in prefixes_for(base).items():
            local = term[len(ns) :]
            if term.startswith(ns) and local and all(c.isalnum() or c in "-_." for c in local):
                return f"{prefix}:{local}"
        return f"<{term}>"
    if isinstance(term, Literal) and term.datatype is not None:
        return f"{Literal(str(term)).n3()}^^{shorten(term.datatype, base)}"
    n3 = getattr(term, "n3", None)
    return str(n3()) if callable(n3) else str(term)
