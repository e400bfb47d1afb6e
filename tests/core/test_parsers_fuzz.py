"""Every parser of the core, fed arbitrary and mutated input: it parses, or raises a SaksiError, nothing else.

Inputs are arbitrary JSON values, arbitrary text, and valid inputs from the golden vectors with parts
replaced by arbitrary values (so that the fuzzing gets past the first check). Bounded: derandomized,
no example database. The counts (tried, refused with a domain error, parsed) are printed with -s.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.core.bundle import Anchor, ProofBundle
from ledger.core.checkpoint import Checkpoint
from ledger.core.commitment import canonical_json, check_payload, normalize_case_ref, parse_access_code
from ledger.core.encoding import b64decode, parse_address, parse_hex, parse_uint
from ledger.core.events import Domain, Leaf, ServiceEvent, validate_agency_code
from ledger.core.verify import verify_bundle
from ledger.errors import SaksiError

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
FUZZ = settings(
    max_examples=300, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
TALLY: Counter = Counter()


def _vectors(name: str, kind: str) -> list[dict[str, Any]]:
    return [v for v in json.loads((VECTORS / name).read_text())["vectors"] if v["kind"] == kind and v["valid"]]


GOOD_BUNDLES = [v["bundle"] for v in _vectors("bundles.json", "bundle")]
GOOD_CHECKPOINTS = [v["text"] for v in _vectors("checkpoints.json", "text")]
GOOD_CODES = [v["accessCode"] for v in _vectors("commitments.json", "caseCommitment")]

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63 - 2, max_value=2**66)
    | st.floats()  # NaN and infinities included: the parsers get Python values, not only JSON
    | st.text(max_size=80)
    | st.sampled_from(["0x", "0x" + "00" * 32, "0X" + "ab" * 20, "0x" + "zz" * 32, "", "\x00", "\ud800", "1e400"])
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


def deep(depth: int, leaf: Any = 0) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def tolerant(parse, value, name: str | None = None) -> None:
    """`parse(value)` either returns or raises a SaksiError; anything else fails the test."""
    name = name or parse.__qualname__
    TALLY[name, "tried"] += 1
    try:
        parse(value)
    except SaksiError as exc:
        assert exc.message
        TALLY[name, "refused"] += 1
    else:
        TALLY[name, "parsed"] += 1


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    names = sorted({name for name, _ in TALLY})
    for name in names:
        print(
            f"fuzz {name}: {TALLY[name, 'tried']} tried, {TALLY[name, 'refused']} refused with a SaksiError, "
            f"{TALLY[name, 'parsed']} parsed"
        )


def mutate(data: Any, draw_path: list[int], replacement: Any) -> Any:
    """`data` with the member or item reached by following `draw_path` replaced (or a member deleted)."""
    data = copy.deepcopy(data)
    node = data
    for step in draw_path:
        children = list(node) if isinstance(node, dict) else list(range(len(node))) if isinstance(node, list) else []
        if not children:
            break
        key = children[step % len(children)]
        child = node[key]
        if not isinstance(child, (dict, list)) or step % 3 == 0:
            if replacement == "__delete__" and isinstance(node, dict):
                del node[key]
            else:
                node[key] = replacement
            return data
        node = child
    return data


PATHS = st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=6)
REPLACEMENTS = JSON_VALUES | st.just("__delete__") | st.builds(deep, st.integers(min_value=1, max_value=1500))


@FUZZ
@given(bundle=st.sampled_from(GOOD_BUNDLES), path=PATHS, replacement=REPLACEMENTS)
def test_proof_bundle_mutated(bundle, path, replacement):
    tolerant(ProofBundle.from_json, mutate(bundle, path, replacement))


@FUZZ
@given(value=JSON_VALUES | st.builds(deep, st.integers(min_value=1, max_value=3000)))
def test_proof_bundle_arbitrary(value):
    tolerant(ProofBundle.from_json, value)


def verify_parsed(bundle_json: Any) -> None:
    """The whole offline verification of a (mutated) bundle: parse, then verify against its own domain."""
    bundle = ProofBundle.from_json(bundle_json)
    verify_bundle(bundle)


@FUZZ
@given(bundle=st.sampled_from(GOOD_BUNDLES), path=PATHS, replacement=REPLACEMENTS)
def test_bundle_verification_mutated(bundle, path, replacement):
    tolerant(verify_parsed, mutate(bundle, path, replacement))


@FUZZ
@given(
    text=st.sampled_from(GOOD_CHECKPOINTS),
    at=st.integers(min_value=0, max_value=200),
    cut=st.integers(min_value=0, max_value=8),
    insert=st.text(max_size=8),
)
def test_checkpoint_text_mutated(text, at, cut, insert):
    at %= len(text) + 1
    tolerant(Checkpoint.from_text, text[:at] + insert + text[at + cut :])


@FUZZ
@given(value=st.text(max_size=300) | JSON_VALUES)
def test_checkpoint_text_arbitrary(value):
    tolerant(Checkpoint.from_text, value)


@FUZZ
@given(value=JSON_VALUES)
def test_checkpoint_json_and_anchor_and_domain_arbitrary(value):
    tolerant(Checkpoint.from_json, value)
    tolerant(Anchor.from_json, value)
    tolerant(Domain.from_json, value)


@FUZZ
@given(event=st.sampled_from([b["events"][0]["event"] for b in GOOD_BUNDLES]), path=PATHS, replacement=REPLACEMENTS)
def test_service_event_mutated(event, path, replacement):
    tolerant(ServiceEvent.from_json, mutate(event, path, replacement))


@FUZZ
@given(value=JSON_VALUES, length=st.none() | st.sampled_from([20, 32, 65]))
def test_hex_and_number_parsers(value, length):
    tolerant(lambda v: parse_hex("field", v, length), value, "parse_hex")
    tolerant(lambda v: parse_address("field", v), value, "parse_address")
    tolerant(lambda v: parse_uint("field", v, 2**64 - 1), value, "parse_uint")
    tolerant(validate_agency_code, value)
    if isinstance(value, str):
        tolerant(lambda v: b64decode("field", v, 32), value, "b64decode")


@FUZZ
@given(
    value=JSON_VALUES
    | st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567-= 018", min_size=40, max_size=90)
    | st.builds(
        lambda code, at, insert: code[: at % 70] + insert + code[at % 70 + 1 :],
        st.sampled_from(GOOD_CODES),
        st.integers(min_value=0, max_value=100),
        st.text(alphabet="abcxyzAZ27-018 \t\u00e9", max_size=2),
    )
)
def test_access_code_and_case_reference(value):
    tolerant(parse_access_code, value)
    tolerant(normalize_case_ref, value)


@FUZZ
@given(value=JSON_VALUES | st.builds(deep, st.integers(min_value=1, max_value=100)))
def test_payload_canonicalisation_and_check(value):
    tolerant(canonical_json, value)
    tolerant(lambda v: check_payload(b"\x01" * 32, v, b"\x02" * 16), value, "check_payload")


@FUZZ
@given(data=st.binary(max_size=200))
def test_leaf_bytes(data):
    tolerant(Leaf.from_bytes, data)
