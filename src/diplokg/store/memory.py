"""The in-memory backend: Oxigraph (pyoxigraph) loaded from ``dist/diplokg.nq``.

The dataset's named graphs are kept as they are; a query without a dataset sees
the union of them as its default graph. Queries run in the supervised evaluator
processes of :mod:`diplokg.store.pool`, each holding its own copy of the store,
so that the timeout can really stop an evaluation.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from diplokg.errors import NotFound
from diplokg.store.pool import EvaluatorPool, PooledStore


def file_version(path: Path) -> str:
    """A version of a dump: the start of its sha256.

    Args:
        path: The file.

    Returns:
        16 hex digits.
    """
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


class MemoryStore(PooledStore):
    """Oxigraph in memory, one copy per evaluator process.

    Args:
        source: The N-Quads (or TriG) dump.
        evaluators: How many queries may run at once.
        prefixes: Prefixes for Turtle, TriG and RDF/XML output.
        memory_mb: Address-space limit of each evaluator in MiB (0: none).
        version: The dump's version when already known (its sha256 checked against
            the manifest); otherwise it is hashed here.

    Raises:
        NotFound: The dump does not exist.
        InputError: The dump does not load.
    """

    def __init__(
        self,
        source: Path,
        evaluators: int = 1,
        prefixes: dict[str, str] | None = None,
        memory_mb: int = 0,
        version: str | None = None,
    ) -> None:
        if not source.is_file():
            raise NotFound(f"no dataset at {source}: run `diplokg build` first")
        self.source = source
        self.version = version or file_version(source)
        self.pool = EvaluatorPool(str(source), evaluators, prefixes or {}, memory_mb)
