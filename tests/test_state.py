"""The build state (src/diplokg/state.py): incremental builds equal full ones, or do not happen."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from diplokg.build import build, state_dir
from diplokg.errors import InconsistencyError, ValidationFailed
from diplokg.state import FORMAT, StateDir

from .conftest import PROJECT, outputs, settings_for, snapshot

UNION_TEXT = (
    "Union — 3 February 2021\n\n"
    "The Example Treaty is part of the Example Union. Rivaria and Montland are partners.\n"
)
UNION_META = """@prefix id: <https://w3id.org/diplokg/id/> .
@prefix schema: <https://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
id:tiny-union a schema:NewsArticle ; schema:headline "Union"@en ;
    schema:datePublished "2021-02-03"^^xsd:date .
"""
# A new organisation at the top of a dkg:partOf chain (transitive: new inferences
# about old subjects), a triple that was inferred (now asserted), and evidence.
UNION_FACTS = """@prefix dkg: <https://w3id.org/diplokg/ontology#> .
@prefix id: <https://w3id.org/diplokg/id/> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
id:example-union a dkg:Organisation ; rdfs:label "Example Union"@en ; skos:altLabel "EU"@en .
id:example-treaty dkg:partOf id:example-union .
id:example-mission dkg:partOf id:example-treaty .
id:ev-tiny-union a oa:Annotation ; oa:motivatedBy dkg:evidencing ;
    oa:hasBody id:example-union, id:example-treaty ;
    oa:hasTarget [ a oa:SpecificResource ; oa:hasSource id:tiny-union ;
        oa:hasSelector [ a oa:TextQuoteSelector ;
            oa:exact "The Example Treaty is part of the Example Union." ] ,
            [ a oa:TextPositionSelector ; oa:start START ; oa:end END ] ] .
