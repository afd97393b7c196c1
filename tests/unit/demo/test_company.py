"""The demo company: deterministic, in the documented formats, and labelled exactly.

The consistency tests re-read the written files (not the generator's objects) and
check, like a small independent reconciler, that every deal without a label
agrees with NetSuite to the cent and that every label describes what is there.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from cleanco import basename
from hypothesis import given
from hypothesis import strategies as st

from crossfoot.causes import CAUSE_CODES
from crossfoot.config import load_definitions
from crossfoot.demo import DemoCompany, generate
from crossfoot.demo import schedule_oracle as oracle
from crossfoot.demo.company import per_cause
from crossfoot.demo.names import jaro_winkler, strip_accents
from crossfoot.demo.writers import NETSUITE_COLUMNS, SALESFORCE_COLUMNS

DEMO_SRC = Path(__file__).parents[3] / "src" / "crossfoot" / "demo"
D = Decimal


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoCompany:
    return generate(tmp_path_factory.mktemp("demo"))


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _sf(root: Path, obj: str) -> list[dict[str, str]]:
    with (root / "data" / "salesforce" / f"{obj}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _ns(root: Path, table: str) -> list[dict[str, str]]:
    folder = root / "data" / "netsuite"
    if (folder / f"{table}.csv").exists():
        with (folder / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
            return [{k: v for k, v in row.items() if v != ""} for row in csv.DictReader(fh)]
    pages = sorted(folder.glob(f"{table}.*.json"), key=lambda p: int(p.name.split(".")[1]))
    return [item for p in pages for item in json.loads(p.read_text(encoding="utf-8"))["items"]]


def _ns_date(s: str) -> date:
    return datetime.strptime(s, "%m/%d/%Y").date()


def _norm(name: str) -> str:
    return re.sub(r"[^\w ]", "", basename(strip_accents(name)).casefold()).strip()


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    generate(tmp_path / "a", n_deals=200)
    generate(tmp_path / "b", n_deals=200)
    generate(tmp_path / "c", n_deals=200, seed=8)
    a, b, c = (_hashes(tmp_path / x) for x in "abc")
    assert a == b
    assert a.keys() == c.keys()
    static = {
        "crossfoot.yaml",
        "data/netsuite/classification.1.json",
        "data/netsuite/item.1.json",
        "data/salesforce/Product2.csv",
        "data/salesforce/User.csv",
    }
    assert {k for k in a if a[k] == c[k]} == static
    with pytest.raises(ValueError, match="n_deals"):
        generate(tmp_path / "d", n_deals=10)


def test_definitions_load_and_fx_rates_cover_every_day(demo: DemoCompany) -> None:
    defs = load_definitions(demo.definitions)
    assert defs.reporting.as_of == date(2026, 12, 31)
    assert set(defs.product_lines) == {"Subscription", "Support", "Hardware", "Services"}
    assert defs.path(defs.crm.source).is_dir() and defs.path(defs.erp.source).is_dir()
    assert defs.stage_class("Closed Won - Pending Signature") == "won_not_booked"
    with defs.path(defs.fx_rates or "").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2 * ((date(2027, 1, 31) - date(2025, 12, 1)).days + 1)  # every day
    assert {(r["from_currency"], r["to_currency"]) for r in rows} == {
        ("EUR", "USD"),
        ("GBP", "USD"),
    }
    assert all(re.fullmatch(r"\d\.\d{6}", r["rate"]) for r in rows)


def test_salesforce_files_are_data_loader_csv(demo: DemoCompany) -> None:
    for obj, columns in SALESFORCE_COLUMNS.items():
        raw = (demo.root / "data" / "salesforce" / f"{obj}.csv").read_bytes()
        assert raw.count(b"\r\n") == raw.count(b"\n")  # CRLF only
        rows = _sf(demo.root, obj)
        assert tuple(rows[0]) == columns
        assert len(rows) == demo.counts[f"salesforce/{obj}"]
    for opp in _sf(demo.root, "Opportunity"):
        date.fromisoformat(opp["CloseDate"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000", opp["LastModifiedDate"])
        assert re.fullmatch(r"\d+\.\d\d", opp["Amount"])
        assert opp["IsWon"] in ("true", "false")
    assert len(_sf(demo.root, "Account")) * 3 == len(_sf(demo.root, "Opportunity"))


def test_netsuite_pages_are_suiteql(demo: DemoCompany) -> None:
    folder = demo.root / "data" / "netsuite"
    date_columns = {
        "trandate",
        "createddate",
        "actualshipdate",
        "custcol_rev_start",
        "custcol_rev_end",
    }
    for table, columns in NETSUITE_COLUMNS.items():
        pages = sorted(folder.glob(f"{table}.*.json"), key=lambda p: int(p.name.split(".")[1]))
        total = demo.counts[f"netsuite/{table}"]
        assert len(pages) == max(1, -(-total // 1000))
        for n, path in enumerate(pages):
            body = json.loads(path.read_text(encoding="utf-8"))
            assert list(body) == ["links", "count", "hasMore", "items", "offset", "totalResults"]
            assert (body["offset"], body["totalResults"]) == (n * 1000, total)
            assert body["count"] == len(body["items"]) and body["hasMore"] == (n < len(pages) - 1)
            for item in body["items"]:
                assert set(item) <= set(columns) and all(isinstance(v, str) for v in item.values())
                for key in date_columns & set(item):
                    _ns_date(item[key])
                for key in ("mainline", "taxline"):
                    assert item.get(key, "F") in ("T", "F")


def test_csv_erp_format_holds_the_same_rows(demo: DemoCompany, tmp_path: Path) -> None:
    other = generate(tmp_path, erp_format="csv")
    for table, columns in NETSUITE_COLUMNS.items():
        with (tmp_path / "data" / "netsuite" / f"{table}.csv").open(encoding="utf-8") as fh:
            assert tuple(next(csv.reader(fh))) == columns
        assert _ns(tmp_path, table) == _ns(demo.root, table)
    assert other.labels == demo.labels


def test_every_cause_is_labelled(demo: DemoCompany) -> None:
    counts = demo.cause_counts()
    assert set(counts) == set(CAUSE_CODES)
    # drift is a product line's rule, so it touches every booked Support deal the ERP has
    drift = counts.pop("definition_drift")
    assert drift > per_cause(360), drift
    assert all(n == per_cause(360) >= 5 for n in counts.values()), counts
    with (demo.root / "labels.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(demo.labels) == demo.counts["labels"]
    assert list(rows[0]) == ["cause", "crm_record_id", "erp_record_id", "period", "note"]
    deals = [
        x.crm_record_id
        for x in demo.labels
        if x.crm_record_id.startswith("006") and x.cause != "definition_drift"
    ]
    assert len(deals) == len(set(deals))  # one injected cause per deal, besides drift


def test_company_names_are_distinct_and_not_near_duplicates(demo: DemoCompany) -> None:
    assert round(jaro_winkler("martha", "marhta"), 3) == 0.961  # the textbook values
    assert round(jaro_winkler("dixon", "dicksonx"), 3) == 0.813
    accounts = _sf(demo.root, "Account")
    names = sorted({_norm(a["Name"]) for a in accounts})
    assert len(names) == len(accounts)
    assert len({n.split()[0] for n in names}) == len(names)
    worst = max(jaro_winkler(a, b) for i, a in enumerate(names) for b in names[i + 1 :])
    assert worst < 0.88
    by_name = {_norm(a["Name"]): a["Id"] for a in accounts}
    for customer in _ns(demo.root, "customer"):
        assert _norm(customer["companyname"]) in by_name


class _Files:
    """The demo's files, indexed like a small reconciler would."""

    def __init__(self, root: Path) -> None:
        self.defs = load_definitions(root / "crossfoot.yaml")
        self.opps = {o["Id"]: o for o in _sf(root, "Opportunity")}
        self.accounts = {a["Id"]: a for a in _sf(root, "Account")}
        family = {p["Id"]: p["Family"] for p in _sf(root, "Product2")}
        self.lines = defaultdict(list)
        for line in _sf(root, "OpportunityLineItem"):
            self.lines[line["OpportunityId"]].append({**line, "Family": family[line["Product2Id"]]})
        self.customers = {c["id"]: c for c in _ns(root, "customer")}
        self.txns = {t["id"]: t for t in _ns(root, "transaction")}
        self.classes = {c["id"]: c["name"] for c in _ns(root, "classification")}
        self.tlines = defaultdict(list)
        for line in _ns(root, "transactionline"):
            self.tlines[line["transaction"]].append(line)
        self.revenue: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(D))
        for r in _ns(root, "revenue"):
            self.revenue[r["transactionline"]][_ns_date(r["trandate"])] += D(r["amount"])
        with (root / "data" / "fx_rates.csv").open(encoding="utf-8") as fh:
            self.fx = {(r["from_currency"], r["date"]): D(r["rate"]) for r in csv.DictReader(fh)}
        with (root / "labels.csv").open(encoding="utf-8", newline="") as fh:
            self.labels = list(csv.DictReader(fh))

    def items(self, txn_id: str) -> list[dict[str, str]]:
        return [x for x in self.tlines[txn_id] if x["mainline"] == "F" and x["taxline"] == "F"]

    def total(self, txn_id: str) -> Decimal:
        return -sum((D(x["netamount"]) for x in self.items(txn_id)), D(0))

    def expected(self, opp: dict[str, str], line: dict[str, str], ship: str | None) -> dict:
        """The CRM side of one line under the ERP's rules, up to as_of: the definitions
        (SPEC §4), except Support, which the ERP recognizes monthly (the injected drift)."""
        rule = self.defs.product_lines[line["Family"]]
        amount, close = D(line["TotalPrice"]), date.fromisoformat(opp["CloseDate"])
        if rule.rule == "ratable":
            daily = rule.convention == "daily" and line["Family"] != "Support"
            spread = oracle.daily if daily else oracle.monthly
            start, end = date.fromisoformat(line["ServiceDate"]), line["Service_End_Date__c"]
            sched = spread(amount, start, date.fromisoformat(end))
        elif rule.at == "close":
            sched = oracle.point_in_time(amount, close)
        else:
            sched = oracle.point_in_time(amount, _ns_date(ship)) if ship else []
        return dict(oracle.until(sched, date(2026, 12, 31)))


