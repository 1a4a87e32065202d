"""``diplokg serve``: the app on granian (or gunicorn), the dataset built first when needed.

The ``server`` setting picks the WSGI server:

- ``granian`` (the default, https://github.com/emmett-framework/granian): a Rust
  HTTP server; ``workers`` processes, each running the app on ``threads`` blocking
  threads. HTTP parsing, keep-alive and the sockets are Rust, so a request answered
  from the replay cache (:mod:`diplokg.web.replay`) costs several times less than on
  gunicorn (``benchmarks/HTTP.md``). The workers accept on one socket shared
  through the master (:func:`_shared_socket_server`).
- ``gunicorn`` (https://docs.gunicorn.org/): ``workers`` processes with ``threads``
  threads each (the ``gthread`` worker), accepting on one shared socket; it also
  replaces a worker that stops answering.

On both, each worker builds its own app with :func:`diplokg.web.create_app`, and
so its own pool of query evaluators (one per thread); a worker that dies is
replaced, with no failed requests beyond those it had in flight; a worker whose
app cannot load stops the whole server with a message (:data:`WORKER_BOOT_ERROR`).
The dataset is built first when ``dist/`` is missing or older than any input file.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import os
import signal
import socket
import sys
import traceback
from copy import deepcopy
from typing import Any, Protocol

from flask import Flask
from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]

from diplokg.config import Settings
from diplokg.errors import DiploKGError, InputError, NotFound
from diplokg.loading import input_files
from diplokg.store import dump_path, prepare_store

log = logging.getLogger(__name__)

#: The WSGI servers ``diplokg serve`` runs on; the first is the default.
SERVERS = ("granian", "gunicorn")

#: Exit status of a worker whose app cannot load (gunicorn's, so that its master
#: stops; granian's master is told by a signal instead, see :func:`_load_app`).
WORKER_BOOT_ERROR = 3

#: Seconds a worker has to finish its requests when the server stops.
GRACEFUL_SECONDS = 5


def needs_build(settings: Settings) -> bool:
    """Whether ``dist/`` is missing or older than an input file.

    Args:
        settings: Where the project and ``dist/`` are.

    Returns:
        True when a build is due.

    Raises:
        NotFound: No dump and no inputs to build one from.
    """
    dump = dump_path(settings)
    inputs = [settings.root / p for p in input_files(settings.root)]
    if not dump.is_file():
        if not inputs:
            raise NotFound(
                f"no dataset at {dump} and no project inputs under {settings.root}:"
                " point --root at a project (or --dist at a built dataset) and run"
                " `diplokg build`"
            )
        return True
    built = dump.stat().st_mtime
    return any(p.stat().st_mtime > built for p in inputs)


def ensure_built(settings: Settings) -> None:
    """Build ``dist/`` when :func:`needs_build` says so.

    Raises:
        DiploKGError: The build failed (``dist/`` is then left as it was).
    """
    if needs_build(settings):
        from diplokg.build import build

        log.warning("building %s first (missing or older than its inputs)", settings.dist_dir)
        build(settings)


def check_server(settings: Settings) -> str:
    """The WSGI server the settings name.

    Args:
        settings: ``server`` is read.

    Returns:
        One of :data:`SERVERS`.

    Raises:
        InputError: Not a server ``diplokg serve`` knows.
    """
    if settings.server not in SERVERS:
        raise InputError(
            f"unknown server {settings.server!r}: choose one of {', '.join(SERVERS)}"
            " (--server or DIPLOKG_SERVER)"
        )
    return settings.server


def boot_error(settings: Settings) -> InputError:
    """The error ``diplokg serve`` stops with when a worker's app does not load."""
    return InputError(
        f"the server did not start: the dataset in {settings.dist_dir} does not load"
        " (see the error above); rebuild it with `diplokg build`"
    )


