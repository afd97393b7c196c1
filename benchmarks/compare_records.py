"""crossfoot's record comparison against datacompy, on the same matched pairs.

The step: once deals are matched to ERP documents, each won deal and its
primary document are compared field by field. crossfoot does it in the
``deal facts`` stage (engine/deal_facts.py), which builds each side from the
matched documents (the booking is the sum of the deal's orders, the product
lines of its document lines...) and compares them. The per-pair results of that
stage are, field by field:

- ``amount``: deal amount vs ERP booking, in cents, outside the tolerance
  (max(amount_abs, amount_rel × deal amount), ``within_tolerance_cents``);
- ``currency``: deal currency vs document currency;
- ``period``: the deal's close period vs the document's period;
- ``product_lines``: CRM product lines vs the document's (``pl_mismatch`` or
  ``pl_not_synced``);
- ``delivered``: CRM delivery status vs ERP shipment, for goods recognized at
  delivery (``stale``);
- ``cross_id``: the cross-system id stamped on one side only (``id_not_synced``).

datacompy gets the same pairs as two flat frames, one row per deal and side,
the columns above (exported from the same run, not timed: an advantage to
datacompy, which does not have to build the sides), joined on ``deal_id``
with the amount tolerance as its ``abs_tol`` / ``rel_tol``. Amounts are integer
cents on both sides. datacompy's tolerance is ``abs + rel × |crm|`` where
crossfoot's is ``max(abs, rel × |crm|)``: the two disagree only on a difference
between the two bounds, and the harness reports the per-field counts of both so
any disagreement shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from stages import prepared, timed

from crossfoot.config import Definitions
from crossfoot.engine.backend import DuckDBBackend
from crossfoot.engine.deal_facts import deal_facts
from crossfoot.engine.match_deals import within_tolerance_cents
from crossfoot.engine.periods import period_of
from crossfoot.engine.portable import sorted_join

FIELDS = ("amount", "currency", "period", "product_lines", "delivered", "cross_id")
#: the datacompy backends measured: a user on one machine picks pandas or Polars
DATACOMPY_BACKENDS = ("polars", "pandas")


def crossfoot_comparison(backend: DuckDBBackend, defs: Definitions) -> ir.Table:
    """The ``deal facts`` stage, then its per-pair result for each field (``record_comparison``)."""
    facts = deal_facts(backend, defs)
    f = facts.filter(facts.p_doc.notnull())
    tol = within_tolerance_cents(f.cents, defs)
    return backend.run_stage(
        "record_comparison",
        f.select(
            deal_id=f.deal_id,
            amount=(f.book_cents.fill_null(0) - f.cents).abs() > tol,
            currency=f.p_currency != f.currency,
            period=period_of(f.p_date, defs) != f.close_period,
            product_lines=f.pl_mismatch | f.pl_not_synced,
            delivered=f.stale,
            cross_id=f.id_not_synced,
        ),
    )


def mismatch_counts(comparison: ir.Table, backend: DuckDBBackend) -> dict[str, int]:
    """How many pairs differ on each field, from ``record_comparison``."""
    agg = comparison.aggregate(
        pairs=comparison.count(),
        **{k: comparison[k].fill_null(False).cast("int64").sum() for k in FIELDS},
    )
    row = backend.to_arrow(agg).to_pylist()[0]
    return {k: int(v or 0) for k, v in row.items()}


def sides(backend: DuckDBBackend, defs: Definitions) -> tuple[pa.Table, pa.Table]:
    """The CRM and ERP side of every compared pair, one row per deal (after the stage ran)."""
    facts = backend.table("deal_facts")
    f = facts.filter(facts.p_doc.notnull())
    pls = backend.table("deal_product_lines")

    def listed(side: str) -> ir.Table:
        t = pls.filter(pls.side == side)
        return t.group_by("deal_id").aggregate(pl=lambda g: sorted_join(g.product_line, ";"))

    delivered = [v.lower() for v in defs.delivered_values]
    if "delivery_date" in defs.crm.fields:
        crm_delivered = f.delivery_date.notnull()
    else:
        crm_delivered = f.delivery_status.lower().strip().isin(delivered).fill_null(False)
    at_delivery = f.has_delivery_rule.fill_null(False)
    no_flag = ibis.null("boolean")
    crm = f.select(
        deal_id=f.deal_id,
        amount=f.cents,
        currency=f.currency,
        period=f.close_period,
        delivered=ibis.ifelse(at_delivery, crm_delivered, no_flag),
        cross_id=f.erp_ref.notnull(),
    )
    erp = f.select(
        deal_id=f.deal_id,
        amount=f.book_cents.fill_null(0),
        currency=f.p_currency,
        period=period_of(f.p_date, defs),
        delivered=ibis.ifelse(at_delivery, f.erp_shipped.fill_null(False), no_flag),
        cross_id=f.p_ref.notnull(),
    )
    out = []
    for side, t in (("crm", crm), ("erp", erp)):
        lst = listed(side)
        j = t.left_join(lst, "deal_id").drop("deal_id_right").rename(product_lines="pl")
        out.append(backend.to_arrow(j.select("deal_id", *FIELDS).order_by("deal_id")))
    return out[0], out[1]


def datacompy_comparison(crm: Any, erp: Any, backend: str, defs: Definitions) -> dict[str, int]:
    """datacompy on the two sides: per-pair matches, then the mismatches per field."""
    import datacompy

    compare = datacompy.PolarsCompare if backend == "polars" else datacompy.PandasCompare
    c = compare(
        erp,
        crm,
        join_columns="deal_id",
        df1_name="erp",
        df2_name="crm",
        abs_tol={"amount": int(defs.tolerances.amount_abs * 100)},
        rel_tol={"amount": float(defs.tolerances.amount_rel)},
    )
    rows = c.intersect_rows
    counts = {k: int((~rows[f"{k}_match"]).sum()) for k in FIELDS}
    counts["pairs"] = len(rows)
    return counts


def frames(crm: pa.Table, erp: pa.Table, backend: str) -> tuple[Any, Any]:
    """The two sides as the frames datacompy's ``backend`` compares."""
    if backend == "polars":
        import polars as pl

        return pl.from_arrow(crm), pl.from_arrow(erp)
    return crm.to_pandas(), erp.to_pandas()


