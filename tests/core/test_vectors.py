"""Replay every golden vector in tests/vectors/ against the core.

Valid vectors must pass and reproduce every value they state; negative vectors must
raise exactly the named ``ledger.errors`` class (not a parent, not a sibling), and
an ``InvalidField`` must name the stated field.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from ledger import errors
from ledger.core import merkle
from ledger.core.bundle import ProofBundle
from ledger.core.checkpoint import Checkpoint
from ledger.core.commitment import (
    canonical_json,
    case_commitment,
    check_payload,
    format_access_code,
    parse_access_code,
    payload_digest,
    stored_payload_digest,
)
from ledger.core.encoding import keccak256
from ledger.core.events import (
    EIP712_DOMAIN_TYPEHASH,
    SERVICE_EVENT_TYPEHASH,
    Domain,
    Leaf,
    ServiceEvent,
    SignedEvent,
    event_leaf_hash,
    leaf_bytes,
    struct_hash,
    typed_data_digest,
)
from ledger.core.note import Vkey
from ledger.core.policy import Policy
from ledger.core.signatures import address_of_key, der_signature, sign_digest
from ledger.core.verify import STEPS, verify_bundle

VECTOR_DIR = Path(__file__).resolve().parents[1] / "vectors"
FILES = (
    "merkle_ct.json",
    "inclusion.json",
    "consistency.json",
    "events.json",
    "commitments.json",
    "checkpoints.json",
    "bundles.json",
    "notes.json",  # replayed in tests/core/test_note_vectors.py
)


@cache
def load(name: str) -> dict[str, Any]:
    return json.loads((VECTOR_DIR / name).read_text(encoding="utf-8"))


def params(name: str) -> list[Any]:
    return [
        pytest.param(vector, id=f"{i:03d}-{vector['description'][:60]}")
        for i, vector in enumerate(load(name)["vectors"])
    ]


def b(value: str) -> bytes:
    assert value.startswith("0x") and value == value.lower(), value
    return bytes.fromhex(value[2:])


def h(value: bytes) -> str:
    return "0x" + value.hex()


def replay(vector: dict[str, Any], action: Callable[[], Any]) -> None:
    """Run the check a vector describes and hold it to the vector's verdict."""
    if vector["valid"]:
        action()
        return
    with pytest.raises(errors.SaksiError) as raised:
        action()
    assert type(raised.value).__name__ == vector["error"], raised.value
    if vector["error"] == "InvalidField":
        assert raised.value.field == vector["field"], raised.value


# --- the files themselves ------------------------------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_file_shape(name: str) -> None:
    doc = load(name)
    assert set(doc) == {"description", "vectors"}
    assert isinstance(doc["description"], str) and doc["description"]
    assert doc["vectors"]
    descriptions = set()
    for vector in doc["vectors"]:
        assert isinstance(vector["description"], str) and vector["description"]
        assert vector["valid"] in (True, False)
        if vector["valid"]:
            assert vector["error"] is None
        else:
            error = getattr(errors, vector["error"])
            assert isinstance(error, type) and issubclass(error, errors.SaksiError)
        assert ("field" in vector) == (vector["error"] == "InvalidField"), vector["description"]
        key = (vector.get("kind"), vector["description"])
        assert key not in descriptions, f"duplicate description {key}"
        descriptions.add(key)


@pytest.mark.parametrize("name", FILES)
def test_file_has_negatives(name: str) -> None:
    if name == "merkle_ct.json":
        return  # known answers only
    assert any(not v["valid"] for v in load(name)["vectors"])


def test_files_are_canonical_json() -> None:
    for name in FILES:
        text = (VECTOR_DIR / name).read_text(encoding="utf-8")
        assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n", name


# --- Merkle ----------------------------------------------------------------------------------


@cache
def ct_tree() -> merkle.MemoryTree:
    leaves = next(v["leaves"] for v in load("merkle_ct.json")["vectors"] if v["kind"] == "root" and v["treeSize"] == 8)
    return merkle.MemoryTree(merkle.leaf_hash(b(x)) for x in leaves)