@pytest.fixture(scope="module")
def files(demo: DemoCompany) -> _Files:
    return _Files(demo.root)


def test_deals_without_a_label_agree_with_netsuite_to_the_cent(files: _Files) -> None:
    labelled = {x["crm_record_id"] for x in files.labels if x["cause"] != "definition_drift"}
    by_opp = defaultdict(list)
    for t in files.txns.values():
        if t["type"] == "SalesOrd":
            by_opp[t.get("custbody_sf_opportunity_id")].append(t)
    unlinked_orders = {
        (_norm(files.customers[t["entity"]]["companyname"]), t["trandate"], files.total(t["id"])): t
        for t in by_opp[None]
    }
    checked = by_rule = 0
    for opp in files.opps.values():
        if files.defs.stage_class(opp["StageName"]) != "won" or opp["Id"] in labelled:
            assert opp["Id"] in labelled or not by_opp[opp["Id"]]
            continue
        if opp["NetSuite_Sales_Order__c"]:
            (so,) = by_opp[opp["Id"]]
            assert so["id"] == opp["NetSuite_Sales_Order__c"]
        else:  # matched by rule: same customer, same amount, same date
            close = date.fromisoformat(opp["CloseDate"])
            name = _norm(files.accounts[opp["AccountId"]]["Name"])
            so = unlinked_orders.pop(
                (name, f"{close.month}/{close.day}/{close.year}", D(opp["Amount"]))
            )
            by_rule += 1
        assert _ns_date(so["trandate"]).isoformat() == opp["CloseDate"]
        assert so["currency"] == opp["CurrencyIsoCode"]
        rate = files.fx.get((opp["CurrencyIsoCode"], opp["CloseDate"]), D(1))
        assert D(so["exchangerate"]) == rate
        crm_lines = sorted(files.lines[opp["Id"]], key=lambda x: x["TotalPrice"])
        erp_lines = sorted(files.items(so["id"]), key=lambda x: x["netamount"][1:])
        assert len(crm_lines) == len(erp_lines)
        assert sum(D(x["TotalPrice"]) for x in crm_lines) == D(opp["Amount"])
        for crm, erp in zip(crm_lines, erp_lines, strict=True):
            assert D(crm["TotalPrice"]) == -D(erp["netamount"])
            assert files.classes[erp["class"]] == crm["Family"]
            ship = erp.get("actualshipdate")
            if crm["Family"] == "Hardware":
                assert opp["Delivery_Status__c"] == ("Delivered" if ship else "Pending")
            assert files.revenue.get(erp["id"], {}) == files.expected(opp, crm, ship)
        checked += 1
    assert checked > 150 and by_rule >= 5
    missing_in_crm = {x["erp_record_id"] for x in files.labels if x["cause"] == "missing_in_crm"}
    assert {t["id"] for t in unlinked_orders.values()} == missing_in_crm


