from __future__ import annotations

from pathlib import Path

import pytest

from diplokg.errors import InputError, NotFound
from diplokg.sources import discover_sources, read_text

from .conftest import PROJECT


def test_discovers_the_fixture_source() -> None:
    [source] = discover_sources(PROJECT)
    assert source.id == "tiny-news"
    assert source.text_path == Path("data/sources/tiny-news.txt")
    assert source.metadata_path == Path("data/sources/tiny-news.ttl")
    assert source.facts_path == Path("data/facts/tiny-news.ttl")
    # Code points, not bytes: the em dash and the flag emoji are multi-byte.
    assert len(source.text) == 233
    assert len(source.text.encode("utf-8")) == 243
    assert source.text[32:35] == "Ana"


def test_read_text_is_exact(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes("\ufeffline one\r\nline two\rthree\n".encode())
    assert read_text(path) == "\ufeffline one\r\nline two\rthree\n"


def test_read_text_rejects_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes(b"caf\xe9")
    with pytest.raises(InputError, match=r"not valid UTF-8 at byte 3"):
        read_text(path)


def test_read_text_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="file not found"):
        read_text(tmp_path / "nope.txt")


def _layout(root: Path, *files: str) -> None:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", encoding="utf-8")


def test_text_without_metadata_is_reported(tmp_path: Path) -> None:
    _layout(tmp_path, "data/sources/a.txt", "data/sources/a.ttl", "data/sources/b.txt")
    with pytest.raises(InputError, match=r"b\.txt has no metadata file b\.ttl"):
        discover_sources(tmp_path)


def test_every_mismatch_is_reported_at_once(tmp_path: Path) -> None:
    _layout(tmp_path, "data/sources/a.ttl", "data/facts/c.ttl", "data/sources/d.txt")
    with pytest.raises(InputError) as info:
        discover_sources(tmp_path)
    message = str(info.value)
    assert "a.ttl has no source text a.txt" in message
    assert "c.ttl has no source text" in message
    assert "d.txt has no metadata file d.ttl" in message


def test_no_sources_at_all_fails(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no sources found"):
        discover_sources(tmp_path)


def test_source_id_must_be_a_slug(tmp_path: Path) -> None:
    _layout(tmp_path, "data/sources/Bad Name.txt", "data/sources/Bad Name.ttl")
    with pytest.raises(InputError, match="not a lower-case hyphenated slug"):
        discover_sources(tmp_path)


def test_facts_are_optional(tmp_path: Path) -> None:
    _layout(tmp_path, "data/sources/a.txt", "data/sources/a.ttl")
    [source] = discover_sources(tmp_path)
    assert source.facts_path is None