@cache
def vector_tree() -> merkle.MemoryTree:
    """The trees of inclusion.json and consistency.json: leaf i is "saksi vector leaf <i>"."""
    return merkle.MemoryTree(merkle.leaf_hash(f"saksi vector leaf {i}".encode()) for i in range(1000))


def check_inclusion(v: dict[str, Any], tree: merkle.MemoryTree | None) -> None:
    proof = [b(p) for p in v["proof"]]
    merkle.verify_inclusion(v["leafIndex"], v["treeSize"], b(v["leafHash"]), proof, b(v["rootHash"]))
    assert merkle.root_from_inclusion_proof(v["leafIndex"], v["treeSize"], b(v["leafHash"]), proof) == b(v["rootHash"])
    if tree is not None:  # the proof is also the one the core generates
        assert tree.inclusion_proof(v["leafIndex"], v["treeSize"]) == proof
        assert tree.root(v["treeSize"]) == b(v["rootHash"])


def check_consistency(v: dict[str, Any], tree: merkle.MemoryTree | None) -> None:
    proof = [b(p) for p in v["proof"]]
    merkle.verify_consistency(v["oldSize"], v["newSize"], b(v["oldRoot"]), b(v["newRoot"]), proof)
    if tree is not None:
        assert tree.consistency_proof(v["oldSize"], v["newSize"]) == proof
        assert tree.root(v["oldSize"]) == b(v["oldRoot"]) and tree.root(v["newSize"]) == b(v["newRoot"])


@pytest.mark.parametrize("v", params("merkle_ct.json"))
def test_merkle_ct(v: dict[str, Any]) -> None:
    def check() -> None:
        if v["kind"] == "leafHash":
            assert merkle.leaf_hash(b(v["leaf"])) == b(v["leafHash"])
        elif v["kind"] == "root":
            hashes = [merkle.leaf_hash(b(x)) for x in v["leaves"]]
            assert len(hashes) == v["treeSize"]
            assert merkle.root(hashes) == b(v["rootHash"])
            assert merkle.MemoryTree(hashes).root() == b(v["rootHash"])
        elif v["kind"] == "inclusion":
            check_inclusion(v, ct_tree())
        elif v["kind"] == "consistency":
            check_consistency(v, ct_tree())
        else:
            raise AssertionError(f"unknown kind {v['kind']}")

    replay(v, check)


@pytest.mark.parametrize("v", params("inclusion.json"))
def test_inclusion(v: dict[str, Any]) -> None:
    replay(v, lambda: check_inclusion(v, vector_tree() if v["valid"] else None))


@pytest.mark.parametrize("v", params("consistency.json"))
def test_consistency(v: dict[str, Any]) -> None:
    replay(v, lambda: check_consistency(v, vector_tree() if v["valid"] else None))


# --- events ------------------------------------------------------------------------------------