def test_rule_matching_is_never_ambiguous(files: _Files) -> None:
    deals = defaultdict(list)
    for opp in files.opps.values():
        deals[opp["AccountId"]].append((D(opp["Amount"]), date.fromisoformat(opp["CloseDate"])))
    for same_account in deals.values():
        for i, (a, d) in enumerate(same_account):
            for b, e in same_account[i + 1 :]:
                near = abs(a - b) <= max(D("1.00"), D("0.005") * max(a, b))
                assert not (near and abs((d - e).days) <= 45)


def test_each_label_describes_its_records(files: _Files) -> None:
    for x in files.labels:
        cause, opp = x["cause"], files.opps.get(x["crm_record_id"], {})
        txn = files.txns.get(x["erp_record_id"], {})
        lines = files.items(txn["id"]) if txn else []
        if opp:
            assert files.defs.stage_class(opp["StageName"]) == "won"
            assert x["period"] == opp["CloseDate"][:7]
        if cause == "missing_in_erp":
            assert not opp["NetSuite_Sales_Order__c"] and not x["erp_record_id"]
            refs = {t.get("custbody_sf_opportunity_id") for t in files.txns.values()}
            assert opp["Id"] not in refs
        elif cause == "missing_in_crm":
            assert "custbody_sf_opportunity_id" not in txn
            assert any(files.revenue[y["id"]] for y in lines)
        elif cause == "duplicate_in_erp":
            assert txn["custbody_sf_opportunity_id"] == opp["Id"] != ""
            assert txn["id"] != opp["NetSuite_Sales_Order__c"]
            assert files.total(txn["id"]) == files.total(opp["NetSuite_Sales_Order__c"])
        elif cause == "duplicate_customer":
            first, second = (files.customers[i] for i in x["erp_record_id"].split(";"))
            assert _norm(first["companyname"]) == _norm(second["companyname"])
            assert first["companyname"] != second["companyname"] and not x["period"]
        elif cause == "erp_adjustment_not_in_crm":
            assert txn["type"] == "CustCred" and txn["custbody_sf_opportunity_id"] == opp["Id"]
            assert all(
                D(y["netamount"]) > 0 and sum(files.revenue[y["id"]].values()) < 0 for y in lines
            )
        elif cause == "amount_mismatch":
            ratio = abs(files.total(txn["id"]) / D(opp["Amount"]) - 1)
            assert D("0.029") < ratio < D("0.151")
        elif cause == "sync_timing_gap":
            so_date, close = _ns_date(txn["trandate"]), date.fromisoformat(opp["CloseDate"])
            assert 2 <= (so_date - close).days <= 5 and so_date.month != close.month
        elif cause == "product_line_mismatch":
            assert [files.classes[y["class"]] for y in lines] == ["Subscription"]
            assert [y["Family"] for y in files.lines[opp["Id"]]] == ["Services"]
        elif cause == "field_not_synced":
            assert [y.get("class") for y in lines] == [None]
        elif cause == "stale_delivery_status":
            shipped = "actualshipdate" in lines[0]
            assert opp["Delivery_Status__c"] == ("Pending" if shipped else "Delivered")
        elif cause == "fx_difference":
            assert D(txn["exchangerate"]) != files.fx[opp["CurrencyIsoCode"], opp["CloseDate"]]
            assert files.total(txn["id"]) == D(opp["Amount"])
        elif cause == "unmapped_product_rule":
            assert "Data Add-on" in [files.classes[y["class"]] for y in lines]


