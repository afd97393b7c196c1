"""CSV export quirks: encodings, delimiters, line endings, quoting, and the line numbers after them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from source_fixtures import OPPORTUNITY_HEADER, company, load, opportunity

from crossfoot.errors import InputError

ROW = "006{n},001A,Deal {n},Closed Won,2026-03-31,{n}00.00"


def lines_of(loaded, table="deal", key="deal_id"):
    return {r[key]: r["source_line"] for r in loaded.rows(table)}


def test_utf8_bom_and_upper_case_headers(build):
    header = OPPORTUNITY_HEADER.upper()
    content = (
        b"\xef\xbb\xbf"
        + opportunity("006A,001A,Café,Closed Won,2026-03-31,10", header=header).encode()
    )
    loaded = build(sf={"Opportunity.csv": content})
    (deal,) = loaded.rows("deal")
    assert (deal["deal_id"], deal["name"], deal["amount"], deal["source_line"]) == (
        "006A", "Café", Decimal("10.00"), 2,
    )  # fmt: skip


def test_windows_1252_is_transcoded(build):
    text = opportunity('006A,001A,"Société – Café",Closed Won,2026-03-31,€1234.00')
    loaded = build(sf={"Opportunity.csv": text.encode("cp1252")})  # é, – and € are single bytes
    (deal,) = loaded.rows("deal")
    assert deal["name"] == "Société – Café"
    assert deal["amount"] == Decimal("1234.00")


def test_crlf_with_quoted_newlines_keeps_line_numbers(build):
    rows = [
        '006A,001A,"two\r\nlines",Closed Won,2026-03-31,1',
        "006B,001A,B,Closed Won,2026-03-31,2",
        '006C,001A,"three\nembedded\r\nlines",Closed Won,2026-03-31,3',
        "006D,001A,D,Closed Won,not a date,4",
        "006E,001A,E,Closed Won,2026-03-31,5",
    ]
    loaded = build(sf={"Opportunity.csv": "\r\n".join([OPPORTUNITY_HEADER, *rows]) + "\r\n"})
    assert lines_of(loaded) == {"006A": 2, "006B": 4, "006C": 5, "006E": 9}
    names = loaded.by_id("deal", "deal_id")
    assert names["006A"]["name"] == "two\nlines"
    (reject,) = loaded.rejects()
    assert (reject["source_line"], reject["field"]) == (8, "CloseDate")


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_delimiter_is_sniffed_from_the_header(build, delimiter):
    fields = ["006A", "001A", '"A, Inc."', "Closed Won", "2026-03-31", '"$1,234.56"']
    text = opportunity(delimiter.join(fields), header=OPPORTUNITY_HEADER.replace(",", delimiter))
    loaded = build(sf={"Opportunity.csv": text})
    (deal,) = loaded.rows("deal")
    assert (deal["name"], deal["amount"]) == ("A, Inc.", Decimal("1234.56"))


def test_quoted_newlines_then_malformed_rows_keep_exact_lines(build):
    text = opportunity(
        '006A,001A,"multi\nline\nname",Closed Won,2026-03-31,1',  # lines 2-4
        "006B,001A,short,Closed Won",  # line 5: too few fields
        '006C,001A,"x\ny",Closed Won,2026-03-31,3,extra',  # lines 6-7: too many fields
        "006D,001A,D,Closed Won,2026-03-31,4",  # line 8
        '006E,001A,"a""quoted""",Closed Won,2026-03-31,5',  # line 9
        '006F,001A,ab"c,Closed Won,2026-03-31,6',  # line 10: a quote inside a bare value is kept
    )
    loaded = build(sf={"Opportunity.csv": text})
    assert lines_of(loaded) == {"006A": 2, "006D": 8, "006E": 9, "006F": 10}
    assert loaded.by_id("deal", "deal_id")["006E"]["name"] == 'a"quoted"'
    assert loaded.by_id("deal", "deal_id")["006F"]["name"] == 'ab"c'
    rejects = [(r["source_line"], r["reason"]) for r in loaded.rejects()]
    assert rejects == [
        (5, "wrong number of fields: expected 6, found 4"),
        (6, "wrong number of fields: expected 6, found 7"),
    ]
    f = loaded.file("Opportunity.csv")
    assert (f.rows_read, f.rows_loaded, f.rows_rejected) == (6, 4, 2)


