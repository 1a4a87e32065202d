"""``diplokg serve``: build first when needed, the server options, the CLI command, both servers."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from diplokg import errors
from diplokg.cli import cli
from diplokg.config import Settings
from diplokg.web import server
from tests.live import WEB, free_port, start_server, stop_server, write_manifest

PROJECT = Path(__file__).parent / "data" / "project"


def test_needs_build(tmp_path: Path) -> None:
    with pytest.raises(errors.NotFound, match="no dataset"):
        server.needs_build(Settings.from_env({}, root=tmp_path))
    assert not server.needs_build(Settings.from_env({}, root=WEB))  # a dump, no inputs
    root = tmp_path / "project"
    shutil.copytree(PROJECT, root)
    settings = Settings.from_env({}, root=root)
    assert server.needs_build(settings)  # no dist/
    dump = settings.dist_dir / "diplokg.nq"
    dump.parent.mkdir()
    dump.write_text("")
    assert not server.needs_build(settings)
    later = time.time() + 10
    os.utime(root / "data" / "facts" / "tiny-news.ttl", (later, later))
    assert server.needs_build(settings)


def test_ensure_built_builds_only_when_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Settings] = []
    monkeypatch.setattr("diplokg.build.build", lambda s: calls.append(s))
    server.ensure_built(Settings.from_env({}, root=WEB))
    assert calls == []
    monkeypatch.setattr(server, "needs_build", lambda s: True)
    server.ensure_built(Settings.from_env({}, root=WEB))
    assert len(calls) == 1


def test_gunicorn_options() -> None:
    s = Settings.from_env({}, host="127.0.0.1", port=9999, workers=3, threads=5, query_timeout=2)
    options = server.gunicorn_options(s)
    assert options["bind"] == "127.0.0.1:9999"
    assert (options["workers"], options["threads"], options["worker_class"]) == (3, 5, "gthread")
    assert options["timeout"] >= 30


def test_granian_options() -> None:
    s = Settings.from_env({}, host="127.0.0.1", port=9999, workers=3, threads=5)
    options = server.granian_options(s)
    assert (options["address"], options["port"]) == ("127.0.0.1", 9999)
    assert (options["workers"], options["blocking_threads"]) == (3, 5)
    assert options["interface"] == "wsgi"
    assert options["respawn_failed_workers"] is True
    assert options["log_access"] is False
    handlers = options["log_dictconfig"]["handlers"].values()
    assert {h["stream"] for h in handlers} == {"ext://sys.stderr"}


def test_the_default_server_is_granian() -> None:
    assert Settings.from_env({}).server == "granian" == server.SERVERS[0]
    assert Settings.from_env({"DIPLOKG_SERVER": "gunicorn"}).server == "gunicorn"
    assert server.check_server(Settings.from_env({}, server="gunicorn")) == "gunicorn"


def test_an_unknown_server_is_refused_before_anything_starts(tmp_path: Path) -> None:
    with pytest.raises(errors.InputError, match="unknown server 'nginx'"):
        server.check_server(Settings.from_env({}, server="nginx"))
    # Refused before the build: no dataset here, yet the message is about the server.
    result = CliRunner().invoke(
        cli, ["serve", "--root", str(tmp_path), "--server", "nginx"], env={}
    )
    assert result.exit_code == 2
    assert "unknown server 'nginx': choose one of granian, gunicorn" in result.output
    result = CliRunner().invoke(
        cli, ["serve", "--root", str(tmp_path)], env={"DIPLOKG_SERVER": "x"}
    )
    assert result.exit_code == 2
    assert "unknown server 'x'" in result.output


def test_serve_help_lists_every_option() -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ["--host", "--port", "--server", "--workers", "--threads", "--query-timeout"]:
        assert option in result.output
    for option in ["--result-cap", "--max-body", "--public-url", "--store", "--query-memory"]:
        assert option in result.output


def test_serve_without_a_dataset_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", "--root", str(tmp_path)], env={})
    assert result.exit_code == 2
    assert "no dataset" in result.output


def test_serve_builds_first_then_answers(tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(PROJECT, root)
    live = start_server(root=root, wait=120)
    try:
        assert (root / "dist" / "diplokg.nq").is_file()
        r = live.request("GET", "/sparql?query=ASK%7B%3Fs%3Fp%3Fo%7D")
        assert r.status == 200
        assert r.body == b'{"head":{},"boolean":true}'
    finally:
        stop_server(live)


def test_gunicorn_still_serves_a_query_and_the_home_page() -> None:
    live = start_server("--server", "gunicorn")
    try:
        r = live.request("GET", "/sparql?query=ASK%7B%3Fs%3Fp%3Fo%7D")
        assert r.status == 200
        assert r.body == b'{"head":{},"boolean":true}'
        assert "gunicorn" in (r.header("Server") or "")
        home = live.request("GET", "/", headers={"Accept": "text/html"})
        assert home.status == 200
        assert home.text.lstrip().lower().startswith("<!doctype html")
    finally:
        stop_server(live)


@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.parametrize("name", server.SERVERS)
def test_serve_with_a_dump_that_does_not_load_stops_with_a_message(
    tmp_path: Path, name: str, workers: str
) -> None:
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "diplokg.nq").write_text('<a> <b> "unterminated .\n')
    write_manifest(tmp_path / "dist")  # complete and matching: only the content is bad
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIPLOKG_")}
    port = free_port()
    cmd = [sys.executable, "-m", "diplokg", "serve", "--root", str(tmp_path), "--server", name]
    cmd += ["--port", str(port), "--workers", workers, "--threads", "1"]
    start = time.monotonic()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert time.monotonic() - start < 30  # stopped, not respawning the broken worker
    assert "cannot load" in done.stderr
    assert "rebuild it with `diplokg build`" in done.stderr
    assert "Traceback" not in done.stderr
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port)):
        pass


@pytest.mark.parametrize("name", server.SERVERS)
def test_a_host_name_is_resolved(name: str) -> None:
    if socket.getaddrinfo("localhost", 80, type=socket.SOCK_STREAM)[0][4][0] != "127.0.0.1":
        pytest.skip("localhost is not 127.0.0.1 first here")
    live = start_server("--server", name, "--host", "localhost")
    try:
        assert live.request("GET", "/sparql?query=ASK%7B%3Fs%3Fp%3Fo%7D").status == 200
    finally:
        stop_server(live)


@pytest.mark.parametrize("name", server.SERVERS)
def test_a_port_another_diplokg_serve_holds_is_a_clear_error(name: str) -> None:
    """Two servers never share a port: the second would get about half the connections."""
    first = start_server("--server", name)
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DIPLOKG_")}
        cmd = [sys.executable, "-m", "diplokg", "serve", "--root", str(WEB)]
        cmd += ["--port", str(first.port), "--server", name]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2
        assert f"cannot listen on 127.0.0.1:{first.port}: Address already in use" in done.stderr
        assert first.request("GET", "/sparql?query=ASK%7B%3Fs%3Fp%3Fo%7D").status == 200
    finally:
        stop_server(first)


@pytest.mark.parametrize("name", server.SERVERS)
def test_an_address_in_use_is_a_clear_error(name: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("DIPLOKG_")}
        cmd = [sys.executable, "-m", "diplokg", "serve", "--root", str(WEB), "--port", str(port)]
        cmd += ["--server", name]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in done.stderr
    assert "Traceback" not in done.stderr
