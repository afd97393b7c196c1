"""fx_rates.csv -> fx_rate: exact rates, bad rows rejected, duplicates of a day and pair rejected."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crossfoot.errors import InputError

HEADER = "date,from_currency,to_currency,rate\n"


def test_rates_load_exactly_and_bad_rows_are_rejected(build):
    fx = HEADER + "\n".join([
        "2026-03-31,EUR,USD,1.08123456", "2026-03-31,eur,usd,1.2", "2026-03-31,GBP,USD,0",
        "2026-03-31,CHF,USD,-1.1", "2026-02-30,JPY,USD,0.0067", "2026-03-31,EURO,USD,1.1",
        "2026-03-31,SEK,USD,abc", "2026-03-31,NOK,USD,", "2026-03-31,DKK,USD,0.145000001",
        "2026-04-30,GBP,USD,1.26543210",
    ]) + "\n"  # fmt: skip
    loaded = build(fx=fx)
    assert [(r["date"], r["from_currency"], r["to_currency"], r["rate"], r["source_line"])
            for r in loaded.rows("fx_rate")] == [
        (date(2026, 3, 31), "EUR", "USD", Decimal("1.08123456"), 2),
        (date(2026, 4, 30), "GBP", "USD", Decimal("1.26543210"), 11),
    ]  # fmt: skip
    assert [(r["source_line"], r["reason"]) for r in loaded.rejects()] == [
        (3, "duplicate id '2026-03-31/EUR/USD', first at line 2"),
        (4, "field 'rate': '0' must be greater than 0"),
        (5, "field 'rate': '-1.1' must be greater than 0"),
        (6, "field 'date': '2026-02-30' is not a valid date (expected YYYY-MM-DD)"),
        (7, "field 'from_currency': 'EURO' is not a three-letter currency code"),
        (8, "field 'rate': 'abc' is not a number"),
        (9, "field 'rate' is empty"),
        (10, "field 'rate': '0.145000001' has more than 8 decimal places"),
    ]
    f = loaded.file("fx_rates.csv")
    assert (f.system, f.table, f.rows_read, f.rows_loaded, f.rows_rejected) == (
        "fx",
        "fx_rates",
        10,
        2,
        8,
    )
    assert loaded.rows("fx_rate")[0]["source_system"] == "fx"


def test_missing_rates_file_stops_the_run(build, tmp_path):
    from source_fixtures import company, load

    defs = company(tmp_path, fx=HEADER)
    (tmp_path / "data" / "fx_rates.csv").unlink()
    with pytest.raises(InputError) as err:
        load(defs)
    assert err.value.location == "fx_rates" and "is not a file" in err.value.message


def test_no_rates_file_means_an_empty_table(build):
    assert build().rows("fx_rate") == []


def test_rates_file_must_have_its_columns(build):
    with pytest.raises(InputError) as err:
        build(fx="day,from,to,rate\n")
    assert err.value.location == "data/fx_rates.csv:1"
    assert "missing required column 'date'" in err.value.message
