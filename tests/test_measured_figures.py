"""Comments and docstrings of ledger/ and api/ quote no measured figures: they point at the benchmark.

A timing written into a comment goes stale the day the code or the host changes; benchmarks/results.json
keeps each figure with its commit, date and host. So a figure in the code is a setting or a documented
behaviour (SQLite's busy-handler sleeps, the interpreter's switch interval), listed below, and every
benchmark the code names exists in benchmarks/results.json.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*(ROOT / "ledger").rglob("*.py"), *(ROOT / "api").rglob("*.py")])
# a duration, a rate, or a speed-up written as a number
FIGURE = re.compile(r"\d[\d.,]*\)? ?(ms|µs|us)\b|\d ?[a-z]*/s\b|\d+(-\d+)? ?[x×] ?(faster|slower)")
#: Figures that are settings or documented behaviour, not measurements: (file, words on the line).
NOT_MEASURED = {
    ("ledger/services/group_commit.py", "sleeps of up to 100 ms (its busy handler)"),
    ("ledger/storage/sql.py", "up to 100 ms between tries"),
    ("ledger/cli/serve.py", "every 1 ms instead of 5"),
}
BENCHMARK_NAME = re.compile(r"`([a-z0-9]+(?:-[a-z0-9]+)*)`")


def _lines():
    for path in SOURCES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            yield path.relative_to(ROOT).as_posix(), number, line


def test_no_measured_figures_in_comments():
    found = []
    for path, number, line in _lines():
        if FIGURE.search(line.replace("0x", "")) and not any(path == p and words in line for p, words in NOT_MEASURED):
            found.append(f"{path}:{number}: {line.strip()}")
    assert not found, "figures belong in benchmarks/results.json:\n" + "\n".join(found)


def test_the_allowed_figures_are_still_there():
    lines = {(path, line) for path, _, line in _lines()}
    for path, words in NOT_MEASURED:
        assert any(p == path and words in line for p, line in lines), (path, words)


def test_every_benchmark_named_in_the_code_exists():
    benchmarks = {f["benchmark"] for f in json.loads((ROOT / "benchmarks/results.json").read_text())["figures"]}
    named: set[tuple[str, str]] = set()
    for path in SOURCES:
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if "benchmarks/results.json" in line:  # the benchmark is named on that line or the two beside it
                window = " ".join(lines[max(0, i - 2) : i + 3])
                named |= {(path.relative_to(ROOT).as_posix(), n) for n in BENCHMARK_NAME.findall(window)}
    assert len(named) >= 10
    unknown = sorted((path, name) for path, name in named if name not in benchmarks)
    assert not unknown, f"not a benchmark of benchmarks/results.json ({sorted(benchmarks)}): {unknown}"
