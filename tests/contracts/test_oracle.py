"""One textbook RFC 9162 oracle, tests/core/reference.py, for the core and for both contract suites; one set
of cases (verifyInclusion claims, refused checkpoints), contract_cases.py, for both suites.

tests/contracts holds the contract to `ledger.core.merkle`'s trees and the golden vectors; tests_brownie
holds it to the oracle through tests_brownie/rfc9162.py, which must be that oracle and not a second one.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from ledger.core import merkle
from tests.core import reference

ROOT = Path(__file__).resolve().parents[2]


def _brownie_face():
    spec = importlib.util.spec_from_file_location("brownie_rfc9162", ROOT / "tests_brownie" / "rfc9162.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_second_textbook_merkle_tree_in_tests_or_scripts() -> None:
    oracle = ROOT / "tests" / "core" / "reference.py"
    definers = []
    for folder in ("tests", "tests_brownie", "scripts", "benchmarks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            names = {node.name for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.FunctionDef)}
            if names & {"mth", "subproof", "_subproof"}:
                definers.append(path.relative_to(ROOT))
    assert definers == [oracle.relative_to(ROOT)]


def test_the_brownie_suite_reads_the_oracle() -> None:
    face = _brownie_face()
    assert face.mth is reference.mth
    assert face.inclusion_proof is reference.path
    assert face.consistency_proof is reference.proof
    assert face.leaf_hash is reference.leaf_hash
    # What the brownie tests hand the contract (leaf hashes of their entries) is what the log holds.
    entries = face.dataset(13, salt=b"s")
    tree = merkle.MemoryTree(face.leaf_hash(e) for e in entries)
    assert face.mth(entries) == tree.root()
    assert face.inclusion_proof(5, entries) == tree.inclusion_proof(5)
    assert face.consistency_proof(6, entries) == tree.consistency_proof(6)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}


def test_both_suites_replay_the_same_cases() -> None:
    for main, brownie in (("test_verify_inclusion.py", "test_inclusion.py"), ("test_anchor.py", "test_anchor.py")):
        assert "contract_cases" in _imports(ROOT / "tests" / "contracts" / main)
        assert "contract_cases" in _imports(ROOT / "tests_brownie" / brownie)
