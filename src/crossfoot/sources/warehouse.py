"""Warehouse tables (Fivetran, Airbyte) -> the raw tables a system's reader stages.

A table is read in place (:mod:`crossfoot.sources.warehouse_conn`) into the same
kind of all-text raw table an export becomes, so it goes through the system's
own map, typed load, lineage and rejects: ``source_file`` is
``warehouse:<schema>.<table>`` and ``source_line`` the row's number when the
table is ordered by its key and then every column (the same data numbers the
same way on every run).

Names: a system map's ``Object.Field`` matches a table and a column when they
are equal ignoring case and underscores, so Fivetran's ``opportunity_line_item``
/ ``product_2_id`` / ``foo_c`` are Salesforce's ``OpportunityLineItem`` /
``Product2Id`` / ``Foo__c``, and Airbyte's API-named columns match as they are.

Rows that are not current data are rejected with a counted reason, before any
other check (docs/systems/warehouse.md):

* soft deletes: ``_fivetran_deleted`` or the system's ``is_deleted`` true, or
  Airbyte CDC's ``_ab_cdc_deleted_at`` set;
* Fivetran history mode: versions with ``_fivetran_active`` false;
* Airbyte append syncs: a record's older versions (by ``_airbyte_extracted_at``);
* Airbyte typing: a row whose ``_airbyte_meta.changes`` says a field crossfoot
  reads was nulled or truncated (the value is not the source's).
  https://docs.airbyte.com/understanding-airbyte/airbyte-metadata-fields
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from crossfoot.config import WarehouseSource
from crossfoot.errors import InputError
from crossfoot.model.load import lit, q
from crossfoot.model.mapping import SystemMap
from crossfoot.sources.base import PREFIX, REJECTS_TABLE, LoadContext
from crossfoot.sources.files import RawFile, RawTable
from crossfoot.sources.warehouse_conn import Warehouse, open_warehouse


def squash(name: str) -> str:
    """A name as tables and columns are matched: lower case without underscores."""
    return name.lower().replace("_", "")


def snake(name: str) -> str:
    """A Salesforce API name as Fivetran spells it: ``Product2Id`` -> ``product_2_id``."""
    name = name.replace("__", "_")
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])", "_", name).lower()


def open_source(ctx: LoadContext, system: str, source: WarehouseSource, key: str) -> Warehouse:
    schema = source.schema_name or system
    return open_warehouse(ctx.sql, source, base=ctx.defs.base_dir, schema=schema, key=key,
                          tmpdir=ctx.tmpdir, alias=f"{PREFIX}wh_{system}",
                          in_transaction=ctx.backend.in_transaction)  # fmt: skip


def find_table(wh: Warehouse, source: WarehouseSource, obj: str, key: str) -> str | None:
    """The table of ``obj``: as configured, else by name, else its history-mode table."""
    named = {k.lower(): v for k, v in source.tables.items()}.get(obj.lower())
    if named is not None:
        if named not in wh.tables:
            listed = ", ".join(sorted(wh.tables)) or "none"
            raise InputError(f"tables.{obj}: no table {named!r} in {wh.schema} (tables: {listed})",
                             location=key)  # fmt: skip
        return named
    by_name = {squash(t): t for t in sorted(wh.tables)}
    own, history = by_name.get(squash(obj)), by_name.get(squash(obj) + "history")
    # Fivetran names a history-mode copy <table>_history, and Salesforce's OpportunityHistory
    # object lands as opportunity_history too: the history-mode one has _fivetran_start
    if own is not None and obj.lower().endswith("history") and _history_mode(wh, own):
        return None
    if own is None and history is not None and _history_mode(wh, history):
        return history
    return own


def _history_mode(wh: Warehouse, table: str) -> bool:
    return any(squash(c) == "fivetranstart" for c, _ in wh.columns(table))


def read_system(
    ctx: LoadContext, smap: SystemMap, source: WarehouseSource, key: str,
    fields: Mapping[str, str],
) -> None:  # fmt: skip
    """Every object of ``smap`` from its table; the core ones must exist."""
    wh = open_source(ctx, smap.system, source, key)
    try:
        wanted = referenced(smap, fields.values())
        for spec in smap.objects:
            table = find_table(wh, source, spec.name, key)
            if table is None:
                if spec.core:
                    raise InputError(f"no table for {spec.name} in {wh.kind} {wh.schema} "
                                     f"(expected {snake(spec.name)})", location=key)  # fmt: skip
                continue
            keys = key_columns(smap, spec.name)
            raw = read_table(ctx, wh, smap.system, spec.name, table, wanted, keys)
            for need in spec.required:
                if not any(raw.has(c) for c in need.split("|")):
                    spelled = " or ".join(snake(c) for c in need.split("|"))
                    raise InputError(f"missing required column {spelled!r} ({spec.name} needs "
                                     f"{', '.join(spec.required)})", location=raw.files[0].rel)  # fmt: skip
            ctx.raw[(smap.system, spec.name)] = raw
    finally:
        wh.close()


def referenced(smap: SystemMap, configured: Iterable[str]) -> set[str]:
    """Every field name the map (and ``crm.fields`` / ``erp.fields``) may read, lower case."""
    names = {c for o in smap.objects for need in o.required for c in need.split("|")}
    names |= {s.partition(".")[2] for t in smap.tables for f in t.fields for s in f.sources}
    names |= {f.lookup.partition(".")[2] for t in smap.tables for f in t.fields if f.lookup}
    names |= {c for rel in smap.relations.values() for pair in rel.values() for c in pair}
    names |= {v.partition(".")[2] for v in configured}
    return {n.lower() for n in names if n}


def key_columns(smap: SystemMap, obj: str) -> tuple[str, ...]:
    """The columns identifying a record of ``obj``: its table map's key, as fields of ``obj``."""
    for tmap in smap.tables:
        if tmap.base.lower() != obj.lower() or not tmap.key:
            continue
        by_column = {f.column: f for f in tmap.fields}
        out = []
        for col in tmap.key:
            own = [s for s in by_column[col].sources if s.lower().startswith(obj.lower() + ".")]
            if not own:
                return ()
            out.append(own[0].partition(".")[2].lower())
        return tuple(out)
    return ()


