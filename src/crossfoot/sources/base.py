"""What every reader shares: the load context, map-driven staging and canonical writes.

A reader (``salesforce.py``, ``netsuite.py``, ``fx.py``) is a :class:`Source`:
it reads its objects into raw tables (:meth:`LoadContext.read_object`), stages
each table of its :class:`~crossfoot.model.mapping.SystemMap` through the
generic typed load (:meth:`LoadContext.stage`), then writes the canonical
tables with one SELECT each (:meth:`LoadContext.write`).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Protocol

import ibis.expr.datatypes as dt

from crossfoot.config import Definitions, WarehouseSource, mapped_table
from crossfoot.diagnostic.findings import InputFile
from crossfoot.engine.backend import DuckDBBackend
from crossfoot.errors import ConfigError, InputError, SchemaError, StageError
from crossfoot.model import load as typed
from crossfoot.model.load import DIGITS, Check, Field, LoadSpec, lit, q
from crossfoot.model.mapping import FieldMap, ObjectSpec, SystemMap, TableMap
from crossfoot.model.schema import CANONICAL, REJECTS
from crossfoot.sources.files import RawFile, RawTable, read_csv
from crossfoot.sources.pages import JsonStyle, read_json_pages

log = logging.getLogger(__name__)

PREFIX = "_cf_"
REJECTS_TABLE = PREFIX + "rejects"


#: an amount stays below 10**13 (model/load.py DIGITS), so a line's quantity × price must too
_AMOUNT_LIMIT = 10 ** DIGITS["money"]


def quantity_times_price_check(price: str, label: str, quantity: str = "Quantity") -> Check:
    """Reject a line whose ``quantity`` × ``label`` (as the export names them) is out of range.

    The engine prices lines from these products (the price book's list price ×
    quantity under relative SSP) in DECIMAL(18,2); a product of ten trillion or
    more would overflow there and stop the run.
    """
    # in 38 digits: DuckDB keeps DECIMAL(18,4) × DECIMAL(18,4) in 18, and overflows
    product = f"(CAST(quantity AS DECIMAL(38,4)) * CAST({price} AS DECIMAL(38,4)))"
    return Check(
        when=f"abs({product}) >= {_AMOUNT_LIMIT}",
        field=f"{quantity} × {label}",
        value=f"CAST(quantity AS VARCHAR) || ' × ' || CAST({price} AS VARCHAR)",
        reason=f"'{quantity} × {label} is ' || CAST({product} AS VARCHAR) || "
        f"', out of range (an amount must be below {_AMOUNT_LIMIT:,} in size)'",
    )


class Source(Protocol):
    """A system reader: fills its canonical tables from its folder (or file)."""

    system: ClassVar[str]

    def load(self, ctx: LoadContext) -> None: ...


def sql_type(dtype: dt.DataType) -> str:
    """The DuckDB type of a canonical column."""
    if dtype.is_decimal():
        return f"DECIMAL({dtype.precision},{dtype.scale})"
    for test, name in ((dtype.is_string, "VARCHAR"), (dtype.is_int64, "BIGINT"), (dtype.is_date, "DATE"),
                       (dtype.is_timestamp, "TIMESTAMP"), (dtype.is_boolean, "BOOLEAN")):  # fmt: skip
        if test():
            return name
    raise SchemaError(f"no DuckDB type for {dtype}")


@dataclass
class LoadContext:
    defs: Definitions
    backend: DuckDBBackend
    tmpdir: Path
    raw: dict[tuple[str, str], RawTable] = field(default_factory=dict)
    staged: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)  # -> (table, key)
    files: list[tuple[str, str, RawFile]] = field(default_factory=list)  # system, object, file
    written: set[str] = field(default_factory=set)
    _file_no: int = 0

    # ------------------------------------------------------------ plumbing

    def sql(self, query: str) -> Any:
        try:
            return self.backend.sql(query)
        except Exception as exc:
            raise StageError("load sources", self.backend.name, query, exc) from exc

    def rel(self, path: Path) -> str:
        return Path(os.path.relpath(path.resolve(), self.defs.base_dir)).as_posix()

    def folder(self, setting: str | WarehouseSource, key: str) -> Path:
        if isinstance(setting, WarehouseSource):  # the definitions allow it only where read
            raise InputError("warehouse tables are not read for this system", location=key)
        if setting == "api":  # pages stored by `crossfoot pull` (docs/pull.md)
            system = self.defs.crm.system if key.startswith("crm") else self.defs.erp.system
            path = self.defs.pulled(system)
            if not path.is_dir():
                message = f"{key} is api but nothing was pulled yet: run crossfoot pull first"
                raise InputError(message, location=key)
            return path
        path = self.defs.path(setting)
        if not path.is_dir():
            raise InputError(f"{setting!r} is not a folder ({path})", location=key)
        return path

    def start(self) -> None:
        typed.install_macros(self.sql)
        cols = ", ".join(f"{q(n)} {sql_type(t)}" for n, t in REJECTS.items())
        self.sql(f"CREATE OR REPLACE TEMP TABLE {REJECTS_TABLE} ({cols})")

    # ------------------------------------------------------------ reading

    def read_object(self, system: str, spec: ObjectSpec, paths: list[Path]) -> RawTable | None:
        """Read one object's files into a raw table and check its required columns."""
        if not paths:
            return None
        table = RawTable(system, spec.name, f"{PREFIX}raw_{system}_{spec.name.lower()}")
        rels = [self.rel(p) for p in paths]
        is_csv = paths[0].suffix.lower() != ".json"
        if is_csv:
            f = read_csv(self.sql, paths[0], rels[0], table=table, file_no=self._file_no,
                         rejects=REJECTS_TABLE, tmpdir=self.tmpdir)  # fmt: skip
            table.files = [f]
        else:
            style: JsonStyle = "salesforce" if system == "salesforce" else "netsuite"
            register = self.backend.raw.register
            table.files = read_json_pages(self.sql, register, paths, rels, table=table,
                                          first_file_no=self._file_no, style=style)  # fmt: skip
            self.backend.raw.unregister(table.name + "__arrow")
        self._file_no += len(paths)
        self.files += [(system, spec.name, f) for f in table.files]
        if is_csv or any(f.rows for f in table.files):  # an empty page set has no fields
            needs = ", ".join(n.replace("|", " or ") for n in spec.required)
            for need in spec.required:
                if not any(table.has(c) for c in need.split("|")):
                    self.missing_column(
                        table, need.replace("|", "' or '"), f"{spec.name} needs {needs}"
                    )
        self.raw[(system, spec.name)] = table
        return table

    def read_system(self, smap: SystemMap, folder: Path) -> None:
        for spec in smap.objects:
            paths = self.locate(folder, spec.name)
            if not paths and spec.core:
                raise InputError(
                    f"no {spec.name}.csv or {spec.name}.json in the folder: {spec.name} is required",
                    location=self.rel(folder) + "/",
                )
            self.read_object(smap.system, spec, paths)

    def locate(self, folder: Path, stem: str) -> list[Path]:
        """``stem.csv``, ``stem.json`` or pages ``stem.1.json``, ``stem.2.json``... (any case)."""
        names = {p.name.lower(): p for p in folder.iterdir() if p.is_file()}
        low, where = stem.lower(), self.rel(folder) + "/"
        single = [p for p in (names.get(low + ".csv"), names.get(low + ".json")) if p]
        pages = {}
        for name, path in names.items():
            if m := re.fullmatch(re.escape(low) + r"\.([0-9]+)\.json", name):
                pages[int(m.group(1))] = path
        found = single + [pages[k] for k in sorted(pages)]
        if len(single) > 1 or (single and pages):
            listed = ", ".join(p.name for p in found)
            message = f"{stem} is exported more than once ({listed}): keep one"
            raise InputError(message, location=where)
        missing = sorted(set(range(1, max(pages, default=0) + 1)) - set(pages))
        if missing:
            message = f"page {missing[0]} ({stem}.{missing[0]}.json) is missing from the page set"
            raise InputError(message, location=where)
        return found

    def missing_column(self, table: RawTable, column: str, why: str) -> None:
        first = table.files[0]
        where = f"{first.rel}:{first.header_line}" if first.header_line else first.rel
        kind = "column" if first.rel.endswith(".csv") or not first.header_line else "field"
        raise InputError(f"missing required {kind} '{column}' ({why})", location=where)

    # ------------------------------------------------------------ staging

    def spec(
        self, smap: SystemMap, tmap: TableMap, configured: Mapping[str, str], config_key: str,
        checks: tuple[Check, ...] = (), duplicate: str | None = None,
    ) -> LoadSpec:  # fmt: skip
        """A LoadSpec for ``tmap``: sources resolved on the raw tables, joins to related objects."""
        base = self.raw.get((smap.system, tmap.base))
        relations = {k.lower(): (k, v) for k, v in smap.relations.get(tmap.base, {}).items()}
        joins: dict[str, str] = {}
        unpadded: set[str] = set()  # exprs that read a raw column of an unpadded table

        def resolve(source: str, key: str | None) -> tuple[str | None, str]:
            """SQL for ``Object.Field`` on a row of ``tmap.base`` (None: not available)."""
            obj, _, col = (s.lower() for s in source.partition("."))
            if base is None:
                return None, source
            if obj == tmap.base.lower():
                if base.has(col):
                    if base.unpadded:
                        unpadded.add(f"b.{q(col)}")
                    return f"b.{q(col)}", base.label(col)
                if key and not _pages(base):
                    self.missing_column(base, source.partition(".")[2], f"{key} names it")
                return None, source
            if base.has(f"{obj}.{col}"):  # a relationship field flattened from JSON
                return f"b.{q(obj + '.' + col)}", base.label(f"{obj}.{col}")
            if obj not in relations:
                if key:
                    reach = ", ".join([tmap.base, *(k for k, _ in relations.values())])
                    raise ConfigError(f"{source} cannot be reached from {tmap.base}: "
                                      f"use a field of {reach}", location=key)  # fmt: skip
                return None, source
            name, (on_base, _) = relations[obj]
            other = self.raw.get((smap.system, name))
            if other is None:
                if key:
                    message = f"{key} names {source} but there is no {name} export in the folder"
                    raise InputError(message, location=key)
                return None, source
            if not other.has(col) or not base.has(on_base):
                if key and not other.has(col) and not _pages(other):
                    self.missing_column(other, source.partition(".")[2], f"{key} names {source}")
                if key:
                    self.missing_column(base, on_base, f"{key} names {source}")
                return None, source
            staged, staged_key = self.staged[(smap.system, name)]
            alias = f"j_{obj}"
            joins[alias] = relation_join(alias, other.name, staged, staged_key, on_base)
            if other.unpadded:
                unpadded.add(f"{alias}.{q(col)}")
            return f"{alias}.{q(col)}", f"{name}.{other.label(col)}"

        fields = []
        for fm in tmap.fields:
            key = f"{config_key}.{fm.column}" if fm.column in configured else None
            sources = (configured[fm.column],) if key else fm.sources
            found = [resolve(s, key) for s in sources]
            exprs = [e for e, _ in found if e]
            labels = [lb for e, lb in found if e] or [s for _, s in found] or [fm.column]
            expr = None if not exprs else exprs[0] if len(exprs) == 1 else (
                "coalesce(" + ", ".join(f"nullif(trim({e}), '')" for e in exprs) + ")"
            )  # fmt: skip
            lookup = (resolve(fm.lookup, None)[0] or "NULL") if fm.lookup else None
            fields.append(Field(fm.column, expr, fm.kind, labels[0], fm.required, lookup,
                                expr in unpadded))  # fmt: skip
        source = f"{q(base.name)} AS b " + " ".join(joins.values()) if base else ""
        return LoadSpec(smap.system, tmap.base, source, tuple(fields), tmap.key, checks, duplicate)

    def stage(self, spec: LoadSpec, table: str, date_setting: str) -> str:
        """Type and check ``spec``'s rows into a staging table; return its name."""
        out = f"{PREFIX}stg_{spec.system}_{table.lstrip('_')}"
        if not spec.source:
            typed.empty_table(self.sql, spec, out)
        else:
            dates = [f.expr for f in spec.fields if f.kind in ("date", "datetime") and f.expr]
            raw = self.raw[(spec.system, spec.object)]
            on_base = all(d.startswith("b.") for d in dates)  # no need for the joins
            source = f"{q(raw.name)} AS b" if on_base else spec.source
            fmt = typed.detect_date_format(self.sql, source, dates, date_setting)
            typed.load(self.sql, spec, out=out, rejects=REJECTS_TABLE, date_format=fmt)
        self.staged[(spec.system, spec.object)] = (out, spec.key[0] if spec.key else "")
        return out

    def stage_all(
        self, smap: SystemMap, fields: Mapping[str, str], mappable: Mapping[str, str],
        config_key: str, date_setting: str, checks: Mapping[str, tuple[Check, ...]],
        duplicates: Mapping[str, str] | None = None,
        extend: Mapping[str, Callable[[LoadSpec], LoadSpec]] | None = None,
    ) -> dict[str, str]:  # fmt: skip
        """Stage every table of ``smap`` in order; return table -> staging table.

        ``fields`` (``crm.fields`` / ``erp.fields``) replace the sources of the columns
        that ``mappable`` assigns to the table being staged; ``extend`` lets a reader
        add joins and helper fields to a table's spec.
        """
        out = {}
        for tmap in smap.tables:
            configured = {
                k: v for k, v in fields.items() if mapped_table(k, dict(mappable)) == tmap.table
            }
            events = {
                k: f"_event_{k.removeprefix('event.')}"
                for k in configured
                if k.startswith("event.")
            }
            if events:  # milestone dates ride along as helper columns of the staged table
                tmap = replace(
                    tmap, fields=(*tmap.fields, *(FieldMap(c, (), "date") for c in events.values()))
                )
                configured = {events.get(k, k): v for k, v in configured.items()}
            spec = self.spec(smap, tmap, configured, config_key, checks.get(tmap.table, ()),
                             (duplicates or {}).get(tmap.table))  # fmt: skip
            if extend and tmap.table in extend and spec.source:
                spec = extend[tmap.table](spec)
            out[tmap.table] = self.stage(spec, tmap.table, date_setting)
            if events:
                self._stage_events(smap.system, out[tmap.table], tmap.table, events)
        return out

    def _stage_events(
        self, system: str, staged: str, table: str, events: Mapping[str, str]
    ) -> None:
        """Append the staged rows' milestone dates to ``milestone_event``."""
        side, key = ("crm", "deal_id") if table == "deal" else ("erp", "doc_id")
        selects = " UNION ALL ".join(
            f"SELECT {lit(side)} AS side, {q(key)} AS record_id, "
            f"{lit(k.removeprefix('event.'))} AS event, {q(col)} AS date, "
            f"source_file, source_line FROM {q(staged)} WHERE {q(col)} IS NOT NULL"
            for k, col in events.items()
        )
        select = f"SELECT *, {lit(system)} AS source_system FROM ({selects})"
        if "milestone_event" in self.written:  # the CRM's, now the ERP's
            self.sql(f"INSERT INTO milestone_event BY NAME {select}")
        else:
            self.write("milestone_event", select, system)

    # ------------------------------------------------------------ writing

    def write(self, name: str, select: str, system: str) -> None:
        """Create canonical table ``name`` from ``select`` with exactly its schema's columns."""
        schema = CANONICAL[name]
        cols = ", ".join(
            f"CAST({lit(system) if c == 'source_system' else q(c)} AS {sql_type(t)}) AS {q(c)}"
            for c, t in schema.items()
        )
        self.sql(f"CREATE OR REPLACE TABLE {q(name)} AS SELECT {cols} FROM ({select}) "
                 "ORDER BY source_file, source_line")  # fmt: skip
        self.written.add(name)

    def finish(self) -> tuple[InputFile, ...]:
        """Write ``rejects`` and the empty canonical tables; count every file's rows."""
        for name, schema in CANONICAL.items():
            if name not in self.written:
                cols = ", ".join(f"{q(c)} {sql_type(t)}" for c, t in schema.items())
                self.sql(f"CREATE OR REPLACE TABLE {q(name)} ({cols})")
        self.sql(f"CREATE OR REPLACE TABLE rejects AS SELECT * FROM {REJECTS_TABLE} "
                 "ORDER BY source_system, source_file, source_line")  # fmt: skip
        counts: dict[str, list[int]] = {}
        staged = [t for t, _ in self.staged.values()]
        for table in [REJECTS_TABLE, *staged]:
            for rel, n in self.sql(
                f"SELECT source_file, count(*) FROM {q(table)} GROUP BY 1"
            ).fetchall():
                counts.setdefault(rel, [0, 0])[table == REJECTS_TABLE] += int(n)
        out = []
        for system, obj, f in self.files:
            loaded, rejected = counts.get(f.rel, [0, 0])
            out.append(InputFile(system, obj, f.rel, f.sha256, f.rows, loaded, rejected))
            if not out[-1].conserved:
                raise StageError("load sources", self.backend.name, None,
                                 RuntimeError(f"{f.rel}: rows read != loaded + rejected: {out[-1]}"))  # fmt: skip
        return tuple(out)

    def cleanup(self) -> None:
        """Drop every temporary view and table of the load (best effort: never masks an error)."""
        catalogs = (
            ("VIEW", "view_name", "duckdb_views()"),
            ("TABLE", "table_name", "duckdb_tables()"),
        )
        try:
            for kind, column, catalog in catalogs:
                query = f"SELECT {column} FROM {catalog} WHERE temporary AND starts_with({column}, '{PREFIX}')"
                for (name,) in self.sql(query).fetchall():
                    self.sql(f"DROP {kind} IF EXISTS {q(name)}")
        except StageError:
            log.warning("could not drop the temporary tables of the load", exc_info=True)


def relation_join(alias: str, raw: str, staged: str, staged_key: str, on_base: str) -> str:
    """The join of a related object's loaded rows (raw columns) on its key, as ``alias``."""
    return (
        f"LEFT JOIN (SELECT s.{q(staged_key)} AS _k, r.* FROM {q(raw)} r "
        f"JOIN {q(staged)} s USING (source_file, source_line)) {alias} "
        f"ON {alias}._k = trim(b.{q(on_base.lower())})"
    )


def _pages(table: RawTable) -> bool:
    """JSON API pages leave out empty values (SuiteQL does), so a mapped field that no
    record carries is empty, not missing; a CSV export without the column is an error."""
    rel = table.files[0].rel.lower()
    return not rel.endswith(".csv") and not rel.startswith("warehouse:")