def test_blank_lines_are_skipped_and_not_counted(build):
    rows = [
        "006A,001A,A,Closed Won,2026-03-31,1",  # line 3
        "",
        "  \t",
        '006B,001A,"keep\n\nblank",Closed Won,2026-03-31,2',  # lines 6-8
        "",
        "006C,001A,C,Closed Won,2026-03-31,x",  # line 10
    ]
    loaded = build(sf={"Opportunity.csv": "\n" + opportunity(*rows) + "\n  \n"})
    assert lines_of(loaded) == {"006A": 3, "006B": 6}
    assert loaded.by_id("deal", "deal_id")["006B"]["name"] == "keep\n\nblank"
    assert [r["source_line"] for r in loaded.rejects()] == [10]
    assert loaded.file("Opportunity.csv").rows_read == 3


def test_header_after_blank_lines_is_located(build):
    with pytest.raises(InputError) as err:
        build(sf={"Opportunity.csv": "\n \n" + opportunity(header="Id,Id")})
    assert err.value.location == "data/sf/Opportunity.csv:3"


def test_truncated_last_line_is_rejected_with_its_line(build):
    text = opportunity("006A,001A,A,Closed Won,2026-03-31,1") + "006B,001A,B,Clo"
    loaded = build(sf={"Opportunity.csv": text})
    assert lines_of(loaded) == {"006A": 2}
    (reject,) = loaded.rejects()
    assert reject["source_line"] == 3
    assert reject["reason"] == "wrong number of fields: expected 6, found 4"
    assert reject["value"] == "006B,001A,B,Clo"


def test_unterminated_quote_is_one_rejected_record(build):
    text = opportunity("006A,001A,A,Closed Won,2026-03-31,1", '006B,001A,"B,Closed Won,2026-03-31,2',
                       "006C,001A,C,Closed Won,2026-03-31,3")  # fmt: skip
    loaded = build(sf={"Opportunity.csv": text})
    assert lines_of(loaded) == {"006A": 2}
    (reject,) = loaded.rejects()
    assert reject["source_line"] == 3
    assert "quote" in reject["reason"] and "'Name'" in reject["reason"]
    f = loaded.file("Opportunity.csv")
    assert (f.rows_read, f.rows_loaded, f.rows_rejected) == (2, 1, 1)


def test_header_only_file_loads_zero_rows(build):
    loaded = build(sf={"Opportunity.csv": OPPORTUNITY_HEADER})
    assert loaded.rows("deal") == []
    f = loaded.file("Opportunity.csv")
    assert (f.rows_read, f.rows_loaded, f.rows_rejected) == (0, 0, 0)


@pytest.mark.parametrize("content", [b"", b"\n\n", b"\xef\xbb\xbf", b"  \r\n"])
def test_empty_file_stops_the_run(build, content):
    with pytest.raises(InputError) as err:
        build(sf={"Opportunity.csv": content})
    assert err.value.location == "data/sf/Opportunity.csv:1"
    assert "empty" in err.value.message and "header" in err.value.message
    assert err.value.exit_code == 2


def test_duplicate_column_names_stop_the_run(build):
    with pytest.raises(InputError) as err:
        build(sf={"Opportunity.csv": opportunity(header=OPPORTUNITY_HEADER + ",amount")})
    assert err.value.location == "data/sf/Opportunity.csv:1"
    assert "duplicate column 'amount' (columns 6 and 7)" in err.value.message


def test_missing_required_column_names_file_and_column(build):
    header = OPPORTUNITY_HEADER.replace(",Amount", "")
    with pytest.raises(InputError) as err:
        build(
            sf={"Opportunity.csv": opportunity("006A,001A,A,Closed Won,2026-03-31", header=header)}
        )
    assert err.value.location == "data/sf/Opportunity.csv:1"
    assert "missing required column 'Amount'" in err.value.message


def test_missing_core_export_stops_the_run(build):
    with pytest.raises(InputError) as err:
        build(ns={"transaction.csv": None, "customer.csv": "id,companyname\n"})
    assert err.value.location == "data/ns/"
    assert "no transaction.csv or transaction.json" in err.value.message


def test_absent_optional_exports_give_empty_tables(build):
    loaded = build()
    for table in (
        "account",
        "deal",
        "deal_line",
        "customer",
        "document",
        "document_line",
        "revenue",
        "fx_rate",
    ):
        assert loaded.rows(table) == []
    assert [f.path for f in loaded.files] == ["data/sf/Opportunity.csv", "data/ns/transaction.csv"]


def test_file_names_match_case_insensitively(build):
    loaded = build(sf={"opportunity.CSV": opportunity("006A,001A,A,Closed Won,2026-03-31,1")})
    assert [d["deal_id"] for d in loaded.rows("deal")] == ["006A"]
    assert loaded.rows("deal")[0]["source_file"] == "data/sf/opportunity.CSV"


