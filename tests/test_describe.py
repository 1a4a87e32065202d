"""diplokg.describe: descriptions read through any store, the same whatever the backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from rdflib import Dataset, Graph, Literal, URIRef

from diplokg.build import BuildResult
from diplokg.describe import Reader, describe
from diplokg.store.memory import MemoryStore
from tests.linked import BASE, ID, RdflibStore


@pytest.fixture(scope="module")
def tiny_stores(built: BuildResult) -> Iterator[tuple[Reader, Reader]]:
    """The tiny fixture project answered by rdflib's engine (the reference) and by Oxigraph."""
    ds = Dataset()
    ds.parse(built.dist / "diplokg.trig", format="trig")
    oxigraph = MemoryStore(built.dist / "diplokg.nq", evaluators=1)
    yield Reader(RdflibStore(ds), BASE, 60), Reader(oxigraph, BASE, 60)
    oxigraph.close()


@pytest.fixture(scope="module")
def oxigraph(linked_app: Flask) -> Reader:
    return Reader(linked_app.extensions["diplokg"]["store"], BASE, 60)


def _normalised(graph: Graph) -> set[tuple[object, ...]]:
    """Triples with literals by value: an engine may write 2.0 as 2 or 2.0E0."""

    def norm(t: object) -> object:
        if isinstance(t, Literal):
            return ("literal", t.value if t.value is not None else str(t), t.datatype, t.language)
        return t

    return {(s, p, norm(o)) for s, p, o in graph}


TINY = ["ana-petrovic", "visit-2021-02-01", "ev-visit", "geneve", "tiny-news", "example-mission"]


@pytest.mark.parametrize("slug", TINY)
def test_descriptions_do_not_depend_on_the_backend(
    tiny_stores: tuple[Reader, Reader], slug: str
) -> None:
    reference, oxigraph = tiny_stores
    iri = URIRef(ID + slug)
    doc = URIRef(BASE + "doc/" + slug)
    a, b = describe(reference, iri), describe(oxigraph, iri)
    assert len(a.graph(doc)) > 3
    assert _normalised(a.graph(doc)) == _normalised(b.graph(doc))
    assert a.evidence == b.evidence
    assert [s.inferred for s in a.outgoing] == [s.inferred for s in b.outgoing]
    assert a.same_as == b.same_as
    assert a.texts == b.texts


def test_description_marks_inferred_statements(oxigraph: Reader) -> None:
    d = describe(oxigraph, URIRef(ID + "azerbaijan"))
    inferred = {str(s.predicate).rsplit("#", 1)[-1] for s in d.outgoing if s.inferred}
    asserted = {str(s.predicate).rsplit("#", 1)[-1] for s in d.outgoing if not s.inferred}
    assert "participatedIn" in inferred
    assert "label" in asserted
    assert d.same_as[URIRef("http://www.wikidata.org/entity/Q227")]


def test_description_of_an_unknown_iri_is_empty(oxigraph: Reader) -> None:
    d = describe(oxigraph, URIRef(ID + "no-such-thing"))
    assert not d.outgoing
    assert not d.incoming
    assert len(d.graph()) == 0


def test_evidence_of_the_facts_around_an_entity(oxigraph: Reader) -> None:
    d = describe(oxigraph, URIRef(ID + "azerbaijan"))
    bodies = {e.body for e in d.evidence}
    assert URIRef(ID + "azerbaijan") in bodies
    assert URIRef(ID + "azerbaijan-isaf-participation") in bodies
    for e in d.evidence:
        text = d.texts[e.source]
        assert e.start is not None
        assert text[e.start : e.end] == e.exact
