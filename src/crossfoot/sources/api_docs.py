"""ERP API pages whose documents carry their lines (QuickBooks, Xero, Business Central).

These APIs nest a document's lines inside the document record (and Business
Central may nest dimension set lines inside the lines). A reader parses each
page with ``json`` (every number kept as its exact text), splits each record
into rows of flat raw tables (a document row, its line rows...) and this module
loads them through Arrow into raw all-string tables that the generic typed load
stages like any other export.

Lineage: every row carries its page's ``source_file``; ``source_line`` is the
1-based position of the top-level record in the page (a line shares its
document's position; for a JSONL export it is the physical line). A page's rows
read are all the rows taken from it (documents + lines + nested dimension
lines), so conservation holds per page: read = loaded + rejected.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pyarrow as pa

from crossfoot.errors import ConfigError, InputError
from crossfoot.model.load import LoadSpec, lit, q
from crossfoot.model.mapping import F, ObjectSpec, SystemMap, TableMap
from crossfoot.sources.base import PREFIX, REJECTS_TABLE, LoadContext
from crossfoot.sources.files import RawFile, RawTable
from crossfoot.sources.pages import _flatten, _number

Flat = dict[str, str | None]
#: record -> {raw table: rows}; every row is a flat dict of text (lower-case names)
Splitter = Callable[[dict[str, Any]], dict[str, list[Flat]]]


def parse_json(path: Path, rel: str) -> tuple[Any, bytes]:
    """A JSON document with numbers as exact text; InputError naming the file and line."""
    raw = path.read_bytes()
    if not raw.strip():
        raise InputError("the file is empty: expected a JSON page", location=f"{rel}:1")
    return _loads(raw, rel, 0), raw


def _loads(raw: bytes, rel: str, line: int) -> Any:
    try:
        return json.loads(
            raw.decode("utf-8-sig"), parse_float=_number, parse_int=str, parse_constant=str
        )
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", location=rel) from exc
    except json.JSONDecodeError as exc:
        where = f"{rel}:{line or exc.lineno}"
        raise InputError(f"not valid JSON: {exc.msg} (column {exc.colno})", location=where) from exc


def parse_jsonl(path: Path, rel: str) -> tuple[list[tuple[int, Any]], bytes]:
    """A JSONL export (one JSON object a line): (physical line, object) for non-blank lines."""
    raw = path.read_bytes()
    out = []
    for no, text in enumerate(raw.split(b"\n"), start=1):
        if text.strip():
            out.append((no, _loads(text, rel, no)))
    return out, raw


def flat(record: dict[str, Any], labels: dict[str, str], prefix: str = "") -> Flat:
    """Scalars as text; nested objects as ``CurrencyRef.value``; lists are left out."""
    out: Flat = {}
    _flatten(record, prefix, out, labels)
    return out


def records_of(doc: Any, key: str, rel: str) -> list[dict[str, Any]]:
    """``doc[key]``: a list of JSON objects, or an InputError naming the page."""
    found = doc.get(key) if isinstance(doc, dict) else None
    if not isinstance(found, list):
        raise InputError(
            f"expected a JSON object with '{key}': a list of records", location=f"{rel}:1"
        )
    for i, rec in enumerate(found, start=1):
        if not isinstance(rec, dict):
            raise InputError(f"record {i} is not a JSON object", location=f"{rel}:{i}")
    return found


def as_list(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


@dataclass
class _Table:
    chunks: list[pa.Table] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    files: list[RawFile] = field(default_factory=list)


@dataclass
class ApiRows:
    """Collects the raw tables of one system's pages, then registers them in the context."""

    ctx: LoadContext
    system: str
    tables: dict[str, _Table] = field(default_factory=dict)
    other: list[tuple[str, int, str, str]] = field(default_factory=list)  # file, line, what, why

    def table(self, name: str) -> _Table:
        return self.tables.setdefault(name, _Table())

    def add_page(
        self,
        obj: str,
        path: Path,
        rel: str,
        raw: bytes,
        records: Iterable[tuple[int, dict[str, Any]]],
        split: Splitter,
        labels: dict[str, str],
    ) -> int:
        """Split ``records`` (position, record) of one page into rows; return the rows read."""
        file_no = self.ctx._file_no
        self.ctx._file_no += 1
        rows: dict[str, list[Flat]] = {}
        lines: dict[str, list[int]] = {}
        for pos, rec in records:
            for name, got in split(rec).items():
                rows.setdefault(name, []).extend(got)
                lines.setdefault(name, []).extend([pos] * len(got))
        read = sum(len(r) for r in rows.values()) + sum(1 for o in self.other if o[0] == rel)
        raw_file = RawFile(path, rel, hashlib.sha256(raw).hexdigest(), read)
        for name, got in rows.items():
            t = self.table(name)
            t.labels.update(labels)
            names = dict.fromkeys(k for r in got for k in r)
            n = len(got)
            cols = {
                "source_file": pa.array([rel] * n, pa.string()),
                "source_line": pa.array(lines[name], pa.int64()),
                "_file_no": pa.array([file_no] * n, pa.int32()),
                **{c: pa.array([r.get(c) for r in got], pa.string()) for c in names},
            }
            t.chunks.append(pa.table(cols))
            t.files.append(raw_file)
        self.ctx.files.append((self.system, obj, raw_file))
        return read

    def reject_other(self, rel: str, line: int, what: str, why: str) -> None:
        """A record this reader does not read (another Airbyte stream): a counted reject."""
        self.other.append((rel, line, what, why))

    def register(self, declared: dict[str, tuple[str, ...]]) -> None:
        """Create the raw tables; ``declared`` lists the columns each table always has."""
        for name, t in self.tables.items():
            if not t.chunks:
                continue
            table = RawTable(self.system, name, f"{PREFIX}raw_{self.system}_{name.lower()}")
            data = pa.concat_tables(t.chunks, promote_options="default")
            for col in declared.get(name, ()):
                if col not in data.column_names:
                    data = data.append_column(col, pa.nulls(len(data), pa.string()))
            view = table.name + "__arrow"
            self.ctx.backend.raw.register(view, data)
            self.ctx.sql(f"CREATE OR REPLACE TEMP TABLE {q(table.name)} AS SELECT * FROM {q(view)}")
            self.ctx.backend.raw.unregister(view)
            table.columns = {
                c: t.labels.get(c, c)
                for c in data.column_names
                if c not in ("source_file", "source_line", "_file_no")
            }
            table.files = list(dict.fromkeys(t.files))
            self.ctx.raw[(self.system, name)] = table
        if self.other:
            values = ", ".join(
                f"({lit(self.system)}, {lit(f)}, {n}, {lit(what)}, 'stream', {lit(what)}, {lit(why)})"
                for f, n, what, why in self.other
            )
            self.ctx.sql(f"INSERT INTO {REJECTS_TABLE} VALUES {values}")


