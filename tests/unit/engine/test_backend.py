"""The DuckDB backend compiles without fusing selects, and leaves Ibis's option as it was."""

from __future__ import annotations

import ibis
import pytest

from crossfoot.engine.backend import DuckDBBackend, compile_sql


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
