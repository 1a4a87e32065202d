from __future__ import annotations

import pyoxigraph as ox
from rdflib import Literal, URIRef

from diplokg.build import BuildResult
from diplokg.namespaces import DCTERMS, DKG, ID, PROV, RDF, VOID
from diplokg.void import dataset_statistics

BASE = "https://w3id.org/diplokg/"
DATASET = URIRef(BASE)


def test_counts_per_graph(built: BuildResult) -> None:
    meta = built.checked.graphs["meta"]
    for name, graph in built.checked.graphs.items():
        if name == "meta":
            continue
        subset = URIRef(f"{BASE}graph/{name}")
        assert (DATASET, VOID.subset, subset) in meta
        assert meta.value(subset, VOID.triples) == Literal(len(graph))


def test_dataset_description(built: BuildResult) -> None:
    meta = built.checked.graphs["meta"]
    assert meta.value(DATASET, VOID.uriSpace) == Literal(BASE + "id/")
    assert (DATASET, DCTERMS.source, ID["tiny-news"]) in meta
    entities = meta.value(DATASET, VOID.entities)
    assert isinstance(entities, Literal)
    assert entities.toPython() >= 10
    assert len(list(meta.objects(DATASET, VOID.dataDump))) == 8
    build = meta.value(DATASET, PROV.wasGeneratedBy)
    assert meta.value(build, DCTERMS.identifier) == Literal(built.checked.project.input_digest)


def test_class_and_property_partitions(built: BuildResult) -> None:
    meta = built.checked.graphs["meta"]
    by_class = {
        meta.value(p, VOID["class"]): meta.value(p, VOID.entities)
        for p in meta.objects(DATASET, VOID.classPartition)
    }
    assert by_class[DKG.Organisation] == Literal(5)
    assert by_class[DKG.Fact] == Literal(1)  # inferred types count
    by_property = {
        meta.value(p, VOID.property): meta.value(p, VOID.triples)
        for p in meta.objects(DATASET, VOID.propertyPartition)
    }
    assert by_property[DKG.partnerOf] == Literal(2)  # asserted + inferred symmetric


def test_no_wall_clock_time(built: BuildResult) -> None:
    meta = built.checked.graphs["meta"]
    assert not [
        o for o in meta.objects() if isinstance(o, Literal) and "dateTime" in str(o.datatype)
    ]


def test_statistics_count_the_union_as_a_set() -> None:
    store = ox.Store()
    a, b = (ox.NamedNode(f"{BASE}graph/{n}") for n in ("a", "b"))
    alice, bob = ox.NamedNode(f"{BASE}id/alice"), ox.NamedNode(f"{BASE}id/bob")
    knows, person = ox.NamedNode(f"{DKG}knows"), ox.NamedNode(f"{DKG}Person")
    rdf_type = ox.NamedNode(str(RDF.type))
    for graph in (a, b):  # the same two triples in both graphs
        store.add(ox.Quad(alice, knows, bob, graph))
        store.add(ox.Quad(alice, rdf_type, person, graph))
    store.add(ox.Quad(bob, rdf_type, person, b))
    store.add(
        ox.Quad(bob, knows, ox.NamedNode("http://elsewhere.org/x"), ox.NamedNode("urn:other"))
    )
    stats = dataset_statistics(store, ["a", "b"], BASE)
    assert stats.graph_triples == {"a": 2, "b": 3}
    assert stats.triples == 3
    assert stats.entities == 2
    assert stats.classes == {DKG.Person: 2}
    assert stats.properties == {DKG.knows: 1, RDF.type: 2}


def test_statistics_of_an_empty_graph() -> None:
    stats = dataset_statistics(ox.Store(), ["empty"], BASE)
    assert (stats.triples, stats.entities, stats.graph_triples) == (0, 0, {"empty": 0})
