from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Dataset, URIRef

from diplokg.build import BuildResult
from diplokg.errors import NotFound
from diplokg.stats import compute_stats, dist_stats

from .conftest import settings_for

BASE = "https://w3id.org/diplokg/"


def test_fixture_stats(built: BuildResult) -> None:
    stats = dist_stats(settings_for(built.checked.project.root))
    graphs = built.checked.graphs
    assert stats.asserted == {
        name: len(graphs[name]) for name in ("background", "facts/tiny-news", "ontology", "shapes")
    }
    assert stats.asserted_total == sum(stats.asserted.values())
    assert stats.inferred == len(graphs["inferred"])
    assert stats.entities_by_class["dkg:Organisation"] == 5
    assert stats.entities_by_class["oa:Annotation"] == 2
    assert stats.facts_with_evidence == 1
    assert stats.facts_without_evidence == []
    assert stats.competency_questions == 1


def test_text_and_json(built: BuildResult) -> None:
    stats = dist_stats(settings_for(built.checked.project.root))
    text = stats.to_text()
    assert "facts: 1 (1 with evidence)" in text
    assert "competency questions: 1" in text
    assert json.loads(stats.to_json())["facts_with_evidence"] == 1


def test_fact_without_evidence_is_listed() -> None:
    ds = Dataset()
    ds.graph(URIRef(BASE + "graph/facts/x")).parse(
        data="""@prefix dkg: <https://w3id.org/diplokg/ontology#> .
        @prefix id: <https://w3id.org/diplokg/id/> . @prefix oa: <http://www.w3.org/ns/oa#> .
        id:f1 a dkg:Fact . id:f2 a dkg:Fact . id:ev oa:hasBody id:f1 .""",
        format="turtle",
    )
    stats = compute_stats(ds, BASE)
    assert stats.facts_with_evidence == 1
    assert stats.facts_without_evidence == ["id:f2"]


def test_stats_need_a_build(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        dist_stats(settings_for(tmp_path))
