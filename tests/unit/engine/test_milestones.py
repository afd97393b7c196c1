"""The milestones rule: percentages at named events, dates from the CRM or the ERP."""

from __future__ import annotations

from datetime import date
from typing import Any

import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossfoot.config import Definitions
from crossfoot.engine.backend import DuckDBBackend
from crossfoot.engine.milestones import milestone_pending, milestone_schedule
from crossfoot.errors import ConfigError
from crossfoot.model.schema import MILESTONE_EVENT
from tests.unit.engine.conftest import make_defs

KEYS = ("deal_id", "line_id", "product_line", "rule")
RULE = {
    "rule": "milestones",
    "milestones": [{"event": "kickoff", "percent": 30}, {"event": "go_live", "percent": 70}],
}


def defs(**rule: Any) -> Definitions:
    return make_defs(
        product_lines={"Implementation": {**RULE, **rule}},
        crm={"system": "salesforce", "source": "crm",
             "fields": {"event.kickoff": "Opportunity.Kickoff__c"}},
        erp={"system": "netsuite", "source": "erp",
             "fields": {"event.go_live": "transactionline.custcol_go_live"}},
    )  # fmt: skip


def setup(backend: DuckDBBackend, events: list[tuple[str, str, str, date]]) -> ibis.Table:
    rows = [
        {"side": s, "record_id": r, "event": e, "date": d, "source_system": "t",
         "source_file": "f.csv", "source_line": i}
        for i, (s, r, e, d) in enumerate(events, start=2)
    ]  # fmt: skip
    backend.load_arrow(
        pa.Table.from_pylist(rows, schema=MILESTONE_EVENT.to_pyarrow()), "milestone_event"
    )
    doc_deal = pa.table({"doc_id": ["SO1", "INV1", "SO9"], "deal_id": ["D1", "D1", None]})
    backend.load_arrow(doc_deal, "doc_deal")
    lines = [
        {"deal_id": "D1", "line_id": "L1", "product_line": "Implementation", "rule": "milestones",
         "alloc_cents": 1_000_001},
        {"deal_id": "D2", "line_id": "L2", "product_line": "Implementation", "rule": "milestones",
         "alloc_cents": 50_000},
    ]  # fmt: skip
    return ibis.memtable(lines)


def test_each_milestone_is_recognized_on_its_events_date(backend: DuckDBBackend) -> None:
    lv = setup(
        backend,
        [
            ("crm", "D1", "kickoff", date(2026, 2, 3)),
            ("erp", "INV1", "go_live", date(2026, 5, 20)),  # on the deal's invoice
            (
                "erp",
                "SO1",
                "go_live",
                date(2026, 5, 28),
            ),  # a later date on its order: earliest wins
            ("erp", "SO9", "go_live", date(2026, 1, 1)),  # a document of no deal
        ],
    )
    out = backend.to_arrow(milestone_schedule(backend, defs(), lv, KEYS).order_by("date"))
    got = [(r["deal_id"], r["date"], r["cents"]) for r in out.to_pylist()]
    # 10,000.01 x 30% = 3,000.003 and x 70% = 7,000.007: the cent goes to the larger remainder
    assert got == [("D1", date(2026, 2, 3), 300_000), ("D1", date(2026, 5, 20), 700_001)]


def test_a_milestone_without_a_date_stays_deferred_and_is_listed(backend: DuckDBBackend) -> None:
    lv = setup(backend, [("crm", "D2", "kickoff", date(2026, 3, 1))])
    done = backend.to_arrow(milestone_schedule(backend, defs(), lv, KEYS)).to_pylist()
    assert [(r["deal_id"], r["cents"]) for r in done] == [("D2", 15_000)]
    pending = backend.to_arrow(milestone_pending(backend, defs(), lv)).to_pylist()
    assert [(r["deal_id"], r["event"], r["cents"]) for r in pending] == [
        ("D1", "go_live", 700_001), ("D1", "kickoff", 300_000), ("D2", "go_live", 35_000)
    ]  # fmt: skip


def test_the_crm_date_wins_over_the_erp_date(backend: DuckDBBackend) -> None:
    lv = setup(
        backend,
        [("crm", "D1", "go_live", date(2026, 6, 1)), ("erp", "SO1", "go_live", date(2026, 5, 1))],
    )
    out = backend.to_arrow(milestone_schedule(backend, defs(), lv, KEYS)).to_pylist()
    assert [r["date"] for r in out] == [date(2026, 6, 1)]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"milestones": [{"event": "kickoff", "percent": 30}]}, "add up to 30, not 100"),
        ({"milestones": [{"event": "kickoff", "percent": 50}, {"event": "kickoff", "percent": 50}]},
         "named twice"),
        ({"milestones": [{"event": "kickoff", "percent": 40}, {"event": "sign_off", "percent": 60}]},
         "milestone event 'sign_off' has no date field: map it as event.sign_off"),
    ],
)  # fmt: skip
def test_milestone_rules_are_validated(rule: dict[str, Any], message: str) -> None:
    with pytest.raises((ValueError, ConfigError), match=message):
        defs(**rule)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=9_000), min_size=1, max_size=5),
    st.integers(min_value=-(10**9), max_value=10**9),
)
def test_milestone_pieces_sum_to_the_line(weights: list[int], cents: int) -> None:
    # percentages in hundredths that add up to exactly 100%
    total = sum(weights)
    hundredths = [w * 10_000 // total for w in weights]
    hundredths[-1] += 10_000 - sum(hundredths)
    if min(hundredths) <= 0:
        return
    milestones = [
        {"event": f"e{i}", "percent": f"{h // 100}.{h % 100:02d}"} for i, h in enumerate(hundredths)
    ]
    d = make_defs(
        product_lines={"Implementation": {"rule": "milestones", "milestones": milestones}},
        crm={"system": "salesforce", "source": "crm",
             "fields": {f"event.e{i}": f"Opportunity.E{i}__c" for i in range(len(hundredths))}},
    )  # fmt: skip
    backend = DuckDBBackend()
    try:
        lv = setup(
            backend, [("crm", "D1", f"e{i}", date(2026, 1, 1 + i)) for i in range(len(hundredths))]
        )
        lv = lv.filter(lv.deal_id == "D1").mutate(alloc_cents=ibis.literal(cents, "int64"))
        out = backend.to_arrow(milestone_schedule(backend, d, lv, KEYS)).to_pylist()
        assert sum(r["cents"] for r in out) == cents
        assert len(out) == len(hundredths)
    finally:
        backend.close()
