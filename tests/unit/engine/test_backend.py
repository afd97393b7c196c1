"""The DuckDB backend: SQL compiled without fused selects; stages queued while ``pipelined``."""

from __future__ import annotations

import ibis
import pytest

from crossfoot.engine.backend import DuckDBBackend, compile_sql
from crossfoot.errors import InputError, StageError


def test_compiled_without_fused_selects_and_option_restored():
    backend = DuckDBBackend()
    try:
        backend.sql("CREATE TABLE t AS SELECT range AS x FROM range(5)")
        t = backend.table("t")
        expr = t.mutate(y=t.x * 2).mutate(z=lambda s: s.y + 1).filter(lambda s: s.z > 3)
        assert ibis.options.sql.fuse_selects
        fused, nested = str(backend.con.compile(expr)), compile_sql(backend.con, expr)
        assert nested.count("SELECT") > fused.count("SELECT")
        assert ibis.options.sql.fuse_selects
        got = backend.to_arrow(expr.order_by("x")).to_pydict()
        assert got == {"x": [2, 3, 4], "y": [4, 6, 8], "z": [5, 7, 9]}
    finally:
        backend.close()


def test_option_restored_when_compiling_fails():
    with pytest.raises(AttributeError):
        compile_sql(object(), ibis.table({"x": "int64"}, name="t"))
    assert ibis.options.sql.fuse_selects


# -- pipelined: stages execute on a worker thread, in order, while the next compile


def _numbers(backend: DuckDBBackend, n: int = 5) -> ibis.Table:
    backend.sql(f"CREATE OR REPLACE TABLE numbers AS SELECT range AS x FROM range({n})")
    return backend.table("numbers")


def test_pipelined_stages_read_the_stages_before_them(backend: DuckDBBackend) -> None:
    numbers = _numbers(backend)
    with backend.pipelined(inputs=["numbers"]):
        doubled = backend.run_stage("doubled", numbers.mutate(y=numbers.x * 2))
        assert doubled.get_name() == "doubled"  # returned before DuckDB wrote it
        total = backend.run_stage("total", doubled.aggregate(s=doubled.y.sum()))
        # reading data waits for the queued stages
        assert backend.to_arrow(total).to_pydict() == {"s": [20]}
        backend.run_stage("after", backend.table("total").mutate(t=lambda t: t.s + 1))
    assert backend.to_arrow(backend.table("after")).to_pydict() == {"s": [20], "t": [21]}


def test_a_failing_stage_is_raised_with_its_name_and_stops_the_later_ones(
    backend: DuckDBBackend,
) -> None:
    numbers = _numbers(backend)
    ran: list[str] = []
    bad = numbers.mutate(y=numbers.x.cast("string").cast("int64") + ibis.literal("a").cast("int64"))
    with pytest.raises(StageError) as caught, backend.pipelined(inputs=["numbers"]):
        backend.run_stage("fine", numbers.mutate(y=numbers.x + 1))
        backend.run_stage("broken", bad)
        backend.in_order(lambda: ran.append("reached"))
        backend.run_stage("later", numbers.mutate(y=numbers.x + 2))
    assert caught.value.stage == "broken"
    assert "Conversion" in str(caught.value)
    assert ran == []
    assert backend.has_table("fine") and not backend.has_table("later")


def test_a_check_that_stops_the_run_is_raised_in_the_order_of_the_stages(
    backend: DuckDBBackend,
) -> None:
    numbers = _numbers(backend)

    def stop(row: dict[str, object]) -> None:
        raise InputError(f"x is {row['x']}", location="numbers.csv:4")

    checked = pytest.raises(InputError, match="x is 3")
    with checked as caught, backend.pipelined(inputs=["numbers"]):
        backend.run_stage("first", numbers.mutate(y=numbers.x + 1))
        backend.stop_on_first_row(numbers.filter(numbers.x >= 3), ["x"], stop)
        # would fail, but runs after the check, which stops the run first
        backend.run_stage("broken", numbers.mutate(y=ibis.literal("a").cast("int64")))
    assert caught.value.location == "numbers.csv:4"
    assert not backend.has_table("broken")


def test_an_error_on_the_main_thread_abandons_the_queue_and_leaves_the_backend_usable(
    backend: DuckDBBackend,
) -> None:
    numbers = _numbers(backend, 3_000_000)
    slow = numbers.cross_join(numbers.limit(50).rename(z="x")).aggregate(s=lambda t: t.x.sum())
    with pytest.raises(KeyError), backend.pipelined(inputs=["numbers"]):
        backend.run_stage("slow", slow)
        backend.run_stage("after_slow", numbers.limit(1))
        raise KeyError("interrupted")
    assert not backend.has_table("after_slow")
    assert backend.to_arrow(numbers.limit(1)).num_rows == 1


def test_outside_pipelined_a_stage_is_written_when_run_stage_returns(
    backend: DuckDBBackend,
) -> None:
    numbers = _numbers(backend)
    backend.run_stage("now", numbers.filter(numbers.x > 2))
    assert backend.raw.execute("select count(*) from now").fetchone() == (2,)
