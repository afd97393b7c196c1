"""The CSV files of a run: the exact record (UTF-8, ``\\n``, money with 2 decimals).

Columns are the SPEC §8 contracts, in order; rows are sorted by the view; text
cells are formula-safe (``safe.py``'s rule, written here in SQL).

DuckDB writes the files straight from the view's Arrow tables, so a run with
millions of rows (the per-customer bridge) never turns them into Python
objects; each cell is the text ``safe.format_cell`` gives the same value
(``tests/unit/outputs/test_csv_output.py`` compares the two).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

from crossfoot.outputs.safe import FORMULA_TRIGGERS, MONEY_COLUMNS
from crossfoot.outputs.view import Rows, RunView

QUOTE = "'"
_TRIGGERS = ", ".join(f"chr({ord(t)})" for t in FORMULA_TRIGGERS)


def as_text(table: Rows) -> pa.Table:
    """Every cell as the text the CSV holds (null where the cell is empty), same order.

    The workbook writes its text cells from this, so both files hold the same text.
    """
    with _formatted(table) as (con, select):
        result: pa.Table = con.execute(select).to_arrow_table()
        return result


def write_rows(table: Rows, path: Path) -> None:
    """Write ``table`` as CSV at ``path``: a header, then one line per row, in order.

    A file DuckDB cannot write raises ``OSError``.
    """
    target = str(path).replace(QUOTE, QUOTE * 2)
    with _formatted(table) as (con, select):
        try:
            con.execute(
                f"copy ({select}) to '{target}' "
                "(format csv, header true, delimiter ',', quote '\"', new_line '\n')"
            )
        except duckdb.IOException as exc:  # the caller names the file (render.py)
            raise OSError(str(exc)) from exc


@contextmanager
def _formatted(table: Rows) -> Iterator[tuple[duckdb.DuckDBPyConnection, str]]:
    """A connection that sees ``table``, and the SELECT of its cells as CSV text."""
    cells = ", ".join(_cell_sql(table.table.schema.field(c)) for c in table.columns)
    with over_arrow("rows_to_write", table.table) as con:
        yield con, f"select {cells} from rows_to_write"


@contextmanager
def over_arrow(name: str, table: pa.Table) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection that sees ``table`` as ``name``.

    Without DuckDB's progress bar: on a statement over two seconds it would print to
    the terminal, over the command line's own progress bar, or into a log.
    """
    con = duckdb.connect()
    try:
        con.execute("set enable_progress_bar = false")  # a connection's setting, not the database's
        con.register(name, table)
        yield con
    finally:
        con.close()


def _cell_sql(field: pa.Field) -> str:
    """One column as the text ``safe.format_cell`` gives its values; null is an empty cell."""
    name = '"' + field.name.replace('"', '""') + '"'
    kind = field.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_null(kind):
        value = f"cast({name} as varchar)"
        escaped = (
            f"case when left({value}, 1) in ({_TRIGGERS}) then chr(39) || {value} else {value} end"
        )
        text = f"nullif({escaped}, '')"  # DuckDB would quote an empty text; format_cell leaves it empty
    elif pa.types.is_boolean(kind):
        text = f"case when {name} then 'true' when not {name} then 'false' end"
    elif pa.types.is_timestamp(kind):
        utc = f"timezone('UTC', {name})" if kind.tz else name
        fraction = (
            f"case when microsecond({utc}) % 1000000 <> 0 then strftime({utc}, '.%f') else '' end"
        )
        text = f"strftime({utc}, '%Y-%m-%dT%H:%M:%S') || {fraction} || 'Z'"
    elif field.name in MONEY_COLUMNS and not pa.types.is_decimal(kind):
        raise TypeError(f"money column {field.name!r} holds {kind}, not decimal")
    else:  # decimals keep their places, dates are ISO, doubles their shortest round-trip text
        text = f"cast({name} as varchar)"
    return f"{text} as {name}"


def table_writer(table: Callable[[RunView], Rows]) -> Callable[[RunView, Path], None]:
    """The writer of one of the view's tables as CSV."""

    def write(view: RunView, path: Path) -> None:
        write_rows(table(view), path)

    return write


ROADMAP_COLUMNS = (
    "rank", "layer", "cause", "title", "detail", "owner", "effort_days", "records",
    "amount", "amount_per_day", "currency", "exception_ids",
)  # fmt: skip


def render_roadmap(view: RunView, path: Path) -> None:
    """``roadmap.csv``: one row per fix; ``amount`` is the money it explains (Σ |effect|)."""
    run = view.result
    rows = tuple(
        (
            i.rank,
            i.layer,
            i.cause,
            i.title,
            i.detail,
            i.owner,
            i.effort_days,
            i.records,
            i.money,
            i.money_per_day,
            run.currency,
            ";".join(i.exception_ids),
        )
        for i in run.roadmap
    )
    write_rows(Rows.of(ROADMAP_COLUMNS, rows), path)
