from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rdflib import BNode, Dataset, Graph, Literal, URIRef

from diplokg.build import MANIFEST, BuildResult, build, check_project, write_dist
from diplokg.config import Settings
from diplokg.errors import (
    FileSyntaxError,
    InconsistencyError,
    ProvenanceError,
    ValidationFailed,
)
from diplokg.namespaces import SCHEMA, VOID
from diplokg.serialise import Content, _Source, _Span, file_stamp

from .conftest import INVALID, PROJECT, settings_for, snapshot

REPO = Path(__file__).resolve().parents[1]
FILES = {
    "diplokg.trig",
    "diplokg.nq",
    "diplokg.ttl",
    "diplokg.nt",
    "diplokg.trig.gz",
    "diplokg.nq.gz",
    "diplokg.ttl.gz",
    "diplokg.nt.gz",
    "validation.ttl",
    MANIFEST,
}
GRAPHS = ["background", "facts/tiny-news", "inferred", "meta", "ontology", "shapes"]


def test_dist_has_every_file(built: BuildResult) -> None:
    assert {p.name for p in built.dist.iterdir()} == FILES
    assert not list(built.dist.parent.glob(".dist.*"))  # no temporary directory left


def test_named_graphs_in_trig_and_nquads(built: BuildResult) -> None:
    for name, fmt in (("diplokg.trig", "trig"), ("diplokg.nq", "nquads")):
        ds = Dataset()
        ds.parse(built.dist / name, format=fmt)
        names = sorted(str(g.identifier) for g in ds.graphs() if len(g))
        assert names == [f"https://w3id.org/diplokg/graph/{g}" for g in GRAPHS], name
        for g in GRAPHS:
            graph = ds.graph(URIRef(f"https://w3id.org/diplokg/graph/{g}"))
            assert len(graph) == len(built.checked.graphs[g]), (name, g)


def test_union_files_hold_every_triple(built: BuildResult) -> None:
    union = set()
    for g in built.checked.graphs.values():
        union |= set(g)
    for name, fmt in (("diplokg.ttl", "turtle"), ("diplokg.nt", "nt")):
        assert set(Graph().parse(built.dist / name, format=fmt)) == union, name


def test_no_blank_nodes_in_dist(built: BuildResult) -> None:
    ds = Dataset()
    ds.parse(built.dist / "diplokg.nq", format="nquads")
    assert not [q for q in ds.quads() for t in q[:3] if isinstance(t, BNode)]
    for name in FILES - {MANIFEST}:
        if not name.endswith(".gz"):
            assert b"_:" not in (built.dist / name).read_bytes(), name
    report = Graph().parse(built.dist / "validation.ttl", format="turtle")
    assert len(report) > 0
    assert not [t for triple in report for t in triple if isinstance(t, BNode)]


def test_report_shapes_are_the_published_shapes(built: BuildResult) -> None:
    report = Graph().parse(built.dist / "validation.ttl", format="turtle")
    shapes = set(built.checked.graphs["shapes"].subjects())
    sources = set(report.objects(None, URIRef("http://www.w3.org/ns/shacl#sourceShape")))
    assert sources
    assert sources <= shapes


def test_manifest(built: BuildResult) -> None:
    manifest = json.loads((built.dist / MANIFEST).read_text())
    assert manifest["input_digest"] == built.checked.project.input_digest
    assert manifest["build_time"].endswith("Z")
    assert set(manifest["files"]) == FILES - {MANIFEST}
    for name, info in manifest["files"].items():
        data = (built.dist / name).read_bytes()
        assert info == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert manifest["counts"]["graphs"]["inferred"] == len(built.checked.graphs["inferred"])
    assert manifest["counts"]["shacl"] == {"violation": 0, "warning": 1, "info": 4}


