"""The incremental build cache (src/diplokg/cache.py): same bytes, only new work, no blind trust."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from diplokg.build import build, check_project, render_files, source_cache, warm_cache
from diplokg.cache import FORMAT, SourceCache
from diplokg.errors import InputError, ProvenanceError

from .conftest import PROJECT, outputs, settings_for

BRIEF_TEXT = "Brief — 2 February 2021\n\nAna Petrović visited Genève again on 2 February 2021.\n"
BRIEF_META = """@prefix id: <https://w3id.org/diplokg/id/> .
@prefix schema: <https://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
id:tiny-brief a schema:NewsArticle ; schema:headline "Brief"@en ;
    schema:datePublished "2021-02-02"^^xsd:date .
"""
BRIEF_FACTS = """@prefix dkg: <https://w3id.org/diplokg/ontology#> .
@prefix id: <https://w3id.org/diplokg/id/> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
id:visit-2021-02-02 a dkg:Visit ; dkg:visitor id:ana-petrovic ; dkg:destination id:geneve ;
    dkg:date "2021-02-02"^^xsd:date .
id:ev-brief a oa:Annotation ; oa:motivatedBy dkg:evidencing ; oa:hasBody id:visit-2021-02-02 ;
    oa:hasTarget [ a oa:SpecificResource ; oa:hasSource id:tiny-brief ;
        oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "Ana Petrović visited Genève" ] ,
            [ a oa:TextPositionSelector ; oa:start 25 ; oa:end 52 ] ] .
"""


def add_brief(root: Path) -> None:
    """Add a second, small source to a copy of the fixture project."""
    (root / "data/sources/tiny-brief.txt").write_text(BRIEF_TEXT, encoding="utf-8")
    (root / "data/sources/tiny-brief.ttl").write_text(BRIEF_META, encoding="utf-8")
    (root / "data/facts/tiny-brief.ttl").write_text(BRIEF_FACTS, encoding="utf-8")


def full_build(root: Path, tmp: Path) -> dict[str, bytes]:
    result = build(settings_for(root, dist=tmp / "full-dist", cache=""))
    assert result.checked.cache == {"hits": 0, "misses": len(result.checked.project.sources)}
    return outputs(result.dist)


def rendered(root: Path, hits: int, misses: int) -> dict[str, bytes]:
    """Check a project with its cache and render dist/'s files (all but the manifest)."""
    checked = check_project(settings_for(root))
    assert checked.cache == {"hits": hits, "misses": misses}
    return render_files(checked)


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The fixture project's outputs, built without a cache."""
    root = tmp_path_factory.mktemp("full") / "project"
    shutil.copytree(PROJECT, root)
    return full_build(root, root.parent)


def test_warm_build_is_byte_identical_and_parses_nothing(
    project: Path, expected: dict[str, bytes]
) -> None:
    cold = build(settings_for(project))
    assert cold.checked.cache == {"hits": 0, "misses": 1}
    assert (project / ".diplokg-cache/sources/tiny-news.json").is_file()
    warm = build(settings_for(project))
    assert warm.checked.cache == {"hits": 1, "misses": 0}
    assert outputs(warm.dist) == expected
    assert warm.manifest["counts"] == cold.manifest["counts"]


def test_adding_a_source_redoes_only_that_source(project: Path, tmp_path: Path) -> None:
    build(settings_for(project))
    add_brief(project)
    expected = full_build(project, tmp_path)
    result = build(settings_for(project))
    assert result.checked.cache == {"hits": 1, "misses": 1}
    assert outputs(result.dist) == expected
    assert result.checked.mode == "incremental"
    assert len(result.checked.evidence) == 1  # verified by this build: the added source's
    assert result.manifest["counts"]["evidence"] == 3


def test_editing_a_source_invalidates_its_entry(project: Path, tmp_path: Path) -> None:
    add_brief(project)
    build(settings_for(project))
    facts = project / "data/facts/tiny-brief.ttl"
    facts.write_text(facts.read_text(encoding="utf-8") + "id:rivaria dkg:partnerOf id:x .\n")
    # An undeclared id:x is fine for these shapes; what matters is that the edit is seen.
    expected = full_build(project, tmp_path)
    assert rendered(project, hits=1, misses=1) == expected


def test_a_broken_edit_is_still_caught(project: Path) -> None:
    check_project(settings_for(project))
    text = project / "data/sources/tiny-news.txt"
    text.write_text(text.read_text(encoding="utf-8").replace("Ana", "Anna"), encoding="utf-8")
    with pytest.raises(ProvenanceError):
        check_project(settings_for(project))


