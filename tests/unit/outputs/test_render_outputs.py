"""write_outputs: the folder, its files, determinism and errors."""

from __future__ import annotations

from pathlib import Path

import pytest

import crossfoot.outputs
from crossfoot.diagnostic.findings import RunResult
from crossfoot.errors import OutputError
from crossfoot.outputs import OUTPUT_FILES, write_outputs

EXPECTED = {
    "summary.json", "exceptions.csv", "bridge.csv", "bridge_by_product_line.csv",
    "matches.csv", "rejects.csv", "milestones_pending.csv", "exceptions.xlsx", "report.html",
}  # fmt: skip


def test_public_api() -> None:
    assert crossfoot.outputs.__all__ == sorted(crossfoot.outputs.__all__)
    assert crossfoot.outputs.__all__ == ["OUTPUT_FILES", "write_outputs"]


def test_every_file_is_written(written: dict[str, Path]) -> None:
    assert set(written) == EXPECTED == set(OUTPUT_FILES)
    folder = next(iter(written.values())).parent
    for name, path in written.items():
        assert path == folder / name
        assert path.stat().st_size > 0
    assert sorted(p.name for p in folder.iterdir()) == sorted(EXPECTED)  # no temp files left


def test_two_writes_are_identical(result: RunResult, tmp_path: Path) -> None:
    first = write_outputs(result, tmp_path / "a")
    second = write_outputs(result, tmp_path / "b")
    for name in EXPECTED:
        assert first[name].read_bytes() == second[name].read_bytes(), name


def test_creates_the_folder_and_overwrites(result: RunResult, tmp_path: Path) -> None:
    out = tmp_path / "deep" / "run"
    write_outputs(result, out)
    (out / "bridge.csv").write_text("stale", encoding="utf-8")
    write_outputs(result, out)
    assert (out / "bridge.csv").read_text(encoding="utf-8").startswith("period,step")


def test_folder_that_is_a_file_raises_output_error(result: RunResult, tmp_path: Path) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(OutputError) as info:
        write_outputs(result, blocker)
    assert info.value.location == str(blocker)
    assert info.value.exit_code == 2


def test_unwritable_file_raises_output_error_naming_it(result: RunResult, tmp_path: Path) -> None:
    (tmp_path / "report.html").mkdir()  # a folder where a file must go
    with pytest.raises(OutputError) as info:
        write_outputs(result, tmp_path)
    assert info.value.location == str(tmp_path / "report.html")
    assert not list(tmp_path.glob(".*.tmp"))
