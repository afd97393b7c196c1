"""A hypothesis strategy for small random companies, as canonical tables."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

PRODUCT_LINES = ["Subscription", "Support", "Services", "Hardware", "Other", None]
STAGES = ["Closed Won", "Pending", "Closed Lost", "Negotiation"]
Tables = dict[str, list[dict[str, Any]]]

money = st.integers(min_value=1, max_value=5_000_000).map(lambda c: Decimal(c).scaleb(-2))
days = st.integers(min_value=0, max_value=364).map(lambda n: date(2026, 1, 1) + timedelta(days=n))


@st.composite
def companies(draw: st.DrawFn) -> Tables:
    n_acc = draw(st.integers(1, 3))
    t: Tables = {
        k: []
        for k in (
            "account",
            "customer",
            "deal",
            "deal_line",
            "document",
            "document_line",
            "revenue",
            "fx_rate",
        )
    }
    names = ["Acme Robotics", "Globex", "Initech", "Umbrella"]
    for i in range(n_acc):
        linked = draw(st.booleans())
        t["account"].append(
            {
                "account_id": f"A{i}",
                "name": names[i],
                "erp_customer_ref": f"C{i}" if linked else None,
            }
        )
        variant = draw(st.sampled_from(["", " Inc", ", LLC", " GmbH"]))
        t["customer"].append({"customer_id": f"C{i}", "name": names[i].upper() + variant})
    for d in (date(2025, 12, 1), date(2026, 3, 1), date(2026, 8, 1)):
        t["fx_rate"].append(
            {
                "date": d,
                "from_currency": "EUR",
                "to_currency": "USD",
                "rate": draw(st.decimals(Decimal("0.9"), Decimal("1.3"), places=6)),
            }
        )
    n_deals = draw(st.integers(0, 6))
    doc_no = 0
    for k in range(n_deals):
        acc = draw(st.integers(0, n_acc - 1))
        cur = draw(st.sampled_from(["USD", "USD", "EUR"]))
        close = draw(days)
        n_lines = draw(st.integers(0, 3))
        amounts = [draw(money) for _ in range(n_lines)]
        deal_amount = sum(amounts, Decimal(0)) if amounts and draw(st.booleans()) else draw(money)
        t["deal"].append(
            {
                "deal_id": f"D{k}",
                "account_id": f"A{acc}",
                "name": f"Deal {k}",
                "stage": draw(st.sampled_from(STAGES)),
                "close_date": close,
                "amount": deal_amount,
                "currency": cur,
                "delivery_status": draw(st.sampled_from([None, "Delivered", "Pending"])),
                "erp_ref": None,
            }
        )
        for j, a in enumerate(amounts):
            start = close if draw(st.booleans()) else None
            t["deal_line"].append(
                {
                    "line_id": f"D{k}L{j}",
                    "deal_id": f"D{k}",
                    "product_line": draw(st.sampled_from(PRODUCT_LINES)),
                    "amount": a,
                    "service_start": start,
                    "service_end": start + timedelta(days=draw(st.integers(0, 400)))
                    if start
                    else None,
                }
            )
        for _ in range(draw(st.integers(0, 2))):
            doc_no += 1
            doc_id = f"N{doc_no}"
            dtype = draw(st.sampled_from(["order", "invoice", "credit_memo"]))
            amt = deal_amount if draw(st.booleans()) else draw(money)
            amt = -amt if dtype == "credit_memo" else amt
            t["document"].append(
                {
                    "doc_id": doc_id,
                    "doc_type": dtype,
                    "number": doc_id,
                    "customer_id": f"C{acc}",
                    "date": close + timedelta(days=draw(st.integers(-3, 20))),
                    "currency": cur,
                    "amount": amt,
                    "exchange_rate": draw(st.sampled_from([None, Decimal("1.1")]))
                    if cur == "EUR"
                    else None,
                    "crm_deal_ref": f"D{k}" if draw(st.booleans()) else None,
                    "created_from": None,
                }
            )
            t["document_line"].append(
                {
                    "doc_id": doc_id,
                    "line_id": f"{doc_id}-1",
                    "amount": amt,
                    "product_line": draw(st.sampled_from(PRODUCT_LINES)),
                    "fulfilled_on": draw(st.sampled_from([None, close + timedelta(days=5)])),
                }
            )
    doc_ids = [d["doc_id"] for d in t["document"]] + ["UNKNOWN"]
    for _ in range(draw(st.integers(0, 10))):
        doc = draw(st.sampled_from(doc_ids))
        cur = next((d["currency"] for d in t["document"] if d["doc_id"] == doc), "USD")
        amount = draw(money)
        t["revenue"].append(
            {
                "date": draw(days),
                "amount": -amount if draw(st.integers(0, 5)) == 0 else amount,
                "currency": cur,
                "doc_id": doc,
                "product_line": draw(st.sampled_from(PRODUCT_LINES)),
            }
        )
    return t