def _renames(columns: list[str], wanted: set[str]) -> dict[str, str]:
    """Warehouse column -> raw column: the map's spelling where it matches, else lower case."""
    out = {c: c.lower() for c in columns}
    taken = set(out.values())
    by_squash = {squash(w): w for w in sorted(wanted)}
    for c in columns:
        name = by_squash.get(squash(c))
        if name and name not in taken and c.lower() not in wanted:
            taken.discard(out[c])
            out[c] = name
            taken.add(name)
    return out


def _is_true(expr: str) -> str:
    return f"lower(trim(CAST({expr} AS VARCHAR))) IN ('true', 't', '1', 'yes')"


def _exclusions(
    system: str, cols: Mapping[str, str], keys: tuple[str, ...], wanted: set[str]
) -> list[tuple[str, str, str, str]]:
    """(when, field, value, reason) per kind of row that is not current data, in order."""
    by = {squash(c): c for c in cols}
    out = []
    for flag, why in (("fivetrandeleted", "deleted in the source"),
                      ("isdeleted", f"deleted in {system}")):  # fmt: skip
        if flag in by:
            col = by[flag]
            out.append((_is_true(q(col)), col, "'true'", lit(f"{why} ({col} = true): excluded")))
    if "abcdcdeletedat" in by:
        col = by["abcdcdeletedat"]
        out.append((f"{q(col)} IS NOT NULL", col, f"CAST({q(col)} AS VARCHAR)",
                    lit(f"deleted in the source (Airbyte CDC {col} is set): excluded")))  # fmt: skip
    if "fivetranactive" in by:
        col = by["fivetranactive"]
        out.append((f"NOT {_is_true(q(col))}", col, f"CAST({q(col)} AS VARCHAR)",
                    lit(f"a past version (Fivetran history mode, {col} = false): "
                        "only the active version is kept")))  # fmt: skip
    key_cols = [by.get(squash(k)) for k in keys]
    if "airbyteextractedat" in by and keys and all(key_cols):
        col = by["airbyteextractedat"]
        part = ", ".join(q(c) for c in key_cols if c)
        newer = f"row_number() OVER (PARTITION BY {part} ORDER BY {q(col)} DESC, _n DESC) > 1"
        out.append((newer, col, f"CAST({q(col)} AS VARCHAR)",
                    lit("an older version of the record (Airbyte append sync): the latest "
                        f"extracted version is kept ({col})")))  # fmt: skip
    if "airbytemeta" in by:
        col = by["airbytemeta"]
        read = "[" + ", ".join(lit(squash(w)) for w in sorted(wanted)) + "]"
        changes = f"json_extract(CAST({q(col)} AS VARCHAR), '$.changes')"
        hit = (f"list_filter(CAST({changes} AS JSON[]), "
               f"c -> list_contains({read}, replace(lower(c->>'field'), '_', '')))[1]")  # fmt: skip
        out.append((f"{hit} IS NOT NULL", col, f"CAST({hit} AS VARCHAR)",
                    f"'Airbyte changed field ''' || ({hit}->>'field') || ''' (' || "
                    f"coalesce({hit}->>'change', '?') || ': ' || coalesce({hit}->>'reason', '?') || "
                    "'): the value is not the source''s'"))  # fmt: skip
    return out


