"""docs/schemas/proof-bundle.schema.json against the golden bundles: every valid one (with or without its
checkpoint's signed note) validates; a note without a signature line or not a string does not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

jsonschema = pytest.importorskip("jsonschema")

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "schemas" / "proof-bundle.schema.json").read_text(encoding="utf-8"))
VECTORS = json.loads((ROOT / "tests" / "vectors" / "bundles.json").read_text(encoding="utf-8"))["vectors"]
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


@pytest.mark.parametrize("v", [v for v in VECTORS if v["valid"]], ids=lambda v: v["description"][:50])
def test_valid_bundles_match_the_schema(v):
    assert [e.message for e in VALIDATOR.iter_errors(v["bundle"])] == []


@pytest.mark.parametrize("start", ["a note with no signature line", "a note that is not a string"])
def test_malformed_notes_do_not(start):
    v = next(v for v in VECTORS if v["description"].startswith(start))
    assert [list(e.absolute_path) for e in VALIDATOR.iter_errors(v["bundle"])] == [["checkpoint", "note"]]


def test_the_witnessed_bundles_carry_a_note():
    assert sum("note" in v["bundle"]["checkpoint"] for v in VECTORS if v["valid"]) >= 8
