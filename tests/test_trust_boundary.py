"""The trust boundary in the tree: what checks the server lives apart from it (ledger.checker) and imports
none of it, and the dev-chain launchers are outside the server's packages. import-linter enforces both in
`make lint`; this test runs the same contracts so a broken one also fails the suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import ledger.checker.client
import ledger.checker.monitor
import ledger.checker.submit
import ledger.checker.verify
import ledger.devchain.nodes

ROOT = Path(__file__).resolve().parents[1]


def test_the_import_contracts_hold():
    out = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    text = " ".join(out.stdout.split())
    assert "What checks the server (verify, monitor, the agency client, submit) imports none of the server KEPT" in text
    assert "Dev-chain launchers (anvil, ganache) are not part of the server KEPT" in text


def test_the_checker_loads_none_of_the_server():
    """In a fresh interpreter: importing every checker module loads no service, storage, runtime or API."""
    code = (
        "import sys, ledger.checker.client, ledger.checker.submit, ledger.checker.monitor, ledger.checker.verify\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[:2] in (['ledger', 'services'], ['ledger', 'storage'],"
        " ['ledger', 'runtime']) or m.split('.')[0] in ('api', 'sqlalchemy', 'fastapi'))\n"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_modules_are_where_the_tree_says():
    assert Path(ledger.checker.client.__file__).parent.name == "checker"
    assert ledger.checker.submit.submit_file and ledger.checker.monitor.Monitor and ledger.checker.verify.chain_trust
    assert Path(ledger.devchain.nodes.__file__).parent.name == "devchain"
    assert not (ROOT / "ledger" / "chain" / "nodes.py").exists()
