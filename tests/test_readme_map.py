"""The README's "How it fits together" is the map of the house: it names every import-linter contract of
pyproject.toml, every package of ledger/, and only folders and files that exist."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## How it fits together")
    return text[start : text.index("\n## ", start + 1)]


def _contracts() -> list[dict]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def test_every_contract_is_named_and_no_other():
    section = _section()
    holds = section[section.index("**What holds it.**") :]
    listed = re.findall(r"^- \*(.+?)\*", holds, flags=re.MULTILINE)
    names = [c["name"] for c in _contracts()]
    assert sorted(listed) == sorted(names), "README's contracts differ from pyproject.toml's"
    for contract in _contracts():
        if "id" in contract:
            assert f"`{contract['id']}`" in holds, contract["id"]


def test_every_package_of_the_ledger_is_on_the_map():
    section = _section()
    packages = sorted(p.parent.name for p in (ROOT / "ledger").glob("*/__init__.py"))
    assert len(packages) >= 8
    missing = [p for p in packages if f"`ledger/{p}/`" not in section]
    assert not missing, f"not on the map: {missing}"


def test_the_map_names_only_what_exists():
    section = _section()
    paths = set(re.findall(r"`((?:ledger|api|web|docs|contracts|tests|scripts)/[\w./-]*)`", section))
    assert len(paths) >= 15
    absent = sorted(p for p in paths if not (ROOT / p).exists())
    assert not absent, f"the map names what is not in the tree: {absent}"


def test_the_map_says_which_way_imports_run():
    section = _section()
    order = ["api/", "ledger/runtime.py", "ledger/services/", "ledger/storage/", "ledger/core/"]
    diagram = section[section.index("**Which way the imports run.**") : section.index("**The map of the house.**")]
    positions = [diagram.index(name) for name in order]
    assert positions == sorted(positions), "the layers are listed top (the edges) to bottom (the pure core)"
