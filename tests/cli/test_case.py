"""`saksi case new`: a case reference's access code, printed so that it can be copied whole."""

from __future__ import annotations

import os
import subprocess
import sys

from ledger.core.commitment import case_commitment, parse_access_code


def test_codes_are_not_wrapped_when_output_is_not_a_terminal():
    env = {**os.environ, "COLUMNS": "40"}
    result = subprocess.run(
        [sys.executable, "-m", "ledger.cli", "case", "new", "ktp-jks-2026-000123"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    assert list(lines) == ["caseRef", "accessCode", "caseCommitment"]
    assert len(lines["accessCode"]) == 66 and len(lines["caseCommitment"]) == 66
    key = parse_access_code(lines["accessCode"])
    assert "0x" + case_commitment(key, lines["caseRef"]).hex() == lines["caseCommitment"]
