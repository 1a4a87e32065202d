"""The linked-data test dataset: the real ontology and data, built once per session.

See ``tests/data/linked/README.md``: the repository's ``ontology/*.ttl`` and
``data/`` with test-owned shapes and a few resources whose IRIs need escaping.
Fixtures: ``linked_built`` (the build), ``linked_app`` / ``linked_client`` (the
Flask app on the in-memory store, for fine-grained checks) and ``linked_server``
(a real ``diplokg serve`` on that project).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Dataset, Graph, URIRef

from diplokg.build import BuildResult, build
from diplokg.config import Settings
from diplokg.store import QueryRequest, QueryResult
from diplokg.web import create_app
from tests.live import Backends, LiveServer, free_port, stop_server

REPO = Path(__file__).resolve().parent.parent
LINKED = Path(__file__).parent / "data" / "linked"
BASE = "https://w3id.org/diplokg/"
ID = BASE + "id/"
REAL_INPUTS = ["ontology/diplokg.ttl", "ontology/shapes/data.ttl", "ontology/shapes/ontology.ttl"]


def make_project(root: Path) -> Path:
    """Copy the real ontology and data, with the test shapes and escaping resources."""
    (root / "ontology" / "shapes").mkdir(parents=True)
    for f in ("diplokg.ttl", "alignment.ttl"):
        shutil.copy(REPO / "ontology" / f, root / "ontology" / f)
    for f in ("data.ttl", "ontology.ttl"):
        shutil.copy(LINKED / "shapes" / f, root / "ontology" / "shapes" / f)
    shutil.copytree(REPO / "data", root / "data")
    shutil.copy(LINKED / "escaping.ttl", root / "data" / "background" / "escaping.ttl")
    return root


@pytest.fixture(scope="session")
def linked_built(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The linked-data project, built once per session (do not modify it)."""
    root = make_project(tmp_path_factory.mktemp("linked") / "project")
    return build(Settings.from_env({}, root=root))


@pytest.fixture(scope="session")
def linked_union(linked_built: BuildResult) -> Graph:
    """The union of every graph of the build (from diplokg.nt)."""
    return Graph().parse(linked_built.dist / "diplokg.nt", format="nt")


@pytest.fixture(scope="session")
def linked_dataset(linked_built: BuildResult) -> Dataset:
    """Every named graph of the build (from diplokg.trig)."""
    ds = Dataset()
    ds.parse(linked_built.dist / "diplokg.trig", format="trig")
    return ds


@pytest.fixture(scope="session")
def linked_entities(linked_union: Graph) -> list[URIRef]:
    """Every IRI under ``id/`` that the dataset describes (as a subject)."""
    return sorted(
        {s for s in linked_union.subjects() if isinstance(s, URIRef) and s.startswith(ID)}
    )


@pytest.fixture(scope="session")
def linked_app(linked_built: BuildResult, backend: str, backends: Backends) -> Iterator[Flask]:
    """The app on the linked-data project, on each store backend (see tests/live.py)."""
    root = linked_built.checked.project.root
    overrides = backends.settings(backend, root)
    app = create_app(Settings.from_env({}, root=root, threads=2, **overrides))
    app.config["TESTING"] = True
    yield app
    app.extensions["diplokg"]["store"].close()


@pytest.fixture
def linked_client(linked_app: Flask) -> FlaskClient:
    """A test client of :func:`linked_app`."""
    return linked_app.test_client()


@pytest.fixture(scope="session")
def linked_server(
    linked_built: BuildResult, backend: str, backends: Backends
) -> Iterator[LiveServer]:
    """``diplokg serve`` on the linked-data project, on a free port of 127.0.0.1, per backend."""
    root = linked_built.checked.project.root
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIPLOKG_")}
    cmd = [sys.executable, "-m", "diplokg", "serve", "--root", str(root), "--port", str(port)]
    cmd += ["--workers", "1", "--threads", "4", "--store", backend]
    cmd += backends.args(backend, root)
    process = subprocess.Popen(cmd, env=env, start_new_session=True)
    server = LiveServer(f"http://127.0.0.1:{port}", port, process, backend)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"diplokg serve exited with {process.returncode}")
        try:
            if server.request("GET", "/sparql?query=ASK%7B%7D", timeout=2).status == 200:
                break
        except OSError:
            time.sleep(0.1)
    else:
        stop_server(server)
        raise RuntimeError("diplokg serve did not answer within 60 s")
    yield server
    stop_server(server)


class RdflibStore:
    """A store answering with rdflib's SPARQL engine (the reference) over a Dataset.

    Implements :class:`diplokg.store.Store` for tests: the default graph is the
    union of the named graphs; SELECT/ASK as SPARQL JSON, graphs as N-Triples or Turtle.
    """

    def __init__(self, dataset: Dataset, version: str = "rdflib") -> None:
        self.dataset = dataset
        self.dataset.default_union = True
        self.version = version

    def query(self, request: QueryRequest, timeout: float) -> QueryResult:
        result = self.dataset.query(request.sparql)
        if result.type in ("SELECT", "ASK"):
            body = result.serialize(format="json")
            assert body is not None
            count = 1 if result.type == "ASK" else len(result)
            return QueryResult(result.type.lower(), "json", body, count, False)
        graph = Graph()
        for triple in result:
            graph.add(triple)  # type: ignore[arg-type]
        fmt = request.graph_format or "nt"
        body = graph.serialize(format="nt" if fmt == "nt" else "turtle", encoding="utf-8")
        return QueryResult(result.type.lower(), fmt, body, len(graph), False)

    def graphs(self) -> dict[str, int]:
        return {str(g.identifier): len(g) for g in self.dataset.graphs() if len(g)}

    def triple_count(self) -> int:
        return sum(self.graphs().values())

    def close(self) -> None:
        pass


@pytest.fixture(scope="session")
def real_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app on the real project of the repository, built exactly as it is (no test shapes)."""
    missing = [p for p in REAL_INPUTS if not (REPO / p).is_file()]
    if missing:
        pytest.skip(f"real project not complete yet: missing {missing}")
    dist = tmp_path_factory.mktemp("real") / "dist"
    settings = Settings.from_env({}, root=REPO, dist=dist, cache="", threads=2)
    build(settings)
    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    app.extensions["diplokg"]["store"].close()