def locate_pages(ctx: LoadContext, folder: Path, stem: str) -> list[Path]:
    """``stem.json`` or the pages ``stem.1.json``, ``stem.2.json``... (no CSV for an API)."""
    paths = ctx.locate(folder, stem)
    for p in paths:
        if p.suffix.lower() != ".json":
            raise InputError(
                f"{p.name}: expected the API's JSON pages ({stem}.json or {stem}.1.json, ...)",
                location=ctx.rel(p),
            )
    return paths


def translate_fields(fields: dict[str, str], aliases: dict[str, str]) -> dict[str, str]:
    """``erp.fields`` with the vendor's object names replaced by the raw table that holds them
    (QuickBooks ``Invoice.PrivateNote`` -> ``Transaction.PrivateNote``)."""
    out = {}
    for key, value in fields.items():
        obj, _, rest = value.partition(".")
        out[key] = f"{aliases.get(obj.lower(), obj)}.{rest}"
    return out


def require_column(
    ctx: LoadContext, table: RawTable | None, column: str, key: str, what: str
) -> None:
    """A field named in the definitions that no exported record carries: say which ones exist."""
    if table is None or table.has(column):
        return
    prefix = column.split(".")[0].lower() + "."
    found = sorted({table.label(c)[len(prefix) :] for c in table.columns if c.startswith(prefix)})
    listed = ", ".join(found) if found else "none"
    where = table.files[0].rel if table.files else key
    raise InputError(
        f"{key} names {what}, which no record carries (found: {listed})", location=where
    )


