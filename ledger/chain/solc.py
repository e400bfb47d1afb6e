"""Compile the contracts with the pinned solc, offline, and read the committed build artifacts.

The compiler is the npm ``solc`` package (solcjs) behind ``scripts/solc-shim.js``, installed as
``solc-v0.8.28`` in this checkout's ``build/solcx`` (a folder laid out as py-solc-x's own, so that the
same py-solc-x calls work with a native solc too, and brownie finds it through ``SOLCX_BINARY_PATH``).
Never in ``~/.solcx``: that folder is shared by every checkout on the machine, and a wrapper there named
whichever checkout ran ``make`` last (a stale clone's path was found in one). The
artifacts under ``contracts/build/`` are committed and must be byte-for-byte what a fresh compile
produces: settings are pinned and ``metadata.bytecodeHash`` is ``none`` for exactly that reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import solcx

REPO_ROOT = Path(__file__).resolve().parents[2]
SHIM_PATH = REPO_ROOT / "scripts" / "solc-shim.js"
BUILD_DIR = REPO_ROOT / "contracts" / "build"
#: This checkout's compiler folder (ignored by git, removed by `make clean`).
SHIM_FOLDER = REPO_ROOT / "build" / "solcx"
# Where imports that are not project paths (``@openzeppelin/contracts/...``) come from; the shim
# resolves them in the same order.
IMPORT_ROOTS = (REPO_ROOT, REPO_ROOT / "node_modules")

SOLC_VERSION = "0.8.28"
# Every chain Saksi supports runs shanghai, ganache 7.9.2 included (it stops there).
COMPILER_SETTINGS: dict[str, Any] = {
    "evmVersion": "shanghai",
    "optimizer": {"enabled": True, "runs": 200},
    "metadata": {"bytecodeHash": "none"},
}
_OUTPUT_SELECTION = {"*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}}

# Contract name -> source unit name (a path relative to the repository root).
CONTRACTS: dict[str, str] = {"SaksiLedger": "contracts/SaksiLedger.sol"}


def install_shim(install_folder: Path | None = None) -> Path:
    """Install ``solc-v0.8.28`` (a wrapper around this checkout's shim) in :data:`SHIM_FOLDER`.

    Idempotent. The file is written under a temporary name that does not start with ``solc-v``
    and renamed into place, because py-solc-x parses every ``solc-v*`` name in that folder as a version.
    """
    folder = Path(install_folder) if install_folder else SHIM_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"solc-v{SOLC_VERSION}"
    script = f'#!/bin/sh\nexec node "{SHIM_PATH}" "$@"\n'
    if not (target.is_file() and target.read_text() == script and os.access(target, os.X_OK)):
        fd, temporary = tempfile.mkstemp(prefix=".saksi-shim-", dir=folder)
        with os.fdopen(fd, "w") as handle:
            handle.write(script)
        os.chmod(temporary, 0o755)
        os.replace(temporary, target)
    return target


def compiler() -> Path:
    """This checkout's pinned compiler, installed if needed (named explicitly: py-solc-x's own lookup
    would prefer ``SOLCX_BINARY_PATH`` or ``~/.solcx``, which may hold another checkout's)."""
    return install_shim()


def compiler_version() -> str:
    """``X.Y.Z+commit.HASH`` of the pinned compiler, as recorded in artifacts."""
    return solcx.wrapper.get_version_str_from_solc_binary(compiler())


def compile_standard_json(sources: Mapping[str, str], settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Compile source unit name -> text with the pinned settings; imports are resolved by the shim."""
    compiler_input = {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in sources.items()},
        "settings": {**(settings or COMPILER_SETTINGS), "outputSelection": _OUTPUT_SELECTION},
    }
    return solcx.compile_standard(compiler_input, solc_binary=compiler())


def resolve_source(unit_name: str) -> Path:
    """The file behind a source unit name, looked up like the shim does."""
    for root in IMPORT_ROOTS:
        candidate = (root / unit_name).resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            return candidate
    raise FileNotFoundError(unit_name)


def _hex(code: str) -> str:
    return "0x" + code


def build_artifact(output: Mapping[str, Any], unit_name: str, contract_name: str, version: str) -> dict[str, Any]:
    """The committed form of one compiled contract."""
    compiled = output["contracts"][unit_name][contract_name]
    return {
        "contractName": contract_name,
        "abi": compiled["abi"],
        "bytecode": _hex(compiled["evm"]["bytecode"]["object"]),
        "deployedBytecode": _hex(compiled["evm"]["deployedBytecode"]["object"]),
        "compiler": {"version": version, "settings": COMPILER_SETTINGS},
        # Every source unit that went into the bytecode, so that a changed import shows as drift too.
        "sources": {
            name: hashlib.sha256(resolve_source(name).read_bytes()).hexdigest() for name in sorted(output["sources"])
        },
    }


def compile_contracts() -> dict[str, dict[str, Any]]:
    """Compile every contract of :data:`CONTRACTS`; returns contract name -> artifact.

    Each contract is compiled on its own so that its artifact lists only its own sources.
    """
    install_shim()
    version = compiler_version()
    artifacts: dict[str, dict[str, Any]] = {}
    for name, unit_name in CONTRACTS.items():
        output = compile_standard_json({unit_name: (REPO_ROOT / unit_name).read_text()})
        artifacts[name] = build_artifact(output, unit_name, name, version)
    return artifacts


def artifact_text(artifact: Mapping[str, Any]) -> str:
    """Canonical serialisation: sorted keys, two-space indent, trailing newline."""
    return json.dumps(artifact, sort_keys=True, indent=2) + "\n"


def artifact_path(name: str) -> Path:
    return BUILD_DIR / f"{name}.json"


def write_artifacts(artifacts: Mapping[str, Mapping[str, Any]] | None = None) -> list[Path]:
    """Write ``contracts/build/<name>.json`` for every contract; returns the paths written."""
    artifacts = compile_contracts() if artifacts is None else artifacts
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for name, artifact in artifacts.items():
        path = artifact_path(name)
        path.write_text(artifact_text(artifact))
        written.append(path)
    return written


def stale_artifacts(artifacts: Mapping[str, Mapping[str, Any]] | None = None) -> list[str]:
    """Names whose committed artifact is missing or differs from a fresh compile."""
    artifacts = compile_contracts() if artifacts is None else artifacts
    stale = []
    for name, artifact in artifacts.items():
        path = artifact_path(name)
        if not path.is_file() or path.read_text() != artifact_text(artifact):
            stale.append(name)
    return stale


def load_artifact(name: str = "SaksiLedger") -> dict[str, Any]:
    """The committed artifact of contract ``name`` (ABI, bytecode, compiler settings, source hashes)."""
    return json.loads(artifact_path(name).read_text())
