"""Proof bundles: parsing, round trips and offline verification (verify_bundle)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core import merkle
from ledger.core.bundle import BUNDLE_FORMAT, MAX_PROOF_LENGTH, ProofBundle
from ledger.core.checkpoint import Checkpoint, default_origin
from ledger.core.commitment import case_commitment
from ledger.core.encoding import ZERO32, keccak256
from ledger.core.events import Domain, ServiceEvent, leaf_bytes
from ledger.core.note import Cosigner, Note, NoteSigner
from ledger.core.policy import Policy
from ledger.core.signatures import address_of_key, sign_digest
from ledger.core.verify import STEPS, verify_bundle
from ledger.errors import InclusionProofInvalid, InvalidField, RootMismatch, SignatureMismatch, VerificationFailed

PROPERTY = settings(max_examples=200, deadline=None, derandomize=True)

DOMAIN = Domain(31337, bytes.fromhex("5fbdb2315678afecb367f032d93f642f64180aa3"))
AGENCY_KEY = keccak256(b"saksi test key 1")  # TEST KEY
OTHER_KEY = keccak256(b"saksi test key 5")  # TEST KEY
CASE = case_commitment(keccak256(b"saksi test case key 1"), "KTP-JKS-2026-000001")


def hx(value: bytes) -> str:
    return "0x" + value.hex()


def case_events(count: int, commitment: bytes = CASE) -> list[ServiceEvent]:
    events, head = [], ZERO32
    for seq in range(1, count + 1):
        event = ServiceEvent.from_json(
            {
                "eventId": f"KTP-JKS-2026-000001-{seq}",
                "agency": "dukcapil.jaksel",
                "caseCommitment": hx(commitment),
                "caseSeq": seq,
                "prevEventHash": hx(head),
                "eventType": "application.submitted" if seq == 1 else "application.updated",
                "summary": f"Langkah {seq}: permohonan diproses ✓",
                "occurredAt": 1_767_225_600 + seq * 3600,
                "payloadDigest": hx(ZERO32),
            }
        )
        events.append(event)
        head = event.hash_struct()
    return events


def build_bundle(
    events: list[ServiceEvent], positions: list[int], tree_size: int, *, commitment: bytes | None = CASE
) -> tuple[dict[str, Any], merkle.MemoryTree]:
    """A log of tree_size leaves with `events` at `positions` (others are filler), and its bundle JSON."""
    at = dict(zip(positions, events, strict=True))
    items, hashes = {}, []
    for index in range(tree_size):
        if index in at:
            event = at[index]
            signature = sign_digest(event.digest(DOMAIN), AGENCY_KEY)
            received_at = 1_767_400_000_000 + index
            leaf = merkle.leaf_hash(leaf_bytes(event.digest(DOMAIN), signature, received_at))
            items[index] = (event, signature, received_at, leaf)
            hashes.append(leaf)
        else:
            hashes.append(merkle.leaf_hash(f"filler {index}".encode()))
    tree = merkle.MemoryTree(hashes)
    bundle = {
        "format": BUNDLE_FORMAT,
        "eip712Domain": DOMAIN.to_json(),
        "checkpoint": Checkpoint(
            default_origin(DOMAIN.chain_id, DOMAIN.verifying_contract), tree_size, tree.root()
        ).to_json(),
        "anchor": {
            "chainId": 31337,
            "contract": hx(DOMAIN.verifying_contract),
            "txHash": hx(b"\x07" * 32),
            "blockNumber": 7,
        },
        "caseCommitment": None if commitment is None else hx(commitment),
        "events": [
            {
                "event": items[i][0].to_json(),
                "signature": hx(items[i][1]),
                "signer": hx(address_of_key(AGENCY_KEY)),
                "leafIndex": i,
                "leafHash": hx(items[i][3]),
                "receivedAt": items[i][2],
                "inclusionProof": [hx(p) for p in tree.inclusion_proof(i)],
            }
            for i in positions
        ],
    }
    return bundle, tree


LOG_SEED = keccak256(b"saksi test log seed")  # TEST KEY (an Ed25519 seed)
WITNESS_SEEDS = [keccak256(f"saksi test witness seed {n}".encode()) for n in (1, 2, 3)]  # TEST KEYS


def witnessed(data: dict[str, Any], cosigners: tuple[int, ...] = (0, 1)) -> tuple[dict[str, Any], Policy]:
    """The bundle with its checkpoint's signed note (TEST log key, TEST witnesses) and a 2-of-3 policy."""
    text = data["checkpoint"]["checkpoint"]
    log = NoteSigner(text.split("\n")[0], LOG_SEED)
    witnesses = [Cosigner(f"w{n}.example-test", seed) for n, seed in enumerate(WITNESS_SEEDS)]
    signatures = [log.sign(text)] + [witnesses[i].cosign(text, 1_767_500_000 + i) for i in cosigners]
    policy = Policy.parse(
        f"log {log.vkey}\n"
        + "".join(f"# name: Witness {n}\nwitness w{n} {w.vkey}\n" for n, w in enumerate(witnesses))
        + "group all3 2 w0 w1 w2\nquorum all3\n"
    )
    data = copy.deepcopy(data)
    data["checkpoint"]["note"] = Note(text, tuple(signatures)).serialize()
    return data, policy


