"""``crossfoot pull`` on the command line: exit codes, output, and no secret anywhere."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from crossfoot.cli import app as cli
from tests.unit.pull.conftest import SECRETS, Workspace


def invoke(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["crossfoot", *args])
    monkeypatch.setattr(cli, "_debug", False)
    try:
        cli.main()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _no_secret_in_files(root: Path, secrets: list[str]) -> None:
    for path in root.rglob("*"):
        assert not any(s in str(path) for s in secrets), path
        if path.is_file():
            data = path.read_bytes()
            assert not any(s.encode() in data for s in secrets), path


def test_pull_then_run_and_no_secret_leaks(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = "00Dxx0000001gPL!AQ4AQWrongTokenEchoedByTheServer987654"
    monkeypatch.setenv("SF_TOKEN", wrong)
    assert invoke(monkeypatch, "pull", "-c", str(workspace.config)) == 3
    out = capsys.readouterr()
    assert "credentials refused" in out.err and "salesforce query User page 1" in out.err
    assert "INVALID_SESSION_ID" in out.err
    assert wrong not in out.out + out.err and "Traceback" not in out.err
    monkeypatch.setenv("SF_TOKEN", SECRETS[0])
    assert invoke(monkeypatch, "pull", "-c", str(workspace.config)) == 0
    out = capsys.readouterr()
    assert "Opportunity" in out.out and "transactionline" in out.out and "Pulled" in out.out
    assert (
        invoke(monkeypatch, "run", "-c", str(workspace.config), "-o", str(workspace.root / "out"))
        == 0
    )
    out2 = capsys.readouterr()
    text = out.out + out.err + out2.out + out2.err
    assert not any(s in text for s in [*SECRETS, wrong])
    _no_secret_in_files(workspace.root, [*SECRETS, wrong])


def test_missing_environment_variable_exits_3_naming_it(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("NS_TS")
    assert invoke(monkeypatch, "pull", "-c", str(workspace.config)) == 3
    err = capsys.readouterr().err
    assert "environment variable NS_TS is not set" in err and "erp.api.token_secret_env" in err


def test_run_before_pull_says_what_to_do(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert invoke(monkeypatch, "check", "-c", str(workspace.config)) == 2
    assert "run crossfoot pull first" in capsys.readouterr().err
