from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from diplokg.config import CANONICAL_BASE, Settings, describe, env_var
from diplokg.errors import InputError

README = Path(__file__).resolve().parents[1] / "README.md"


def test_defaults() -> None:
    s = Settings.from_env({})
    assert s.base == CANONICAL_BASE
    assert s.root == Path(".")
    assert s.dist_dir == Path("dist")


def test_environment_is_read() -> None:
    s = Settings.from_env({"DIPLOKG_BASE": "http://example.org/kg/", "DIPLOKG_ROOT": "/tmp/p"})
    assert s.base == "http://example.org/kg/"
    assert s.root == Path("/tmp/p")
    assert s.dist_dir == Path("/tmp/p/dist")


def test_overrides_win_and_none_falls_through() -> None:
    env = {"DIPLOKG_BASE": "http://example.org/env/", "DIPLOKG_DIST": "out"}
    s = Settings.from_env(env, base="http://example.org/arg/", dist=None)
    assert s.base == "http://example.org/arg/"
    assert s.dist == Path("out")


def test_absolute_dist_is_not_under_root(tmp_path: Path) -> None:
    s = Settings.from_env({}, root=Path("/somewhere"), dist=tmp_path)
    assert s.dist_dir == tmp_path


def test_unknown_override_is_an_input_error() -> None:
    with pytest.raises(InputError, match="nope"):
        Settings.from_env({}, nope=1)


def test_base_must_end_with_separator() -> None:
    with pytest.raises(InputError, match="base"):
        Settings.from_env({"DIPLOKG_BASE": "http://example.org/kg"})


def test_settings_are_frozen() -> None:
    s = Settings.from_env({})
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.base = "http://x/"  # type: ignore[misc]


def test_every_setting_has_help_and_env_var() -> None:
    for name, var, _default, help_ in describe():
        assert var == env_var(name) == "DIPLOKG_" + name.upper()
        assert help_.endswith(".")
        assert len(help_) > 20


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(Settings)])
def test_every_setting_is_documented_in_readme(name: str) -> None:
    text = README.read_text(encoding="utf-8")
    settings_section = text.split("## Settings", 1)[1].split("\n## ", 1)[0]
    assert f"`{env_var(name)}`" in settings_section
    assert f"`--{name.replace('_', '-')}`" in settings_section
