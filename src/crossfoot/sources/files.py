"""Export files -> raw all-string tables with ``source_file`` and ``source_line``.

CSV files are scanned by DuckDB (``read_csv`` with every column VARCHAR and
malformed records stored as rejects). Python only touches whole-file bytes:
BOM, Windows-1252 -> UTF-8, CRLF -> LF, blank lines, and the header line
(delimiter sniffing, column names); a file that needs none of it is scanned in
place, and so is a CRLF file whose records each hold one line (no copy). The physical line of a record is computed
in SQL from DuckDB's record ordinal: the line = ordinal + the newlines embedded
in quoted fields of earlier records (+ blank lines removed before the scan).
JSON pages are read by :mod:`crossfoot.sources.pages` into the same kind of table.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from crossfoot.errors import InputError
from crossfoot.model.load import lit, q

SqlRunner = Callable[[str], Any]
MAX_RECORD = 16 * 1024 * 1024
_DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True)
class RawFile:
    path: Path
    rel: str  # as written in source_file: relative to the definitions file
    sha256: str
    rows: int  # records read (loaded or malformed)
    header_line: int = 1


@dataclass
class RawTable:
    """One object's raw rows in DuckDB: lower-case column names, all VARCHAR."""

    system: str
    object: str
    name: str
    columns: dict[str, str] = field(default_factory=dict)  # lower-case -> as written
    files: list[RawFile] = field(default_factory=list)
    #: no value starts or ends with a character trim() removes: the typed load need not trim
    unpadded: bool = False

    def has(self, column: str) -> bool:
        return column.lower() in self.columns

    def label(self, column: str) -> str:
        return self.columns.get(column.lower(), column)


# ---------------------------------------------------------------- CSV


@dataclass(frozen=True)
class _Prepared:
    data: bytes  # what DuckDB scans: UTF-8, LF (or CRLF throughout), without blank lines
    rewritten: bool
    removed: tuple[int, ...]  # physical lines (original numbering) removed as blank
    names: tuple[str, ...]
    delimiter: str
    header_line: int
    #: the file is scanned as it is, with CRLF newlines (DuckDB reads them): every newline
    #: is CRLF, there is no other CR and no blank line. A quoted value holding a newline
    #: would keep its CR, so such a file is scanned again from an LF copy (``_as_lf``)
    crlf: bool = False


#: Windows-1252 over Latin-1: 0x80-0x9F are letters and signs; the 5 undefined bytes stay
_CP1252 = {b: bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(0x80, 0xA0)}


_BLANK = re.compile(rb"(?:^|(?<=\n))[ \t]*(?:\n|\Z)")
#: a line after the first that may be blank: one pass over the file (a search for
#: b"\n\n" and then this pattern with [ \t]+ took twice as long)
_MAYBE_BLANK = re.compile(rb"\n(?:\n|[ \t]+(?:\n|\Z))")
_MAYBE_BLANK_CRLF = re.compile(rb"\n(?:\r\n|[ \t]+(?:\r\n|\Z))")


def _without_blank_lines(data: bytes) -> tuple[bytes, list[int]]:
    """Drop blank (or blank-looking) lines outside quoted fields; return their line numbers."""
    if not (data[:1] in b" \t\n" or _MAYBE_BLANK.search(data)):
        return data, []
    removed, keep, line, quotes, pos, scanned = [], [], 1, 0, 0, 0
    for m in _BLANK.finditer(data):
        start, end = m.span()
        if start == end:  # the end of a file that ends with a newline
            continue
        quotes += data.count(b'"', scanned, start)
        line += data.count(b"\n", scanned, start)
        scanned = start
        if quotes % 2 == 0:  # not inside a quoted field
            keep.append(data[pos:start])
            removed.append(line)
            pos = end
    keep.append(data[pos:])
    return b"".join(keep), removed