def custom_fields(
    record: dict[str, Any],
    out: Flat,
    labels: dict[str, str],
    key: str,
    name: str,
    value: Callable[[dict[str, Any]], Any],
) -> None:
    """Name/value lists (QuickBooks CustomField, Xero Tracking) as ``<key>.<name>`` columns."""
    for item in as_list(record.get(key)):
        n = item.get(name)
        if isinstance(n, str) and n.strip():
            col = f"{key}.{n.strip()}"
            labels.setdefault(col.lower(), col)
            v = value(item)
            out[col.lower()] = None if v is None else str(v)


def same_record_doc(
    ctx: LoadContext, system: str, doc_object: str
) -> Callable[[LoadSpec], LoadSpec]:
    """``_doc`` of a nested line: its own document record (same page and position), loaded.

    Joining by id alone would attach the lines of a rejected duplicate document to the
    first document with that id; the record's position makes them go with their own.
    """

    def extend(spec: LoadSpec) -> LoadSpec:
        staged, key = ctx.staged[(system, doc_object)]
        join = (
            f" LEFT JOIN {q(staged)} nd ON nd.source_file = b.source_file"
            f' AND nd.source_line = b.source_line AND nd.{q(key)} = trim(b."_doc_id")'
        )
        fields = tuple(
            replace(f, expr=f"nd.{q(key)}") if f.name == "_doc" else f for f in spec.fields
        )
        return replace(spec, source=spec.source + join, fields=fields)

    return extend


def mark_repeats(rows: list[Flat], key: str = "_line_id") -> None:
    """Flag (``_repeat``) a line whose id its document already used: the lines of one record
    share its ``source_line``, so the load's duplicate check cannot order them."""
    seen: set[str | None] = set()
    for row in rows:
        if row.get(key) in seen:
            row["_repeat"] = "1"
        seen.add(row.get(key))


def page_number(path: Path) -> int | None:
    m = re.fullmatch(r".*\.([0-9]+)\.json", path.name, flags=re.IGNORECASE)
    return int(m.group(1)) if m else None


def write_revenue_from_lines(ctx: LoadContext, system: str, unposted: tuple[str, ...] = ()) -> None:
    """``erp.revenue: invoice_lines``: each invoice line is recognized at its invoice date and
    each credit memo line (negative) at its date; orders and unposted documents are not revenue."""
    skip = "[" + ", ".join(lit(s.lower()) for s in unposted) + "]::VARCHAR[]"
    ctx.write(
        "revenue",
        f"""SELECT d.date, l.amount, d.currency, d.customer_id, l.doc_id, l.line_id,
                l.product_line, l.source_file, l.source_line
        FROM document_line l JOIN document d USING (doc_id)
        WHERE d.doc_type IN ('invoice', 'credit_memo')
            AND NOT list_contains({skip}, lower(coalesce(d.status, '')))""",
        system,
    )


def write_documents(ctx: LoadContext, system: str, docs: str, lines: str, rate: str) -> None:
    """``document`` (amount = the sum of its revenue lines) and ``document_line``.

    ``lines`` is a SELECT of the staged lines with their canonical ``amount`` already
    revenue-signed and ``product_line`` resolved, plus the flag ``_revenue``. ``rate``
    is the SQL of a document's rate to the ERP's home currency; it only stands for
    the rate to the reporting currency when the home currency is the reporting one
    (otherwise the rates file converts).
    """
    home = lit(local_currency(ctx))
    same = local_currency(ctx) == ctx.defs.reporting.currency
    own = f"CASE WHEN coalesce(t.currency, {home}) = {home} THEN 1 ELSE {rate} END"
    ctx.sql(f"CREATE OR REPLACE TEMP TABLE {PREFIX}lines_{system} AS {lines}")
    ctx.write(
        "document",
        f"""SELECT t.* REPLACE (coalesce(t.currency, {home}) AS currency,
                {own if same else "CAST(NULL AS DECIMAL(18,8))"} AS exchange_rate),
            coalesce(a.amount, 0) AS amount
        FROM {docs} t LEFT JOIN (SELECT doc_id, sum(amount) AS amount FROM {PREFIX}lines_{system}
                   WHERE _revenue GROUP BY doc_id) a USING (doc_id)""",
        system,
    )
    ctx.write("document_line", f"SELECT * FROM {PREFIX}lines_{system} WHERE _revenue", system)


