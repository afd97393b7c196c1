"""Expressions that Ibis compiles differently per backend, written once so they agree.

Each helper exists because the obvious Ibis spelling either does not compile on
one backend or means something else there.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir


def sorted_join(values: ir.StringColumn, sep: str) -> ir.StringScalar:
    """The group's non-null values, sorted and joined by ``sep``; null for none.

    ``group_concat(order_by=...)`` does not compile for Spark (its ``collect_list``
    has no order), so collect, sort and join: the same text on every backend.
    """
    items = values.collect()
    # an empty group collects [] on Spark and NULL on DuckDB: both become NULL,
    # as group_concat gives
    return ibis.ifelse(items.length() > 0, items.sort().join(sep), ibis.null("string"))
