"""Shared fixtures: the tiny fixture project, copies of it, and one build per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Dataset

from diplokg.build import BuildResult, build
from diplokg.config import Settings
from diplokg.queries import load_dataset

DATA = Path(__file__).parent / "data"
PROJECT = DATA / "project"
INVALID = DATA / "invalid"
SOURCE_IRI = "https://w3id.org/diplokg/id/tiny-news"


def settings_for(root: Path, **overrides: object) -> Settings:
    """Settings for a project directory, ignoring the caller's environment."""
    return Settings.from_env({}, root=root, **overrides)


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file of a directory and its bytes."""
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def outputs(dist: Path) -> dict[str, bytes]:
    """The files a build wrote, but the manifest (it holds the build time)."""
    files = snapshot(dist)
    del files["manifest.json"]
    return files


def add_invalid(root: Path, name: str, into: str = "data/facts/tiny-news.ttl") -> None:
    """Append one of tests/data/invalid/ to a file of a project copy."""
    target = root / into
    existing = target.read_text(encoding="utf-8") if target.exists() else ""
    addition = (INVALID / name).read_text(encoding="utf-8")
    target.write_text(existing + "\n" + addition, encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh copy of the fixture project, not built."""
    root = tmp_path / "project"
    shutil.copytree(PROJECT, root)
    return root


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The fixture project, built once per session (do not modify it)."""
    root = tmp_path_factory.mktemp("built") / "project"
    shutil.copytree(PROJECT, root)
    return build(settings_for(root))


@pytest.fixture(scope="session")
def dataset(built: BuildResult) -> Dataset:
    """The built fixture dataset, loaded as rdflib reads it for queries."""
    return load_dataset(built.dist)


@pytest.fixture
def built_copy(built: BuildResult, tmp_path: Path) -> Path:
    """A copy of the built project (with its dist/) that a test may break."""
    root = tmp_path / "project"
    shutil.copytree(built.checked.project.root, root)
    return root


# The linked-data dataset, app and server (tests/linked.py).
from tests.linked import (  # noqa: E402, F401
    linked_app,
    linked_built,
    linked_client,
    linked_dataset,
    linked_entities,
    linked_server,
    linked_union,
    real_app,
)

# The real `diplokg serve` of the web tests (tests/live.py).
from tests.live import backend, backends, live_server  # noqa: E402, F401