def check_event_vector(v: dict[str, Any]) -> None:
    kind = v["kind"]
    if kind == "testKey":
        assert v["label"].startswith("saksi test key ")
        assert b(v["testPrivateKey"]) == keccak256(v["label"].encode())
        assert address_of_key(b(v["testPrivateKey"])) == b(v["address"])
    elif kind == "domain":
        domain = Domain.from_json(v["domain"])
        assert domain.separator == b(v["domainSeparator"])
        assert keccak256(v["domainType"].encode()) == b(v["domainTypeHash"]) == EIP712_DOMAIN_TYPEHASH
        assert keccak256(v["eventType"].encode()) == b(v["eventTypeHash"]) == SERVICE_EVENT_TYPEHASH
    elif kind == "signedEvent":
        domain = Domain.from_json(v["domain"])
        event = ServiceEvent.from_json(v["event"])
        assert event.to_json() == v["event"]
        assert event.hash_struct() == b(v["hashStruct"])
        assert event.digest(domain) == b(v["digest"])
        key = b(v["testPrivateKey"])
        assert sign_digest(event.digest(domain), key) == b(v["signature"])  # RFC 6979: deterministic
        signed = SignedEvent.create(event, b(v["signature"]), domain)
        assert signed.signer == b(v["signer"]) == address_of_key(key)
        assert signed.struct_hash == b(v["hashStruct"]) and signed.digest == b(v["digest"])
        leaf = leaf_bytes(signed.digest, signed.signature, v["receivedAt"])
        assert leaf == b(v["leafBytes"])
        assert merkle.leaf_hash(leaf) == b(v["leafHash"])
        assert Leaf.from_bytes(leaf) == Leaf(signed.digest, signed.signature, v["receivedAt"])
    elif kind == "signature":
        domain = Domain.from_json(v["domain"])
        signed = SignedEvent.create(ServiceEvent.from_json(v["event"]), b(v["signature"]), domain)
        assert h(signed.signer) == v["recovered"]
        if v["valid"]:
            assert signed.signature == b(v["normalizedSignature"])
        if h(signed.signer) != v["expectSigner"]:
            raise errors.SignatureMismatch(
                "signed by another key", expected=b(v["expectSigner"]), calculated=signed.signer
            )
    elif kind == "eventJson":
        event = ServiceEvent.from_json(v["event"])
        assert event.to_json() == v["event"]
    elif kind == "domainJson":
        domain = Domain.from_json(v["domain"])
        assert domain.separator == b(v["domainSeparator"])
        assert domain.to_json() == v["domain"]
    elif kind == "leaf":
        leaf = Leaf.from_bytes(b(v["leafBytes"]))
        assert leaf == Leaf(b(v["digest"]), b(v["signature"]), v["receivedAt"])
        assert leaf.to_bytes() == b(v["leafBytes"])
    else:
        raise AssertionError(f"unknown kind {kind}")


@pytest.mark.parametrize("v", params("events.json"))
def test_events(v: dict[str, Any]) -> None:
    replay(v, lambda: check_event_vector(v))


@pytest.mark.parametrize("v", [v for v in params("events.json") if v.values[0]["kind"] == "signedEvent"])
def test_events_from_stored_fields(v: dict[str, Any]) -> None:
    """The unchecked field-level functions the audit's page check runs on stored rows reproduce the
    same vectors as the checked types the append path builds (one definition of every hash)."""
    from coincurve import PrivateKey, PublicKey

    e, domain = v["event"], Domain.from_json(v["domain"])
    fields = (
        e["eventId"], e["agency"], b(e["caseCommitment"]), e["caseSeq"], b(e["prevEventHash"]), e["eventType"],
        e["summary"], e["occurredAt"], b(e["payloadDigest"]),
    )  # fmt: skip
    cache: dict[str, bytes] = {}
    cached = lambda text: cache.setdefault(text, keccak256(text.encode()))  # noqa: E731
    assert struct_hash(*fields) == struct_hash(*fields, text_hash=cached) == b(v["hashStruct"])
    assert typed_data_digest(domain.separator, b(v["hashStruct"])) == b(v["digest"])
    assert event_leaf_hash(b(v["digest"]), b(v["signature"]), v["receivedAt"]) == b(v["leafHash"])
    # the DER form of r ‖ s is libsecp256k1's own (RFC 6979: the same r, s) and verifies
    key = PrivateKey(b(v["testPrivateKey"]))
    der = der_signature(b(v["signature"]))
    assert der == key.sign(b(v["digest"]), hasher=None)
    assert PublicKey(key.public_key.format()).verify(der, b(v["digest"]), hasher=None)


def test_events_case_chain() -> None:
    """The KTP sample events form a hash chain, as a case must."""
    samples = [
        v
        for v in load("events.json")["vectors"]
        if v["kind"] == "signedEvent" and v["description"].startswith("KTP case")
    ]
    assert [s["event"]["caseSeq"] for s in samples] == [1, 2, 3]
    for previous, current in zip(samples, samples[1:], strict=False):
        assert current["event"]["prevEventHash"] == previous["hashStruct"]


# --- commitments --------------------------------------------------------------------------------


