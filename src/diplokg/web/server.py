"""``diplokg serve``: the app on gunicorn, the dataset built first when needed.

gunicorn (https://docs.gunicorn.org/) runs ``workers`` processes with ``threads``
threads each (the ``gthread`` worker); each worker builds its own app with
:func:`diplokg.web.create_app`, and so its own pool of query evaluators (one per
thread). The dataset is built first when ``dist/`` is missing or older than any
input file.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]

from diplokg.config import Settings
from diplokg.errors import DiploKGError, InputError, NotFound
from diplokg.loading import input_files
from diplokg.store import dump_path, prepare_store

log = logging.getLogger(__name__)

#: gunicorn's exit status for a worker that cannot boot (the master then stops).
WORKER_BOOT_ERROR = 3


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
        "graceful_timeout": 5,
        "keepalive": 5,
        "limit_request_line": 0,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "diplokg",
    }


def serve(settings: Settings) -> None:
    """Build if needed, then serve until stopped.

    Args:
        settings: Host, port, workers, threads, limits and the project.

    Raises:
        DiploKGError: The build failed, or ``dist/`` is partial or corrupt, or the
            dataset cannot be loaded.
    """
    try:
        ensure_built(settings)
    except NotFound:
        if settings.store != "remote":  # a remote store may be served without dist/
            raise
    prepare_store(settings)
    master = os.getpid()
    try:
        _Gunicorn(settings, gunicorn_options(settings)).run()
    except SystemExit as stop:
        # Workers are forks of this process: only the master turns a boot error
        # into a message; a worker's exit status must reach the master as it is.
        if os.getpid() == master and stop.code == WORKER_BOOT_ERROR:
            raise InputError(
                f"the server did not start: the dataset in {settings.dist_dir} does not load"
                " (see the error above); rebuild it with `diplokg build`"
            ) from None
        raise
