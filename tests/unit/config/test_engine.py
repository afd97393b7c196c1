"""engine: and spark: in crossfoot.yaml — where the engine runs, and Spark's session settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.config.test_definitions import SPEC_EXAMPLE

from crossfoot.config import load_definitions
from crossfoot.errors import ConfigError


def _write(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "crossfoot.yaml"
    path.write_text(SPEC_EXAMPLE + extra)
    return path


def test_duckdb_is_the_default_engine(tmp_path: Path) -> None:
    defs = load_definitions(_write(tmp_path, ""))
    assert defs.engine == "duckdb"
    assert defs.spark.master is None and defs.spark.config == {} and defs.spark.staging is None


def test_spark_settings_are_read_as_strings(tmp_path: Path) -> None:
    defs = load_definitions(
        _write(
            tmp_path,
            "engine: spark\n"
            "spark:\n"
            '  master: "local[2]"\n'
            "  staging: staging\n"
            "  config:\n"
            "    spark.sql.shuffle.partitions: 8\n"
            "    spark.ui.enabled: false\n",
        )
    )
    assert defs.engine == "spark"
    assert defs.spark.master == "local[2]"
    # YAML reads 8 and false as int and bool; Spark wants "8" and "false"
    assert defs.spark.config == {
        "spark.sql.shuffle.partitions": "8",
        "spark.ui.enabled": "false",
    }
    assert defs.path(defs.spark.staging or "") == tmp_path / "staging"


@pytest.mark.parametrize(
    ("extra", "key", "says"),
    [
        ("engine: flink\n", "engine", "'duckdb' or 'spark'"),
        ("spark:\n  masterr: local\n", "spark.masterr", "is not a known key"),
    ],
)
def test_unknown_engine_or_spark_key_names_line_and_key(
    tmp_path: Path, extra: str, key: str, says: str
) -> None:
    with pytest.raises(ConfigError) as err:
        load_definitions(_write(tmp_path, extra))
    line = SPEC_EXAMPLE.count("\n") + (2 if key.startswith("spark.") else 1)
    assert f"crossfoot.yaml:{line} {key}:" in str(err.value)
    assert says in str(err.value)


def test_duckdb_settings_reach_the_connection(tmp_path: Path) -> None:
    """memory_limit, temp_directory and threads are DuckDB's own settings of the run's store."""
    from crossfoot.engine.backend import DuckDBBackend

    defs = load_definitions(
        _write(tmp_path, "duckdb:\n  memory_limit: 1500MB\n  temp_directory: spill\n  threads: 1\n")
    )
    assert defs.duckdb.memory_limit == "1500MB"
    backend = DuckDBBackend(
        tmp_path / "store.duckdb",
        memory_limit=defs.duckdb.memory_limit,
        temp_directory=defs.path(defs.duckdb.temp_directory or ""),
        threads=defs.duckdb.threads,
    )
    try:
        settings = dict(
            backend.raw.execute(
                "select name, value from duckdb_settings() "
                "where name in ('memory_limit', 'temp_directory', 'threads')"
            ).fetchall()
        )
    finally:
        backend.close()
    assert settings["memory_limit"] == "1.3 GiB"  # 1500 MB, as DuckDB prints it
    assert settings["temp_directory"] == str(tmp_path / "spill")
    assert settings["threads"] == "1"


def test_a_memory_limit_that_is_not_a_size_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_definitions(_write(tmp_path, "duckdb:\n  memory_limit: lots\n"))
    assert "duckdb.memory_limit" in str(err.value) and "2GB" in str(err.value)
