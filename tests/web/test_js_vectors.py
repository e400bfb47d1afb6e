"""The JavaScript verifier (web/src/core/) against the same golden vectors as the Python core.

Runs `node --test web/test/`: web/test/vectors.test.mjs replays tests/vectors/*.json (a missing file
is skipped), web/test/citizen-checks.test.mjs checks the citizen page's checks and the raw JSON-RPC
rootAt call. Needs Node and `npm ci` (for @noble/curves and @noble/hashes); skipped without them
unless CI is set.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ledger.core.verify import STEPS

ROOT = Path(__file__).resolve().parents[2]


def _node() -> str:
    node = shutil.which("node")
    missing = None
    if node is None:
        missing = "node is not installed"
    elif not (ROOT / "node_modules" / "@noble" / "curves" / "secp256k1.js").exists():
        missing = "node_modules lacks @noble/curves 2.x: run `npm ci`"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    assert node is not None
    return node


def test_js_verifier_has_the_python_steps() -> None:
    """The browser's verifyBundle numbers and words its steps as ledger/core/verify.py does, so a
    failure names the same step on either side (and FORMATS §10.3 has one list, not two)."""
    program = (
        "const v = await import('./web/src/core/index.js');"
        "console.log(JSON.stringify({steps: v.STEPS, checks: v.CASE_CHECK_STEPS}));"
    )
    result = subprocess.run(
        [_node(), "--input-type=module", "-e", program], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout)
    assert found["steps"] == list(STEPS)
    assert sorted({n for numbers in found["checks"].values() for n in numbers}) == list(range(1, len(STEPS) + 1))


def test_js_verifier_replays_the_golden_vectors() -> None:
    node = _node()
    result = subprocess.run(
        [node, "--test", "--test-reporter=spec", "web/test/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-8000:]
    passed = re.search(r"ℹ pass (\d+)", output)
    failed = re.search(r"ℹ fail (\d+)", output)
    assert passed and int(passed.group(1)) > 500, output[-3000:]
    assert failed and int(failed.group(1)) == 0, output[-3000:]
