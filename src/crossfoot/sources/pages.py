"""JSON pages -> the raw all-string table of an object, with ``source_file`` / ``source_line``.

Salesforce REST ``query`` pages (``records``) and NetSuite SuiteQL pages
(``items``) hold at most a few thousand records each: they are parsed with
``json`` and loaded through Arrow. Every JSON number is kept as its exact text
(never a binary float); a record's line is its 1-based position in the page.
A page set must be complete: no gap in the page numbers, a last page that says
it is the last, offsets and totals that add up.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from crossfoot.errors import InputError
from crossfoot.model.load import q
from crossfoot.sources.files import RawFile, RawTable, SqlRunner

JsonStyle = Literal["salesforce", "netsuite"]


def _flatten(
    record: dict[str, Any], prefix: str, out: dict[str, str | None], labels: dict[str, str]
) -> None:
    """Scalars as text under lower-case names; relationship objects as ``Account.Name``."""
    for key, value in record.items():
        if key in ("attributes", "links"):
            continue
        name = prefix + key
        if isinstance(value, dict):
            if not isinstance(value.get("records"), list):  # a child relationship subquery
                _flatten(value, name + ".", out, labels)
            continue
        if isinstance(value, list):
            continue
        labels.setdefault(name.lower(), name)
        text = ("true" if value else "false") if isinstance(value, bool) else value
        out[name.lower()] = None if text is None else str(text)


def _number(text: str) -> str:
    return format(Decimal(text), "f")


def _page(path: Path, rel: str, style: JsonStyle) -> tuple[dict[str, Any], list[Any], str]:
    raw = path.read_bytes()
    if not raw.strip():
        raise InputError("the file is empty: expected a JSON page", location=f"{rel}:1")
    try:
        doc = json.loads(
            raw.decode("utf-8-sig"), parse_float=_number, parse_int=str, parse_constant=str
        )
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", location=rel) from exc
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON: {exc.msg} (column {exc.colno})", location=f"{rel}:{exc.lineno}"
        ) from exc
    key = "records" if style == "salesforce" else "items"
    if not isinstance(doc, dict) or not isinstance(doc.get(key), list):
        raise InputError(
            f"expected a JSON object with '{key}': a list of records", location=f"{rel}:1"
        )
    return doc, doc[key], hashlib.sha256(raw).hexdigest()


def _count(value: Any) -> int | None:
    """A page's count field (integers are read as text, like every JSON number)."""
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _check_pages(docs: list[tuple[str, dict[str, Any], int]], style: JsonStyle) -> None:
    """The page set is complete: the last page ends it and the counts add up."""
    total = sum(n for _, _, n in docs)
    seen = 0
    for i, (rel, doc, n) in enumerate(docs):
        last = i == len(docs) - 1
        more = doc.get("hasMore") is True if style == "netsuite" else doc.get("done") is False
        flag = "hasMore: true" if style == "netsuite" else "done: false"
        if last and more:
            raise InputError(
                f"the last page says {flag}: the next page is missing (export every page)",
                location=rel,
            )
        if not last and style == "netsuite" and doc.get("hasMore") is False:
            raise InputError("page says hasMore: false but more pages follow", location=rel)
        offset = _count(doc.get("offset"))
        if style == "netsuite" and offset is not None and offset != seen:
            raise InputError(
                f"page offset is {offset}, expected {seen}: a page is missing or repeated",
                location=rel,
            )
        seen += n
    declared = _count(docs[0][1].get("totalResults" if style == "netsuite" else "totalSize"))
    if declared is not None and declared != total:
        raise InputError(
            f"the pages hold {total} records but the first page says there are {declared}",
            location=docs[-1][0],
        )


def _text(values: list[Any]) -> list[Any]:
    return [("true" if v else "false") if isinstance(v, bool) else v for v in values]


def _page_columns(records: list[Any], rel: str, labels: dict[str, str]) -> dict[str, pa.Array]:
    """One string array per field. Flat pages go column by column; a page with
    relationship objects (``"Account": {"Name": ...}``) is flattened record by record."""
    for i, rec in enumerate(records, start=1):
        if not isinstance(rec, dict):
            raise InputError(f"record {i} is not a JSON object", location=f"{rel}:{i}")
    keys = [
        k for k in dict.fromkeys(k for r in records for k in r) if k not in ("attributes", "links")
    ]
    columns: dict[str, pa.Array] = {}
    for key in keys:
        values = [r.get(key) for r in records]
        try:
            column = pa.array(values, pa.string())
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            if any(isinstance(v, dict | list) for v in values):
                break  # nested: flatten below
            column = pa.array(_text(values), pa.string())
        if key.lower() in columns:
            break  # the same name in two spellings: let the slow path pick one
        labels.setdefault(key.lower(), key)
        columns[key.lower()] = column
    else:
        return columns
    rows: list[dict[str, str | None]] = []
    for rec in records:
        flat: dict[str, str | None] = {}
        _flatten(rec, "", flat, labels)
        rows.append(flat)
    names = dict.fromkeys(k for r in rows for k in r)
    return {c: pa.array([r.get(c) for r in rows], pa.string()) for c in names}


def read_json_pages(
    run: SqlRunner, register: Callable[[str, pa.Table], Any], paths: list[Path], rels: list[str],
    *, table: RawTable, first_file_no: int, style: JsonStyle,
) -> list[RawFile]:  # fmt: skip
    """Read a page set into ``table.name``; one RawFile per page."""
    docs, files, tables = [], [], []
    labels: dict[str, str] = {}
    for no, (path, rel) in enumerate(zip(paths, rels, strict=True)):
        doc, records, sha = _page(path, rel, style)
        n = len(records)
        provenance = {
            "source_file": pa.array([rel] * n, pa.string()),
            "source_line": pa.array(range(1, n + 1), pa.int64()),
            "_file_no": pa.array([first_file_no + no] * n, pa.int32()),
        }
        tables.append(pa.table({**provenance, **_page_columns(records, rel, labels)}))
        docs.append((rel, doc, n))
        files.append(RawFile(path, rel, sha, n))
    _check_pages(docs, style)
    view = table.name + "__arrow"
    register(view, pa.concat_tables(tables, promote_options="default"))
    run(f"CREATE OR REPLACE TEMP TABLE {q(table.name)} AS SELECT * FROM {q(view)}")
    table.columns = labels
    return files
