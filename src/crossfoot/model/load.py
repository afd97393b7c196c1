"""Generic typed load: all-string raw rows -> typed rows + rejects, in SQL over whole tables.

One :class:`LoadSpec` describes a table: the FROM clause over the raw table
(alias ``b``, with its joins), each field's source expression and kind, row
checks, and the key. :func:`load` parses every field once, names the first bad
field of a row in its reject reason (``field 'Amount': 'N/A' is not a number``),
applies the checks, rejects later duplicates of a key (``duplicate id '006..',
first at line 3``) and leaves the accepted rows in a staging view. Every input
row ends in exactly one of the two. Plain values (``-1234.56``, ``2026-03-31``)
take fast paths, one cast each; the full parse runs on the others only.

Amounts never go through binary floating point: the text is normalized
(``$1,234.56``, ``USD 1234.56``, ``(1,234.56)``...) and cast to DECIMAL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from crossfoot.model.mapping import Kind

log = logging.getLogger(__name__)

SqlRunner = Callable[[str], Any]

SCALE = {"money": 2, "rate": 8, "quantity": 4}
#: digits before the point: an amount stays below 10**13 (ten trillion), so its cents
#: and their sums and products over a few hundred thousand lines stay below 2**53 where
#: the engine's integer division is exact (engine/money.py); no real document is larger
DIGITS = {"money": 13, "rate": 10, "quantity": 14}
_NOUN = {"money": "an amount", "rate": "a rate", "quantity": "a quantity"}
SQL_TYPE: dict[str, str] = {
    "id": "VARCHAR", "text": "VARCHAR", "currency": "VARCHAR", "domain": "VARCHAR",
    "money": "DECIMAL(18,2)", "rate": "DECIMAL(18,8)", "quantity": "DECIMAL(18,4)",
    "date": "DATE", "datetime": "TIMESTAMP", "bool": "BOOLEAN",
}  # fmt: skip

#: date formats: name (as in ``date_format``) -> (regex of the date, strptime pattern)
DATE_FORMATS: dict[str, tuple[str, str]] = {
    "YYYY-MM-DD": (r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}", "%Y-%m-%d"),
    "M/D/YYYY": (r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}", "%m/%d/%Y"),
    "D/M/YYYY": (r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}", "%d/%m/%Y"),
    "D.M.YYYY": (r"[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}", "%d.%m.%Y"),
    "D-MON-YYYY": (r"[0-9]{1,2}-[A-Za-z]{3}-[0-9]{4}", "%d-%b-%Y"),
}

#: a number with decorations: $1,234.56 / USD 1234.56 / (1,234.56) / -1234.56 / 12 EUR
_CUR = r"(?:[A-Z]{3}\s*)?[$€£¥]?\s*"
_NUM = r"(?:(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|\.[0-9]+)(?:\s*[A-Z]{3})?"
_NUMBER = rf"\(\s*{_CUR}{_NUM}\s*\)|(?:-\s*{_CUR}|{_CUR}-?)\s*{_NUM}"
_TIME_SUFFIX = (
    r"[T ][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\s*([AaPp][Mm])?\s*(Z|[+-][0-9]{2}:?[0-9]{2})?$"
)

MACROS = (
    # the number in a money text as plain '-1234.56', or NULL when it is not a number
    rf"""CREATE OR REPLACE TEMP MACRO cf_number(s) AS CASE
        WHEN regexp_full_match(s, '-?[0-9]+(\.[0-9]+)?') THEN s
        WHEN regexp_full_match(s, '{_NUMBER}') THEN (CASE WHEN s LIKE '%(%' OR s LIKE '%-%' THEN '-'
            ELSE '' END) || regexp_replace(s, '[^0-9.]', '', 'g') END""",
    f"CREATE OR REPLACE TEMP MACRO cf_date_part(s) AS regexp_replace(s, '{_TIME_SUFFIX}', '')",
    r"""CREATE OR REPLACE TEMP MACRO cf_domain(s) AS nullif(rtrim(CASE
        WHEN s LIKE '%@%' THEN lower(regexp_extract(s, '@([^@\s>]+)', 1))
        ELSE regexp_extract(lower(s), '^(?:[a-z][a-z0-9+.-]*://)?(?:www\.)?([^/:?#\s]+)', 1)
        END, '.'), '')""",
)


def install_macros(run: SqlRunner) -> None:
    for macro in MACROS:
        run(macro)


def q(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    """Quote an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class Field:
    name: str  # column of the staged table
    expr: str | None  # SQL giving the source text; None: the source has no such field (NULL)
    kind: Kind = "text"
    label: str = ""  # the field as the user knows it, for reject reasons
    required: bool = False
    lookup: str | None = None  # currency: SQL giving the code an id resolves to
    #: ``expr`` reads a raw column whose values need no trim (RawTable.unpadded)
    unpadded: bool = False


