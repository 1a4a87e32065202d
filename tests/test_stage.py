from __future__ import annotations

import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from benchmarks.generate import generate
from diplokg import stage
from diplokg.build import source_cache
from diplokg.cache import CachedSource
from diplokg.errors import FileSyntaxError, ProvenanceError
from diplokg.loading import load_project, parse_source
from diplokg.provenance import Evidence, check_evidence
from diplokg.skolem import skolemise
from diplokg.terms import ToOxigraph

from .conftest import settings_for


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated project of a dozen sources (do not modify it)."""
    root = tmp_path_factory.mktemp("stage") / "project"
    generate(root, 3_500, seed=5)
    return root


def _run(root: Path, cache: bool = False) -> stage.StageResult:
    settings = settings_for(root, cache=".diplokg-cache" if cache else "")
    project = load_project(settings, parse_sources=False)
    return stage.run_stage(root, settings.base, project.sources, source_cache(settings))


def _as_sets(
    entries: dict[str, CachedSource],
) -> dict[str, tuple[set[ox.Triple], list[Evidence]]]:
    return {name: (set(e.triples), e.evidence) for name, e in entries.items()}


def test_an_entry_is_the_source_parsed_checked_and_skolemised(corpus: Path) -> None:
    result = _run(corpus)
    settings = settings_for(corpus)
    to_ox = ToOxigraph()
    for source in load_project(settings, parse_sources=False).sources:
        graph = skolemise(parse_source(corpus, settings.base, source), settings.base)
        entry = result.entries[f"facts/{source.id}"]
        assert entry.graph == str(graph.identifier)
        assert set(entry.triples) == {to_ox.quad(s, p, o, "urn:x").triple for s, p, o in graph}
        texts = load_project(settings, parse_sources=False).source_texts()
        report = check_evidence(parse_source(corpus, settings.base, source), texts, settings.base)
        assert not report.problems
        # Evidence names annotations by their IRIs (the facts' own, never blank nodes).
        assert entry.evidence == report.evidence
        assert entry.evidence


def test_worker_processes_give_the_same_entries_in_source_order(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = _run(corpus)
    monkeypatch.setattr(stage, "PARALLEL_FROM", 1)
    monkeypatch.setattr(stage, "_workers", lambda count: 2)
    parallel = _run(corpus)
    assert list(parallel.entries) == list(alone.entries) == sorted(alone.entries)
    assert _as_sets(parallel.entries) == _as_sets(alone.entries)
    assert parallel.misses == alone.misses == [name[6:] for name in sorted(alone.entries)]


def test_cached_entries_equal_computed_ones(tmp_path: Path, corpus: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(corpus, root)
    first = _run(root, cache=True)
    second = _run(root, cache=True)
    assert second.misses == []
    assert second.hits == first.misses
    assert _as_sets(second.entries) == _as_sets(first.entries)


def _break(root: Path, source_id: str) -> None:
    facts = root / f"data/facts/{source_id}.ttl"
    text = facts.read_text(encoding="utf-8")
    # Shift the first quote's end offset by one: the quote no longer matches.
    match = re.search(r"oa:end (\d+)", text)
    assert match is not None
    end = int(match.group(1))
    facts.write_text(text.replace(f"oa:end {end}", f"oa:end {end + 1}", 1), encoding="utf-8")


@pytest.mark.parametrize("parallel", [False, True])
def test_every_provenance_problem_of_every_source_is_reported(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch, parallel: bool
) -> None:
    root = tmp_path / "p"
    shutil.copytree(corpus, root)
    ids = sorted(p.stem for p in (root / "data/facts").glob("*.ttl"))
    _break(root, ids[1])
    _break(root, ids[-1])
    if parallel:
        monkeypatch.setattr(stage, "_workers", lambda count: 2)
    with pytest.raises(ProvenanceError) as info:
        _run(root, cache=True)
    named = [p for p in info.value.problems if "does not match the source text" in p]
    assert [p.split(":", 1)[0] for p in named] == [
        f"graph/facts/{ids[1]}",
        f"graph/facts/{ids[-1]}",
    ]
    # Sources that passed were cached; the broken ones were not.
    cached = {p.stem for p in (root / ".diplokg-cache/sources").glob("*.json")}
    assert cached == set(ids) - {ids[1], ids[-1]}


@pytest.mark.parametrize("parallel", [False, True])
def test_a_syntax_error_in_a_source_names_its_file_and_line(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch, parallel: bool
) -> None:
    root = tmp_path / "p"
    shutil.copytree(corpus, root)
    victim = sorted((root / "data/facts").glob("*.ttl"))[2]
    lines = victim.read_text(encoding="utf-8").split("\n")
    lines[11] = "id:oops dkg:broken ."
    victim.write_text("\n".join(lines), encoding="utf-8")
    if parallel:
        monkeypatch.setattr(stage, "_workers", lambda count: 2)
    with pytest.raises(FileSyntaxError) as info:
        _run(root)
    assert info.value.path == victim
    assert info.value.line == 12


def test_working_in_this_process_leaves_no_state_behind(corpus: Path) -> None:
    import gc

    assert gc.isenabled()
    _run(corpus)
    assert gc.isenabled()
    assert not stage._TEXTS
    assert not stage._DIGESTS