def check_commitment_vector(v: dict[str, Any]) -> None:
    kind = v["kind"]
    if kind == "caseCommitment":
        key = b(v["caseKey"])
        assert case_commitment(key, v["caseRef"]) == b(v["commitment"])
        assert format_access_code(key) == v["accessCode"]
        assert parse_access_code(v["accessCode"]) == key
    elif kind == "accessCode":
        assert parse_access_code(v["accessCode"]) == b(v["caseKey"])
    elif kind == "payloadDigest":
        payload = json.loads(v["payloadText"])
        digest = payload_digest(b(v["salt"]), payload)
        assert payload == v["payload"]
        assert canonical_json(payload) == v["jcs"].encode("utf-8")
        assert canonical_json(v["payload"]) == v["jcs"].encode("utf-8")
        assert digest == b(v["digest"])
        assert stored_payload_digest(b(v["salt"]), v["jcs"].encode("utf-8")) == b(v["digest"])  # the audit's way
    elif kind == "checkPayload":
        salt = None if v["salt"] is None else b(v["salt"])
        check_payload(b(v["payloadDigest"]), v["payload"], salt)
    else:
        raise AssertionError(f"unknown kind {kind}")


@pytest.mark.parametrize("v", params("commitments.json"))
def test_commitments(v: dict[str, Any]) -> None:
    replay(v, lambda: check_commitment_vector(v))


# --- checkpoints ---------------------------------------------------------------------------------


def check_checkpoint_vector(v: dict[str, Any]) -> None:
    if v["kind"] == "text":
        checkpoint = Checkpoint.from_text(v["text"])
        assert (checkpoint.origin, checkpoint.tree_size, h(checkpoint.root_hash)) == (
            v["origin"],
            v["treeSize"],
            v["rootHash"],
        )
        assert checkpoint.to_text() == v["text"]
    elif v["kind"] == "json":
        checkpoint = Checkpoint.from_json(v["checkpoint"])
        assert checkpoint.to_json() == v["checkpoint"]
    else:
        raise AssertionError(f"unknown kind {v['kind']}")


@pytest.mark.parametrize("v", params("checkpoints.json"))
def test_checkpoints(v: dict[str, Any]) -> None:
    replay(v, lambda: check_checkpoint_vector(v))


# --- bundles ----------------------------------------------------------------------------------------


def check_bundle_vector(v: dict[str, Any]) -> None:
    bundle = ProofBundle.from_json(v["bundle"])
    assert bundle.to_json() == v["bundle"]
    root_at = signer_authorised = None
    if "anchoredRoot" in v:

        def root_at(tree_size: int) -> bytes:
            assert tree_size == bundle.checkpoint.tree_size
            return b(v["anchoredRoot"])

    if "authorisedSigners" in v:

        def signer_authorised(agency: str, signer: bytes, received_at: int) -> bool:
            return h(signer) in v["authorisedSigners"].get(agency, [])

    policy = Policy.parse(v["policy"]) if "policy" in v else None
    log_vkey = Vkey.parse(v["logVkey"]) if "logVkey" in v else None
    report = verify_bundle(
        bundle, root_at=root_at, signer_authorised=signer_authorised, policy=policy, log_vkey=log_vkey
    )
    assert report.events == len(v["bundle"]["events"])
    assert len(report.checked) + len(report.skipped) == len(STEPS) == 8
    if "witnesses" in v:
        w = report.witnesses
        assert w is not None
        assert {
            "status": w.status,
            "reason": w.reason,
            "logKey": w.log_key,
            "cosigned": [
                {"witness": c.witness, "displayName": c.display_name, "timestamp": c.timestamp} for c in w.cosigned
            ],
            "policyWitnesses": w.policy_witnesses,
            "required": w.required,
            "summary": w.summary(),
        } == v["witnesses"]
        assert (STEPS[1] in report.checked) == (w.status == "pass")


@pytest.mark.parametrize("v", params("bundles.json"))
def test_bundles(v: dict[str, Any]) -> None:
    replay(v, lambda: check_bundle_vector(v))
