from __future__ import annotations

from rdflib import Literal, URIRef

from diplokg.build import BuildResult
from diplokg.namespaces import DCTERMS, DKG, ID, PROV, VOID

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
