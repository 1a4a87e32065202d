"""Sources: the texts facts are drawn from, and the files that describe them.

A source ``{id}`` is a pair ``data/sources/{id}.txt`` (the text, UTF-8, kept
byte for byte) and ``data/sources/{id}.ttl`` (its metadata); its facts are in
``data/facts/{id}.ttl``. Evidence offsets count Unicode code points of the text
exactly as stored, so the text is decoded without any newline translation
(https://www.w3.org/TR/annotation-model/#text-position-selector).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from diplokg.errors import InputError, NotFound

SOURCES_DIR = Path("data/sources")
FACTS_DIR = Path("data/facts")

#: A source id is a readable, lower-case, hyphenated slug; it becomes the IRI ``{base}id/{id}``.
SOURCE_ID = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)*")


@dataclass(frozen=True)
class Source:
    """One source of the project.

    Attributes:
        id: The source id, the file stem (``azernews-2020-01-21-azerbaijan-nato``).
        text_path: ``data/sources/{id}.txt``, relative to the project root.
        metadata_path: ``data/sources/{id}.ttl``, relative to the project root.
        facts_path: ``data/facts/{id}.ttl`` relative to the root, or ``None`` if absent.
        text: The full text, decoded from UTF-8 exactly as stored.
    """

    id: str
    text_path: Path
    metadata_path: Path
    facts_path: Path | None
    text: str


def read_text(path: Path) -> str:
    """Read a text file as UTF-8, exactly: no newline translation, BOM kept.

    Args:
        path: The file.

    Returns:
        The decoded text; ``len()`` counts code points, as evidence offsets do.

    Raises:
        NotFound: The file does not exist.
        InputError: The file is not valid UTF-8.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"{path}: file not found") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not valid UTF-8 at byte {e.start}: {e.reason}") from None


def discover_sources(root: Path) -> list[Source]:
    """Find every source of a project, sorted by id.

    Every ``data/sources/*.txt`` needs its ``.ttl`` metadata and vice versa, and
    every ``data/facts/*.ttl`` must belong to a source. All mismatches are
    reported together.

    Args:
        root: The project directory.

    Returns:
        The sources, sorted by id.

    Raises:
        InputError: No source at all, a file name that is not a valid id, or files
            without their counterpart.
    """
    src_dir = root / SOURCES_DIR
    texts = {p.stem for p in src_dir.glob("*.txt")}
    metas = {p.stem for p in src_dir.glob("*.ttl")}
    facts = {p.stem for p in (root / FACTS_DIR).glob("*.ttl")}
    problems = [
        *(
            f"{src_dir / (s + '.txt')}: source id {s!r} is not a lower-case hyphenated slug"
            for s in sorted(texts)
            if not SOURCE_ID.fullmatch(s)
        ),
        *(f"{src_dir / (s + '.txt')} has no metadata file {s}.ttl" for s in sorted(texts - metas)),
        *(f"{src_dir / (s + '.ttl')} has no source text {s}.txt" for s in sorted(metas - texts)),
        *(
            f"{root / FACTS_DIR / (s + '.ttl')} has no source text {src_dir / (s + '.txt')}"
            for s in sorted(facts - texts)
        ),
    ]
    if problems:
        raise InputError("; ".join(problems))
    if not texts:
        raise InputError(f"{src_dir}: no sources found (expected {{id}}.txt with {{id}}.ttl)")
    return [
        Source(
            id=s,
            text_path=SOURCES_DIR / f"{s}.txt",
            metadata_path=SOURCES_DIR / f"{s}.ttl",
            facts_path=FACTS_DIR / f"{s}.ttl" if s in facts else None,
            text=read_text(src_dir / f"{s}.txt"),
        )
        for s in sorted(texts)
    ]