@dataclass(frozen=True)
class Check:
    """A row rule beyond one field's type: rejects the row when ``when`` is true."""

    when: str  # SQL over the staged columns
    field: str  # the field named in rejects
    value: str  # SQL for the rejects' value
    reason: str  # SQL text expression
    #: checked before the fields' own errors (a deleted record is reported as deleted)
    first: bool = False


@dataclass(frozen=True)
class LoadSpec:
    system: str
    object: str  # source object, as reported in rejects
    source: str  # FROM clause; alias b exposes source_file, source_line, _file_no
    fields: tuple[Field, ...]
    key: tuple[str, ...] = ()
    checks: tuple[Check, ...] = ()
    #: SQL text naming a duplicate, over the key columns
    duplicate: str | None = None


def _date_value(d: str, fmt: str) -> str:
    regex, pattern = DATE_FORMATS[fmt]
    return (
        f"CASE WHEN regexp_full_match({d}, {lit(regex)}) "
        f"THEN CAST(try_strptime({d}, {lit(pattern)}) AS DATE) END"
    )


#: after the date: a time (24 h, or 12 h with AM/PM), fraction of seconds, UTC offset
_TIME = (
    r"(?:[T ]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?\s*([AaPp][Mm])?"
    r"\s*(Z|[+-][0-9]{2}:?[0-9]{2})?)?"
)


def _datetime_value(n: str, fmt: str) -> str:
    """A UTC TIMESTAMP from the parts ``n`` (a struct d, h, mi, s, f, ap, tz), or NULL."""
    h = f"TRY_CAST(nullif({n}.h, '') AS BIGINT)"
    mi = f"coalesce(TRY_CAST(nullif({n}.mi, '') AS BIGINT), 0)"
    sec = f"coalesce(TRY_CAST(nullif({n}.s, '') AS BIGINT), 0)"
    frac = f"coalesce(TRY_CAST(rpad(left(nullif({n}.f, ''), 6), 6, '0') AS BIGINT), 0)"
    ap = f"lower({n}.ap)"
    hour = (
        f"(CASE WHEN {ap} = 'pm' THEN {h} % 12 + 12 WHEN {ap} = 'am' THEN {h} % 12 "
        f"ELSE coalesce({h}, 0) END)"
    )
    digits = f"replace(substr({n}.tz, 2), ':', '')"
    sign = f"(CASE WHEN left({n}.tz, 1) = '-' THEN -1 ELSE 1 END)"
    minutes = (
        f"(TRY_CAST(left({digits}, 2) AS BIGINT) * 60 + TRY_CAST(right({digits}, 2) AS BIGINT))"
    )
    offset = f"(CASE WHEN {n}.tz IN ('', 'Z') THEN 0 ELSE {sign} * {minutes} END)"
    valid_time = f"{hour} < 24 AND {mi} < 60 AND {sec} < 60 AND ({ap} = '' OR {h} BETWEEN 1 AND 12)"
    micros = f"((({hour} * 60 + {mi}) * 60 + {sec}) * 1000000 + {frac} - {offset} * 60000000)"
    day = f"CAST({_date_value(n + '.d', fmt)} AS TIMESTAMP)"
    return f"CASE WHEN {n}.h = '' OR ({valid_time}) THEN {day} + to_microseconds({micros}) END"


