"""HubSpot's three layouts -> raw tables whose columns are HubSpot property names.

One CRM folder holds one layout, recognized by its files:

* **API pages** — ``deals.json`` or ``deals.1.json``, ``deals.2.json``... (likewise
  ``companies``, ``line_items``, ``products``), each exactly a response body of
  ``GET /crm/v3/objects/<object>``: ``{"results": [{"id", "properties": {...},
  "archived", "associations": {"companies": {"results": [{"id", "type"}]}}}],
  "paging": {"next": {"after", "link"}}}``; ``pipelines.json`` is the body of
  ``GET /crm/v3/pipelines/deals``.
  https://developers.hubspot.com/docs/api-reference/latest/crm/objects/line-items/guide
  https://developers.hubspot.com/docs/api-reference/latest/crm/pipelines/guide
* **UI exports** — ``deals.csv``, ``companies.csv``, ``line_items.csv``,
  ``products.csv`` with display-label headers (``Record ID``, ``Deal Stage``...).
* **Fivetran tables** — ``deal_data.csv`` (``property_<name>`` columns),
  ``company_data.csv``, ``deal_company_data.csv``, ``deal_pipeline_stage_data.csv``
  and, when synced, ``line_item_data.csv``, ``line_item_deal_data.csv``, ``product_data.csv``.

Each layout's object is read as it is (every row counted against its file), then
a view renames its columns to the API property names (``Deal Stage`` ->
``dealstage``, ``property_amount`` -> ``amount``; any other header lower-cased
with non-alphanumerics as ``_``), turns epoch-millisecond dates into ISO text and
gives every record ``company_id`` / ``deal_id`` from its associations (the
primary one first). Reject reasons keep the name as the file spells it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from crossfoot.errors import InputError
from crossfoot.model.load import q
from crossfoot.model.mapping import ObjectSpec
from crossfoot.sources.base import PREFIX, LoadContext
from crossfoot.sources.files import RawFile, RawTable

SYSTEM = "hubspot"
Layout = Literal["api", "export", "fivetran"]
OBJECTS = ("owners", "companies", "products", "deals", "line_items")

#: file stem per layout and object; "pipelines" are the deal stages
STEMS: dict[Layout, dict[str, str]] = {
    "api": {o: o for o in (*OBJECTS, "pipelines")},
    "export": {**{o: o for o in OBJECTS}, "pipelines": "pipelines"},
    "fivetran": {
        "owners": "owner_data",
        "companies": "company_data", "products": "product_data", "deals": "deal_data",
        "line_items": "line_item_data", "pipelines": "deal_pipeline_stage_data",
        "deal_company": "deal_company_data", "line_item_deal": "line_item_deal_data",
    },
}  # fmt: skip

#: property -> the column names it has in UI exports and Fivetran tables (lower case)
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "deals": {
        "id": ("record id", "deal id", "deal_id"),
        "dealname": ("deal name",),
        "dealstage": ("deal stage", "deal_pipeline_stage_id"),
        "pipeline": ("pipeline", "deal_pipeline_id"),
        "closedate": ("close date",),
        "amount": ("amount",),
        "deal_currency_code": ("currency", "deal currency code"),
        "hubspot_owner_id": ("deal owner", "owner_id"),
        "hs_lastmodifieddate": ("last modified date",),
        "archived": ("is_deleted", "_fivetran_deleted"),
        "associations.companies": (
            "associated company ids (primary)", "associated company ids", "associated company id",
        ),
    },
    "companies": {
        "id": ("record id", "company id"),
        "name": ("company name",),
        "domain": ("company domain name", "website url"),
        "country": ("country/region",),
        "archived": ("is_deleted", "_fivetran_deleted"),
    },
    "line_items": {
        "id": ("record id", "line item id"),
        "associations.deals": ("associated deal ids", "associated deal id", "deal id"),
        "price": ("unit price",),
        "amount": ("net price",),
        "hs_product_id": ("product id",),
        "hs_sku": ("sku",),
        "hs_recurring_billing_period": ("term", "recurring billing period"),
        "hs_recurring_billing_start_date": ("billing start date",),
        "archived": ("is_deleted", "_fivetran_deleted"),
    },
    "products": {
        "id": ("record id", "product id"),
        "name": ("product name",),
        "hs_sku": ("sku",),
        "archived": ("is_deleted", "_fivetran_deleted"),
    },
    "owners": {
        "id": ("owner_id", "owner id"),
        "firstname": ("first_name", "first name"),
        "lastname": ("last_name", "last name"),
    },
    "pipelines": {
        "id": ("stage_id", "stage id"),
        "pipeline_id": ("pipeline id",),
        "archived": ("_fivetran_deleted",),
    },
    "deal_company": {},
    "line_item_deal": {},
}  # fmt: skip

#: properties that hold dates: epoch milliseconds become ISO text
DATE_PROPERTIES = frozenset(
    {"closedate", "createdate", "hs_lastmodifieddate", "hs_recurring_billing_start_date"}
)
#: what an object must have (after renaming): the property, and its name in a UI
#: export and in a Fivetran table (an error names what the user would look for)
REQUIRED: dict[str, tuple[tuple[str, str, str], ...]] = {
    "deals": (
        ("id", "Record ID", "deal_id"),
        ("dealstage", "Deal Stage", "deal_pipeline_stage_id"),
        ("closedate", "Close Date", "property_closedate"),
    ),
    "companies": (("id", "Record ID", "id"),),
    "line_items": (("id", "Record ID", "id"), ("amount", "Net price", "property_amount")),
    "products": (("id", "Record ID", "id"),),
    "owners": (("id", "id", "owner_id"),),
    "pipelines": (("id", "stage id", "stage_id"), ("label", "label", "label")),
}
#: the columns every raw table has besides the record's own
PROVENANCE = frozenset({"source_file", "source_line", "file_no"})


def layout(ctx: LoadContext, folder: Path) -> Layout:
    """Which layout the folder holds; InputError when it holds no deals."""
    names = {p.name.lower() for p in folder.iterdir() if p.is_file()}
    if "deal_data.csv" in names:
        return "fivetran"
    if "deals.json" in names or any(re.fullmatch(r"deals\.[0-9]+\.json", n) for n in names):
        return "api"
    if "deals.csv" in names:
        return "export"
    raise InputError(
        "no deals.json (API pages), deals.csv (UI export) or deal_data.csv (Fivetran): "
        "deals are required",
        location=ctx.rel(folder) + "/",
    )


def normalized(name: str) -> str:
    """A header as a property name: ``Product Family`` -> ``product_family``."""
    low = name.strip().lower()
    if low.startswith("property_"):
        low = low.removeprefix("property_")
    return low if low.startswith("associations.") else re.sub(r"[^a-z0-9]+", "_", low).strip("_")


# ---------------------------------------------------------------- API pages


def _number(text: str) -> str:
    return format(Decimal(text), "f")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _associated(value: Any) -> str | None:
    """``{"results": [{"id", "type"}]}`` -> ids joined by ``;``, primary (labelled) first."""
    results = value.get("results") if isinstance(value, dict) else None
    if not isinstance(results, list):
        return None
    found = [r for r in results if isinstance(r, dict) and r.get("id") is not None]
    found.sort(key=lambda r: str(r.get("type", "")).endswith("unlabeled"))
    return ";".join(dict.fromkeys(str(r["id"]) for r in found)) or None


def _record(rec: Any, rel: str, line: int) -> dict[str, str | None]:
    if not isinstance(rec, dict) or not isinstance(rec.get("properties", {}), dict):
        raise InputError("record is not an object with 'properties'", location=f"{rel}:{line}")
    if "properties" in rec:  # CRM objects
        flat = {k.lower(): _text(v) for k, v in rec["properties"].items()}
    else:  # owners: the fields are the record's own
        flat = {k.lower(): _text(v) for k, v in rec.items() if not isinstance(v, dict | list)}
    for key in ("id", "archived", "createdAt", "updatedAt"):
        if key in rec:
            flat[key.lower()] = _text(rec[key])
    for obj, value in (rec.get("associations") or {}).items():
        flat["associations." + normalized(obj)] = _associated(value)
    return flat


def _load_json(path: Path, rel: str) -> tuple[Any, str]:
    raw = path.read_bytes()
    if not raw.strip():
        raise InputError("the file is empty: expected a JSON response body", location=f"{rel}:1")
    try:
        doc = json.loads(raw.decode("utf-8-sig"), parse_float=_number, parse_int=str)
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", location=rel) from exc
    except json.JSONDecodeError as exc:
        message = f"not valid JSON: {exc.msg} (column {exc.colno})"
        raise InputError(message, location=f"{rel}:{exc.lineno}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
        raise InputError("expected a JSON object with 'results': a list", location=f"{rel}:1")
    return doc, hashlib.sha256(raw).hexdigest()


def _next_page(doc: Mapping[str, Any]) -> str | None:
    paging = doc.get("paging")
    nxt = paging.get("next") if isinstance(paging, dict) else None
    return str(nxt.get("after", "")) if isinstance(nxt, dict) else None


def _pipeline_rows(doc: Mapping[str, Any], rel: str) -> list[dict[str, str | None]]:
    """One row per stage: ``{"results": [{"id", "label", "stages": [{"id", "label",
    "metadata": {"isClosed", "probability"}}]}]}``."""
    rows = []
    for i, pipe in enumerate(doc["results"], start=1):
        if not isinstance(pipe, dict) or not isinstance(pipe.get("stages"), list):
            raise InputError(f"pipeline {i} has no 'stages' list", location=rel)
        for stage in pipe["stages"]:
            meta = stage.get("metadata") if isinstance(stage, dict) else None
            if not isinstance(stage, dict) or not isinstance(meta or {}, dict):
                raise InputError(f"a stage of pipeline {i} is not an object", location=rel)
            rows.append({
                "pipeline_id": _text(pipe.get("id")), "pipeline_label": _text(pipe.get("label")),
                "id": _text(stage.get("id")), "label": _text(stage.get("label")),
                "isclosed": _text((meta or {}).get("isClosed")),
                "probability": _text((meta or {}).get("probability")),
                "archived": _text(stage.get("archived")),
            })  # fmt: skip
    return rows


def read_pages(ctx: LoadContext, obj: str, paths: list[Path]) -> RawTable:
    """A page set (or pipelines.json) into a raw table; one RawFile per page."""
    table = RawTable(SYSTEM, obj, f"{PREFIX}raw_{SYSTEM}_{obj}")
    rels = [ctx.rel(p) for p in paths]
    labels: dict[str, str] = {}
    tables, docs = [], []
    for no, (path, rel) in enumerate(zip(paths, rels, strict=True)):
        doc, sha = _load_json(path, rel)
        if obj == "pipelines":
            rows = _pipeline_rows(doc, rel)
        else:
            rows = [_record(r, rel, i) for i, r in enumerate(doc["results"], start=1)]
        names = list(dict.fromkeys(k for r in rows for k in r))
        labels.update({n: n for n in names})
        n = len(rows)
        columns = {
            "source_file": pa.array([rel] * n, pa.string()),
            "source_line": pa.array(range(1, n + 1), pa.int64()),
            "_file_no": pa.array([ctx._file_no + no] * n, pa.int32()),
            **{c: pa.array([r.get(c) for r in rows], pa.string()) for c in names},
        }
        tables.append(pa.table(columns))
        docs.append((rel, doc))
        table.files.append(RawFile(path, rel, sha, n))
    for i, (rel, doc) in enumerate(docs):
        after = _next_page(doc)
        if i == len(docs) - 1 and after is not None:
            raise InputError(
                f"the last page has paging.next (after {after!r}): the next page "
                f"({obj}.{i + 2}.json) is missing; export every page",
                location=rel,
            )
        if i < len(docs) - 1 and after is None:
            raise InputError("page has no paging.next but more pages follow", location=rel)
    view = table.name + "__arrow"
    ctx.backend.raw.register(view, pa.concat_tables(tables, promote_options="default"))
    ctx.sql(f"CREATE OR REPLACE TEMP TABLE {q(table.name)} AS SELECT * FROM {q(view)}")
    ctx.backend.raw.unregister(view)
    table.columns = labels
    ctx._file_no += len(paths)
    ctx.files += [(SYSTEM, obj, f) for f in table.files]
    return table


# ---------------------------------------------------------------- renaming


def _epoch(expr: str) -> str:
    """Epoch milliseconds (what HubSpot's v1 API and some exports write) as ISO UTC text."""
    return (
        f"CASE WHEN regexp_full_match(trim({expr}), '-?[0-9]{{11,13}}') THEN "
        f"strftime(epoch_ms(CAST(trim({expr}) AS BIGINT)), '%Y-%m-%dT%H:%M:%S.%gZ') ELSE {expr} END"
    )


def rename(
    ctx: LoadContext, raw: RawTable, obj: str, layout: Layout, dates: Iterable[str],
    joins: Mapping[str, tuple[str, str]] | None = None,
) -> RawTable:  # fmt: skip
    """A view of ``raw`` with property-name columns; ``joins``: column -> (SQL, FROM addition)."""
    aliases = ALIASES.get(obj, {})
    taken: set[str] = set()
    select: dict[str, tuple[str, str]] = {}  # property -> (SQL, label)
    for prop, candidates in aliases.items():
        for cand in (prop, *candidates):
            if raw.has(cand) and cand not in taken:
                select[prop] = (f"b.{q(cand)}", raw.label(cand))
                taken.add(cand)
                break
    for col, label in raw.columns.items():
        name = normalized(col)
        if col not in taken and name and name not in select and name not in PROVENANCE:
            select[name] = (f"b.{q(col)}", label)
    froms = []
    for col, (expr, extra) in (joins or {}).items():
        select[col] = (expr, select.get(col, ("", col))[1])
        froms.append(extra)
    for assoc, single in (("associations.companies", "company_id"),
                          ("associations.deals", "deal_id")):  # fmt: skip
        if assoc in select and single not in select:
            expr, label = select[assoc]
            select[single] = (f"nullif(trim(split_part({expr}, ';', 1)), '')", label)
    names = [select[p][0] for p in ("firstname", "lastname") if p in select]
    if obj == "owners" and names and "name" not in select:  # an owner's name is in two fields
        select["name"] = (f"nullif(trim(concat_ws(' ', {', '.join(names)})), '')", "firstName")
    date_cols = set(DATE_PROPERTIES) | set(dates)
    cols = ", ".join(
        f"{_epoch(expr) if prop in date_cols else expr} AS {q(prop)}"
        for prop, (expr, _) in select.items()
    )
    name = f"{PREFIX}raw_{SYSTEM}_{obj}_p"
    ctx.sql(
        f"CREATE OR REPLACE TEMP VIEW {q(name)} AS SELECT b.source_file, b.source_line, "
        f"b._file_no, {cols} FROM {q(raw.name)} b {' '.join(froms)}"
    )
    out = RawTable(SYSTEM, obj, name, {p: label for p, (_, label) in select.items()}, raw.files)
    needs = [(p, p if layout == "api" else exp if layout == "export" else ft)
             for p, exp, ft in REQUIRED.get(obj, ())]  # fmt: skip
    for prop, label in needs:
        if prop not in out.columns and (raw.files[0].rel.endswith(".csv") or raw.files[0].rows):
            ctx.missing_column(raw, label, f"{obj} need {', '.join(lb for _, lb in needs)}")
    return out


def read_object(ctx: LoadContext, obj: str, paths: list[Path]) -> RawTable | None:
    """Read one object's files as they are (CSV or JSON pages)."""
    if not paths:
        return None
    if paths[0].suffix.lower() == ".json":
        return read_pages(ctx, obj, paths)
    return ctx.read_object(SYSTEM, ObjectSpec(obj, ()), paths)
