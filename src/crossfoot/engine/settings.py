"""The ``duckdb:`` and ``spark:`` sections of ``crossfoot.yaml``: where the engine runs.

::

    engine: duckdb           # or spark (docs/spark.md)
    duckdb:
      memory_limit: 2GB      # DuckDB's buffer pool; beyond it, spill to disk
      temp_directory: /scratch/crossfoot
      threads: 4
    spark:
      master: local[4]
      config: {spark.sql.shuffle.partitions: "8"}
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Spark(_Model):
    """Where the engine runs with ``engine: spark`` (docs/spark.md)."""

    #: the Spark master (``local[2]``, ``spark://host:7077``, ``yarn``); default: the
    #: running session's or spark-submit's (on Databricks: the cluster's)
    master: str | None = None
    #: Spark settings for the session, e.g. ``spark.sql.shuffle.partitions: "8"``
    config: dict[str, str] = Field(default_factory=dict)
    #: a folder both the driver and the executors see (``/dbfs/...``, ``/Volumes/...``,
    #: a shared mount): the canonical tables go to Spark as Parquet files there;
    #: default: as Arrow through the driver
    staging: str | None = None

    @field_validator("config", mode="before")
    @classmethod
    def _config_text(cls, v: Any) -> Any:
        # YAML reads 8 and true as int and bool; Spark settings are strings
        if isinstance(v, dict):
            return {k: str(x).lower() if isinstance(x, bool) else str(x) for k, x in v.items()}
        return v


class DuckDB(_Model):
    """How the embedded engine uses this machine (docs/definitions.md)."""

    #: DuckDB's buffer pool; above it, tables and large joins spill to
    #: ``temp_directory`` instead of failing. The whole run (Python, Arrow results)
    #: needs about 3 GB more than this at 1 million deals.
    memory_limit: str = "2GB"
    #: where spilled data goes; default: beside the workspace store (``<store>.tmp``)
    temp_directory: str | None = None
    #: worker threads; default: one per core
    threads: int | None = Field(default=None, ge=1)

    @field_validator("memory_limit")
    @classmethod
    def _size(cls, v: str) -> str:
        if not re.fullmatch(
            r"\s*[0-9]+(\.[0-9]+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*", v, re.IGNORECASE
        ):
            raise ValueError(f"{v!r} is not a size: write it like 2GB, 1500MB or 4GiB")
        return v.strip()
