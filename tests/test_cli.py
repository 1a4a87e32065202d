from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from diplokg import __version__
from diplokg.build import BuildResult
from diplokg.cli import cli

from .conftest import INVALID, snapshot


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_build_succeeds_and_reports_warnings(runner: CliRunner, project: Path) -> None:
    result = runner.invoke(cli, ["build", "--root", str(project)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"built {project / 'dist'} in ")
    assert "SHACL validation: 0 violations, 1 warning, 4 info" in result.stdout
    assert (project / "dist" / "diplokg.trig").is_file()


def test_root_from_the_environment(runner: CliRunner, project: Path) -> None:
    result = runner.invoke(cli, ["validate"], env={"DIPLOKG_ROOT": str(project)})
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: 1 sources, 2 evidence quotes")
    assert not (project / "dist").exists()  # validate writes nothing


def _fail(runner: CliRunner, root: Path, snippet: str, into: str, code: int) -> str:
    before = snapshot(root / "dist")
    target = root / into
    old = target.read_text(encoding="utf-8") if target.exists() else ""
    target.write_text(old + (INVALID / snippet).read_text(encoding="utf-8"), encoding="utf-8")
    result = runner.invoke(cli, ["build", "--root", str(root)])
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr
    assert snapshot(root / "dist") == before
    return result.stderr


def test_broken_turtle_exits_2(runner: CliRunner, built_copy: Path) -> None:
    err = _fail(runner, built_copy, "broken-syntax.ttl", "data/background/broken.ttl", 2)
    assert f"error: {built_copy}/data/background/broken.ttl:6: syntax error" in err


def test_bad_quote_exits_1(runner: CliRunner, built_copy: Path) -> None:
    err = _fail(runner, built_copy, "bad-quote.ttl", "data/facts/tiny-news.ttl", 1)
    assert err.startswith("error: provenance check failed: 2 problems")
    assert "id:ev-invented (evidence for id:visit-2021-02-01)" in err
    assert 'quote (oa:exact):   "Ana Petrovic flew to Geneva"' in err


def test_inconsistency_exits_1(runner: CliRunner, built_copy: Path) -> None:
    err = _fail(runner, built_copy, "disjoint-classes.ttl", "data/facts/tiny-news.ttl", 1)
    assert "id:ana-petrovic is in disjoint classes dkg:Organisation and dkg:Person" in err


def test_shape_violation_exits_1(runner: CliRunner, built_copy: Path) -> None:
    err = _fail(runner, built_copy, "shape-violation.ttl", "data/facts/tiny-news.ttl", 1)
    assert "error: SHACL validation: 3 violations" in err


def test_query_and_formats(runner: CliRunner, built: BuildResult) -> None:
    root = str(built.checked.project.root)
    result = runner.invoke(cli, ["query", "ASK { ?s ?p ?o }", "--root", root])
    assert (result.exit_code, result.stdout) == (0, "true\n")
    cq = str(built.checked.project.root / "queries/cq01-visits.rq")
    result = runner.invoke(cli, ["query", cq, "--format", "json", "--root", root])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["head"]["vars"] == ["visit"]


def test_malformed_query_exits_2(runner: CliRunner, built: BuildResult) -> None:
    root = str(built.checked.project.root)
    result = runner.invoke(cli, ["query", "SELECT * WHERE {", "--root", root])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: malformed query at line 1, column 17")


def test_query_without_build_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["query", "ASK {}", "--root", str(tmp_path)])
    assert result.exit_code == 2
    assert "run `diplokg build` first" in result.stderr


def test_stats(runner: CliRunner, built: BuildResult) -> None:
    root = str(built.checked.project.root)
    text = runner.invoke(cli, ["stats", "--root", root])
    assert text.exit_code == 0
    assert "facts: 1 (1 with evidence)" in text.stdout
    data = runner.invoke(cli, ["stats", "--json", "--root", root])
    assert json.loads(data.stdout)["competency_questions"] == 1


@pytest.mark.parametrize(
    "args",
    [["nope"], ["build", "--nope"], ["query"], ["query", "ASK {}", "--format", "yaml"]],
)
def test_usage_errors_exit_2(runner: CliRunner, args: list[str]) -> None:
    assert runner.invoke(cli, args).exit_code == 2


def test_bad_setting_exits_2(runner: CliRunner, project: Path) -> None:
    result = runner.invoke(cli, ["validate", "--root", str(project), "--base", "http://x.org/kg"])
    assert result.exit_code == 2
    assert result.stderr == "error: base must end with '/' or '#': 'http://x.org/kg'\n"


def test_help_names_env_vars_and_version(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["build", "--help"])
    assert "DIPLOKG_ROOT" in result.stdout
    assert "DIPLOKG_BASE" in result.stdout
    assert __version__ in runner.invoke(cli, ["--version"]).stdout


README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.parametrize("name", ["build", "validate", "query", "stats", "push"])
def test_every_command_and_option_is_in_the_readme(name: str) -> None:
    section = README.read_text(encoding="utf-8").split("## CLI reference", 1)[1]
    [row] = [line for line in section.splitlines() if line.startswith(f"| `diplokg {name}")]
    command = cli.commands[name]
    for param in command.params:
        for opt in param.opts:
            if opt.startswith("--") and opt != "--help":
                assert opt in row, (name, opt)