def flat_comparison(backend: DuckDBBackend, defs: Definitions) -> ir.Table:
    """The same comparison in crossfoot's engine (Ibis on DuckDB) over the flat sides.

    A reference point, not crossfoot's code path: what comparing alone costs in the
    engine when, as for datacompy, the two sides are already built (tables
    ``flat_crm`` and ``flat_erp``). Nulls on both sides are equal, as in datacompy.
    """
    c, e = backend.table("flat_crm"), backend.table("flat_erp")
    j = c.join(e, "deal_id")
    tol = within_tolerance_cents(j.amount, defs)
    flags = j.select(
        deal_id=j.deal_id,
        amount=(j.amount_right - j.amount).abs() > tol,
        **{k: ~j[k].identical_to(j[f"{k}_right"]) for k in FIELDS[1:]},
    )
    return backend.run_stage("flat_comparison", flags)


def measure_records(folder: Path, repeats: int = 3) -> dict[str, Any]:
    """Both comparisons on the company in ``folder``: times, and the mismatches each found."""
    backend, defs = prepared(folder, "deal facts")
    try:
        comparison, cold, warm = timed(lambda: crossfoot_comparison(backend, defs), repeats)
        ours = mismatch_counts(comparison, backend)
        crm, erp = sides(backend, defs)
        backend.load_arrow(crm, "flat_crm")
        backend.load_arrow(erp, "flat_erp")
        flat_table, flat_cold, flat_warm = timed(lambda: flat_comparison(backend, defs), repeats)
        flat = mismatch_counts(flat_table, backend)
    finally:
        backend.close()
    out: dict[str, Any] = {
        "pairs": ours["pairs"],
        "crossfoot": {"cold_s": cold, "warm_s": warm, "mismatches": ours},
        "engine_flat": {"cold_s": flat_cold, "warm_s": flat_warm, "mismatches": flat},
    }
    for name in DATACOMPY_BACKENDS:
        left, right = frames(crm, erp, name)
        theirs, cold, warm = timed(
            lambda left=left, right=right, name=name: datacompy_comparison(left, right, name, defs),
            repeats,
        )
        out[f"datacompy_{name}"] = {"cold_s": cold, "warm_s": warm, "mismatches": theirs}
    others = ["engine_flat", *(f"datacompy_{n}" for n in DATACOMPY_BACKENDS)]
    out["agree"] = all(out[k]["mismatches"] == ours for k in others)
    return out
