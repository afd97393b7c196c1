"""Stages executed on one worker thread, in order, while the next ones compile.

Building and compiling a stage's Ibis expression is Python (it holds the GIL);
executing its SQL is DuckDB (it releases the GIL). Run one after the other,
the ~60 stages of a run spend about a quarter of the engine's time compiling
with DuckDB idle. The queue lets the main thread compile stage *n + 1* while
DuckDB executes stage *n*: a stage needs only the *schemas* of the tables it
reads, which are known from their expressions before the tables are filled.

Order is kept (one worker), and the first failure stops every later job: the
stages after it would read tables that were never written.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class StageQueue:
    def __init__(self, interrupt: Callable[[], None]) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crossfoot-stages")
        self._futures: list[Future[None]] = []
        self._error: BaseException | None = None
        self._worker: int | None = None
        #: stops the statement DuckDB is executing (a run interrupted or failed)
        self._interrupt = interrupt

    def submit(self, job: Callable[[], Any]) -> None:
        self._futures.append(self._pool.submit(self._guarded, job))

    def _guarded(self, job: Callable[[], Any]) -> None:
        self._worker = threading.get_ident()
        if self._error is not None:
            return
        try:
            job()
        except BaseException as exc:  # raised on the main thread by ``wait``
            self._error = exc

    def wait(self) -> None:
        """Block until every submitted job has run; raise the first failure.

        On the worker itself (a queued check reading data) there is nothing to wait
        for: the jobs before it have run.
        """
        if threading.get_ident() == self._worker:
            return
        for future in self._futures:
            future.result()
        self._futures.clear()
        if self._error is not None:
            raise self._error

    def close(self, *, abandon: bool) -> None:
        """Stop the worker. ``abandon``: interrupt the running statement and skip the rest."""
        if abandon and any(not f.done() for f in self._futures):
            self._error = self._error or RuntimeError("abandoned")
            self._interrupt()
        self._pool.shutdown(wait=True, cancel_futures=abandon)
