"""The dataset's description: VoID and build provenance for ``graph/meta``.

Describes the dataset with VoID (https://www.w3.org/TR/void/): triples per named
graph (each a ``void:subset``), ``void:entities`` (IRIs under ``void:uriSpace``
``{base}id/``), class and property partitions
(https://www.w3.org/TR/void/#class-property-partitions), the dumps and the SPARQL
endpoint; and its provenance with PROV-O (https://www.w3.org/TR/prov-o/): the
sources it was derived from and the build activity with the digest of its inputs.
It records no wall-clock time, so the same inputs give the same bytes; the build
time is in ``manifest.json``.

The dataset is ``<{base}>``, its partitions ``<{base}#class-{hash}>`` and
``<{base}#property-{hash}>``, the build ``<{base}#build>``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, cast

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from diplokg.namespaces import DCTERMS, PROV, RDF, RDFS, VOID, graph_iri, project_namespaces
from diplokg.terms import ToRdflib

#: The dumps written to ``dist/`` and served under ``{base}dumps/``.
DUMP_FILES = (
    "diplokg.trig",
    "diplokg.nq",
    "diplokg.ttl",
    "diplokg.nt",
    "diplokg.trig.gz",
    "diplokg.nq.gz",
    "diplokg.ttl.gz",
    "diplokg.nt.gz",
)


def _frag(kind: str, term: Node) -> str:
    return f"#{kind}-{hashlib.sha256(str(term).encode()).hexdigest()[:12]}"


def partition_fragment(kind: str, term: Node) -> str:
    """The fragment of a partition's IRI: ``#class-{hash}`` or ``#property-{hash}``.

    The home page uses it as the anchor of each class, so partition IRIs resolve there.
    """
    return _frag(kind, term)


@dataclass
class DatasetStatistics:
    """The counts VoID states about a dataset.

    Attributes:
        triples: Distinct triples in the union of the graphs.
        entities: Distinct IRIs under ``{base}id/`` in subject or object position.
        graph_triples: Triples per named graph, by name.
        classes: Distinct instances per class (``rdf:type`` objects).
        properties: Distinct triples per property.
    """

    triples: int = 0
    entities: int = 0
    graph_triples: dict[str, int] = field(default_factory=dict)
    classes: dict[Node, int] = field(default_factory=dict)
    properties: dict[Node, int] = field(default_factory=dict)


def _count(value: object) -> int:
    return int(value.value) if isinstance(value, ox.Literal) else 0


def dataset_statistics(store: ox.Store, names: list[str], base: str) -> DatasetStatistics:
    """Count what VoID states, with queries evaluated by Oxigraph.

    The union of the graphs is a set: a triple stated in two graphs counts once
    (Oxigraph's default graph made of several graphs repeats it, hence ``DISTINCT``).

    Args:
        store: A store holding the named graphs ``{base}graph/{name}``.
        names: The names of the graphs to describe.
        base: The dataset namespace.

    Returns:
        The counts.
    """
    graphs = [ox.NamedNode(str(graph_iri(base, name))) for name in names]
    to_rdflib = ToRdflib()
    stats = DatasetStatistics()

    def rows(query: str, **dataset: Any) -> list[Any]:
        return list(cast(ox.QuerySolutions, store.query(query, **dataset)))

    per_graph = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    found = {row["g"]: _count(row["n"]) for row in rows(per_graph, named_graphs=graphs)}
    for name, graph in zip(names, graphs, strict=True):
        stats.graph_triples[name] = found.get(graph, 0)
    union = {"default_graph": graphs}
    distinct = "SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o }"

    for row in rows("SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c", **union):
        stats.classes[to_rdflib(row["c"])] = _count(row["n"])
    for row in rows(f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ {distinct} }} GROUP BY ?p", **union):
        stats.properties[to_rdflib(row["p"])] = _count(row["n"])
    stats.triples = sum(stats.properties.values())  # each triple has one predicate
    id_space = json.dumps(str(project_namespaces(base).id), ensure_ascii=False)
    (row,) = rows(
        "SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {"
        " { ?e ?p ?o } UNION { ?s ?p ?e }"
        f" FILTER(isIRI(?e) && STRSTARTS(STR(?e), {id_space})) }}",
        **union,
    )
    stats.entities = _count(row["n"])
    return stats


def describe_dataset(
    stats: DatasetStatistics,
    base: str,
    source_ids: list[str],
    input_digest: str,
    version: str,
) -> Graph:
    """Build ``graph/meta``: the VoID description of the other named graphs.

    Args:
        stats: The counts of every named graph but ``meta`` (:func:`dataset_statistics`).
        base: The dataset namespace.
        source_ids: The ids of the sources the data is drawn from.
        input_digest: The digest of the input files.
        version: The version of the software that built the dataset.

    Returns:
        The meta graph, named ``{base}graph/meta``.
    """
    meta = Graph(identifier=graph_iri(base, "meta"), bind_namespaces="none")
    for triple in describe_triples(stats, base, source_ids, input_digest, version):
        meta.add(triple)
    return meta


def describe_triples(
    stats: DatasetStatistics,
    base: str,
    source_ids: list[str],
    input_digest: str,
    version: str,
) -> set[tuple[Node, Node, Node]]:
    """The triples of :func:`describe_dataset`'s graph (without building an rdflib graph).

    Args:
        stats: As for :func:`describe_dataset`.
        base: As for :func:`describe_dataset`.
        source_ids: As for :func:`describe_dataset`.
        input_digest: As for :func:`describe_dataset`.
        version: As for :func:`describe_dataset`.

    Returns:
        The triples.
    """
    ns = project_namespaces(base)
    meta: set[tuple[Node, Node, Node]] = set()
    dataset = URIRef(base)
    build = URIRef(base + "#build")
    add = meta.add

    add((dataset, RDF.type, VOID.Dataset))
    add((dataset, DCTERMS.title, Literal("DiploKG", lang="en")))
    add((dataset, VOID.uriSpace, Literal(str(ns.id))))
    add((dataset, VOID.triples, Literal(stats.triples)))
    add((dataset, VOID.entities, Literal(stats.entities)))
    add((dataset, VOID.classes, Literal(len(stats.classes))))
    add((dataset, VOID.properties, Literal(len(stats.properties))))
    add((dataset, VOID.sparqlEndpoint, URIRef(base + "sparql")))
    add((dataset, VOID.vocabulary, URIRef(base + "ontology")))
    for name in DUMP_FILES:
        add((dataset, VOID.dataDump, URIRef(f"{base}dumps/{name}")))
    for source_id in source_ids:
        add((dataset, DCTERMS.source, ns.id[source_id]))
        add((dataset, PROV.wasDerivedFrom, ns.id[source_id]))
    for name in sorted(stats.graph_triples):
        subset = graph_iri(base, name)
        add((dataset, VOID.subset, subset))
        add((subset, RDF.type, VOID.Dataset))
        add((subset, VOID.triples, Literal(stats.graph_triples[name])))
    for cls, members in stats.classes.items():
        part = URIRef(base + _frag("class", cls))
        add((dataset, VOID.classPartition, part))
        add((part, VOID["class"], cls))
        add((part, VOID.entities, Literal(members)))
    for prop, count in stats.properties.items():
        part = URIRef(base + _frag("property", prop))
        add((dataset, VOID.propertyPartition, part))
        add((part, VOID.property, prop))
        add((part, VOID.triples, Literal(count)))

    add((dataset, PROV.wasGeneratedBy, build))
    add((build, RDF.type, PROV.Activity))
    add((build, RDFS.label, Literal(f"diplokg build (diplokg {version})", lang="en")))
    add((build, DCTERMS.identifier, Literal(input_digest)))
    add((build, RDFS.comment, Literal("dcterms:identifier is the sha256 of the input files.")))
    for source_id in source_ids:
        add((build, PROV.used, ns.id[source_id]))
    add((graph_iri(base, "inferred"), PROV.wasGeneratedBy, build))
    owl2rl = URIRef("https://www.w3.org/TR/owl2-profiles/#OWL_2_RL")
    add((graph_iri(base, "inferred"), DCTERMS.conformsTo, owl2rl))
    return meta