def read_table(
    ctx: LoadContext, wh: Warehouse, system: str, obj: str, table: str, wanted: set[str],
    keys: tuple[str, ...] = (),
) -> RawTable:  # fmt: skip
    """One warehouse table -> a raw table of its current rows; the others go to rejects."""
    cols = dict(wh.columns(table))
    rel = f"warehouse:{wh.schema}.{table}"
    renames = _renames(list(cols), wanted)
    name = f"{PREFIX}raw_{system}_{obj.lower()}"
    work = q(name + "__wh")
    by = {squash(c): c for c in cols}
    first = [by[squash(k)] for k in keys if squash(k) in by]
    order = ", ".join(q(c) for c in dict.fromkeys([*first, *cols]))
    texts = ", ".join(f"CAST(w.{q(c)} AS VARCHAR) AS {q('_c_' + renames[c])}" for c in cols)
    exclusions = _exclusions(system, cols, keys, wanted)
    numbered = f"SELECT row_number() OVER (ORDER BY {order}) AS _n, * FROM {wh.relation(table)}"
    whys = " ".join(f"WHEN {w} THEN struct_pack(f := {lit(f)}, v := {v}, r := {r})"
                    for w, f, v, r in exclusions)  # fmt: skip
    why = f"CASE {whys} END" if whys else "CAST(NULL AS STRUCT(f VARCHAR, v VARCHAR, r VARCHAR))"
    ctx.sql(f"CREATE OR REPLACE TEMP TABLE {work} AS SELECT w._n, {why} AS _why, {texts} "
            f"FROM ({numbered}) w")  # fmt: skip
    total, digest = ctx.sql(
        f"SELECT count(*), md5(coalesce(string_agg(md5(CAST(t AS VARCHAR)), '' ORDER BY t._n), '')) "
        f"FROM {work} t"
    ).fetchone()
    ctx.sql(
        f"INSERT INTO {REJECTS_TABLE} SELECT {lit(system)}, {lit(rel)}, _n, {lit(obj)}, "
        f"_why.f, left(_why.v, 200), _why.r FROM {work} WHERE _why IS NOT NULL"
    )
    raw_cols = ", ".join(f"{q('_c_' + renames[c])} AS {q(renames[c])}" for c in cols)
    ctx.sql(f"CREATE OR REPLACE TEMP VIEW {q(name)} AS SELECT {lit(rel)} AS source_file, "
            f"CAST(_n AS BIGINT) AS source_line, {ctx._file_no} AS _file_no, {raw_cols} "
            f"FROM {work} WHERE _why IS NULL")  # fmt: skip
    sha = hashlib.sha256(f"{rel}\n{digest}".encode()).hexdigest()
    f = RawFile(Path(rel), rel, sha, int(total), header_line=0)
    raw = RawTable(system, obj, name, {renames[c]: c for c in cols}, [f])
    ctx._file_no += 1
    ctx.files.append((system, obj, f))
    return raw
