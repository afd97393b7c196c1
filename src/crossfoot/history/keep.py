"""Keep a run: move the exception lifecycle, write the outputs, append the history rows.

``api.run`` calls ``keep_run`` inside the store's transaction, after the engine
and before the commit; nothing here commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from crossfoot.diagnostic.findings import RunResult
from crossfoot.engine.backend import DuckDBBackend
from crossfoot.history.lifecycle import apply_run
from crossfoot.store import record_run, run_id


def keep_run(
    backend: DuckDBBackend,
    result: RunResult,
    *,
    pending: Path | None = None,
    out: Path | None = None,
    interface: str = "api",
    beside: Callable[[], None] | None = None,
) -> RunResult:
    """Record ``result`` as a run; its outputs (with the worklist) go to ``pending``.

    ``beside`` runs on another thread while the outputs are written (`run` copies
    the canonical tables into the store then): the outputs are Python and their own
    DuckDB connections, so the store's connection is free for it meanwhile.
    """
    from crossfoot.outputs import write_outputs

    rid = run_id(result)
    worklist = apply_run(backend, rid, result.exceptions, datetime.now(UTC))
    result = replace(result, worklist=worklist)
    hashes: dict[str, str] = {}
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crossfoot-store")
    try:  # an error in the outputs waits for ``beside`` to end, then propagates
        alongside = pool.submit(beside) if beside is not None else None
        if pending is not None:
            written = write_outputs(result, pending)
            hashes = {name: _sha256(path) for name, path in written.items()}
        if alongside is not None:
            alongside.result()
    finally:
        pool.shutdown(wait=True)
    record_run(backend, result, rid=rid, out_dir=out, outputs=hashes, interface=interface)
    return result


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:  # streamed: the large CSV files need not fit in memory
        return hashlib.file_digest(fh, "sha256").hexdigest()
