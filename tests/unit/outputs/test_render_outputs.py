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
    "bridge_by_owner.csv", "bridge_by_customer.csv", "exception_effects.csv", "roadmap.csv",
    "executive_summary.md",
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


def _failing(_view: object, path: Path) -> None:
    path.write_bytes(b"half")
    raise OSError("disk full")


@pytest.mark.parametrize("where", ["BY_DUCKDB", "IN_PYTHON"])
def test_a_failed_file_on_either_thread_stops_the_write_and_leaves_nothing(
    result: RunResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    # the CSV files are written on a worker thread while the Python renderers run:
    # a failure on either side raises, naming the file, and no temporary file is left
    import crossfoot.outputs.render as render

    writers = getattr(render, where)
    failing = writers[-1][0]
    monkeypatch.setattr(render, where, (*writers[:-1], (failing, _failing)))
    with pytest.raises(OutputError) as info:
        write_outputs(result, tmp_path)
    assert info.value.location == str(tmp_path / failing)
    assert "disk full" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_the_csv_files_are_written_beside_the_python_renderers(
    result: RunResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    import crossfoot.outputs.render as render

    seen: dict[str, str] = {}

    def recording(name: str, write: render.Writer) -> render.Writer:
        def wrapper(view: object, path: Path) -> None:
            seen[name] = threading.current_thread().name
            write(view, path)  # type: ignore[arg-type]

        return wrapper

    for where in ("BY_DUCKDB", "IN_PYTHON"):
        writers = getattr(render, where)
        monkeypatch.setattr(render, where, tuple((n, recording(n, w)) for n, w in writers))
    write_outputs(result, tmp_path)
    main = threading.main_thread().name
    assert {seen[n] for n, _ in render.BY_DUCKDB} != {main}
    assert {seen[n] for n, _ in render.IN_PYTHON} == {main}