@pytest.fixture
def good() -> tuple[dict[str, Any], merkle.MemoryTree]:
    return build_bundle(case_events(3), [1, 4, 6], 7)


@st.composite
def bundles(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(1, 5))
    size = draw(st.integers(count, 64))
    positions = sorted(draw(st.lists(st.integers(0, size - 1), min_size=count, max_size=count, unique=True)))
    return build_bundle(case_events(count), positions, size)[0]


@PROPERTY
@given(bundles())
def test_every_honest_bundle_verifies_and_round_trips(data: dict[str, Any]) -> None:
    data, policy = witnessed(data)
    bundle = ProofBundle.from_json(data)
    assert bundle.to_json() == data
    assert ProofBundle.from_json(bundle.to_json()) == bundle
    report = verify_bundle(
        bundle, root_at=lambda size: bundle.checkpoint.root_hash, signer_authorised=lambda *_: True, policy=policy
    )
    assert report.checked == list(STEPS) and report.skipped == []


def test_report_says_what_was_not_checked(good: tuple[dict[str, Any], merkle.MemoryTree]) -> None:
    report = verify_bundle(ProofBundle.from_json(good[0]))
    assert report.checked == [STEPS[0], *STEPS[2:6]]
    assert [s.split(" (")[0] for s in report.skipped] == [STEPS[1], STEPS[6], STEPS[7]]
    assert report.skipped[0] == (
        f"{STEPS[1]} (no independent witness has checked this yet: the bundle carries no signed checkpoint)"
    )
    assert (report.tree_size, report.events) == (7, 3)


def test_event_bundle_skips_the_case_chain() -> None:
    data, _ = build_bundle(case_events(2)[1:], [3], 5, commitment=None)
    report = verify_bundle(ProofBundle.from_json(data))
    assert STEPS[5] + " (not a case bundle)" in report.skipped


def test_anchor_is_optional(good: tuple[dict[str, Any], merkle.MemoryTree]) -> None:
    data = {**good[0], "anchor": None}
    assert ProofBundle.from_json(data).anchor is None
    verify_bundle(ProofBundle.from_json(data))


