"""What every connector shares: the pulled folder, the cursors, and the commit of an object.

Layout of ``<workspace>/.crossfoot/pulled/<system>/`` (the reader's folder when
``source: api``)::

    Opportunity.1.json ...     the committed pages the reader reads
    .pull-state.json           per object: cursor, last pull, records, pages
    .incoming/Opportunity/     pages of a pull in progress (ignored by readers)

An object is pulled as a transaction. Its pages are written to
``.incoming/<Object>/`` one by one (temp file, fsync, atomic rename). Only when
the last page is stored is a ``COMMIT`` journal written there, naming the final
pages and the new cursor; the final pages then replace ``<Object>.*.json`` and the
cursor is saved. A pull that is interrupted before ``COMMIT`` leaves the old
pages and the old cursor untouched (the next pull discards ``.incoming`` and
fetches again from the old cursor); one interrupted after ``COMMIT`` is rolled
forward by the next pull. So nothing is lost and nothing is counted twice.

The cursor is the latest last-modified stamp among the records fetched. A
record that changes while the pull runs may get a stamp below it, so the next
pull asks for changes since the cursor minus the duration of the pull that set
it plus a margin (``lookback_s``); the merge makes the overlap harmless.

A full pull commits the vendor's pages byte for byte. An incremental pull
(records changed since the cursor) is merged with the committed pages: a
record replaces the earlier version with the same key (for NetSuite lines: all
lines of a transaction that changed), and the merged object is rewritten as
fresh pages in the vendor's format with consistent counts.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from crossfoot.errors import SourceError

STATE_FILE = ".pull-state.json"
LOOKBACK_MARGIN = 300  # seconds of clock skew between the vendor's servers
INCOMING = ".incoming"
COMMIT = "COMMIT"

#: (system, object, pages so far, records so far)
PullProgress = Callable[[str, str, int, int], None]


# ---------------------------------------------------------------- files


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` so that ``path`` holds either the old or the new content, never a part."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    if os.name == "posix":  # a rename is durable once its directory is synced
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class _Number(str):
    """A JSON number kept as its text, so merged pages carry the vendor's exact digits."""


_NUMBER_MARK = "\x00n:"


def load_exact(data: bytes | str) -> Any:
    return json.loads(data, parse_float=_Number, parse_int=_Number)


def dump_exact(doc: Any) -> bytes:
    """JSON text of a document read by :func:`load_exact`; numbers written back verbatim."""

    def mark(value: Any) -> Any:
        if isinstance(value, _Number):
            return _NUMBER_MARK + value
        if isinstance(value, dict):
            return {k: mark(v) for k, v in value.items()}
        if isinstance(value, list):
            return [mark(v) for v in value]
        return value

    text = json.dumps(mark(doc), ensure_ascii=False, separators=(",", ":"))
    return re.sub(r'"\\u0000n:([-+.0-9eE]+)"', r"\1", text).encode()


# ---------------------------------------------------------------- formats


class PageFormat(Protocol):
    """How a system's pages hold records, and how to write a merged object as pages."""

    def records(self, page: dict[str, Any]) -> list[dict[str, Any]]: ...

    def key(self, obj: str, record: dict[str, Any]) -> tuple[str, ...]:
        """What identifies a record: a later version with the same key replaces it."""
        ...

    def group(self, obj: str, record: dict[str, Any]) -> tuple[str, ...]:
        """Records of a group replace all earlier records of that group on a merge."""
        ...

    def pages(self, obj: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]: ...


# ---------------------------------------------------------------- state


@dataclass
class PulledFolder:
    """A system's pulled folder: committed pages, cursors, and pulls in progress."""

    root: Path
    system: str

    @property
    def state_path(self) -> Path:
        return self.root / STATE_FILE

    def state(self) -> dict[str, dict[str, Any]]:
        if not self.state_path.exists():
            return {}
        try:
            data = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SourceError(
                f"{self.state_path} is unreadable ({exc}); delete it to pull everything again",
                location=self.system,
            ) from exc
        objects = data.get("objects", {}) if isinstance(data, dict) else {}
        return objects if isinstance(objects, dict) else {}

    def cursor(self, obj: str) -> str | None:
        value = self.state().get(obj, {}).get("cursor")
        return value if isinstance(value, str) else None

    def lookback(self, obj: str) -> int:
        value = self.state().get(obj, {}).get("lookback_s")
        return value if isinstance(value, int) else LOOKBACK_MARGIN

    def _save_state(self, obj: str, entry: dict[str, Any]) -> None:
        state = self.state()
        state[obj] = entry
        data = {"system": self.system, "objects": dict(sorted(state.items()))}
        write_atomic(self.state_path, json.dumps(data, indent=2).encode())

    def committed_pages(self, obj: str) -> list[Path]:
        single = self.root / f"{obj}.json"
        if single.exists():  # an object that is one document, not pages (HubSpot pipelines)
            return [single]
        pattern = re.compile(re.escape(obj.lower()) + r"\.([0-9]+)\.json")
        pages = {}
        for p in self.root.iterdir() if self.root.is_dir() else ():
            if m := pattern.fullmatch(p.name.lower()):
                pages[int(m.group(1))] = p
        return [pages[k] for k in sorted(pages)]

    def incoming(self, obj: str) -> Path:
        return self.root / INCOMING / obj

    def recover(self) -> list[str]:
        """Finish the commits an interrupted pull journaled; discard the unjournaled pages.

        Returns the objects rolled forward.
        """
        done = []
        base = self.root / INCOMING
        for folder in sorted(base.iterdir()) if base.is_dir() else ():
            if (folder / COMMIT).exists():
                self._apply(folder)
                done.append(folder.name)
            else:
                shutil.rmtree(folder)
        return done

    def _apply(self, folder: Path) -> None:
        journal = json.loads((folder / COMMIT).read_text(encoding="utf-8"))
        obj, n, single = journal["object"], journal["pages"], journal.get("single", False)
        for old in [] if single else self.committed_pages(obj):
            if int(old.name.split(".")[-2]) > n:  # pages beyond the new last one
                old.unlink()
        for i in range(1, n + 1):
            staged = folder / f"final.{i}.json"
            name = f"{obj}.json" if single else f"{obj}.{i}.json"
            if staged.exists():  # gone when an earlier roll-forward moved it already
                os.replace(staged, self.root / name)
        _fsync_dir(self.root)
        self._save_state(obj, journal["state"])
        shutil.rmtree(folder)