#: fast paths: a value in its plainest spelling is typed by one cast, and the full parse
#: (regular expressions for decorations, time suffixes and bounds) runs only on the
#: others. A pattern admits only values the full parse gives the same result for, so
#: the fast and the reference load agree on every value (tests/property).
def _plain_number(kind: str) -> str:
    """A number within the kind's bounds without decorations: '-1234.56'."""
    return rf"-?[0-9]{{1,{DIGITS[kind]}}}(\.[0-9]{{1,{SCALE[kind]}}})?"


#: Salesforce's date-time: ISO 8601 with seconds, milliseconds and a UTC offset
_PLAIN_DATETIME = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{3}[+-][0-9]{4}"
)


def _fast_flag(f: Field, v: str, fmt: str) -> str | None:
    """SQL that is true where ``v`` takes the fast path (None: the kind has none)."""
    if f.kind in SCALE:
        return f"regexp_full_match({v}, {lit(_plain_number(f.kind))})"
    if f.kind == "datetime" and fmt == "YYYY-MM-DD":
        return f"regexp_full_match({v}, {lit(_PLAIN_DATETIME)})"
    return None


def _parsed(
    f: Field, v: str, lookup: str, fmt: str, *, fast: bool = False, g: str | None = None
) -> str:
    """Second level: the raw text ``v`` parsed (NULL when it does not parse).

    ``fast``: take the fast paths; ``g``: the field's fast-path flag column.
    """
    if f.kind in SCALE:
        return f"CASE WHEN {g} THEN {v} ELSE cf_number({v}) END" if g else f"cf_number({v})"
    if f.kind == "date":
        full = _date_value(f"cf_date_part({v})", fmt)
        if not fast:
            return full
        # a value that is only the date has no time suffix to cut: the same parse, once
        regex, pattern = DATE_FORMATS[fmt]
        if fmt == "YYYY-MM-DD":  # DuckDB's date cast reads these exactly as strptime does
            strict = f"regexp_full_match({v}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}')"
            return f"CASE WHEN {strict} THEN TRY_CAST({v} AS DATE) ELSE {full} END"
        only = f"regexp_full_match({v}, {lit(regex)})"
        return (
            f"CASE WHEN {only} THEN CAST(try_strptime({v}, {lit(pattern)}) AS DATE) ELSE {full} END"
        )
    if f.kind == "datetime":
        pattern = lit("^(" + DATE_FORMATS[fmt][0] + ")" + _TIME + "$")
        parts = f"regexp_extract({v}, {pattern}, ['d', 'h', 'mi', 's', 'f', 'ap', 'tz'])"
        return f"CASE WHEN NOT {g} THEN {parts} END" if g else parts  # the fast path: unused
    if f.kind == "bool":
        return (
            f"CASE WHEN list_contains(['t', 'true', 'y', 'yes', '1'], lower({v})) THEN true "
            f"WHEN list_contains(['f', 'false', 'n', 'no', '0'], lower({v})) THEN false END"
        )
    if f.kind == "currency":
        return f"CASE WHEN regexp_full_match({v}, '[A-Za-z]{{3}}') THEN upper({v}) ELSE upper({lookup}) END"
    if f.kind == "domain":
        return f"cf_domain({v})"
    return v


