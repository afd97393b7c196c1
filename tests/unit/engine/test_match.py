"""Matching (SPEC §5): accounts ↔ customers, deals ↔ document chains."""

from __future__ import annotations

import ibis

from crossfoot.engine.backend import DuckDBBackend
from crossfoot.engine.match_accounts import match_accounts
from crossfoot.engine.match_deals import match_deals
from crossfoot.engine.names import normalized_name, plain_python
from tests.unit.engine.canonical import d, load, m
from tests.unit.engine.conftest import make_defs

DEFS = make_defs()


def rows(b: DuckDBBackend, name: str, *cols: str) -> set[tuple[object, ...]]:
    return {tuple(r[c] for c in cols) for r in b.to_arrow(b.table(name)).to_pylist()}


def test_names_normalize_legal_forms_case_punctuation_and_accents(backend: DuckDBBackend) -> None:
    names = ["ACME Robotics, Inc.", "Acme Robotics Inc", "Acmé Robotics GmbH", "acme robotics LLC",
             "Société Générale S.A.", "Blue Sky Co., Ltd.", "AG", "Fukezobus BV", "Fukezobus B.V.",
             "Łódź Dźwig Sp. z o.o.", "Nutobabas Is"]  # fmt: skip
    t = ibis.memtable({"n": names})
    got = backend.to_arrow(t.select(x=normalized_name(t.n)))["x"].to_pylist()
    assert got == ["acme robotics"] * 4 + ["societe generale", "blue sky", "ag"] + [
        "fukezobus", "fukezobus", "lodz dzwig", "nutobabas is"
    ]  # fmt: skip
    assert [plain_python(n) for n in names] == got


def test_accounts_match_by_id_then_name_then_fuzzy_and_cluster_variants(
    backend: DuckDBBackend,
) -> None:
    load(backend, {
        "account": [
            {"account_id": "A1", "name": "Acme Robotics", "erp_customer_ref": "C1"},
            {"account_id": "A2", "name": "Globex Corporation"},
            {"account_id": "A3", "name": "Initech Systms", "domain": "initech.com"},
            {"account_id": "A4", "name": "Umbrella"},
        ],
        "customer": [
            {"customer_id": "C1", "name": "ACME Robotics, Inc."},
            {"customer_id": "C2", "name": "Globex Corp."},
            {"customer_id": "C3", "name": "Initech Systems LLC", "domain": "initech.com"},
            {"customer_id": "C4", "name": "Acme Robotics GmbH"},  # a duplicate of C1
            {"customer_id": "C5", "name": "Hooli"},
        ],
    })  # fmt: skip
    match_accounts(backend, DEFS)
    links = rows(backend, "account_customer", "account_id", "customer_id", "method")
    assert ("A1", "C1", "id") in links
    assert ("A2", "C2", "rule") in links
    assert ("A3", "C3", "fuzzy") in links
    assert not any(a == "A4" for a, _, _ in links)
    clusters = dict(rows(backend, "customer_cluster", "customer_id", "cluster_id"))
    assert clusters["C1"] == clusters["C4"] == "C1"
    assert len({clusters[c] for c in ("C1", "C2", "C3", "C5")}) == 4


def test_deals_match_chains_by_id_and_by_rule(backend: DuckDBBackend) -> None:
    load(backend, {
        "account": [{"account_id": "A1", "name": "Acme", "erp_customer_ref": "C1"}],
        "customer": [{"customer_id": "C1", "name": "Acme"}],
        "deal": [
            {"deal_id": "D1", "account_id": "A1", "stage": "Closed Won", "close_date": d("2026-03-10"),
             "amount": m("1000.00"), "currency": "USD", "erp_ref": "SO1"},
            {"deal_id": "D2", "account_id": "A1", "stage": "Closed Won", "close_date": d("2026-06-01"),
             "amount": m("5000.00"), "currency": "USD"},
            {"deal_id": "D3", "account_id": "A1", "stage": "Closed Lost", "close_date": d("2026-06-02"),
             "amount": m("5000.00"), "currency": "USD"},
        ],
        "document": [
            {"doc_id": "SO1", "doc_type": "order", "customer_id": "C1", "date": d("2026-03-10"),
             "currency": "USD", "amount": m("1000.00")},
            {"doc_id": "INV1", "doc_type": "invoice", "customer_id": "C1", "date": d("2026-03-31"),
             "currency": "USD", "amount": m("1000.00"), "created_from": "SO1"},
            {"doc_id": "CM1", "doc_type": "credit_memo", "customer_id": "C1", "date": d("2026-04-15"),
             "currency": "USD", "amount": m("-100.00"), "created_from": "INV1"},
            # no ids: same customer, amount within 0.5 %, 3 days after close -> D2 (D3 is lost)
            {"doc_id": "SO2", "doc_type": "order", "customer_id": "C1", "date": d("2026-06-04"),
             "currency": "USD", "amount": m("4990.00")},
            # amount far off: no deal
            {"doc_id": "SO3", "doc_type": "order", "customer_id": "C1", "date": d("2026-06-04"),
             "currency": "USD", "amount": m("7000.00")},
        ],
    })  # fmt: skip
    match_accounts(backend, DEFS)
    match_deals(backend, DEFS)
    got = rows(backend, "doc_deal", "doc_id", "root_id", "deal_id", "method")
    assert got == {
        ("SO1", "SO1", "D1", "id"),
        ("INV1", "SO1", "D1", "id"),
        ("CM1", "SO1", "D1", "id"),
        ("SO2", "SO2", "D2", "rule"),
        ("SO3", "SO3", None, None),
    }