def test_money_is_exact(files: _Files) -> None:
    """Amounts have cents and foot exactly; the generator never makes a float."""
    for txn_id, lines in files.tlines.items():
        assert sum(D(x["netamount"]) for x in lines) == 0, txn_id
        assert all(re.fullmatch(r"-?\d+\.\d\d", x["netamount"]) for x in lines)
    prices = [x["TotalPrice"] for lines in files.lines.values() for x in lines]
    assert all(re.fullmatch(r"\d+\.\d\d", p) for p in prices)
    for source in DEMO_SRC.glob("*.py"):
        assert not re.search(r"\bfloat\(", source.read_text(encoding="utf-8")), source


def test_monthly_example() -> None:
    sched = oracle.monthly(D("1000.00"), date(2017, 1, 7), date(2018, 1, 6))
    assert [a for _, a in sched] == [D("67.20")] + [D("83.33")] * 11 + [D("16.17")]
    assert sched[0][0] == date(2017, 1, 1) and sched[-1][0] == date(2018, 1, 1)


def test_daily_example_and_whole_months() -> None:
    whole = oracle.daily(D("310.00"), date(2026, 1, 1), date(2026, 1, 31))
    assert whole == [(date(2026, 1, 1), D("310.00"))]
    sched = oracle.daily(D("100.00"), date(2026, 1, 31), date(2026, 2, 2))
    assert sched == [(date(2026, 1, 1), D("33.33")), (date(2026, 2, 1), D("66.67"))]
    assert oracle.term_end(date(2026, 1, 31), 1) == date(2026, 2, 27)
    with pytest.raises(ValueError):
        oracle.term_months(date(2026, 1, 15), date(2026, 3, 1))


