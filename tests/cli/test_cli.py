"""The command line: exit codes (SPEC §8) and one-line errors, never a traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from crossfoot.cli import app as cli


def invoke(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["crossfoot", *args])
    monkeypatch.setattr(cli, "_debug", False)
    try:
        cli.main()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_version(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert invoke(monkeypatch, "--version") == 0
    assert "crossfoot 0." in capsys.readouterr().out


def test_init_scaffolds_a_valid_definitions_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from crossfoot.config import load_definitions

    target = tmp_path / "diag"
    assert invoke(monkeypatch, "init", str(target)) == 0
    defs = load_definitions(target / "crossfoot.yaml")
    assert defs.crm.system == "salesforce"
    assert (target / "data" / "salesforce").is_dir()
    assert (target / "data" / "fx_rates.csv").read_text().startswith("date,from_currency")
    # a second init refuses to overwrite the reviewed file
    assert invoke(monkeypatch, "init", str(target)) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and "Traceback" not in err


def test_bad_definitions_exit_2_with_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "crossfoot.yaml"
    bad.write_text(
        "crm: {system: salesforce, source: x}\nerp: {system: sap, source: y}\nstages: {Won: won}\n"
    )
    assert invoke(monkeypatch, "check", "-c", str(bad)) == 2
    err = capsys.readouterr().err
    assert "crossfoot.yaml:2 erp.system: 'sap'" in err
    assert "Traceback" not in err


def test_missing_definitions_file_exits_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert invoke(monkeypatch, "run", "-c", str(tmp_path / "nope.yaml")) == 2
    assert "cannot read the definitions file" in capsys.readouterr().err


def test_empty_data_folders_exit_2_naming_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert invoke(monkeypatch, "init", str(tmp_path)) == 0
    capsys.readouterr()
    assert invoke(monkeypatch, "check", "-c", str(tmp_path / "crossfoot.yaml")) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "salesforce" in err.lower() or "opportunity" in err.lower()


def test_unknown_option_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    assert invoke(monkeypatch, "run", "--no-such-flag") == 2


def test_a_bug_shows_its_traceback(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import crossfoot.api

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(crossfoot.api, "check", boom)
    with pytest.raises(RuntimeError, match="bug"):
        invoke(monkeypatch, "check", "-c", str(tmp_path / "x.yaml"))


@pytest.mark.slow
def test_demo_runs_end_to_end(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "demo"
    assert invoke(monkeypatch, "demo", str(folder)) == 0
    out = capsys.readouterr().out
    assert "Bridge (USD)" in out and "erp_revenue" in out
    assert (folder / "out" / "report.html").is_file()


@pytest.mark.slow
def test_demo_writes_hubspot_pages_with_crm_hubspot(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "demo"
    assert invoke(monkeypatch, "demo", str(folder), "--crm", "hubspot") == 0
    assert "Bridge (USD)" in capsys.readouterr().out
    assert (folder / "data" / "hubspot" / "deals.1.json").is_file()
    assert "system: hubspot" in (folder / "crossfoot.yaml").read_text()


def test_demo_refuses_an_unknown_crm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert invoke(monkeypatch, "demo", str(tmp_path / "demo"), "--crm", "pipedrive") == 2
    assert not (tmp_path / "demo").exists()


@pytest.mark.parametrize("deals", ["20", "0", "-5", "149"])
def test_demo_refuses_too_few_deals_with_the_minimum(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    deals: str,
) -> None:
    assert invoke(monkeypatch, "demo", str(tmp_path / "demo"), f"--deals={deals}") == 2
    err = capsys.readouterr().err
    assert "--deals" in err and "at least 150 deals" in err and "Traceback" not in err
    assert not (tmp_path / "demo").exists()


def test_a_workspace_locked_by_another_process_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import subprocess
    import sys as _sys

    store = tmp_path / "store.duckdb"
    holder = subprocess.Popen(
        [_sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(store)!r}); print('ok', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        assert invoke(monkeypatch, "init", str(tmp_path / "d")) == 0
        code = invoke(
            monkeypatch,
            "run",
            "-c",
            str(tmp_path / "d" / "crossfoot.yaml"),
            "--workspace",
            str(store),
        )
        assert code == 2
        err = capsys.readouterr().err
        assert "workspace store cannot be opened" in err and "Traceback" not in err
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()


@pytest.mark.slow
def test_demo_in_another_erp_format(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "demo"
    assert invoke(monkeypatch, "demo", str(folder), "--erp", "xero", "--deals", "150") == 0
    assert "erp_revenue" in capsys.readouterr().out
    assert (folder / "data" / "xero" / "Invoices.1.json").is_file()
    assert invoke(monkeypatch, "demo", str(tmp_path / "other"), "--erp", "sap") == 2


def test_run_engine_option_reaches_the_library(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import crossfoot.api
    from crossfoot.errors import InputError

    seen: dict[str, object] = {}

    def fake_run(config: Path, out: Path, **kwargs: object) -> None:
        seen.update(kwargs)
        raise InputError("stop here", location=str(config))

    monkeypatch.setattr(crossfoot.api, "run", fake_run)
    cfg = str(tmp_path / "crossfoot.yaml")
    assert invoke(monkeypatch, "run", "-c", cfg, "--engine", "spark") == 2
    assert seen["engine"] == "spark"
    assert invoke(monkeypatch, "run", "-c", cfg) == 2
    assert seen["engine"] is None  # the definitions decide
    assert invoke(monkeypatch, "run", "-c", cfg, "--engine", "flink") == 2
