"""The disk backend: persistent, loaded once per dist/, never half-loaded."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from diplokg import errors
from diplokg.config import Settings
from diplokg.store import QueryRequest, open_store
from diplokg.store.disk import MARKER, DiskStore, prepare, read_marker
from diplokg.store.dist import check_dist, dump_digest
from tests.live import WEB, write_manifest

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def count(store: DiskStore) -> int:
    body = store.query(QueryRequest(COUNT), 10).body
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    target = tmp_path / "dist"
    shutil.copytree(WEB / "dist", target)
    return target


def settings(dist: Path, store: Path) -> Settings:
    return Settings.from_env(
        {}, root=dist.parent, store="disk", store_path=store, threads=1, query_cache=0
    )


def test_first_open_loads_then_a_restart_does_not(dist: Path, tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    first = open_store(settings(dist, store_dir))
    try:
        assert isinstance(first, DiskStore)
        assert first.loaded
        assert first.triple_count() == 54
        assert count(first) == 54
        version = first.version
    finally:
        first.close()
    marker = read_marker(store_dir)
    assert marker is not None
    assert marker["digest"] == dump_digest(check_dist(dist))
    start = time.monotonic()
    again = open_store(settings(dist, store_dir))
    try:
        assert isinstance(again, DiskStore)
        assert not again.loaded  # nothing reloaded, nothing counted
        assert again.version == version
        assert again.graphs() == marker["sizes"]
        assert count(again) == 54
    finally:
        again.close()
    assert time.monotonic() - start < 5


def test_a_new_dist_is_loaded_into_a_fresh_store(dist: Path, tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    prepare(store_dir, dist / "diplokg.nq", dump_digest(check_dist(dist)))
    with (dist / "diplokg.nq").open("a") as f:
        f.write("<https://w3id.org/diplokg/id/x> <http://e/p> <http://e/o> <http://e/g> .\n")
    write_manifest(dist)
    s = open_store(settings(dist, store_dir))
    try:
        assert isinstance(s, DiskStore)
        assert s.loaded
        assert count(s) == 55
        assert s.graphs()["http://e/g"] == 1
    finally:
        s.close()
    assert not list(tmp_path.glob(".store.*"))  # no leftover loading or old directories


def test_a_dump_that_does_not_load_leaves_the_old_store(dist: Path, tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    digest = dump_digest(check_dist(dist))
    prepare(store_dir, dist / "diplokg.nq", digest)
    (dist / "diplokg.nq").write_text('<a> <b> "unterminated .\n')
    write_manifest(dist)
    with pytest.raises(errors.DistError, match="cannot load"):
        open_store(settings(dist, store_dir))
    marker = read_marker(store_dir)
    assert marker is not None
    assert marker["digest"] == digest  # the previous store is intact
    assert not list(tmp_path.glob(".store.*"))


def test_a_directory_that_is_not_a_store_is_left_alone(dist: Path, tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    with pytest.raises(errors.InputError, match="not a DiploKG store"):
        open_store(settings(dist, precious))
    assert (precious / "notes.txt").read_text() == "keep me"
    assert not (precious / MARKER).exists()


def test_a_restart_on_the_same_dist_reads_none_of_it_again(
    dist: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from diplokg.store import dist as dist_module
    from diplokg.store import prepare_store

    s = settings(dist, tmp_path / "store")
    prepare_store(s)  # checks every sha256, loads, remembers what it checked
    assert read_marker(tmp_path / "store") is not None

    def no_reading(path: Path) -> str:
        raise AssertionError(f"{path} read again")

    monkeypatch.setattr(dist_module, "sha256_file", no_reading)
    prepare_store(s)
    os.utime(dist / "diplokg.nq", ns=(1, 1))  # touched: checked again
    with pytest.raises(AssertionError, match="read again"):
        prepare_store(s)
