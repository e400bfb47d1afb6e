"""The import-linter contracts of pyproject.toml hold: the storage one would catch SQL written elsewhere, the
routers one a router importing another."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def _lint(cwd: Path, contract: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LINT_IMPORTS, "--config", "pyproject.toml", "--contract", contract, "--no-cache"],
        cwd=cwd,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_storage_is_the_only_room_that_speaks_sql():
    result = _lint(ROOT, "storage-speaks-sql")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "line"),
    [
        ("ledger/services/stats.py", "import sqlite3"),
        ("ledger/services/complaints.py", "from sqlalchemy import select"),
        ("api/app.py", "from ledger.storage.schema import events"),
    ],
)
def test_sql_outside_storage_breaks_the_contract(tmp_path, module, line):
    for package in ("ledger", "api"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{line}  # noqa\n")
    result = _lint(tmp_path, "storage-speaks-sql")
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and module.removesuffix(".py").replace("/", ".") in result.stdout


def test_the_routers_do_not_import_each_other():
    result = _lint(ROOT, "routers-independent")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "line"),
    [
        ("api/routers/chain.py", "from api.routers.agencies import router as _agencies"),
        ("api/routers/ops.py", "import api.routers.web"),
    ],
)
def test_a_router_importing_another_breaks_the_contract(tmp_path, module, line):
    for package in ("ledger", "api"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{line}  # noqa\n")
    result = _lint(tmp_path, "routers-independent")
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and module.removesuffix(".py").replace("/", ".") in result.stdout