def _is_utf8(data: bytes) -> bool:
    """Validate in 16 MB steps, without holding the whole file as text."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), 1 << 24):
            chunk = data[start : start + (1 << 24)]
            # ASCII is valid and ends no sequence: its first byte still closes (or fails) one
            # left open by the previous step; isascii is ~30x faster than decoding
            decoder.decode(chunk[:1] if chunk.isascii() else chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _prepare(raw: bytes, rel: str) -> _Prepared:
    data = raw.removeprefix(b"\xef\xbb\xbf")
    rewritten = len(data) != len(raw)
    if not _is_utf8(data):  # Excel on Windows writes Windows-1252
        data = data.decode("latin-1").translate(_CP1252).encode("utf-8")
        rewritten = True
    crlf = False
    if b"\r" in data:
        newlines = data.count(b"\n")
        crlf = not rewritten and data.count(b"\r") == newlines == data.count(b"\r\n")
        if crlf and _may_have_blank_lines(data):
            crlf = False
        if not crlf and b"\r\n" in data:
            data = data.replace(b"\r\n", b"\n")
            rewritten = True
    if re.match(rb"\s*\Z", data):
        raise InputError(
            "the file is empty: expected a header line with the column names", location=f"{rel}:1"
        )
    if b"\x00" in data[:65536]:
        raise InputError(
            "is not a text CSV file (it holds binary data): export the object as CSV",
            location=f"{rel}:1",
        )
    data, removed = _without_blank_lines(data) if not crlf else (data, [])
    rewritten = rewritten or bool(removed)
    header_line = 1 + sum(1 for i, p in enumerate(removed) if p == i + 1)
    end = data.find(b"\n")
    header = data[: end if end >= 0 else len(data)].decode("utf-8").rstrip("\r")
    try:
        counts = {d: len(next(csv.reader([header], delimiter=d))) for d in _DELIMITERS}
        delimiter = max(_DELIMITERS, key=lambda d: (counts[d], -_DELIMITERS.index(d)))
        fields = next(csv.reader([header], delimiter=delimiter))
    except csv.Error as exc:
        raise InputError(
            f"the header line is not CSV ({exc}): expected the column names, "
            "separated by commas, semicolons, tabs or pipes",
            location=f"{rel}:{header_line}",
        ) from exc
    names = tuple(n.strip() or f"column{i + 1}" for i, n in enumerate(fields))
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name.lower() in seen:
            raise InputError(
                f"duplicate column '{name}' (columns {seen[name.lower()] + 1} and {i + 1}): "
                "every column name must be unique",
                location=f"{rel}:{header_line}",
            )
        seen[name.lower()] = i
    return _Prepared(data, rewritten, tuple(removed), names, delimiter, header_line, crlf)


def _unpadded(prep: _Prepared) -> bool:
    """No value starts or ends with a character trim() removes (Unicode space separators).

    In ASCII text only the space is one, and such a space sits next to a delimiter, quote,
    newline or an end of the file: one literal search. Other text is not searched (it would
    cost more than the trim); a space next to a comma inside a quoted value keeps the trim.
    """
    data = prep.data
    if data[:1] == b" " or not data.isascii():
        return False
    d = re.escape(prep.delimiter.encode())
    padded = rb" (?:[" + d + rb'\r\n"]|\Z|(?<=[' + d + rb'\r\n"] ))'
    return re.search(padded, data) is None


def _may_have_blank_lines(data: bytes) -> bool:
    """A blank (or blank-looking) line in CRLF text, or a first line that is one."""
    return data[:1] in b" \t\r\n" or _MAYBE_BLANK_CRLF.search(data) is not None


def _as_lf(prep: _Prepared) -> _Prepared:
    """The prepared file with LF newlines: the copy DuckDB scans when CRLF cannot be kept."""
    data, removed = _without_blank_lines(prep.data.replace(b"\r\n", b"\n"))
    return replace(prep, data=data, rewritten=True, removed=tuple(removed), crlf=False)


_NL = "length({0}) - length(replace({0}, chr(10), ''))"


def _line_ctes(prep: _Prepared, rej: str, *, bad: bool, nested_nl: bool) -> list[str]:
    """CTEs giving ``rows_l`` (scanned rows) and ``rej_l`` (malformed records) their ``_line``.

    DuckDB numbers records (header = 1, blank lines included). A parsed row's ordinal
    is its position plus the malformed records before it; its physical line is the
    ordinal plus the newlines inside quoted fields of earlier records, plus the blank
    lines removed before the scan. Sparse events and ASOF joins keep this linear.
    """
    n = len(prep.names)
    if bad:
        thr = f"SELECT o - i - 1 AS t, max(i) AS n FROM {rej} GROUP BY 1"
        ctes = [
            "rows AS (SELECT s._k + 2 + coalesce(thr.n, 0) AS _o, s.* FROM scan_k s "
            f"ASOF LEFT JOIN ({thr}) thr ON s._k >= thr.t)"
        ]
    else:
        ctes = ["rows AS (SELECT s._k + 2 AS _o, s.* FROM scan_k s)"]
    ctes.append(f"rej0 AS (SELECT o AS _o, * FROM {rej})")
    if nested_nl:
        has_nl = " OR ".join(f"contains(c{i}, chr(10))" for i in range(n))
        row_nl = " + ".join(f"coalesce({_NL.format(f'c{i}')}, 0)" for i in range(n))
        ctes.append(
            f"""cum AS (SELECT o, sum(nl) OVER (ORDER BY o) AS c FROM (
                SELECT _o AS o, {row_nl} AS nl FROM rows WHERE {has_nl}
                UNION ALL SELECT o, nl FROM {rej} WHERE nl > 0))"""
        )
    if prep.removed:
        values = ", ".join(f"({p - j}, {j + 1})" for j, p in enumerate(prep.removed))
        ctes.append(f"bl AS (SELECT t, max(n) AS n FROM (VALUES {values}) v(t, n) GROUP BY t)")
    for src, dst in (("rows", "rows_l"), ("rej0", "rej_l")):
        line, joins = "x._o", ""
        if nested_nl:
            line, joins = "x._o + coalesce(cum.c, 0)", " ASOF LEFT JOIN cum ON x._o > cum.o"
        ctes.append(f"{dst}0 AS (SELECT x.*, {line} AS _l0 FROM {src} x{joins})")
        line, joins = "x._l0", ""
        if prep.removed:
            line, joins = "x._l0 + coalesce(bl.n, 0)", " ASOF LEFT JOIN bl ON x._l0 >= bl.t"
        ctes.append(f"{dst} AS (SELECT x.*, {line} AS _line FROM {dst}0 x{joins})")
    return ctes


def _scan(
    run: SqlRunner, path: Path, prep: _Prepared, scan: str, rt: str, rs: str, rel: str
) -> None:
    cols = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(prep.names))) + "}"
    try:
        run(
            f"""CREATE OR REPLACE TEMP TABLE {scan} AS SELECT * FROM read_csv({lit(str(path))},
                columns={cols}, header=true, auto_detect=false, delim={lit(prep.delimiter)},
                quote='"', escape='"', strict_mode=true, store_rejects=true,
                rejects_table={lit(rt)}, rejects_scan={lit(rs)}, max_line_size={MAX_RECORD})"""
        )
    except Exception as exc:
        first = str(exc).strip().splitlines()[0]
        raise InputError(f"cannot be read as CSV: {first}", location=rel) from exc


def _scan_counted(
    run: SqlRunner, path: Path, prep: _Prepared, tmpdir: Path, t: str, rel: str
) -> tuple[int, int]:
    """Scan ``path`` (or the rewritten copy of it) into ``t__scan`` and its malformed records
    into ``t__rej``; return the counts of both."""
    scan_path = path
    if prep.rewritten:
        scan_path = tmpdir / f"{t}.csv"
        scan_path.write_bytes(prep.data)
    scan, rej, rt, rs = q(t + "__scan"), q(t + "__rej"), t + "__rt", t + "__rs"
    for name in (q(rt), q(rs)):  # a second scan of the file starts from no rejects
        run(f"DROP TABLE IF EXISTS {name}")
    _scan(run, scan_path, prep, scan, rt, rs, rel)
    run(
        f"""CREATE OR REPLACE TEMP TABLE {rej} AS SELECT line AS o,
            row_number() OVER (ORDER BY line) AS i, error_type, error_message, column_name, csv_line,
            {_NL.format("trim(csv_line, chr(10) || chr(13))")} AS nl
            FROM (SELECT line, arg_min(error_type, coalesce(column_idx, 0)) AS error_type,
                  arg_min(error_message, coalesce(column_idx, 0)) AS error_message,
                  arg_min(column_name, coalesce(column_idx, 0)) AS column_name,
                  any_value(csv_line) AS csv_line
                  FROM {q(rt)} GROUP BY line)"""
    )
    parsed = int(run(f"SELECT count(*) FROM {scan}").fetchone()[0])
    bad = int(run(f"SELECT count(*) FROM {rej}").fetchone()[0])
    return parsed, bad


def read_csv(
    run: SqlRunner,
    path: Path,
    rel: str,
    *,
    table: RawTable,
    file_no: int,
    rejects: str,
    tmpdir: Path,
    direct_crlf: bool = True,
) -> RawFile:
    """Scan one CSV file into ``table.name`` (created) and its malformed records into ``rejects``.

    ``direct_crlf=False``: a CRLF file is always scanned from an LF copy (the tests compare).
    """
    raw = path.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    prep = _prepare(raw, rel)
    if prep.crlf and not direct_crlf:
        prep = _as_lf(prep)
    n = len(prep.names)
    table.columns = {name.lower(): name for name in prep.names}
    t = table.name
    scan, rej, rt, rs = q(t + "__scan"), q(t + "__rej"), t + "__rt", t + "__rs"
    parsed, bad = _scan_counted(run, path, prep, tmpdir, t, rel)
    physical = prep.data.count(b"\n") + (0 if prep.data.endswith(b"\n") else 1)
    if prep.crlf and physical != 1 + parsed + bad:
        # a record spans lines: its quoted newlines would keep their CR in the values
        prep = _as_lf(prep)
        parsed, bad = _scan_counted(run, path, prep, tmpdir, t, rel)
        physical = prep.data.count(b"\n") + (0 if prep.data.endswith(b"\n") else 1)
    table.unpadded = _unpadded(prep)
    names = ", ".join(f"c{i} AS {q(name.lower())}" for i, name in enumerate(prep.names))
    nested_nl = physical != 1 + parsed + bad
    # rowids count from 0 only outside a transaction: inside one (a caller's), a new
    # table's rows are numbered from 2**55, so positions are taken relative to the first
    first = int(run(f"SELECT coalesce(min(rowid), 0) FROM {scan}").fetchone()[0])
    if not (bad or nested_nl or prep.removed):  # a clean file: line = position + 2, no copy
        run(
            f"""CREATE OR REPLACE TEMP VIEW {q(t)} AS SELECT {lit(rel)} AS source_file,
                CAST(rowid - {first} + 2 AS BIGINT) AS source_line, {file_no} AS _file_no,
                {names} FROM {scan}"""
        )
        run(f"DROP TABLE IF EXISTS {rej}")
        return RawFile(path, rel, sha, parsed, prep.header_line)
    ctes = [f"scan_k AS (SELECT rowid - {first} AS _k, * FROM {scan})"]
    ctes += _line_ctes(prep, rej, bad=bad > 0, nested_nl=nested_nl)
    with_ = "WITH " + ",\n".join(ctes)
    run(
        f"""CREATE OR REPLACE TEMP TABLE {q(t)} AS {with_}
            SELECT {lit(rel)} AS source_file, CAST(_line AS BIGINT) AS source_line,
            {file_no} AS _file_no, {names} FROM rows_l"""
    )
    if bad:
        labels = "[" + ", ".join(lit(x) for x in prep.names) + "]"
        found = "regexp_extract(error_message, 'Found: ([0-9]+)', 1)"
        count = f"'wrong number of fields: expected {n}, found ' || {found}"
        label = f"{labels}[TRY_CAST(substr(column_name, 2) AS BIGINT) + 1]"
        quote = f"'unterminated or misplaced quote in field ''' || {label} || ''''"
        reason = f"""CASE error_type WHEN 'MISSING COLUMNS' THEN {count}
            WHEN 'TOO MANY COLUMNS' THEN {count} WHEN 'UNQUOTED VALUE' THEN {quote}
            WHEN 'LINE SIZE OVER MAXIMUM' THEN 'record longer than {MAX_RECORD >> 20} MB'
            ELSE error_message END"""
        run(
            f"""INSERT INTO {q(rejects)} {with_}
                SELECT {lit(table.system)}, {lit(rel)}, CAST(_line AS BIGINT), {lit(table.object)},
                {label}, left(trim(csv_line, chr(10) || chr(13)), 200), {reason}
                FROM rej_l"""
        )
    for name in (scan, rej, q(rt), q(rs)):
        run(f"DROP TABLE IF EXISTS {name}")
    return RawFile(path, rel, sha, parsed + bad, prep.header_line)