def _typed(
    f: Field, n: str, fmt: str, *, g: str | None = None, v: str = ""
) -> tuple[str, str | None]:
    """Third level: (typed value, problem text or NULL; None: never a problem) from ``n``.

    ``g`` and ``v``: the fast-path flag and the raw text, when the load takes fast paths.
    """
    if f.kind in SCALE:
        s, d = SCALE[f.kind], DIGITS[f.kind]
        limit = f"{10**d:,}"
        problem = (
            f"CASE WHEN {n} IS NULL THEN 'is not a number' "
            rf"WHEN regexp_full_match({n}, '-?0*[0-9]{{0,{d}}}(\.[0-9]{{0,{s}}}0*)?') THEN NULL "
            rf"WHEN length(ltrim(regexp_extract({n}, '^-?([0-9]*)', 1), '0')) > {d} "
            f"THEN 'is out of range ({_NOUN[f.kind]} must be below {limit} in size)' "
            f"ELSE 'has more than {s} decimal places' END"
        )
        if g:  # a plain number within the bounds has no problem to look for
            problem = f"CASE WHEN {g} THEN NULL ELSE {problem} END"
        return f"TRY_CAST({n} AS DECIMAL(18,{s}))", problem
    problems = {
        "date": f"is not a valid date (expected {fmt})",
        "datetime": f"is not a valid date-time ({fmt})",
        "bool": "is not T/F or true/false",
        "currency": "is not a three-letter currency code"
        + (" or an id in the currency export" if f.lookup else ""),
    }
    value = _datetime_value(n, fmt) if f.kind == "datetime" else n
    if f.kind == "datetime" and g:
        # 2026-03-31T09:30:00.000+0100: the local time cast, less its offset (an invalid
        # day is NULL in both, the hour is at most 23, the seconds below 60)
        sign = f"(CASE WHEN substr({v}, 24, 1) = '-' THEN -1 ELSE 1 END)"
        minutes = f"(CAST(substr({v}, 25, 2) AS BIGINT) * 60 + CAST(substr({v}, 27, 2) AS BIGINT))"
        fast = f"TRY_CAST(left({v}, 23) AS TIMESTAMP) - to_minutes({sign} * {minutes})"
        value = f"CASE WHEN {g} THEN {fast} ELSE {value} END"
    if f.kind in ("date", "datetime"):  # DuckDB reads years 0 and 10000+, Python does not
        return value, (
            f"CASE WHEN {{t}} IS NULL THEN {lit(problems[f.kind])} "
            f"WHEN NOT year({{t}}) BETWEEN 1 AND 9999 THEN 'is out of range (years 1 to 9999)' END"
        )
    if f.kind in problems:
        return value, f"CASE WHEN {{t}} IS NULL THEN {lit(problems[f.kind])} END"
    return value, None


