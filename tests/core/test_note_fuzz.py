"""The C2SP parsers fed arbitrary and mutated input: they parse (and then round-trip) or raise a SaksiError.

Mutations start from the valid notes, policies and tlog-proofs of tests/vectors/notes.json so that the
fuzzing gets past the first checks. Bounded: derandomized, no example database.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.core.note import Note, Vkey, verify_note
from ledger.core.policy import Policy, check_checkpoint
from ledger.core.tlog_proof import TlogProof, verify_tlog_proof
from ledger.errors import SaksiError

FUZZ = settings(
    max_examples=250, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
VECTORS = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "notes.json").read_text(encoding="utf-8"))[
    "vectors"
]
NOTES = [v["note"] for v in VECTORS if v["kind"] == "note" and v["valid"]]
VKEYS = [v["vkey"] for v in VECTORS if v["kind"] == "vkey" and v["valid"]]
POLICIES = [v["policy"] for v in VECTORS if v["kind"] == "policy" and v["valid"]]
PROOFS = [v["proof"] for v in VECTORS if v["kind"] == "tlogProof" and v["valid"]]
POLICY = Policy.parse(POLICIES[0])
LOG_AND_WITNESSES = [POLICY.logs[0].vkey, *(w.vkey for w in POLICY.witnesses)]

PIECES = st.sampled_from(["\n", "\n\n", " ", "\t", "—", "— ", "+", "=", "#", "\r", "\x00", "\ud800", "é", "0", "A"])
INSERTS = st.text(max_size=6) | PIECES


@st.composite
def mutated(draw: st.DrawFn, texts: list[str]) -> str:
    """A valid text with a few characters deleted, inserted or replaced."""
    text = draw(st.sampled_from(texts))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        i = draw(st.integers(min_value=0, max_value=len(text)))
        j = draw(st.integers(min_value=i, max_value=min(len(text), i + 4)))
        text = text[:i] + draw(INSERTS) + text[j:]
    return text


def tolerant(action: Callable[[Any], Any], value: Any) -> None:
    try:
        action(value)
    except SaksiError as exc:
        assert exc.message and "\n" not in exc.message


def note_round_trip(value: str | bytes) -> None:
    note = Note.parse(value)
    text = value if isinstance(value, str) else value.decode()
    assert note.serialize() == text
    verify_note(note, LOG_AND_WITNESSES)


def vkey_round_trip(value: str) -> None:
    assert str(Vkey.parse(value)) == value


def policy_round_trip(value: str | bytes) -> None:
    policy = Policy.parse(value)
    assert Policy.parse(policy.serialize()) == policy


def proof_round_trip(value: str | bytes) -> None:
    proof = TlogProof.parse(value)
    assert proof.serialize() == (value if isinstance(value, str) else value.decode())
    verify_tlog_proof(proof, proof.leaf_hash(), POLICY)


@FUZZ
@given(st.text(max_size=300) | st.binary(max_size=300))
def test_note_arbitrary(value: str | bytes) -> None:
    tolerant(note_round_trip, value)


@FUZZ
@given(mutated(NOTES))
def test_note_mutated(value: str) -> None:
    tolerant(note_round_trip, value)


@FUZZ
@given(mutated(NOTES))
def test_checkpoint_note_mutated(value: str) -> None:
    tolerant(lambda v: check_checkpoint(POLICY, Note.parse(v)), value)


@FUZZ
@given(mutated(VKEYS) | st.text(max_size=120))
def test_vkey_mutated(value: str) -> None:
    tolerant(vkey_round_trip, value)


@FUZZ
@given(mutated(POLICIES) | st.text(max_size=200) | st.binary(max_size=200))
def test_policy_mutated(value: str | bytes) -> None:
    tolerant(policy_round_trip, value)


@FUZZ
@given(mutated(PROOFS) | st.binary(max_size=300))
def test_tlog_proof_mutated(value: str | bytes) -> None:
    tolerant(proof_round_trip, value)
