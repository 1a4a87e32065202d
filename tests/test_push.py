"""``diplokg push``: dist/ into a real ``oxigraph serve``, graph by graph, verified."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from diplokg import errors
from diplokg.config import Settings
from diplokg.push import push as push_dist
from diplokg.push import verify
from diplokg.store.remote import RemoteStore
from tests.live import (
    WEB,
    clean_env,
    free_port,
    push,
    start_oxigraph,
    stop_process,
    write_manifest,
)

G = "https://w3id.org/diplokg/graph/"


def test_push_loads_every_graph_and_verifies(tmp_path: Path) -> None:
    oxigraph = start_oxigraph()
    try:
        done = push(oxigraph, WEB)
        assert done.returncode == 0, done.stderr
        assert "pushed 5 graphs, 54 triples" in done.stdout
        store = RemoteStore(oxigraph.query_url)
        assert store.graphs() == {
            G + "background": 2,
            G + "facts/tiny-news": 32,
            G + "inferred": 5,
            G + "meta": 3,
            G + "ontology": 12,
        }
        store.close()
        # A second push replaces (PUT), never duplicates; a graph of the dataset that
        # dist/ no longer has is deleted.
        root = tmp_path / "project"
        shutil.copytree(WEB, root)
        nq = root / "dist" / "diplokg.nq"
        nq.write_text(
            "".join(line + "\n" for line in nq.read_text().splitlines() if "/inferred>" not in line)
        )
        write_manifest(root / "dist")
        done = push(oxigraph, root)
        assert done.returncode == 0, done.stderr
        assert f"deleted  {G}inferred" in done.stdout
        store = RemoteStore(oxigraph.query_url)
        assert G + "inferred" not in store.graphs()
        assert store.triple_count() == 49
        store.close()
    finally:
        stop_process(oxigraph.process)


def test_counts_that_differ_exit_1_naming_the_graphs() -> None:
    # Written to one store, verified on another (empty): every graph differs.
    written, other = start_oxigraph(), start_oxigraph()
    try:
        cmd = [sys.executable, "-m", "diplokg", "push", "--root", str(WEB)]
        cmd += ["--store-gsp-url", written.gsp_url, "--store-query-url", other.query_url]
        done = subprocess.run(cmd, env=clean_env(), capture_output=True, text=True, timeout=60)
        assert done.returncode == 1
        assert "push verification failed: 5 problems" in done.stderr
        assert f"<{G}facts/tiny-news>: 32 triples in dist/, 0 on the remote store" in done.stderr
        assert "Traceback" not in done.stderr
    finally:
        stop_process(written.process)
        stop_process(other.process)


def test_verify_names_each_differing_graph() -> None:
    oxigraph = start_oxigraph()
    try:
        assert push(oxigraph, WEB).returncode == 0
        settings = Settings.from_env({}, store_query_url=oxigraph.query_url)
        with pytest.raises(errors.PushMismatch) as info:
            verify(settings, {G + "meta": 4, G + "ontology": 12}, [], 0.0)
        assert info.value.exit_code == 1
        problems = " ".join(info.value.problems)
        assert f"<{G}meta>: 4 triples in dist/, 3 on the remote store" in problems
        assert f"<{G}inferred>: 0 triples in dist/, 5" in problems
        assert f"{G}ontology" not in problems
    finally:
        stop_process(oxigraph.process)


def test_push_needs_its_url_and_a_sound_dist(tmp_path: Path) -> None:
    with pytest.raises(errors.InputError, match="store_gsp_url"):
        push_dist(Settings.from_env({}, root=WEB))
    root = tmp_path / "project"
    shutil.copytree(WEB, root)
    with (root / "dist" / "diplokg.nq").open("a") as f:
        f.write("<http://e/a> <http://e/b> <http://e/c> <http://e/g> .\n")
    settings = Settings.from_env(
        {}, root=root, store_gsp_url="http://127.0.0.1:9/store", store_query_url="http://x/"
    )
    with pytest.raises(errors.DistError, match=r"diplokg\.nq has \d+ bytes"):
        push_dist(settings)  # nothing is sent: the dist/ is checked first


def test_push_to_a_store_that_is_down_says_so(tmp_path: Path) -> None:
    port = free_port()
    cmd = [sys.executable, "-m", "diplokg", "push", "--root", str(WEB)]
    cmd += ["--store-gsp-url", f"http://127.0.0.1:{port}/store"]
    cmd += ["--store-query-url", f"http://127.0.0.1:{port}/query"]
    done = subprocess.run(cmd, env=clean_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "cannot be reached" in done.stderr
    assert "Traceback" not in done.stderr
