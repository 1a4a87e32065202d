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
from collections import Counter, defaultdict

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from diplokg.namespaces import DCTERMS, PROV, RDF, RDFS, VOID, graph_iri, project_namespaces

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


def describe_dataset(
    graphs: dict[str, Graph],
    base: str,
    source_ids: list[str],
    input_digest: str,
    version: str,
) -> Graph:
    """Build ``graph/meta``: the VoID description of the other named graphs.

    Args:
        graphs: Every named graph but ``meta``, by name (``ontology``, ``facts/x``…).
        base: The dataset namespace.
        source_ids: The ids of the sources the data is drawn from.
        input_digest: The digest of the input files.
        version: The version of the software that built the dataset.

    Returns:
        The meta graph, named ``{base}graph/meta``.
    """
    ns = project_namespaces(base)
    meta = Graph(identifier=graph_iri(base, "meta"), bind_namespaces="none")
    dataset = URIRef(base)
    build = URIRef(base + "#build")
    add = meta.add

    union: set[tuple[Node, Node, Node]] = set()
    for g in graphs.values():
        union.update(g)
    instances: dict[Node, set[Node]] = defaultdict(set)
    per_property: Counter[Node] = Counter()
    entities: set[Node] = set()
    for s, p, o in union:
        per_property[p] += 1
        if p == RDF.type:
            instances[o].add(s)
        entities.update(t for t in (s, o) if isinstance(t, URIRef) and t.startswith(ns.id))

    add((dataset, RDF.type, VOID.Dataset))
    add((dataset, DCTERMS.title, Literal("DiploKG", lang="en")))
    add((dataset, VOID.uriSpace, Literal(str(ns.id))))
    add((dataset, VOID.triples, Literal(len(union))))
    add((dataset, VOID.entities, Literal(len(entities))))
    add((dataset, VOID.classes, Literal(len(instances))))
    add((dataset, VOID.properties, Literal(len(per_property))))
    add((dataset, VOID.sparqlEndpoint, URIRef(base + "sparql")))
    add((dataset, VOID.vocabulary, URIRef(base + "ontology")))
    for name in DUMP_FILES:
        add((dataset, VOID.dataDump, URIRef(f"{base}dumps/{name}")))
    for source_id in source_ids:
        add((dataset, DCTERMS.source, ns.id[source_id]))
        add((dataset, PROV.wasDerivedFrom, ns.id[source_id]))
    for name in sorted(graphs):
        subset = graph_iri(base, name)
        add((dataset, VOID.subset, subset))
        add((subset, RDF.type, VOID.Dataset))
        add((subset, VOID.triples, Literal(len(graphs[name]))))
    for cls, members in instances.items():
        part = URIRef(base + _frag("class", cls))
        add((dataset, VOID.classPartition, part))
        add((part, VOID["class"], cls))
        add((part, VOID.entities, Literal(len(members))))
    for prop, count in per_property.items():
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
