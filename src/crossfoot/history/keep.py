"""Keep a run: move the exception lifecycle, write the outputs, append the history rows.

``api.run`` calls ``keep_run`` inside the store's transaction, after the engine
and before the commit; nothing here commits.
"""

from __future__ import annotations

import hashlib
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
) -> RunResult:
    """Record ``result`` as a run; its outputs (with the worklist) go to ``pending``."""
    from crossfoot.outputs import write_outputs

    rid = run_id(result)
    worklist = apply_run(backend, rid, result.exceptions, datetime.now(UTC))
    result = replace(result, worklist=worklist)
    hashes: dict[str, str] = {}
    if pending is not None:
        written = write_outputs(result, pending)
        hashes = {name: _sha256(path) for name, path in written.items()}
    record_run(backend, result, rid=rid, out_dir=out, outputs=hashes, interface=interface)
    return result


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:  # streamed: the large CSV files need not fit in memory
        return hashlib.file_digest(fh, "sha256").hexdigest()
