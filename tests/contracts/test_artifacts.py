"""The committed build artifacts are exactly what the pinned compiler makes of the sources."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import solcx

from ledger.chain import solc


def test_artifacts_match_sources() -> None:
    fresh = solc.compile_contracts()
    assert set(fresh) == set(solc.CONTRACTS)
    for name, artifact in fresh.items():
        committed = solc.load_artifact(name)
        # Compare piece by piece first, so that a failure says what drifted.
        for key in ("sources", "compiler", "abi", "bytecode", "deployedBytecode"):
            assert committed[key] == artifact[key], f"{name}.{key} drifted: run python scripts/compile_contracts.py"
        assert solc.artifact_path(name).read_text() == solc.artifact_text(artifact)


def test_artifact_records_pinned_compiler_and_settings() -> None:
    artifact = solc.load_artifact()
    assert artifact["contractName"] == "SaksiLedger"
    assert artifact["compiler"]["version"].startswith("0.8.28+commit.")
    assert artifact["compiler"]["settings"] == {
        "evmVersion": "shanghai",
        "optimizer": {"enabled": True, "runs": 200},
        "metadata": {"bytecodeHash": "none"},
    }
    assert "contracts/SaksiLedger.sol" in artifact["sources"]


def test_rfc9162_checks_live_in_one_library() -> None:
    """The contract's RFC 9162 checks are the RFC9162 library's (compiled in: internal functions, nothing to
    link), and its node hash is written once across contracts/, not once per check."""
    artifact = solc.load_artifact()
    assert "contracts/RFC9162.sol" in artifact["sources"]
    assert "__$" not in artifact["bytecode"], "the library must need no linking"
    sources = {path: path.read_text() for path in (solc.REPO_ROOT / "contracts").glob("*.sol")}
    ledger_source = sources[solc.REPO_ROOT / "contracts" / "SaksiLedger.sol"]
    assert "RFC9162.Proof.Consistency" in ledger_source
    assert "RFC9162.Proof.Inclusion" in ledger_source
    assert "assembly" not in ledger_source
    assert sum(text.count("function nodeHash(") for text in sources.values()) == 1


def test_install_shim_is_idempotent_and_leaves_one_compiler(tmp_path) -> None:
    first = solc.install_shim(tmp_path)
    text = first.read_text()
    assert solc.install_shim(tmp_path) == first
    assert first.read_text() == text
    assert [p.name for p in tmp_path.iterdir()] == ["solc-v0.8.28"]
    assert text.startswith("#!/bin/sh\nexec node ")
    version = solcx.wrapper.get_version_str_from_solc_binary(first)
    assert version.startswith("0.8.28+commit.")


def test_shim_writes_output_larger_than_a_pipe_buffer() -> None:
    # ASTs of the contract and its imports make the JSON far larger than 64 KiB.
    compiler_input = {
        "language": "Solidity",
        "sources": {
            "contracts/SaksiLedger.sol": {"content": (solc.REPO_ROOT / "contracts/SaksiLedger.sol").read_text()}
        },
        "settings": {**solc.COMPILER_SETTINGS, "outputSelection": {"*": {"": ["ast"], "*": ["abi", "evm.bytecode"]}}},
    }
    completed = subprocess.run(
        ["node", str(solc.SHIM_PATH), "--standard-json", "--base-path", ".", "--allow-paths", "."],
        input=json.dumps(compiler_input).encode(),
        capture_output=True,
        check=True,
    )
    assert len(completed.stdout) > 256 * 1024
    output = json.loads(completed.stdout)
    assert not [e for e in output.get("errors", []) if e["severity"] == "error"]
    assert "SaksiLedger" in output["contracts"]["contracts/SaksiLedger.sol"]


def test_shim_refuses_unknown_options_the_way_solcx_understands() -> None:
    completed = subprocess.run(["node", str(solc.SHIM_PATH), "--combined-json", "abi"], capture_output=True, text=True)
    assert completed.returncode != 0
    assert completed.stderr.startswith("unrecognised option '--combined-json'")


def test_the_compiler_is_this_checkouts_and_nothing_is_written_under_home(tmp_path) -> None:
    """Two clones on one machine cannot break each other: ~/.solcx is shared, so neither uses it. Here
    it holds a wrapper naming a clone that is gone, as was found on a machine; `make solc-shim` and a
    compile in this checkout neither read nor touch it."""
    home = tmp_path / "home"
    stale = home / ".solcx" / "solc-v0.8.28"
    stale.parent.mkdir(parents=True)
    stale.write_text('#!/bin/sh\nexec node "/gone/saksi/scripts/solc-shim.js" "$@"\n')
    stale.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "SOLCX_BINARY_PATH"} | {"HOME": str(home)}
    # the shim's own recipe only (-o: not the installs it depends on, which would fill this HOME's caches)
    make = ["make", "-s", "-o", ".venv/.installed", "-o", "node_modules/.installed", "solc-shim"]
    subprocess.run(make, cwd=solc.REPO_ROOT, env=env, check=True, capture_output=True)
    probe = "from ledger.chain import solc; print(solc.compiler()); print(solc.compiler_version())"
    completed = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    )
    binary, version = completed.stdout.split()
    assert Path(binary) == solc.SHIM_FOLDER / "solc-v0.8.28" and solc.SHIM_FOLDER.is_relative_to(solc.REPO_ROOT)
    assert str(solc.SHIM_PATH) in Path(binary).read_text()
    assert version.startswith("0.8.28+commit.")
    assert [p.relative_to(home) for p in home.rglob("*")] == [Path(".solcx"), Path(".solcx/solc-v0.8.28")]
    assert "/gone/saksi" in stale.read_text()
