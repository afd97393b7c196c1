"""Hostile but plausible export files: `crossfoot run` completes (0) or names the file (2).

A small demo company (Salesforce CSV exports, NetSuite SuiteQL CSV results and
the rates file) is mutated at random the ways real exports go wrong: amounts
too large, negative or NaN, empty cells, impossible dates, repeated rows, a line
cut short, a stray quote, a byte-order mark, CRLF, a column deleted, bytes that
are not UTF-8. Whatever happens, the run never crashes (exit 1): it completes
with every row loaded or rejected and a bridge that foots, or it stops with a
message that names the file it cannot use. The inputs that did crash (exit 1)
before are kept as fixed cases after the random ones.

Every mutation of the list was also run on every input file once (with
``crossfoot check``), and values at the bounds (±9,999,999,999,999.99, 0, years
1 / 1900 / 2999, rates of 10**-8 and 9,999,999,999) in each amount, date and rate
column through a whole run: none crashed after the fixes of this file's cases.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil
import sys
import tempfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossfoot.cli import app as cli
from crossfoot.demo import generate

pytestmark = pytest.mark.slow

Mutation = Callable[[bytes, st.DataObject], bytes]


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("nasty") / "company"
    generate(folder, seed=11, n_deals=150, erp_format="csv", crm_format="csv")
    return folder


def _inputs(folder: Path) -> list[Path]:
    return sorted(p.relative_to(folder) for p in (folder / "data").rglob("*.csv"))


# --- cell mutations: one cell of one data row, through the csv module --------------------


def _cell(value: str | Callable[[str], str]) -> Mutation:
    def mutate(raw: bytes, data: st.DataObject) -> bytes:
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8", "surrogateescape"), newline="")))
        if len(rows) < 2:
            return raw
        r = data.draw(st.integers(1, len(rows) - 1), label="row")
        if not rows[r]:
            return raw
        c = data.draw(st.integers(0, len(rows[r]) - 1), label="column")
        rows[r][c] = value(rows[r][c]) if callable(value) else value
        out = io.StringIO(newline="")
        csv.writer(out, lineterminator="\n").writerows(rows)
        return out.getvalue().encode("utf-8", "surrogateescape")

    return mutate


def _negative(text: str) -> str:
    return text[1:] if text.startswith("-") else "-" + text


CELLS: dict[str, Mutation] = {
    "huge amount": _cell("99999999999999999.99"),
    "just under the bound": _cell("9999999999999.99"),
    "huge rate": _cell("9999999999"),
    "negative": _cell(_negative),
    "NaN": _cell("NaN"),
    "Infinity": _cell("-Infinity"),
    "empty cell": _cell(""),
    "impossible date": _cell("2026-02-30"),
    "far date": _cell("2999-12-31"),
    "zero": _cell("0"),
    "other date format": _cell("31/12/2026"),
    "exponent": _cell("1e5"),
    "decimal comma": _cell("1234,56"),
    "text": _cell("N/A"),
    "newline in a cell": _cell(lambda s: s + "\nmore"),
    "quote in a cell": _cell(lambda s: s + '"'),
}


# --- byte mutations: the file as a whole ------------------------------------------------


def _lines(raw: bytes) -> list[bytes]:
    return raw.splitlines(keepends=True)


def _duplicate_row(raw: bytes, data: st.DataObject) -> bytes:
    lines = _lines(raw)
    if len(lines) < 2:
        return raw
    i = data.draw(st.integers(1, len(lines) - 1), label="line")
    return b"".join([*lines[: i + 1], lines[i], *lines[i + 1 :]])


def _truncate_line(raw: bytes, data: st.DataObject) -> bytes:
    lines = _lines(raw)
    if len(lines) < 2:
        return raw
    i = data.draw(st.integers(1, len(lines) - 1), label="line")
    cut = data.draw(st.integers(0, max(len(lines[i]) - 2, 0)), label="cut")
    lines[i] = lines[i][:cut] + b"\n"
    return b"".join(lines)


def _truncate_file(raw: bytes, data: st.DataObject) -> bytes:
    return raw[: data.draw(st.integers(0, len(raw)), label="cut")]


def _stray_quote(raw: bytes, data: st.DataObject) -> bytes:
    at = data.draw(st.integers(0, len(raw)), label="at")
    return raw[:at] + b'"' + raw[at:]


def _delete_column(raw: bytes, data: st.DataObject) -> bytes:
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8", "surrogateescape"), newline="")))
    if not rows or not rows[0]:
        return raw
    c = data.draw(st.integers(0, len(rows[0]) - 1), label="column")
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows([r[:c] + r[c + 1 :] for r in rows])
    return out.getvalue().encode("utf-8", "surrogateescape")


def _not_utf8(raw: bytes, data: st.DataObject) -> bytes:
    at = data.draw(st.integers(0, len(raw)), label="at")
    junk = data.draw(st.sampled_from([b"\xff\xfe", b"\xe9", b"\x80", b"\xc3"]), label="bytes")
    return raw[:at] + junk + raw[at:]


BYTES: dict[str, Mutation] = {
    "duplicated row": _duplicate_row,
    "truncated line": _truncate_line,
    "truncated file": _truncate_file,
    "stray quote": _stray_quote,
    "BOM": lambda raw, data: b"\xef\xbb\xbf" + raw,
    "CRLF": lambda raw, data: raw.replace(b"\n", b"\r\n"),
    "deleted column": _delete_column,
    "not UTF-8": _not_utf8,
    "only the header": lambda raw, data: b"".join(_lines(raw)[:1]),
    "empty file": lambda raw, data: b"",
}

MUTATIONS = {**CELLS, **BYTES}


def _run(folder: Path) -> tuple[int, str]:
    """`crossfoot run` in-process, as the console script runs it: (exit code, stderr)."""
    err = io.StringIO()
    argv = ["crossfoot", "run", "-c", str(folder / "crossfoot.yaml"), "--out", str(folder / "out")]
    code = 0
    with (
        mock.patch.object(sys, "argv", argv),
        mock.patch.object(cli, "_debug", False),
        contextlib.redirect_stderr(err),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        try:
            cli.main()
        except SystemExit as exc:
            code = int(exc.code or 0) if not isinstance(exc.code, str) else 1
    return code, err.getvalue()


def _assert_bridge_foots(out: Path) -> None:
    with (out / "bridge.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    running: dict[str, Decimal] = {}
    for row in rows:
        amount = Decimal(row["amount"])
        period = row["period"]
        if row["kind"] == "total":
            if period in running:
                assert running[period] == amount, (period, row["step"])
            running[period] = amount
        else:
            running[period] += amount


# each example is a whole run (about 8 s on two shared cores): 20 keep it near 3 minutes
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_a_mutated_company_runs_or_names_the_file(company: Path, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "company"
        shutil.copytree(company, folder, ignore=shutil.ignore_patterns(".crossfoot", "out"))
        files = _inputs(folder)
        changed = []
        for _ in range(data.draw(st.integers(1, 3), label="mutations")):
            name = data.draw(st.sampled_from(sorted(MUTATIONS)), label="mutation")
            rel = data.draw(st.sampled_from(files), label="file")
            path = folder / rel
            path.write_bytes(MUTATIONS[name](path.read_bytes(), data))
            changed.append(rel)

        code, err = _run(folder)

        assert code in (0, 2), (changed, err)
        assert "Traceback" not in err
        if code == 2:
            # the message names a file: an input, the definitions or the rates file
            names = [p.name for p in files] + ["crossfoot.yaml"]
            assert any(n in err for n in names), (changed, err)
            return
        summary = json.loads((folder / "out" / "summary.json").read_text(encoding="utf-8"))
        for f in summary["inputs"]:
            assert f["rows_read"] == f["rows_loaded"] + f["rows_rejected"], (changed, f)
        _assert_bridge_foots(folder / "out")


# --- cases that crashed (exit 1) before: each must now complete or name its file ---------


def _edit(path: Path, edit: Callable[[list[dict[str, str]]], None]) -> None:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    edit(rows)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _won(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [r for r in rows if r["StageName"] == "Closed Won"]


def _empty_amounts(folder: Path) -> None:
    def edit(rows: list[dict[str, str]]) -> None:
        for r in _won(rows)[:3]:
            r["Amount"] = ""

    _edit(folder / "data/salesforce/Opportunity.csv", edit)


def _a_huge_deal(folder: Path) -> None:
    deal: dict[str, str] = {}

    def opportunity(rows: list[dict[str, str]]) -> None:
        deal.update(_won(rows)[0])
        _won(rows)[0]["Amount"] = "9500000000000.00"

    def lines(rows: list[dict[str, str]]) -> None:
        for r in rows:
            if r["OpportunityId"] == deal["Id"]:
                r.update(Quantity="1", UnitPrice="4750000000000.00", TotalPrice="4750000000000.00")

    _edit(folder / "data/salesforce/Opportunity.csv", opportunity)
    _edit(folder / "data/salesforce/OpportunityLineItem.csv", lines)


def _quantity_times_list_price(folder: Path) -> None:
    def edit(rows: list[dict[str, str]]) -> None:
        for r in rows:
            r["ListPrice"] = r["UnitPrice"]
        rows[0].update(Quantity="99999999", ListPrice="99999999")

    _edit(folder / "data/salesforce/OpportunityLineItem.csv", edit)
    with (folder / "crossfoot.yaml").open("a", encoding="utf-8") as fh:
        fh.write("allocation:\n  method: relative_ssp\n")


def _absurd_rates(folder: Path) -> None:
    def edit(rows: list[dict[str, str]]) -> None:
        for r in rows:
            if r["from_currency"] == "EUR":
                r["rate"] = "9999999999"

    _edit(folder / "data/fx_rates.csv", edit)


KNOWN = {
    "won deals with an empty Amount": (_empty_amounts, 0),
    "a 9.5-trillion deal": (_a_huge_deal, 0),
    "quantity × list price of 10**16": (_quantity_times_list_price, 0),
    "EUR rates of 9,999,999,999": (_absurd_rates, 2),
}


@pytest.mark.parametrize("case", KNOWN, ids=KNOWN)
def test_inputs_that_crashed_before(company: Path, tmp_path: Path, case: str) -> None:
    change, want = KNOWN[case]
    folder = tmp_path / "company"
    shutil.copytree(company, folder, ignore=shutil.ignore_patterns(".crossfoot", "out"))
    change(folder)
    code, err = _run(folder)
    assert code == want, err
    if code == 2:
        assert "data/fx_rates.csv:" in err and "field 'rate'" in err, err
        return
    summary = json.loads((folder / "out" / "summary.json").read_text(encoding="utf-8"))
    assert all(f["conserved"] for f in summary["inputs"])
    _assert_bridge_foots(folder / "out")
