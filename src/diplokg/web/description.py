"""The SPARQL 1.1 Service Description of this endpoint.

https://www.w3.org/TR/sparql11-service-description/ — what the service really
is: its public endpoint URL, SPARQL 1.1 Query only (no update language, no
``SERVICE`` federation, no dereferencing), the results and RDF formats it
writes, and its default dataset: the union of the named graphs (listed with
their sizes), ``graph/inferred`` holding OWL 2 RL inferences (the OWL RDF-Based
Semantics restricted to the RL profile). The dataset node is the VoID dataset
``<{base}>`` described at ``/.well-known/void``.
"""

from __future__ import annotations

import functools
import hashlib

from rdflib import BNode, Graph, Literal, Namespace, URIRef

from diplokg.namespaces import RDF, RDFS, SD, VOID, prefixes_for

FORMATS = Namespace("http://www.w3.org/ns/formats/")
ENTAILMENT = Namespace("http://www.w3.org/ns/entailment/")
OWL_PROFILE = Namespace("http://www.w3.org/ns/owl-profile/")

#: The formats this service writes (see :mod:`diplokg.conneg`).
RESULT_FORMATS = [
    FORMATS["SPARQL_Results_JSON"],
    FORMATS["SPARQL_Results_XML"],
    FORMATS["SPARQL_Results_CSV"],
    FORMATS["SPARQL_Results_TSV"],
    FORMATS["Turtle"],
    FORMATS["N-Triples"],
    FORMATS["JSON-LD"],
    FORMATS["RDF_XML"],
    FORMATS["TriG"],
    FORMATS["N-Quads"],
]

RDFLIB_FORMATS = {
    "turtle": "turtle",
    "nt": "nt",
    "jsonld": "json-ld",
    "rdfxml": "xml",
    "trig": "trig",
    "nq": "nquads",
}


def service_graph(endpoint: str, graphs: dict[str, int], base: str) -> Graph:
    """Describe the service.

    Args:
        endpoint: The endpoint's public URL.
        graphs: Named graph IRI → triples.
        base: The dataset namespace.

    Returns:
        The description.
    """
    g = Graph()
    for prefix, ns in prefixes_for(base).items():
        g.bind(prefix, ns)
    g.bind("sd", str(SD))
    g.bind("formats", FORMATS)
    g.bind("ent", ENTAILMENT)
    g.bind("owlprofile", OWL_PROFILE)
    service = URIRef(endpoint)
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, service))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    g.add((service, SD.feature, SD.UnionDefaultGraph))
    g.add((service, SD.defaultEntailmentRegime, ENTAILMENT["Simple"]))
    g.add(
        (
            service,
            RDFS.comment,
            Literal(
                "Read-only SPARQL 1.1 Query endpoint of DiploKG: no update, no SERVICE, no "
                "graphs loaded from the Web. The default graph is the union of the named graphs.",
                lang="en",
            ),
        )
    )
    for fmt in RESULT_FORMATS:
        g.add((service, SD.resultFormat, fmt))
    dataset = URIRef(base)
    g.add((service, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    g.add((dataset, RDF.type, VOID.Dataset))
    # Datasets (FROM, FROM NAMED, the protocol's parameters) may name these graphs only.
    available = BNode("availableGraphs")
    g.add((service, SD.availableGraphs, available))
    g.add((available, RDF.type, SD.GraphCollection))
    default = BNode("defaultGraph")
    g.add((dataset, SD.defaultGraph, default))
    g.add((default, RDF.type, SD.Graph))
    g.add((default, RDFS.comment, Literal("The union of the named graphs.", lang="en")))
    for iri, size in sorted(graphs.items()):
        key = hashlib.sha256(iri.encode()).hexdigest()[:12]
        named, graph = BNode("named-" + key), BNode("graph-" + key)
        g.add((dataset, SD.namedGraph, named))
        g.add((available, SD.namedGraph, named))
        g.add((named, RDF.type, SD.NamedGraph))
        g.add((named, SD.name, URIRef(iri)))
        g.add((named, SD.graph, graph))
        g.add((graph, RDF.type, SD.Graph))
        g.add((graph, VOID.triples, Literal(size)))
        if iri == f"{base}graph/inferred":
            g.add((named, SD.entailmentRegime, ENTAILMENT["OWL-RDF-Based"]))
            g.add((named, SD.supportedEntailmentProfile, OWL_PROFILE["RL"]))
            g.add(
                (
                    named,
                    RDFS.comment,
                    Literal(
                        "Triples entailed under the OWL 2 RL rules (owlrl) by the ontology, "
                        "facts and background graphs, less those asserted and trivial ones.",
                        lang="en",
                    ),
                )
            )
    return g


@functools.lru_cache(maxsize=64)
def _describe(endpoint: str, graphs: tuple[tuple[str, int], ...], base: str, fmt: str) -> bytes:
    graph = service_graph(endpoint, dict(graphs), base)
    return graph.serialize(format=RDFLIB_FORMATS[fmt], encoding="utf-8")


def describe_service(endpoint: str, graphs: dict[str, int], base: str, fmt: str) -> bytes:
    """The description serialised in a format of :data:`diplokg.conneg.GRAPH_FORMATS`."""
    return _describe(endpoint, tuple(sorted(graphs.items())), base, fmt)
