"""The synthetic corpus generator (benchmarks/generate.py): valid, checked, deterministic."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmarks.generate import generate, main, slug
from diplokg.build import check_project
from diplokg.cli import cli
from diplokg.errors import ProvenanceError

from .conftest import settings_for, snapshot

REPO = Path(__file__).resolve().parents[1]
SHAPES = REPO / "ontology" / "shapes"

pytestmark = pytest.mark.skipif(
    not (SHAPES / "ontology.ttl").is_file(), reason="the repository's shapes are not complete yet"
)


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    root = tmp_path_factory.mktemp("synth")
    return root, generate(root, 2_500, seed=7)


def test_the_generated_project_passes_validate(small: tuple[Path, dict[str, int]]) -> None:
    root, _stats = small
    result = CliRunner().invoke(cli, ["validate", "--root", str(root)])
    assert result.exit_code == 0, result.output
    assert "0 violations" in result.output


def test_every_fact_and_entity_is_evidenced_and_checked(
    small: tuple[Path, dict[str, int]],
) -> None:
    root, stats = small
    checked = check_project(settings_for(root))
    assert checked.report.conforms
    assert not checked.report.by_severity("Warning")
    assert len(checked.project.sources) == stats["sources"] >= 2
    # One annotation a sentence: every quote of every source was verified.
    assert len(checked.evidence) >= 9 * stats["sources"]
    for ev in checked.evidence:
        text = checked.project.source_texts()[ev.source]
        assert text[ev.start : ev.end] == ev.exact
    # The triple estimate is close to what was asserted.
    assert checked.reasoning is not None
    asserted = len(checked.reasoning.asserted)
    assert 0.8 * stats["triples"] <= asserted <= 1.2 * stats["triples"]


def test_quotes_use_code_point_offsets(small: tuple[Path, dict[str, int]]) -> None:
    root, _stats = small
    texts = [p.read_text(encoding="utf-8") for p in (root / "data/sources").glob("*.txt")]
    assert any(len(t) != len(t.encode("utf-8")) for t in texts)


def test_a_wrong_offset_is_caught(small: tuple[Path, dict[str, int]], tmp_path: Path) -> None:
    root, _stats = small
    copy = tmp_path / "copy"
    copy.mkdir()
    for rel, data in tree(root).items():
        (copy / rel).parent.mkdir(parents=True, exist_ok=True)
        (copy / rel).write_bytes(data)
    facts = sorted((copy / "data/facts").glob("*.ttl"))[0]
    text = facts.read_text(encoding="utf-8")
    facts.write_text(text.replace("oa:start 0 ;", "oa:start 1 ;", 1), encoding="utf-8")
    with pytest.raises(ProvenanceError):
        check_project(settings_for(copy))


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, 4_000, seed=3)
    main([str(b), "--triples", "4000", "--seed", "3"])
    generate(c, 4_000, seed=4)
    assert tree(a) == tree(b)
    assert snapshot(a / "data/facts") != snapshot(c / "data/facts")


def test_size_grows_with_the_target(tmp_path: Path) -> None:
    small = generate(tmp_path / "s", 3_000)
    large = generate(tmp_path / "l", 12_000)
    assert large["sources"] > 3 * small["sources"]
    assert 12_000 <= large["triples"] < 13_000


def test_slug() -> None:
    assert slug("Nadia Zekazeă") == "nadia-zekazea"
    assert slug("PNSO3 Headquarters") == "pnso3-headquarters"