# ---------------------------------------------------------------- one object


@dataclass(frozen=True)
class ObjectResult:
    system: str
    object: str
    mode: str  # full or incremental
    fetched: int  # records the API returned
    records: int  # records in the committed pages
    pages: int


def pull_object(
    folder: PulledFolder,
    fmt: PageFormat,
    obj: str,
    fetch: Iterator[bytes],
    *,
    since: str | None,
    cursor_of: Callable[[dict[str, Any]], str | None],
    progress: PullProgress | None = None,
    single: bool = False,
    rewrite: Callable[[], bool] = lambda: False,
) -> ObjectResult:
    """Store the pages ``fetch`` yields, merge them when incremental, commit, save the cursor."""
    started = time.monotonic()
    staging = folder.incoming(obj)
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    raw_paths: list[Path] = []
    n_fetched, cursor = 0, since  # pages stay on disk, not in memory, until a merge
    for n, body in enumerate(fetch, start=1):
        path = staging / f"raw.{n}.json"
        write_atomic(path, body)
        raw_paths.append(path)
        try:
            records = fmt.records(load_exact(body))
        except ValueError as exc:  # a 200 that is not a page: never commit it
            raise SourceError(f"page {n} is not a result page ({exc})",
                              location=f"{folder.system} {obj}") from None  # fmt: skip
        n_fetched += len(records)
        for rec in records:
            value = cursor_of(rec)
            if value and (cursor is None or value > cursor):
                cursor = value
        if progress:
            progress(folder.system, obj, n, n_fetched)
    committed = folder.committed_pages(obj)
    fresh = since is None or not committed
    if fresh and not rewrite():
        finals = raw_paths  # the vendor's pages exactly as returned
        total = n_fetched
    elif not fresh and not n_fetched:  # nothing changed: the committed pages stay as they are
        finals = []
        total = folder.state().get(obj, {}).get("records", 0)
    else:  # merged with the committed pages, or fetched in windows: pages written anew
        old = (
            [] if fresh else [r for p in committed for r in fmt.records(load_exact(p.read_bytes()))]
        )
        fetched = (r for p in raw_paths for r in fmt.records(load_exact(p.read_bytes())))
        latest = {fmt.key(obj, r): r for r in fetched}  # changed while paging: last wins
        changed = {fmt.group(obj, r) for r in latest.values()}
        merged = [r for r in old if fmt.group(obj, r) not in changed] + list(latest.values())
        finals = []
        for i, page in enumerate(fmt.pages(obj, merged), start=1):
            path = staging / f"merged.{i}.json"
            write_atomic(path, dump_exact(page))
            finals.append(path)
        total = len(merged)
    for i, path in enumerate(finals, start=1):
        os.replace(path, staging / f"final.{i}.json")
    mode = "full" if since is None else "incremental"
    state = {
        "cursor": cursor,
        "pulled_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": mode,
        "records": total,
        # a record changed while this pull ran can carry a stamp below the cursor:
        # the next pull asks again from the cursor minus this many seconds
        "lookback_s": LOOKBACK_MARGIN + math.ceil(time.monotonic() - started),
    }
    n_pages = len(finals) if finals or since is None else len(committed)
    state["pages"] = n_pages
    if single and n_pages != 1:
        raise SourceError(
            f"expected one document, got {n_pages} pages", location=f"{folder.system} {obj}"
        )
    journal = {"object": obj, "pages": n_pages, "state": state, "single": single}
    write_atomic(staging / COMMIT, json.dumps(journal).encode())
    folder._apply(staging)
    return ObjectResult(folder.system, obj, mode, n_fetched, total, n_pages)