# --- gunicorn ---------------------------------------------------------------------


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        from diplokg.web import create_app

        try:
            return create_app(self.settings)
        except DiploKGError as error:
            print(f"error: {error}", file=sys.stderr, flush=True)
            sys.exit(WORKER_BOOT_ERROR)  # gunicorn stops when a worker cannot boot


def gunicorn_options(settings: Settings) -> dict[str, Any]:
    """The gunicorn configuration for the settings."""
    return {
        "bind": f"{settings.host}:{settings.port}",
        "workers": settings.workers,
        "threads": settings.threads,
        "worker_class": "gthread",
        # The query timeout is enforced per query; this only catches a stuck worker.
        "timeout": max(30, int(settings.query_timeout * 3)),
        "graceful_timeout": GRACEFUL_SECONDS,
        "keepalive": 5,
        "limit_request_line": 0,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "diplokg",
    }


def _listen(settings: Settings, backlog: int = 1024) -> socket.socket:
    """A socket bound to the settings' host and port, listening, without ``SO_REUSEPORT``.

    Raises:
        InputError: The host and port cannot be bound (in use, not an address here…).
    """
    try:
        infos = socket.getaddrinfo(settings.host, settings.port, type=socket.SOCK_STREAM)
        family, kind, proto, _name, address = infos[0]
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn does
            sock.bind(address)
            sock.listen(backlog)
        except BaseException:
            sock.close()
            raise
    except OSError as error:
        reason = error.strerror or str(error)
        raise InputError(f"cannot listen on {settings.host}:{settings.port}: {reason}") from None
    return sock


def _check_address(settings: Settings) -> None:
    """Fail early, with a clear message, when the address cannot be listened on.

    Raises:
        InputError: The host and port cannot be bound (in use, not an address here…).
    """
    _listen(settings).close()


def serve_gunicorn(settings: Settings) -> None:
    """Run the app on gunicorn until stopped.

    Raises:
        InputError: A worker's app did not load (the message is on stderr).
    """
    from gunicorn.errors import HaltServer  # type: ignore[import-untyped]

    _check_address(settings)  # gunicorn would retry for 5 s, then exit 1 with a log line
    master = os.getpid()
    try:
        _Gunicorn(settings, gunicorn_options(settings)).run()
    except HaltServer as halt:
        # Two workers failing together: the second failure is reported while the
        # arbiter is already halting for the first, and escapes it as an exception.
        if halt.exit_status == WORKER_BOOT_ERROR:
            raise boot_error(settings) from None
        raise
    except SystemExit as stop:
        # Workers are forks of this process: only the master turns a boot error
        # into a message; a worker's exit status must reach the master as it is.
        if os.getpid() == master and stop.code == WORKER_BOOT_ERROR:
            raise boot_error(settings) from None
        raise


# --- granian ----------------------------------------------------------------------


class _Flag(Protocol):
    def set(self) -> None: ...

    def is_set(self) -> bool: ...


def _load_app(settings: Settings, master: int, failed: _Flag) -> Flask:
    """Build the app in a granian worker; when it cannot, stop the whole server.

    granian replaces a worker that exits (``respawn_failed_workers``), which is
    right for a crash but would reload a dataset that cannot load. So a worker
    whose app fails raises ``failed`` and sends SIGTERM to the master, which
    then stops gracefully and reports :func:`boot_error`.

    Args:
        settings: The settings of the app.
        master: Process id of granian's main process.
        failed: Shared with the master: set when the app did not load.

    Returns:
        The app.
    """
    from diplokg.web import create_app

    try:
        return create_app(settings)
    except DiploKGError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
    except Exception:
        traceback.print_exc()
        sys.stderr.flush()
    failed.set()
    if os.getpid() != master:
        os.kill(master, signal.SIGTERM)
    sys.exit(WORKER_BOOT_ERROR)