"""


def add_source(root: Path, name: str = "tiny-union", facts: str = UNION_FACTS) -> None:
    """Add the Example Union source (or other facts under its text) to a project."""
    quote = "The Example Treaty is part of the Example Union."
    start = UNION_TEXT.index(quote)
    (root / f"data/sources/{name}.txt").write_text(UNION_TEXT, encoding="utf-8")
    meta = UNION_META.replace("tiny-union", name)
    (root / f"data/sources/{name}.ttl").write_text(meta, encoding="utf-8")
    body = facts.replace("START", str(start)).replace("END", str(start + len(quote)))
    (root / f"data/facts/{name}.ttl").write_text(body.replace("tiny-union", name), encoding="utf-8")


def full_outputs(root: Path, tmp: Path) -> dict[str, bytes]:
    """Build a copy of a project without cache or state: the reference outputs."""
    copy = tmp / f"reference-{len(list(tmp.glob('reference-*')))}"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".diplokg-cache", "dist"))
    result = build(settings_for(copy, cache=""))
    assert result.checked.mode == "full"
    return outputs(result.dist)


def states(root: Path) -> StateDir:
    found = state_dir(settings_for(root))
    assert found is not None
    return found


def test_a_build_writes_a_clean_state(project: Path) -> None:
    result = build(settings_for(project))
    assert result.checked.mode == "full"
    assert result.checked.why_full == "no usable build state"
    data = json.loads((states(project).directory / "state.json").read_text(encoding="utf-8"))
    assert data["format"] == FORMAT
    assert data["status"] == "clean"
    assert data["sources"].keys() == {"tiny-news"}
    assert data["sizes"] == result.checked.sizes
    assert states(project).read() is not None


def test_adding_a_source_extends_the_previous_build(project: Path, tmp_path: Path) -> None:
    first = build(settings_for(project))
    add_source(project)
    expected = full_outputs(project, tmp_path)
    result = build(settings_for(project))
    assert result.checked.mode == "incremental"
    assert result.checked.added == ["tiny-union"]
    assert result.checked.reasoning is None
    assert outputs(result.dist) == expected
    counts = result.manifest["counts"]
    assert counts["inferred"] > first.manifest["counts"]["inferred"] - 1
    assert counts["evidence"] == first.manifest["counts"]["evidence"] + 1
    # And again, on top of the incremental build's own state.
    add_source(project, "tiny-union-two")
    expected = full_outputs(project, tmp_path)
    again = build(settings_for(project))
    assert again.checked.mode == "incremental"
    assert outputs(again.dist) == expected
    # The manifest describes the files as written (copied in part from the last ones).
    manifest = json.loads((again.dist / "manifest.json").read_bytes())
    assert manifest == again.manifest
    for name, info in manifest["files"].items():
        data = (again.dist / name).read_bytes()
        assert info == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert set(manifest["files"]) == set(expected)


def test_an_older_dumps_index_renders_the_dumps_anew(project: Path, tmp_path: Path) -> None:
    build(settings_for(project))
    index = states(project).directory / "dumps.bin"
    data = json.loads(index.read_bytes())
    data["version"] -= 1
    index.write_bytes(json.dumps(data).encode())
    add_source(project)
    result = build(settings_for(project))
    assert result.checked.mode == "incremental"
    assert outputs(result.dist) == full_outputs(project, tmp_path)
    assert json.loads(index.read_bytes())["version"] == data["version"] + 1


def test_an_unchanged_project_rebuilds_incrementally_to_the_same_bytes(project: Path) -> None:
    first = outputs(build(settings_for(project)).dist)
    result = build(settings_for(project))
    assert result.checked.mode == "incremental"
    assert result.checked.added == []
    assert outputs(result.dist) == first


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ("edit-source", "a source was edited or removed"),
        ("remove-source", "a source was edited or removed"),
        ("edit-ontology", "the code, settings, ontology, shapes or background changed"),
        ("touch-dist", "dist/ is not the one the state describes"),
        ("dirty", "no usable build state"),
        ("corrupt", "no usable build state"),
        ("tbox", "the added sources need it"),
    ],
)
def test_anything_but_added_sources_means_a_full_build(
    project: Path, tmp_path: Path, change: str, why: str
) -> None:
    add_source(project)
    build(settings_for(project))
    state_file = states(project).directory / "state.json"
    if change == "edit-source":
        facts = project / "data/facts/tiny-union.ttl"
        facts.write_text(facts.read_text(encoding="utf-8") + "id:rivaria dkg:partnerOf id:x .\n")
    elif change == "remove-source":
        for rel in ("data/sources/tiny-union.txt", "data/sources/tiny-union.ttl"):
            (project / rel).unlink()
        (project / "data/facts/tiny-union.ttl").unlink()
    elif change == "edit-ontology":
        onto = project / "ontology/diplokg.ttl"
        onto.write_text(onto.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    elif change == "touch-dist":
        nq = project / "dist/diplokg.nq"
        nq.write_bytes(nq.read_bytes())
    elif change == "dirty":
        data = json.loads(state_file.read_text(encoding="utf-8"))
        data["status"] = "dirty"
        state_file.write_text(json.dumps(data), encoding="utf-8")
    elif change == "corrupt":
        state_file.write_text("{", encoding="utf-8")
    elif change == "tbox":  # a schema triple in a source changes the compiled rules
        add_source(
            project,
            "tiny-schema",
            UNION_FACTS + "dkg:Union rdfs:subClassOf dkg:Organisation .\n",
        )
    expected = full_outputs(project, tmp_path)
    result = build(settings_for(project))
    assert result.checked.mode == "full"
    assert result.checked.why_full.startswith(why)
    assert outputs(result.dist) == expected
    assert states(project).read() is not None  # the full build wrote a new state


@pytest.mark.parametrize(
    ("facts", "error"),
    [
        # A second organisation typed a Person: disjoint classes (consistency).
        (UNION_FACTS + "id:example-union a dkg:Person .\n", InconsistencyError),
        # An organisation with no label: a SHACL violation.
        (UNION_FACTS + "id:example-nolabel a dkg:Organisation .\n", ValidationFailed),
    ],
)
def test_a_failed_incremental_build_leaves_dist_and_state_usable(
    project: Path, tmp_path: Path, facts: str, error: type[Exception]
) -> None:
    build(settings_for(project))
    before = snapshot(project / "dist")
    state_before = (states(project).directory / "state.json").read_bytes()
    add_source(project, "tiny-bad", facts)
    with pytest.raises(error):
        build(settings_for(project))
    assert snapshot(project / "dist") == before
    assert (states(project).directory / "state.json").read_bytes() == state_before
    for rel in (
        "data/sources/tiny-bad.txt",
        "data/sources/tiny-bad.ttl",
        "data/facts/tiny-bad.ttl",
    ):
        (project / rel).unlink()
    add_source(project)
    expected = full_outputs(project, tmp_path)
    result = build(settings_for(project))
    assert result.checked.mode == "incremental"
    assert outputs(result.dist) == expected


def test_no_cache_means_no_state(project: Path) -> None:
    result = build(settings_for(project, cache=""))
    assert result.checked.mode == "full"
    assert state_dir(settings_for(project, cache="")) is None
    assert not (project / ".diplokg-cache").exists()


def test_the_state_store_matches_dist(project: Path) -> None:
    import pyoxigraph as ox

    add_source(project)
    build(settings_for(project))
    found = states(project)
    read = found.read()
    assert read is not None
    store = found.open_store(read[0].generation)
    dumped = ox.Store()
    dumped.bulk_load(path=str(project / "dist/diplokg.nq"), format=ox.RdfFormat.N_QUADS)
    assert set(store) == set(dumped)
    del store
    assert os.path.isdir(found.directory / "store")


def test_the_project_fixture_is_untouched() -> None:
    assert not (PROJECT / ".diplokg-cache").exists()


def test_a_store_held_by_an_earlier_result_is_never_taken_for_a_newer_one(
    project: Path, tmp_path: Path
) -> None:
    build(settings_for(project))
    add_source(project)
    held = build(settings_for(project))  # holds the state's store
    assert held.checked.mode == "incremental"
    facts = project / "data/facts/tiny-union.ttl"
    facts.write_text(facts.read_text(encoding="utf-8") + "id:rivaria dkg:partnerOf id:x .\n")
    assert build(settings_for(project)).checked.mode == "full"  # a new store, generation
    add_source(project, "tiny-union-two")
    expected = full_outputs(project, tmp_path)
    result = build(settings_for(project))
    assert outputs(result.dist) == expected
    assert held.checked.store is not result.checked.store


def test_a_generated_source_added_to_a_generated_corpus_is_incremental(tmp_path: Path) -> None:
    from benchmarks.generate import generate

    root = tmp_path / "corpus"
    generate(root, 3_000, seed=3)
    last = sorted((root / "data/sources").glob("*.txt"))[-1].stem
    rels = [f"data/sources/{last}.txt", f"data/sources/{last}.ttl", f"data/facts/{last}.ttl"]
    aside = {rel: (root / rel).read_bytes() for rel in rels}
    for rel in rels:
        (root / rel).unlink()
    build(settings_for(root))
    for rel, data in aside.items():
        (root / rel).write_bytes(data)
    expected = full_outputs(root, tmp_path)
    result = build(settings_for(root))
    assert (result.checked.mode, result.checked.why_full) == ("incremental", "")
    assert result.checked.added == [last]
    assert outputs(result.dist) == expected
