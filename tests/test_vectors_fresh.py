"""The golden vectors on disk are exactly what scripts/gen_vectors.py makes (CI runs the same check)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT / "scripts" / "gen_vectors.py"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(GENERATOR), *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


def test_vectors_are_fresh() -> None:
    result = run("--check")
    assert result.returncode == 0, f"tests/vectors/ drifted from the generator:\n{result.stderr}"


def test_check_mode_reports_drift(tmp_path: Path) -> None:
    for path in (ROOT / "tests" / "vectors").glob("*.json"):
        shutil.copy(path, tmp_path / path.name)
    edited = tmp_path / "inclusion.json"
    edited.write_text(
        edited.read_text(encoding="utf-8").replace('"valid": true', '"valid": false', 1), encoding="utf-8"
    )
    (tmp_path / "checkpoints.json").unlink()
    (tmp_path / "stray.json").write_text("{}\n", encoding="utf-8")
    result = run("--check", "--out", str(tmp_path))
    assert result.returncode == 1
    assert "inclusion.json: differs (2 lines)" in result.stderr
    assert "checkpoints.json: missing" in result.stderr
    assert "stray.json: not made by the generator" in result.stderr


def test_generation_is_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    assert run("--out", str(first)).returncode == 0
    assert run("--out", str(second)).returncode == 0
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir()) and len(names) == 9
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