def _levels(spec: LoadSpec, fmt: str, *, fast: bool = True) -> str:
    """SELECT of the typed columns and each row's reject reason, field and value.

    Levels, each computed once: raw text (_v_), fast-path flags (_g_), parsed (_n_),
    typed candidate (_t_) and problem (_p_), then the value and the error message, then
    the row's first error. ``fast=False``: the reference parse, without fast paths.
    """
    l1, lg, l2, l3, l3p, l4 = [], [], [], [], [], []
    errors, fields, values = [], [], []
    for f in spec.fields:
        v, n, lk, t, p, g = (q(f"_{x}_{f.name}") for x in "vnltpg")
        e = q("_e_" + f.name)
        src = f"nullif(trim(CAST({f.expr} AS VARCHAR)), '')" if f.expr else "CAST(NULL AS VARCHAR)"
        if fast and f.expr and f.unpadded:  # trim: a copy of every value
            src = f"nullif(CAST({f.expr} AS VARCHAR), '')"
        l1.append(f"{src} AS {v}")
        if f.lookup:
            l1.append(f"nullif(trim(CAST({f.lookup} AS VARCHAR)), '') AS {lk}")
        flag = _fast_flag(f, v, fmt) if fast and f.expr else None
        if flag:
            lg.append(f"{flag} AS {g}")
        look = lk if f.lookup else "CAST(NULL AS VARCHAR)"
        parsed = _parsed(f, v, look, fmt, fast=fast, g=g if flag else None)
        value, problem = _typed(f, n, fmt, g=g if flag else None, v=v)
        label = f.label or f.name
        empty = f"'field {lit(repr(label))[1:-1]} is empty'" if f.required else "NULL"
        if problem is None:
            typed = v if parsed == v else t  # text: the trimmed text itself
            if parsed != v:
                l2.append(f"{parsed} AS {n}")
                l3.append(f"{value} AS {t}")
            l4.append(
                f"{typed} AS {q(f.name)}, CAST(CASE WHEN {v} IS NULL THEN {empty} END AS VARCHAR) AS {e}"
            )
        else:
            l2.append(f"{parsed} AS {n}")
            l3.append(f"{value} AS {t}")
            l3p.append(f"{problem.replace('{t}', t)} AS {p}")
            l4.append(f"CASE WHEN {p} IS NULL THEN {t} END AS {q(f.name)}")
            message = (
                f"'field {lit(repr(label))[1:-1]}: ''' || left(replace({v}, chr(10), ' '), 100) "
                f"|| ''' ' || {p}"
            )
            l4.append(
                f"CASE WHEN {v} IS NULL THEN {empty} WHEN {p} IS NOT NULL THEN {message} END AS {e}"
            )
        errors.append(e)
        fields.append(f"WHEN {e} IS NOT NULL THEN {lit(label)}")
        values.append(f"WHEN {e} IS NOT NULL THEN {v}")
    for c in spec.checks:
        at = 0 if c.first else len(errors)
        errors.insert(at, f"CASE WHEN {c.when} THEN {c.reason} END")
        fields.insert(at, f"WHEN {c.when} THEN {lit(c.field)}")
        values.insert(at, f"WHEN {c.when} THEN CAST({c.value} AS VARCHAR)")
    raw = ", ".join(q("_v_" + f.name) for f in spec.fields)
    level = f"SELECT b.source_file, b.source_line, b._file_no, {', '.join(l1)} FROM {spec.source}"
    for cols in (lg, l2, l3, l3p):
        if cols:
            level = f"SELECT *, {', '.join(cols)} FROM ({level})"
    s4 = f"SELECT source_file, source_line, _file_no, {raw}, {', '.join(l4)} FROM ({level})"
    typed_cols = ", ".join(q(f.name) for f in spec.fields)
    # the field and value a reject names are looked for on the rejected rows only
    return (
        f"SELECT source_file, source_line, _file_no, {typed_cols}, _reason, "
        f"CASE WHEN _reason IS NOT NULL THEN CASE {' '.join(fields)} END END AS _rfield, "
        f"CASE WHEN _reason IS NOT NULL THEN CASE {' '.join(values)} END END AS _rvalue "
        f"FROM (SELECT *, coalesce({', '.join(errors)}) AS _reason FROM ({s4}))"
    )


def detect_date_format(run: SqlRunner, source: str, exprs: Sequence[str], setting: str) -> str:
    """The date format of a source: the setting, or the one its date values are written in.

    Looks at the distinct leading date tokens of every date field: ``2026-03-31``,
    ``3/31/2026``, ``31.3.2026``, ``31-Mar-2026``. Day/month order is month first
    unless a first number is above 12 (and more of them than second numbers above 12).
    """
    if setting != "auto":
        return setting
    if not exprs:
        return "YYYY-MM-DD"
    tokens = ", ".join(f"split_part(trim(CAST({e} AS VARCHAR)), ' ', 1)" for e in exprs)
    row = run(
        f"""SELECT count(*) FILTER (regexp_matches(d, '^[0-9]{{4}}-')),
            count(*) FILTER (contains(d, '/')),
            count(*) FILTER (regexp_matches(d, '^[0-9]{{1,2}}\\.')),
            count(*) FILTER (regexp_matches(d, '^[0-9]{{1,2}}-[A-Za-z]')),
            count(*) FILTER (contains(d, '/') AND TRY_CAST(split_part(d, '/', 1) AS INT) > 12),
            count(*) FILTER (contains(d, '/') AND TRY_CAST(split_part(d, '/', 2) AS INT) > 12)
        FROM (SELECT DISTINCT d FROM (SELECT unnest([{tokens}]) AS d FROM {source}) WHERE d <> '')"""
    ).fetchone()
    iso, slash, dot, mon, first_big, second_big = (int(x) for x in row)
    if slash and slash >= max(iso, dot, mon):
        fmt = "D/M/YYYY" if first_big > second_big else "M/D/YYYY"
    else:
        fmt = max((iso, "YYYY-MM-DD"), (dot, "D.M.YYYY"), (mon, "D-MON-YYYY"), key=lambda t: t[0])[
            1
        ]
    log.debug("date format %s (iso=%d slash=%d dot=%d mon=%d)", fmt, iso, slash, dot, mon)
    return fmt


