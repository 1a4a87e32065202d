"""Settings: every setting declared once, read from ``DIPLOKG_*`` variables in one place.

Each field of :class:`Settings` carries its environment variable name and a help
sentence in its metadata (see :func:`setting`). :meth:`Settings.from_env` is the
only code in the package that reads the environment; everything else receives a
``Settings`` instance. Adding a setting is one line: a new ``setting(...)`` field.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from diplokg.errors import InputError

#: The canonical dataset namespace the data files are written against.
CANONICAL_BASE = "https://w3id.org/diplokg/"

ENV_PREFIX = "DIPLOKG_"


def setting(default: Any, help: str) -> Any:
    """Declare one setting: its default and a one-sentence help text.

    The environment variable is ``DIPLOKG_<FIELD NAME IN UPPER CASE>``.

    Args:
        default: The value used when neither an override nor the environment sets it.
        help: One sentence shown in ``--help`` and the README.

    Returns:
        A dataclass field carrying the metadata.
    """
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    """All settings of DiploKG (immutable; build one with :meth:`from_env`)."""

    base: str = setting(
        CANONICAL_BASE,
        "Dataset namespace; every IRI under the canonical base is rewritten to it.",
    )
    root: Path = setting(Path("."), "Project directory holding ontology/, data/ and queries/.")
    dist: Path = setting(
        Path("dist"), "Output directory of the build (relative paths are under the root)."
    )
    reasoner: str = setting(
        "rules",
        "OWL 2 RL reasoner of the build: rules (owlrl on the schema, compiled rules on the"
        " data; same output), owlrl (the reference) or reasonable.",
    )
    shacl: str = setting(
        "oxigraph",
        "SHACL validator of the data: oxigraph (shapes compiled to queries, same results)"
        " or pyshacl (the reference).",
    )
    cache: str = setting(
        ".diplokg-cache",
        "Incremental build cache directory, under the root when relative (empty: no cache).",
    )
    host: str = setting("127.0.0.1", "Address `diplokg serve` listens on.")
    port: int = setting(8000, "TCP port `diplokg serve` listens on.")
    public_url: str = setting(
        "", "Public URL of the server behind a proxy (empty: the URL the request came to)."
    )
    server: str = setting(
        "granian",
        'WSGI server of `diplokg serve`: granian or gunicorn (see "Serving" for how they differ).',
    )
    workers: int = setting(2, "Web worker processes of the WSGI server.")
    threads: int = setting(4, "Request threads per worker, each with its own query evaluator.")
    store: str = setting(
        "memory",
        "Query store backend: memory (Oxigraph loaded from dist/ at start-up), disk"
        " (Oxigraph persisted at store_path) or remote (a SPARQL 1.1 endpoint at store_query_url).",
    )
    store_path: Path = setting(
        Path(".diplokg-store"),
        "Directory of the disk store (under the root when relative); reloaded when dist/ changes.",
    )
    store_query_url: str = setting(
        "", "SPARQL 1.1 query endpoint of the remote store, e.g. http://127.0.0.1:7878/query."
    )
    store_gsp_url: str = setting(
        "",
        "SPARQL 1.1 Graph Store Protocol endpoint of the remote store (for `diplokg push`),"
        " e.g. http://127.0.0.1:7878/store.",
    )
    query_timeout: float = setting(
        10.0, "Seconds a query may run before it is stopped and answered with 503."
    )
    result_cap: int = setting(10000, "Most rows (or triples) one query returns; more are cut.")
    max_body: int = setting(1_000_000, "Largest request body in bytes; larger ones get 413.")
    query_memory: int = setting(
        4096, "Address-space limit in MiB of each query evaluator process (0: no limit)."
    )
    query_cache: int = setting(
        256, "Answers each web worker remembers per version of the data (0: no cache)."
    )

    def __post_init__(self) -> None:
        if not self.base.endswith(("/", "#")):
            raise InputError(f"base must end with '/' or '#': {self.base!r}")

    @property
    def dist_dir(self) -> Path:
        """The output directory, resolved against :attr:`root` when relative."""
        return self.dist if self.dist.is_absolute() else self.root / self.dist

    @property
    def store_dir(self) -> Path:
        """The disk store's directory, resolved against :attr:`root` when relative."""
        return self.store_path if self.store_path.is_absolute() else self.root / self.store_path

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from defaults, then ``DIPLOKG_*`` variables, then overrides.

        Overrides whose value is ``None`` are ignored, so CLI options that were
        not given fall through to the environment.

        Args:
            environ: The environment to read (default: ``os.environ``).
            **overrides: Explicit values by field name; they win over the environment.

        Returns:
            The settings.

        Raises:
            InputError: An unknown override name, or a value that cannot be converted.
        """
        env = os.environ if environ is None else environ
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(overrides) - names
        if unknown:
            raise InputError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        hints = get_type_hints(cls)
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            var = env_var(f.name)
            raw: Any = overrides.get(f.name)
            origin = "argument"
            if raw is None and var in env:
                raw, origin = env[var], var
            if raw is None:
                continue
            values[f.name] = _convert(hints[f.name], raw, f.name, origin)
        return cls(**values)


def env_var(name: str) -> str:
    """Return the environment variable of a setting, e.g. ``base`` → ``DIPLOKG_BASE``.

    Args:
        name: The field name.

    Returns:
        The variable name.
    """
    return ENV_PREFIX + name.upper()


def describe() -> Iterator[tuple[str, str, Any, str]]:
    """List every setting for documentation.

    Returns:
        An iterator of ``(field name, environment variable, default, help)``.
    """
    for f in dataclasses.fields(Settings):
        yield f.name, env_var(f.name), f.default, f.metadata["help"]


def _convert(kind: Any, raw: Any, name: str, origin: str) -> Any:
    if not isinstance(raw, str):
        return Path(raw) if kind is Path else raw
    try:
        if kind is bool:
            low = raw.strip().lower()
            if low in {"1", "true", "yes", "on"}:
                return True
            if low in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(raw)
        if kind in (int, float, Path, str):
            return kind(raw)
    except ValueError:
        raise InputError(f"{origin}: invalid value for {name}: {raw!r}") from None
    raise TypeError(f"unsupported setting type for {name}: {kind!r}")
