"""A supervised pool of query evaluator processes, killed and replaced on timeout.

pyoxigraph cannot cancel a query, so a timeout is enforced by killing the process
that runs it (SIGKILL) and starting a fresh one in its place. The web thread waits
on the pipe with a deadline, so the 503 is decided before any response byte is
written; the replacement loads the dataset in the background while the other
evaluators keep answering. Processes come from a ``forkserver`` that has already
imported pyoxigraph and rdflib, so a replacement costs a fork and a load of the
dump, not an interpreter start. An evaluator that dies (a crash, the memory
limit) is replaced the same way, and the request gets a 500.
"""

from __future__ import annotations

import math
import multiprocessing
import queue
import threading
import time
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from typing import Any

from diplokg import errors
from diplokg.store.base import QueryRequest, QueryResult

START_TIMEOUT = 300.0


def _context() -> ForkServerContext:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["diplokg.store.evaluator"])
    return ctx


def decode_error(payload: tuple[Any, ...]) -> errors.DiploKGError:
    """Rebuild an error sent by an evaluator (see :func:`evaluator.encode_error`)."""
    name, *args = payload
    if name == "QuerySyntaxError":
        return errors.QuerySyntaxError(*args)
    cls = getattr(errors, name, None)
    if isinstance(cls, type) and issubclass(cls, errors.DiploKGError):
        return cls(*args)
    return errors.EvaluationError(str(args[0]) if args else "query evaluation failed")


class _Worker:
    """One evaluator process and its pipe."""

    def __init__(self, ctx: ForkServerContext, args: tuple[Any, ...]) -> None:
        from diplokg.store.evaluator import serve

        self.conn, child = ctx.Pipe()
        self.process: BaseProcess = ctx.Process(target=serve, args=(child, *args), daemon=True)
        self.process.start()
        child.close()
        self.sizes: dict[str, int] | None = None

    def wait_ready(self, deadline: float) -> bool:
        if self.sizes is not None:
            return True
        if not self.conn.poll(max(0.0, deadline - time.monotonic())):
            return False
        try:
            message = self.conn.recv()
        except (EOFError, OSError):
            raise errors.EvaluationError(
                "the query evaluator died while loading the dataset"
                " (is the query memory limit too low for it?)"
            ) from None
        if message[0] != "ready":
            raise errors.InputError(str(message[1]))
        self.sizes = message[1]
        return True

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()


class EvaluatorPool:
    """Evaluator processes shared by the threads of one web worker.

    Args:
        source: The dump each evaluator loads.
        size: Number of evaluators (one per concurrent query).
        prefixes: Output prefixes.
        memory_mb: Address-space limit of each evaluator in MiB (0: none).
        sizes: The graph sizes when already known (not counted again).
    """

    def __init__(
        self,
        source: str,
        size: int,
        prefixes: dict[str, str],
        memory_mb: int = 0,
        sizes: dict[str, int] | None = None,
    ) -> None:
        self._ctx = _context()
        self._args = (source, prefixes, memory_mb, sizes)
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self.restarts = 0
        first = self._spawn()
        try:
            if not first.wait_ready(time.monotonic() + START_TIMEOUT):
                raise errors.ServiceUnavailable("the query evaluator did not start in time")
        except errors.DiploKGError:
            self.close()
            raise
        assert first.sizes is not None
        self.sizes: dict[str, int] = dict(first.sizes)
        self._idle.put(first)
        for _ in range(max(1, size) - 1):
            self._idle.put(self._spawn())

    def _spawn(self) -> _Worker:
        worker = _Worker(self._ctx, self._args)
        with self._lock:
            self._all.add(worker)
        return worker

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)
            self.restarts += 1
        self._idle.put(self._spawn())

    def run(self, request: QueryRequest, timeout: float) -> QueryResult:
        """Answer a query in a free evaluator, killing it if the timeout expires.

        Args:
            request: The query.
            timeout: Seconds for waiting for an evaluator and evaluating.

        Returns:
            The answer.

        Raises:
            DiploKGError: What the evaluator raised, or a timeout (503), or 500
                when the evaluator died.
        """
        retry = max(1, math.ceil(timeout))
        deadline = time.monotonic() + timeout
        try:
            worker = self._idle.get(timeout=timeout)
        except queue.Empty:
            raise errors.ServiceUnavailable(
                "every query evaluator is busy; try again shortly", retry
            ) from None
        try:
            ready = worker.wait_ready(deadline)
        except errors.DiploKGError:
            self._replace(worker)
            raise
        if not ready:
            self._idle.put(worker)
            raise errors.ServiceUnavailable("the query evaluator is still starting", retry)
        try:
            worker.conn.send(request)
            if not worker.conn.poll(max(0.0, deadline - time.monotonic())):
                self._replace(worker)
                raise errors.QueryTimeout(
                    f"the query was stopped after the {timeout:g} s time limit", retry
                )
            reply = worker.conn.recv()
        except (EOFError, OSError):
            self._replace(worker)
            raise errors.EvaluationError(
                "the query evaluator stopped on this query (out of memory, or a crash);"
                " it was replaced"
            ) from None
        self._idle.put(worker)
        if reply[0] == "ok":
            result: QueryResult = reply[1]
            return result
        raise decode_error(reply[1:])

    def pids(self) -> list[int]:
        """Process ids of the live evaluators."""
        with self._lock:
            return [w.process.pid for w in self._all if w.process.pid is not None]

    def close(self) -> None:
        """Stop every evaluator."""
        with self._lock:
            workers, self._all = list(self._all), set()
        for worker in workers:
            worker.kill()


class PooledStore:
    """The part of a store that its evaluator pool answers: queries and graph sizes.

    Subclasses set :attr:`pool` and :attr:`version` (see :class:`diplokg.store.base.Store`).
    """

    pool: EvaluatorPool
    version: str

    def query(self, request: QueryRequest, timeout: float) -> QueryResult:
        """Answer a query (see :meth:`diplokg.store.base.Store.query`)."""
        return self.pool.run(request, timeout)

    def graphs(self) -> dict[str, int]:
        """The named graphs: IRI → number of triples."""
        return dict(self.pool.sizes)

    def triple_count(self) -> int:
        """Number of quads in the dataset."""
        return sum(self.pool.sizes.values())

    def close(self) -> None:
        """Stop the evaluator processes."""
        self.pool.close()
