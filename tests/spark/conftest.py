"""One local Spark session for every Spark test: two cores, few shuffle partitions, no UI.

The tests need PySpark (the ``spark`` extra, in the ``test`` extra) and Java 17+;
``.ci/run`` installs both. Without them the tests skip locally but fail on CI,
where a skipped parity test would hide a broken backend.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from crossfoot.engine.settings import Spark

TEST_SESSION = Spark(
    master="local[2]",
    config={
        "spark.sql.shuffle.partitions": "2",
        "spark.default.parallelism": "2",
        "spark.ui.enabled": "false",
        "spark.driver.memory": "3g",
    },
)


def _missing() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "PySpark is not installed (pip install -e '.[spark]')"
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        return "Java is not installed (apt-get install default-jre-headless)"
    return None


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    if reason := _missing():
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from crossfoot.engine.spark import spark_session

    session = spark_session(TEST_SESSION)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