def empty_table(run: SqlRunner, spec: LoadSpec, out: str) -> None:
    """The staging table of an object that has no file."""
    cols = ", ".join(f"{q(f.name)} {SQL_TYPE[f.kind]}" for f in spec.fields)
    run(
        f"CREATE OR REPLACE TEMP TABLE {q(out)} (source_file VARCHAR, source_line BIGINT, _file_no INTEGER, {cols})"
    )


def load(
    run: SqlRunner, spec: LoadSpec, *, out: str, rejects: str, date_format: str, fast: bool = True
) -> None:
    """Type ``spec``'s rows: accepted rows to temp view ``out``, the others into ``rejects``.

    One pass types every row and gives each rejected one its reason (``__work``); the
    duplicates of a key are looked for only when a key repeats among the accepted rows.
    ``out`` is a view of the accepted rows. ``fast=False``: the reference parse, without
    the fast paths (the property tests compare the two).
    """
    work, firsts, marked = (q(out + x) for x in ("__work", "__first", "__marked"))
    run(f"CREATE OR REPLACE TEMP TABLE {work} AS {_levels(spec, date_format, fast=fast)}")
    keys = ", ".join(q(k) for k in spec.key)
    rows, dup, key_label, key_value = work, "CAST(NULL AS VARCHAR)", "NULL", "NULL"
    repeats = f"SELECT 1 FROM {work} WHERE _reason IS NULL GROUP BY {keys} HAVING count(*) > 1"
    if spec.key and run(f"{repeats} LIMIT 1").fetchone():
        pos = "_file_no * 10000000000 + source_line"
        run(
            f"""CREATE OR REPLACE TEMP TABLE {firsts} AS SELECT {keys}, min({pos}) AS _first,
                arg_min(source_file, {pos}) AS _ffile, arg_min(source_line, {pos}) AS _fline
                FROM {work} WHERE _reason IS NULL GROUP BY {keys} HAVING count(*) > 1"""
        )
        quoted = " || '/' || ".join(q(k) for k in spec.key)
        what = spec.duplicate or f"'id ''' || {quoted} || ''''"
        text = (
            f"'duplicate ' || {what} || ', first at ' || CASE WHEN _ffile = source_file "
            "THEN 'line ' ELSE _ffile || ':' END || _fline"
        )
        run(
            f"""CREATE OR REPLACE TEMP TABLE {marked} AS SELECT w.*, CASE WHEN w._reason IS NULL
                AND w._file_no * 10000000000 + w.source_line > d._first THEN {text} END AS _dup
                FROM {work} w LEFT JOIN {firsts} d USING ({keys})"""
        )
        run(f"DROP TABLE IF EXISTS {firsts}")
        rows, dup = marked, "_dup"
    if spec.key:
        key_label = lit(next(f.label or f.name for f in spec.fields if f.name == spec.key[0]))
        key_value = "concat_ws('/', " + keys + ")"
    run(
        f"""INSERT INTO {q(rejects)} SELECT {lit(spec.system)}, source_file, source_line,
            {lit(spec.object)}, CASE WHEN _reason IS NULL THEN {key_label} ELSE _rfield END,
            left(CASE WHEN _reason IS NULL THEN {key_value} ELSE _rvalue END, 200),
            coalesce(_reason, {dup}) FROM {rows} WHERE _reason IS NOT NULL OR {dup} IS NOT NULL"""
    )
    cols = ", ".join(q(f.name) for f in spec.fields)
    run(
        f"""CREATE OR REPLACE TEMP VIEW {q(out)} AS SELECT source_file, source_line, _file_no,
            {cols} FROM {rows} WHERE _reason IS NULL AND {dup} IS NULL"""
    )
