"""Checking ``dist/`` before a store loads it: present, complete, not corrupt.

``dist/manifest.json`` lists every file of the build with its size and sha256.
A server starts only on a ``dist/`` that matches it, so it never serves a
half-written or damaged dataset: a missing directory or manifest, a file
missing (a partial copy), a file of another size (a truncated copy) or, in a
full check, another sha256 (a corrupt dump or gzip) stops start-up with a
:class:`~diplokg.errors.DistError` that says to rebuild.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from diplokg.errors import DistError, NotFound

MANIFEST = "manifest.json"
DUMP = "diplokg.nq"

_REBUILD = "rebuild it with `diplokg build` (or copy the whole dist/ again)"


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_manifest(dist: Path) -> dict[str, Any]:
    """Read ``dist/manifest.json``.

    Args:
        dist: The build's output directory.

    Returns:
        The manifest.

    Raises:
        NotFound: No ``dist/``: the dataset has not been built.
        DistError: No manifest, or a manifest that is not JSON.
    """
    if not dist.is_dir():
        raise NotFound(f"no dataset at {dist}: run `diplokg build` first")
    path = dist / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DistError(f"{dist} is incomplete: {MANIFEST} is missing; {_REBUILD}") from None
    except (OSError, ValueError) as error:
        raise DistError(f"{path} is corrupt ({error}); {_REBUILD}") from None
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        raise DistError(f"{path} lists no files; {_REBUILD}")
    if DUMP not in data["files"]:
        raise DistError(f"{path} does not list {DUMP}; {_REBUILD}")
    return data


def file_stats(dist: Path, manifest: dict[str, Any]) -> dict[str, list[int]]:
    """Size and modification time (ns) of each file the manifest lists, as found now."""
    out = {}
    for name in manifest["files"]:
        try:
            st = (dist / name).stat()
        except OSError:
            continue
        out[name] = [st.st_size, st.st_mtime_ns]
    return out


def check_dist(
    dist: Path, full: bool = True, trusted: Mapping[str, Sequence[int]] | None = None
) -> dict[str, Any]:
    """Check that ``dist/`` is complete and matches its manifest.

    Args:
        dist: The build's output directory.
        full: Also compare every file's sha256 (reads every byte); otherwise
            only presence and sizes are checked (a stat per file).
        trusted: Files already hashed and found right, by name: their size and
            modification time (ns) then; a file with the same stat is not read again.

    Returns:
        The manifest.

    Raises:
        NotFound: No ``dist/``.
        DistError: What is missing or differs, and what to do.
    """
    manifest = read_manifest(dist)
    problems = []
    for name, info in sorted(manifest["files"].items()):
        path = dist / name
        try:
            size = path.stat().st_size
        except OSError:
            problems.append(f"{name} is missing")
            continue
        if size != info.get("bytes"):
            problems.append(f"{name} has {size} bytes, the manifest says {info.get('bytes')}")
        elif (
            full
            and list((trusted or {}).get(name, ())) != [size, path.stat().st_mtime_ns]
            and sha256_file(path) != info.get("sha256")
        ):
            problems.append(f"{name} does not match its sha256 in the manifest (corrupt)")
    if problems:
        raise DistError(f"{dist} is partial or corrupt: " + "; ".join(problems) + f"; {_REBUILD}")
    return manifest


def dump_digest(manifest: dict[str, Any]) -> str:
    """The sha256 of the N-Quads dump, as the manifest records it."""
    return str(manifest["files"][DUMP]["sha256"])