amounts = st.integers(-(10**10), 10**10).map(lambda c: D(c).scaleb(-2))
days = st.dates(date(2020, 1, 1), date(2030, 12, 31))


@given(amounts, days, st.integers(0, 1500))
def test_daily_sums_exactly(amount: Decimal, start: date, length: int) -> None:
    end = date.fromordinal(start.toordinal() + length)
    sched = oracle.daily(amount, start, end)
    assert sum(a for _, a in sched) == amount
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    assert len(sched) == months and sched[0][0] == start.replace(day=1)
    assert all(a == a.quantize(D("0.01")) for _, a in sched)


@given(amounts, days, st.integers(1, 48))
def test_monthly_sums_exactly(amount: Decimal, start: date, months: int) -> None:
    end = oracle.term_end(start, months)
    assert oracle.term_months(start, end) == months
    sched = oracle.monthly(amount, start, end)
    assert sum(a for _, a in sched) == amount
    assert len(sched) == months + (start.day != 1)
    full = [a for m, a in sched[:-1] if m >= start]
    assert len(set(full)) <= 1 and all(a == a.quantize(D("0.01")) for _, a in sched)


@pytest.mark.slow
def test_100k_deals_keep_every_cause_at_its_share(tmp_path: Path) -> None:
    # generation time is a benchmark figure (benchmarks/run.py), not a timed test
    company = generate(tmp_path, n_deals=100_000)
    assert company.counts["salesforce/Opportunity"] == 100_000
    counts = company.cause_counts()
    assert counts.pop("definition_drift") > 2000
    assert all(n == 2000 for n in counts.values())