def _build_in_subprocess(root: Path, seed: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    code = "from diplokg.cli import main; main()"
    subprocess.run(
        [sys.executable, "-c", code, "build", "--root", str(root)],
        check=True,
        env=env,
        capture_output=True,
    )


def test_builds_are_deterministic(built: BuildResult, tmp_path: Path) -> None:
    # Other hash seeds change set and dict orders: the bytes must not change.
    results = [snapshot(built.dist)]
    for seed in ("1", "2"):
        root = tmp_path / f"p{seed}"
        shutil.copytree(PROJECT, root)
        _build_in_subprocess(root, seed)
        results.append(snapshot(root / "dist"))
    for other in results[1:]:
        assert set(other) == set(results[0])
        for name in set(other) - {MANIFEST}:
            assert other[name] == results[0][name], name


@pytest.mark.parametrize("route", [{"reasoner": "owlrl", "shacl": "pyshacl"}, {"cache": ""}])
def test_the_reference_route_writes_the_same_dist(
    built: BuildResult, tmp_path: Path, route: dict[str, str]
) -> None:
    # owlrl and pySHACL are the references for the default reasoner and validator;
    # without the cache everything is recomputed. Same inputs, same bytes.
    root = tmp_path / "project"
    shutil.copytree(PROJECT, root)
    result = build(settings_for(root, **route))
    assert result.checked.reasoning is not None  # a full build
    assert result.checked.reasoning.reasoner == route.get("reasoner", Settings().reasoner)
    files = snapshot(root / "dist")
    expected = snapshot(built.dist)
    assert set(files) == set(expected)
    for name in set(files) - {MANIFEST}:
        assert files[name] == expected[name], name


def _fails(root: Path, error: type[Exception], add: str, into: str) -> str:
    before = snapshot(root / "dist")
    target = root / into
    existing = target.read_text(encoding="utf-8") if target.exists() else ""
    target.write_text(existing + (INVALID / add).read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(error) as info:
        build(settings_for(root))
    assert snapshot(root / "dist") == before  # byte for byte
    assert not list(root.glob(".dist.*"))
    return str(info.value)


@pytest.mark.parametrize(
    ("snippet", "error", "into", "expected"),
    [
        (
            "broken-syntax.ttl",
            FileSyntaxError,
            "data/background/broken.ttl",
            "broken.ttl:6: syntax error",
        ),
        ("bad-quote.ttl", ProvenanceError, "data/facts/tiny-news.ttl", "id:ev-invented"),
        (
            "disjoint-classes.ttl",
            InconsistencyError,
            "data/facts/tiny-news.ttl",
            "disjoint classes",
        ),
        ("functional-clash.ttl", InconsistencyError, "data/facts/tiny-news.ttl", "is functional"),
        ("nothing.ttl", InconsistencyError, "data/background/nothing.ttl", "owl:Nothing"),
        ("shape-violation.ttl", ValidationFailed, "data/facts/tiny-news.ttl", "Violation (3):"),
    ],
)
def test_failed_build_leaves_dist_untouched(
    built_copy: Path, snippet: str, error: type[Exception], into: str, expected: str
) -> None:
    assert expected in _fails(built_copy, error, snippet, into)


def test_shape_violation_message(built_copy: Path) -> None:
    message = _fails(
        built_copy, ValidationFailed, "shape-violation.ttl", "data/facts/tiny-news.ttl"
    )
    assert "focus node: id:nameless" in message
    assert "path:       rdfs:label" in message
    assert "An event needs a dkg:date." in message
    assert "A fact needs evidence" in message


def test_interrupted_write_keeps_the_old_dist(
    built_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = built_copy / "dist"
    before = snapshot(dist)
    real_fsync = os.fsync
    calls = []

    def failing_fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 3:
            raise OSError("disk full")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        write_dist({"a.txt": b"1", "b.txt": b"2", "c.txt": b"3"}, dist)
    assert snapshot(dist) == before
    assert not list(built_copy.glob(".dist.*"))


def test_a_failed_write_leaves_no_file_open(tmp_path: Path) -> None:
    """Files whose fsync was still queued when a later one failed are closed too."""

    class SlowDigest(Content):
        def sha256(self) -> str:
            time.sleep(0.5)  # keeps the pool busy: the fsyncs wait behind the digests
            return super().sha256()

    (tmp_path / "short").write_bytes(b"abc")
    stamp = file_stamp(os.stat(tmp_path / "short"))
    short = _Source(memoryview(b"abcdefgh"), tmp_path / "short", stamp)
    files: dict[str, Content] = {f"n{i}": SlowDigest([b"x" * 10]) for i in range(4)}
    files["z"] = Content([_Span(short, 0, 8)])  # the file on disk is shorter: the copy fails

    def open_files() -> set[str]:
        found = set()
        for fd in os.listdir("/proc/self/fd"):
            with contextlib.suppress(FileNotFoundError):  # the listing's own, closed since
                found.add(os.readlink(f"/proc/self/fd/{fd}"))
        return found

    before = open_files()
    with pytest.raises(OSError, match="shorter than expected"):
        write_dist(files, tmp_path / "dist")
    assert {name for name in open_files() - before if "dist" in name} == set()
    assert not (tmp_path / "dist").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["short"]


def test_write_dist_replaces_everything(tmp_path: Path) -> None:
    dist = tmp_path / "out"
    write_dist({"a": b"1", "b": b"2"}, dist)
    write_dist({"c": b"3"}, dist)
    assert snapshot(dist) == {"c": b"3"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_another_base_rewrites_every_iri(tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(PROJECT, root)
    base = "http://example.org/kg/"
    result = build(settings_for(root, base=base))
    nt = (result.dist / "diplokg.nt").read_text(encoding="utf-8")
    assert "https://w3id.org/diplokg/" not in nt
    union = Graph().parse(data=nt, format="nt")
    assert union.value(URIRef(base + "id/tiny-news"), SCHEMA.text) is not None
    assert union.value(URIRef(base), VOID.uriSpace) == Literal(base + "id/")
    assert (URIRef(base + "id/visit-2021-02-01"), None, None) in union
    assert "http://example.org/kg/.well-known/genid/" in nt


REAL_INPUTS = ["ontology/diplokg.ttl", "ontology/shapes/data.ttl", "ontology/shapes/ontology.ttl"]
MISSING = [p for p in REAL_INPUTS if not (REPO / p).is_file()]


@pytest.mark.realdata
@pytest.mark.skipif(bool(MISSING), reason=f"real project not complete yet: missing {MISSING}")
def test_real_project_builds(tmp_path: Path) -> None:
    result = build(settings_for(REPO, dist=tmp_path / "dist"))
    assert result.checked.report.conforms
    assert len(result.checked.evidence) > 0
    assert len(result.checked.graphs["inferred"]) > 0


def test_the_garbage_collector_is_restored_after_a_build(built_copy: Path) -> None:
    assert gc.isenabled()
    _fails(built_copy, ProvenanceError, "bad-quote.ttl", "data/facts/tiny-news.ttl")
    assert gc.isenabled()  # paused during the build, restored even when it fails
    gc.disable()
    try:
        with pytest.raises(ProvenanceError):
            check_project(settings_for(built_copy))
        assert not gc.isenabled()  # a caller that paused it finds it paused
    finally:
        gc.enable()