def granian_options(settings: Settings) -> dict[str, Any]:
    """The keyword arguments of granian's server for the settings.

    HTTP/1.1 only, like gunicorn. granian's limits on the request head stand:
    a request target longer than 65,534 bytes gets 414 (hyper's fixed limit;
    gunicorn passes any length to the app, which answers 400 past ``max_body``),
    and a head over 408 KiB or with more than 100 headers gets 431.
    """
    from granian.constants import HTTPModes, Interfaces
    from granian.log import LOGGING_CONFIG, LogLevels

    logging_config: dict[str, Any] = deepcopy(LOGGING_CONFIG)
    for handler in logging_config["handlers"].values():
        handler["stream"] = "ext://sys.stderr"
    return {
        "address": settings.host,
        "port": settings.port,
        "interface": Interfaces.WSGI,
        "http": HTTPModes.http1,
        "workers": settings.workers,
        "backlog": 1024,
        "blocking_threads": settings.threads,
        "respawn_failed_workers": True,
        "workers_kill_timeout": GRACEFUL_SECONDS,
        "log_access": False,
        "log_level": LogLevels.warning,
        "log_dictconfig": logging_config,
    }


def _shared_socket_server(listener: socket.socket) -> type[Any]:
    """The granian process server, its workers accepting from one given socket.

    On Linux granian gives each worker its own ``SO_REUSEPORT`` socket; the
    kernel spreads new connections over them, and when a worker dies the
    connections queued on its socket are reset (unless ``net.ipv4.tcp_migrate_req``
    is 1), so more requests fail than the worker had in flight. This server
    hands its workers one socket made by the master (:func:`_listen`), as granian
    does on other systems: a connection waits in the one queue until a live
    worker takes it. Made without ``SO_REUSEPORT``, the socket also cannot share
    its port with another server unnoticed, and a host name is resolved as for
    gunicorn. It overrides granian's ``_init_shared_socket`` (checked by
    ``tests/test_resilience.py``; granian is pinned below 2.9 in pyproject.toml).
    """
    from granian._granian import SocketHolder
    from granian.server.mp import MPServer

    class SharedSocketServer(MPServer):
        def _init_shared_socket(self) -> None:
            listener.set_inheritable(True)
            handed = os.dup(listener.fileno())  # the workers' own descriptor of it
            os.set_inheritable(handed, True)
            self._ssp, self._sso = None, listener
            self._sfd = listener.fileno()  # type: ignore[assignment]
            # SocketHolder(fd, uds, backlog): granian 2.8's stub lists fewer arguments.
            holder = SocketHolder(handed, False, self.backlog)  # type: ignore[call-arg]
            self._shd = holder  # type: ignore[assignment]

    return SharedSocketServer


def serve_granian(settings: Settings) -> None:
    """Run the app on granian until stopped.

    Raises:
        InputError: The address cannot be listened on, or a worker's app did not
            load (the message is on stderr).
    """
    options = granian_options(settings)
    listener = _listen(settings, options["backlog"])
    failed = multiprocessing.get_context().Event()
    server = _shared_socket_server(listener)("diplokg.web:create_app", **options)
    loader = functools.partial(_load_app, settings, os.getpid(), failed)
    try:
        server.serve(target_loader=loader, wrap_loader=False)
    except SystemExit:
        if not failed.is_set():
            raise
    finally:
        listener.close()
    if failed.is_set():
        raise boot_error(settings)


def serve(settings: Settings) -> None:
    """Build if needed, then serve until stopped.

    Args:
        settings: Server, host, port, workers, threads, limits and the project.

    Raises:
        DiploKGError: An unknown server, the build failed, or ``dist/`` is partial
            or corrupt, or the dataset cannot be loaded.
    """
    server = check_server(settings)
    try:
        ensure_built(settings)
    except NotFound:
        if settings.store != "remote":  # a remote store may be served without dist/
            raise
    prepare_store(settings)
    if server == "gunicorn":
        serve_gunicorn(settings)
    else:
        serve_granian(settings)
