"""The witness's import-linter contract holds, and would catch the witness reaching into the server or SQL."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))
CONTRACT = "witness-checks-the-server"


def _lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LINT_IMPORTS, "--config", "pyproject.toml", "--contract", CONTRACT, "--no-cache"],
        cwd=cwd,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_witness_contract_holds():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout


@pytest.mark.parametrize(
    ("module", "line"),
    [
        ("ledger/witness/state.py", "import sqlite3"),
        ("ledger/witness/app.py", "from ledger.storage.sql import SqlStore"),
        ("ledger/witness/witness.py", "import ledger.services.ledger"),
        ("ledger/witness/admin.py", "from api.app import create_app as _api"),
    ],
)
def test_the_server_or_sql_in_the_witness_breaks_the_contract(tmp_path, module, line):
    for package in ("ledger", "api"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{line}  # noqa\n")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and module.removesuffix(".py").replace("/", ".") in result.stdout