def test_a_quoted_source_that_changes_invalidates_the_quoting_entry(project: Path) -> None:
    # tiny-brief quotes tiny-news: editing tiny-news's text must re-check tiny-brief.
    add_brief(project)
    facts = project / "data/facts/tiny-brief.ttl"
    facts.write_text(
        facts.read_text(encoding="utf-8").replace(
            "oa:start 25 ; oa:end 52",
            "oa:start 25 ; oa:end 52 ] ] .\nid:ev-brief2 a oa:Annotation"
            " ; oa:motivatedBy dkg:evidencing ; oa:hasBody id:visit-2021-02-02 ; oa:hasTarget"
            " [ a oa:SpecificResource ; oa:hasSource id:tiny-news ; oa:hasSelector"
            ' [ a oa:TextQuoteSelector ; oa:exact "Tiny News" ] , [ a oa:TextPositionSelector'
            " ; oa:start 0 ; oa:end 9",
        ),
        encoding="utf-8",
    )
    build(settings_for(project))
    text = project / "data/sources/tiny-news.txt"
    text.write_text("Tin" + text.read_text(encoding="utf-8")[3:].replace("y", "i", 1))
    with pytest.raises(ProvenanceError) as info:
        check_project(settings_for(project))
    assert any("graph/facts/tiny-brief" in p for p in info.value.problems)


@pytest.mark.parametrize(
    "damage",
    [
        "wrong-key",
        "bad-checksum",
        "not-json",
        "truncated",
        "wrong-format",
        "bad-term",
        "empty",
    ],
)
def test_a_bad_entry_is_ignored_not_trusted(
    project: Path, expected: dict[str, bytes], damage: str
) -> None:
    check_project(settings_for(project))
    entry = project / ".diplokg-cache/sources/tiny-news.json"
    header_line, body = entry.read_bytes().split(b"\n", 1)
    header = json.loads(header_line)
    if damage == "wrong-key":
        header["key"] = "0" * 64
    elif damage == "wrong-format":
        header["format"] = "diplokg-source-cache/0"
    elif damage == "bad-checksum":
        body = body.replace(b"Example Mission", b"Example Missile", 1)
    elif damage == "bad-term":  # a term that is not N-Triples, with a matching checksum
        meta, _, triples = body.partition(b"\n")
        body = meta + b"\n" + triples.replace(b"<", b"<not an IRI ", 1)
        header["sha256"] = hashlib.sha256(body).hexdigest()
    if damage == "not-json":
        entry.write_bytes(b"\x00\xff garbage")
    elif damage == "truncated":
        entry.write_bytes(entry.read_bytes()[:200])
    elif damage == "empty":
        entry.write_bytes(b"")
    else:
        entry.write_bytes(json.dumps(header).encode() + b"\n" + body)
    assert rendered(project, hits=0, misses=1) == expected
    # The bad entry was replaced by a good one.
    assert check_project(settings_for(project)).cache == {"hits": 1, "misses": 0}


def test_a_forged_entry_with_a_matching_checksum_but_other_key_is_ignored(project: Path) -> None:
    # Content from another base cannot be passed off: the key covers the base.
    other = settings_for(project, base="http://example.org/kg/")
    build(other)
    cache = source_cache(settings_for(project))
    assert isinstance(cache, SourceCache)
    [source] = check_project(settings_for(project, cache="")).project.sources
    texts = cache.digests([source])
    assert cache.load(project, source, texts) is None


def test_the_key_covers_base_code_and_files(project: Path) -> None:
    settings = settings_for(project)
    [source] = check_project(settings_for(project, cache="")).project.sources
    a = SourceCache(project / "c", settings.base)
    b = SourceCache(project / "c", "http://example.org/kg/")
    assert a.key(project, source) != b.key(project, source)
    key = a.key(project, source)
    (project / "data/sources/tiny-news.ttl").write_text(
        (project / "data/sources/tiny-news.ttl").read_text(encoding="utf-8") + "\n"
    )
    assert a.key(project, source) != key
    assert FORMAT.startswith("diplokg-source-cache/")


def test_entries_of_removed_sources_are_pruned(project: Path) -> None:
    add_brief(project)
    check_project(settings_for(project))
    assert (project / ".diplokg-cache/sources/tiny-brief.json").is_file()
    for rel in ("data/sources/tiny-brief.txt", "data/sources/tiny-brief.ttl"):
        (project / rel).unlink()
    (project / "data/facts/tiny-brief.ttl").unlink()
    check_project(settings_for(project))
    assert not (project / ".diplokg-cache/sources/tiny-brief.json").exists()


def test_no_cache_writes_nothing(project: Path) -> None:
    build(settings_for(project, cache=""))
    assert not (project / ".diplokg-cache").exists()


def test_warm_cache_fills_the_cache_without_building(
    project: Path, expected: dict[str, bytes]
) -> None:
    add_brief(project)
    assert warm_cache(settings_for(project)) == {"hits": 0, "misses": 2}
    assert warm_cache(settings_for(project)) == {"hits": 2, "misses": 0}
    (project / "data/sources/tiny-brief.txt").unlink()
    (project / "data/sources/tiny-brief.ttl").unlink()
    (project / "data/facts/tiny-brief.ttl").unlink()
    assert rendered(project, hits=1, misses=0) == expected
    with pytest.raises(InputError, match="no cache"):
        warm_cache(settings_for(project, cache=""))
