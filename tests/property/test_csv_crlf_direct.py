"""A CRLF file scanned as it is gives the same raw rows, physical line numbers and
rejects as its LF copy (the way every CRLF file was read before): quoted values with
newlines, malformed records, blank lines and missing final newlines included, inside
a transaction as in `run`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crossfoot.engine.backend import DuckDBBackend
from crossfoot.errors import InputError
from crossfoot.sources.files import RawTable, read_csv

REJECTS = "source_system VARCHAR, source_file VARCHAR, source_line BIGINT, \"table\" VARCHAR, " \
          "field VARCHAR, value VARCHAR, reason VARCHAR"  # fmt: skip

cell = st.text(st.sampled_from(list("ab1 ,\"\r\n\t")), max_size=6)
plain = st.text(st.sampled_from(list("ab12 -.")), max_size=6)


def quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


record = st.one_of(
    # a well-formed record, quoted where it must be
    st.lists(st.one_of(plain, cell.map(quoted)), min_size=3, max_size=3).map(",".join),
    # too few or too many fields, a stray quote, an unterminated quote, blank-looking
    st.lists(plain, min_size=1, max_size=5).map(",".join),
    st.builds(lambda a, b: f'{a},"{b},x', plain, plain),
    st.builds(lambda a, b: f'{a},b"{b}",x', plain, plain),
    st.sampled_from(["", " ", "\t", "a,b,c"]),
)
files = st.builds(
    lambda records, end, newline: (newline.join(["A,B,C", *records]) + end).encode(),
    st.lists(record, max_size=12),
    st.sampled_from(["\r\n", "", "\r\n\r\n"]),
    st.sampled_from(["\r\n", "\r\n", "\n"]),
)


@pytest.fixture(scope="module")
def backend() -> Iterator[DuckDBBackend]:
    b = DuckDBBackend()
    yield b
    b.close()


def scanned(backend: DuckDBBackend, path: Path, tmp: Path, *, direct: bool) -> tuple[Any, ...]:
    backend.sql(f"CREATE OR REPLACE TEMP TABLE rej ({REJECTS})")
    table = RawTable("test", "Obj", "raw_" + ("direct" if direct else "copy"))
    try:
        f = read_csv(backend.sql, path, "a.csv", table=table, file_no=0, rejects="rej",
                     tmpdir=tmp, direct_crlf=direct)  # fmt: skip
    except InputError as exc:  # a file DuckDB cannot read at all: the same error both ways
        return (str(exc).splitlines()[0],)
    rows = backend.sql(f"SELECT * FROM {table.name} ORDER BY source_line").fetchall()
    rejects = backend.sql("SELECT * FROM rej ORDER BY source_line").fetchall()
    return rows, rejects, f.rows, f.header_line, table.columns


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(content=b'A,B,C\r\n1,"x\r\ny",3\r\n4,5,6\r\n7,8\r\n"q,9,10\r\n')
@example(content=b"A,B,C\r\n1,2,3\r\n\r\n4,5,6")
@example(content=b"A,B,C\r\n1,2\r\n4,5,6,7\r\n8,9,10\r\n")
@example(content=b'A,B,C\r\n,",x\r\n,,",1\r"\r\n')
@given(content=files)
def test_crlf_scanned_directly_is_read_as_its_lf_copy(
    backend: DuckDBBackend, tmp_path_factory: pytest.TempPathFactory, content: bytes
) -> None:
    tmp = tmp_path_factory.mktemp("csv")
    path = tmp / "a.csv"
    path.write_bytes(content)
    results = []
    for direct in (True, False):
        backend.raw.begin()  # `run` reads inside its transaction (rowids start at 2**55)
        try:
            results.append(scanned(backend, path, tmp, direct=direct))
        finally:
            backend.raw.rollback()
    assert results[0] == results[1]