def test_exported_twice_is_an_error(build):
    with pytest.raises(InputError, match="exported more than once"):
        build(sf={"Opportunity.json": '{"records": []}', "Opportunity.csv": OPPORTUNITY_HEADER})


def test_many_rows_with_scattered_newlines_and_rejects(build):
    rows, expected, line = [], {}, 2
    for n in range(300):
        name = f'"n{n}\nmore"' if n % 7 == 0 else f"n{n}"
        amount = "bad" if n % 11 == 0 else f"{n}.25"
        rows.append(f"006{n:04d},001A,{name},Closed Won,2026-03-31,{amount}")
        if n % 11:
            expected[f"006{n:04d}"] = line
        line += 2 if n % 7 == 0 else 1
    loaded = build(sf={"Opportunity.csv": opportunity(*rows)})
    assert lines_of(loaded) == expected
    bad = [r["source_line"] for r in loaded.rejects()]
    assert len(bad) == len([n for n in range(300) if n % 11 == 0])
    assert all(
        r["reason"].startswith("field 'Amount': 'bad' is not a number") for r in loaded.rejects()
    )


@pytest.mark.parametrize("in_transaction", [True, False], ids=["as run", "as check"])
@pytest.mark.parametrize("bad", [0, 1], ids=["clean file", "with a malformed record"])
def test_lines_are_physical_lines_inside_and_outside_a_transaction(tmp_path, in_transaction, bad):
    # inside `run`'s transaction DuckDB numbered rows from 2**55: line 36028797018960002
    rows = [ROW.format(n=n) for n in range(1, 6)]
    rows[2] = rows[2].replace("2026-03-31", "not a date")
    rows[1:1] = ["006X,001A,too,many,fields,1,2,3"] * bad
    defs = company(tmp_path, sf={"Opportunity.csv": opportunity(*rows)})
    loaded = load(defs, in_transaction=in_transaction)
    try:
        assert lines_of(loaded) == {"0061": 2, "0062": 3 + bad, "0064": 5 + bad, "0065": 6 + bad}
        rejected = [r["source_line"] for r in loaded.rejects()]
        assert rejected == [3] * bad + [4 + bad]
    finally:
        loaded.backend.close()


@pytest.mark.parametrize(
    ("row", "name"),
    [
        ("006A,001A,  Padded  ,Closed Won,2026-03-31, 10 ", "Padded"),
        ('006A,001A," Quoted ",Closed Won,2026-03-31,10\r', "Quoted"),
        ("006A,001A,Nbsp\u00a0,Closed Won,2026-03-31,10", "Nbsp"),
        ('006A,001A,"Acme, Inc",Closed Won,2026-03-31,10', "Acme, Inc"),
        ("006A,001A,Plain Name,Closed Won,2026-03-31,10", "Plain Name"),
    ],
)
def test_values_are_trimmed_whether_or_not_the_file_is_padded(build, row, name):
    # a file without padded values skips the trim of its values: same result
    loaded = build(sf={"Opportunity.csv": opportunity(row).encode()})
    (deal,) = loaded.rows("deal")
    assert (deal["deal_id"], deal["name"], deal["amount"]) == ("006A", name, Decimal("10.00"))


@pytest.mark.parametrize(
    ("text", "delimiter", "unpadded"),
    [
        (b"a,b\n1,2\n", ",", True),
        (b"a,b\n1,x y\n", ",", True),
        (b"a,b\n1, 2\n", ",", False),
        (b"a,b\n1 ,2\n", ",", False),
        (b'a,b\n"x ",2\n', ",", False),
        (b'a,b\n" x",2\n', ",", False),
        (b"a,b\n1,2 ", ",", False),
        (b"a,b\n1,2 \r\n", ",", False),
        (b"a,b\r 1,2\r", ",", False),
        (b" a,b\n", ",", False),
        (b"a;b\n1; 2\n", ";", False),
        (b"a|b\n1, 2\n", "|", True),
        (b"a\tb\n1\t 2\n", "\t", False),
        ("a,b\n1,\u00a02\n".encode(), ",", False),
    ],
)
def test_unpadded_finds_every_space_at_a_value_edge(text, delimiter, unpadded):
    from crossfoot.sources.files import _Prepared, _unpadded

    assert _unpadded(_Prepared(text, False, (), ("a", "b"), delimiter, 1)) is unpadded