def edit(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(data)
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return out


@pytest.mark.parametrize(
    ("path", "value", "error"),
    [
        (("events", 0, "event", "summary"), "Permohonan ditolak.", SignatureMismatch),
        (("events", 1, "event", "occurredAt"), 1, SignatureMismatch),
        (("events", 0, "signer"), hx(address_of_key(OTHER_KEY)), SignatureMismatch),
        (("events", 0, "receivedAt"), 0, RootMismatch),
        (("events", 2, "leafIndex"), 5, InclusionProofInvalid),
        (("events", 2, "inclusionProof"), [], InclusionProofInvalid),
        (("checkpoint",), Checkpoint("saksi/eip155:1/0x" + "00" * 20, 7, b"\x00" * 32).to_json(), VerificationFailed),
        (("anchor", "contract"), "0x" + "00" * 20, VerificationFailed),
        (("caseCommitment",), hx(b"\x01" * 32), VerificationFailed),
    ],
)
def test_tampering_is_caught(
    good: tuple[dict[str, Any], merkle.MemoryTree], path: tuple[Any, ...], value: Any, error: type
) -> None:
    bundle = ProofBundle.from_json(edit(good[0], path, value))
    with pytest.raises(error) as raised:
        verify_bundle(bundle)
    assert type(raised.value) is error


def test_swapped_signature(good: tuple[dict[str, Any], merkle.MemoryTree]) -> None:
    data = copy.deepcopy(good[0])
    data["events"][0]["signature"], data["events"][2]["signature"] = (
        data["events"][2]["signature"],
        data["events"][0]["signature"],
    )
    with pytest.raises(SignatureMismatch) as raised:
        verify_bundle(ProofBundle.from_json(data))
    assert raised.value.evidence["expected"] == address_of_key(AGENCY_KEY)
    assert raised.value.evidence["calculated"] != address_of_key(AGENCY_KEY)


def test_leaf_hash_mismatch_carries_evidence(good: tuple[dict[str, Any], merkle.MemoryTree]) -> None:
    data = edit(good[0], ("events", 0, "leafHash"), hx(b"\x09" * 32))
    with pytest.raises(RootMismatch) as raised:
        verify_bundle(ProofBundle.from_json(data))
    assert raised.value.evidence["expected"] == b"\x09" * 32


def test_missing_case_seq_and_broken_link() -> None:
    events = case_events(3)
    data, _ = build_bundle([events[0], events[2]], [0, 2], 3)
    with pytest.raises(VerificationFailed, match="caseSeq 2 is missing"):
        verify_bundle(ProofBundle.from_json(data))
    forged = ServiceEvent.from_json({**events[2].to_json(), "prevEventHash": hx(b"\x05" * 32)})
    data, _ = build_bundle([events[0], events[1], forged], [0, 1, 2], 3)
    with pytest.raises(VerificationFailed, match="does not link"):
        verify_bundle(ProofBundle.from_json(data))


def test_trust_inputs(good: tuple[dict[str, Any], merkle.MemoryTree]) -> None:
    data, tree = good
    bundle = ProofBundle.from_json(data)
    asked: list[Any] = []
    verify_bundle(bundle, root_at=lambda size: asked.append(size) or tree.root(size))
    assert asked == [7]
    with pytest.raises(RootMismatch):
        verify_bundle(bundle, root_at=lambda size: tree.root(size - 1))
    registry: list[tuple[str, bytes, int]] = []
    verify_bundle(bundle, signer_authorised=lambda *args: registry.append(args) or True)
    assert [(a, s) for a, s, _ in registry] == [("dukcapil.jaksel", address_of_key(AGENCY_KEY))] * 3
    with pytest.raises(SignatureMismatch):
        verify_bundle(
            bundle, signer_authorised=lambda agency, signer, received_at: received_at < data["events"][2]["receivedAt"]
        )


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("format",), "saksi.proof-bundle/v0", "format"),
        (("events",), [], "events"),
        (("events",), {}, "events"),
        (("eip712Domain", "chainId"), 0, "eip712Domain.chainId"),
        (("checkpoint", "treeSize"), 8, "checkpoint.treeSize"),
        (("anchor",), [], "anchor"),
        (("anchor", "txHash"), "0x00", "anchor.txHash"),
        (("anchor", "blockNumber"), -1, "anchor.blockNumber"),
        (("caseCommitment",), "0x1234", "caseCommitment"),
        (("events", 0), "event", "events[0]"),
        (("events", 1, "signature"), "0x" + "00" * 64, "events[1].signature"),
        (("events", 1, "signer"), "0x" + "00" * 32, "events[1].signer"),
        (("events", 1, "leafIndex"), "1", "events[1].leafIndex"),
        (("events", 1, "leafHash"), None, "events[1].leafHash"),
        (("events", 1, "receivedAt"), 1.5, "events[1].receivedAt"),
        (("events", 2, "inclusionProof"), ["0x" + "00" * 32] * (MAX_PROOF_LENGTH + 1), "events[2].inclusionProof"),
        (("events", 2, "inclusionProof"), ["0x" + "00" * 32, "0x00"], "events[2].inclusionProof[1]"),
        (("events", 2, "event", "caseSeq"), 0, "caseSeq"),
    ],
)
def test_parse_errors_name_the_field(
    good: tuple[dict[str, Any], merkle.MemoryTree], path: tuple[Any, ...], value: Any, field: str
) -> None:
    with pytest.raises(InvalidField) as raised:
        ProofBundle.from_json(edit(good[0], path, value))
    assert raised.value.field == field


@pytest.mark.parametrize("data", [None, [], "bundle"])
def test_bundle_must_be_an_object(data: Any) -> None:
    with pytest.raises(InvalidField) as raised:
        ProofBundle.from_json(data)
    assert raised.value.field == "bundle"


def test_a_null_note_is_an_unsigned_checkpoint(good: tuple[dict[str, Any], merkle.MemoryTree]) -> None:
    """The API's checkpoint views write `"note": null` for an unsigned checkpoint: read as no note."""
    data = copy.deepcopy(good[0])
    data["checkpoint"]["note"] = None
    bundle = ProofBundle.from_json(data)
    assert bundle.note is None and "note" not in bundle.to_json()["checkpoint"]
    assert verify_bundle(bundle).witnesses.reason == "no-note"  # type: ignore[union-attr]


@pytest.mark.parametrize("note", [42, "", "not a note\n", ["a"]])
def test_a_malformed_note_is_refused_naming_it(good: tuple[dict[str, Any], merkle.MemoryTree], note: Any) -> None:
    data = copy.deepcopy(good[0])
    data["checkpoint"]["note"] = note
    with pytest.raises(InvalidField) as raised:
        ProofBundle.from_json(data)
    assert raised.value.field == "checkpoint.note"


def test_the_witnessed_bundle_fails_step_2_when_its_note_text_differs(
    good: tuple[dict[str, Any], merkle.MemoryTree],
) -> None:
    data, policy = witnessed(good[0])
    data["checkpoint"]["note"] = data["checkpoint"]["note"].replace("\n7\n", "\n8\n", 1)
    with pytest.raises(VerificationFailed) as raised:
        verify_bundle(ProofBundle.from_json(data), policy=policy)
    assert raised.value.message == f"{STEPS[1]}: the signed note's text is not the checkpoint's text"