def local_currency(ctx: LoadContext) -> str:
    """The ERP's home currency: ``erp.local_currency``, default the reporting currency."""
    return ctx.defs.erp.local_currency or ctx.defs.reporting.currency


def revenue_source(ctx: LoadContext) -> None:
    """``invoice_lines`` and ``gl`` are built for the ERPs without revenue schedules."""
    if ctx.defs.erp.revenue not in (None, "invoice_lines", "gl"):
        raise ConfigError(
            f"erp.revenue: {ctx.defs.erp.revenue} is not supported for "
            f"{ctx.defs.erp.system}: use invoice_lines or gl",
            location="erp.revenue",
        )


def write_revenue(ctx: LoadContext, system: str, unposted: tuple[str, ...] = ()) -> None:
    """The ``revenue`` table from the source ``erp.revenue`` names (default: invoice lines)."""
    if ctx.defs.erp.revenue == "gl":
        write_revenue_from_gl(ctx, system)
    else:
        write_revenue_from_lines(ctx, system, unposted)


GL_COLUMNS = ("date", "account", "amount")
GL = SystemMap(
    system="gl",
    objects=(ObjectSpec("gl", GL_COLUMNS, core=True),),
    relations={},
    tables=(
        TableMap(
            "_gl",
            "gl",
            (
                F("date", ("gl.date",), "date", True),
                F("account", ("gl.account",), "text", True),
                F("amount", ("gl.amount",), "money", True),
                F("currency", ("gl.currency",), "currency"),
                F("customer_id", ("gl.customer",), "id"),
                F("number", ("gl.document_number",)),
                F("line_id", ("gl.line_ref",)),
                F("product_line", ("gl.product_line",)),
            ),
        ),
    ),
)


def write_revenue_from_gl(ctx: LoadContext, system: str) -> None:
    """``erp.revenue: gl``: one revenue row per GL posting of the export (income accounts only).

    Without ``erp.gl``, the ledger's own GL export in the source folder (``gl_exports``).
    With it, a CSV that has ``date, account, amount`` and optionally ``currency, customer,
    document_number, line_ref, product_line``; ``amount`` is revenue-signed (a credit
    to an income account is positive). A posting's document is found by its number
    among the loaded documents; its customer, currency and product line fall back to
    the document's (and the document line's).
    """
    erp = ctx.defs.erp
    if erp.gl is None:  # the ledger's own export, next to its documents
        from crossfoot.sources.gl_exports import write_revenue_from_export

        write_revenue_from_export(ctx, system)
        return
    path = ctx.defs.path(erp.gl)
    if not path.is_file() or path.suffix.lower() != ".csv":
        raise InputError(f"the GL export {erp.gl!r} is not a CSV file", location="erp.gl")
    gl = replace(GL, system=system)
    ctx.read_object(system, gl.objects[0], [path])
    stg = ctx.stage_all(gl, {}, {}, "erp.gl", erp.date_format, {})["_gl"]
    home = lit(local_currency(ctx))
    ctx.write(
        "revenue",
        f"""SELECT g.date, g.amount, coalesce(g.currency, d.currency, {home}) AS currency,
                coalesce(g.customer_id, d.customer_id) AS customer_id,
                coalesce(d.doc_id, g.number) AS doc_id, g.line_id,
                coalesce(g.product_line, dl.product_line) AS product_line,
                g.source_file, g.source_line
        FROM {stg} g
        LEFT JOIN (SELECT number, min(doc_id) AS doc_id, min(currency) AS currency,
                          min(customer_id) AS customer_id
                   FROM document WHERE number IS NOT NULL GROUP BY number) d
            ON d.number = g.number
        LEFT JOIN document_line dl ON dl.doc_id = d.doc_id AND dl.line_id = g.line_id""",
        system,
    )
