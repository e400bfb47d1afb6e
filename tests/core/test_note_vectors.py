"""Replay tests/vectors/notes.json against the core, and every Saksi-made signature against tlog-scales.

tlog-scales (PyPI tlog-scales, written by an operator of a public witness) is the outside verifier: its
Vkey.from_string, PlainEd25519Verifier and Ed25519CosignatureVerifier must accept what Saksi signs.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from tlog_scales.signing import Ed25519CosignatureVerifier, PlainEd25519Verifier
from tlog_scales.signing import Vkey as ScalesVkey
from tlog_scales.tlog import Checkpoint as ScalesCheckpoint

from ledger import errors
from ledger.core.note import Cosigner, Note, NoteSigner, Vkey, cosignature_message, verify_note
from ledger.core.policy import Policy
from ledger.core.tlog_proof import TlogProof, verify_tlog_proof

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "notes.json"


@cache
def vectors() -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = json.loads(VECTORS.read_text(encoding="utf-8"))["vectors"]
    return vectors


def params(kind: str) -> list[Any]:
    return [pytest.param(v, id=v["description"][:70]) for v in vectors() if v["kind"] == kind]


def b(value: str) -> bytes:
    assert value.startswith("0x")
    return bytes.fromhex(value[2:])


def replay(vector: dict[str, Any], action: Any) -> None:
    if vector["valid"]:
        action()
        return
    with pytest.raises(errors.SaksiError) as raised:
        action()
    assert type(raised.value).__name__ == vector["error"], raised.value
    if vector["error"] == "InvalidField":
        assert raised.value.field == vector["field"], raised.value


def test_kinds_are_all_replayed() -> None:
    assert len(CHECKPOINT_NOTES) == 3
    kinds = {v["kind"] for v in vectors()}
    assert kinds == {"vkey", "note", "signedCheckpoint", "cosignature", "policy", "tlogProof"}
    assert "TEST SEEDS ONLY" in json.loads(VECTORS.read_text(encoding="utf-8"))["description"]


@pytest.mark.parametrize("v", params("vkey"))
def test_vkey(v: dict[str, Any]) -> None:
    def check() -> None:
        vkey = Vkey.parse(v["vkey"])
        assert str(vkey) == v["vkey"]
        assert (vkey.name, f"{vkey.key_id:08x}", vkey.sig_type, vkey.public_key) == (
            v["name"],
            v["keyId"],
            v["type"],
            b(v["publicKey"]),
        )
        scales = ScalesVkey.from_string(v["vkey"])
        assert (scales.name, scales.key_id, scales.sig_type, scales.pubkey) == (
            vkey.name,
            vkey.key_id,
            vkey.sig_type,
            vkey.public_key,
        )

    replay(v, check)


@pytest.mark.parametrize("v", params("note"))
def test_note(v: dict[str, Any]) -> None:
    def check() -> None:
        note = Note.parse(v["note"])
        if v["valid"]:
            assert note.serialize() == v["note"]
            assert note.text == v["text"]
            assert [(s.name, f"{s.key_id:08x}", "0x" + s.signature.hex()) for s in note.signatures] == [
                (s["name"], s["keyId"], s["signature"]) for s in v["signatures"]
            ]
        if v["vkeys"] is not None:
            verified = verify_note(note, [Vkey.parse(k) for k in v["vkeys"]])
            assert [{"vkey": str(x.vkey), "timestamp": x.timestamp} for x in verified] == v["verified"]

    replay(v, check)


CHECKPOINT_NOTES = [
    p for p in params("note") if p.values[0]["valid"] and p.values[0]["vkeys"] and p.values[0]["text"].count("\n") == 3
]


@pytest.mark.parametrize("v", CHECKPOINT_NOTES)
def test_verified_checkpoint_notes_verify_in_tlog_scales(v: dict[str, Any]) -> None:
    """tlog-scales verifies checkpoints (not arbitrary notes): every signature verify_note accepted."""
    checkpoint = ScalesCheckpoint.from_text(v["note"])
    for verified in v["verified"]:
        vkey = ScalesVkey.from_string(verified["vkey"])
        verifier = vkey.get_verifier()
        signature = next(s for s in checkpoint.signatures if vkey.match(s))
        verifier.verify_note(signature, checkpoint)


def test_spec_cosignature_example_fields() -> None:
    v = next(v for v in vectors() if v["kind"] == "note" and "tlog-cosignature spec" in v["description"])
    cosig = v["signatures"][1]
    assert (cosig["name"], cosig["keyId"]) == ("witness.example.com/w1", "8d66cf3f")
    assert int(cosig["signature"][2:18], 16) == 1679315147


@pytest.mark.parametrize("v", params("signedCheckpoint"))
def test_signed_checkpoint(v: dict[str, Any]) -> None:
    signer = NoteSigner(v["origin"], b(v["testSeed"]))
    assert str(signer.vkey) == v["vkey"]
    assert signer.sign(v["checkpoint"]).line() == v["signatureLine"]
    assert v["note"] == v["checkpoint"] + "\n" + v["signatureLine"]
    verify_note(Note.parse(v["note"]), [signer.vkey])
    checkpoint = ScalesCheckpoint.from_text(v["note"])
    PlainEd25519Verifier(ScalesVkey.from_string(v["vkey"])).verify_note(checkpoint.signatures[0], checkpoint)


@pytest.mark.parametrize("v", params("cosignature"))
def test_cosignature(v: dict[str, Any]) -> None:
    cosigner = Cosigner(v["name"], b(v["testSeed"]))
    assert str(cosigner.vkey) == v["vkey"]
    assert cosignature_message(v["checkpoint"], v["timestamp"]).decode() == v["message"]
    line = cosigner.cosign(v["checkpoint"], v["timestamp"]).line()
    assert line == v["signatureLine"]
    note = Note.parse(v["checkpoint"] + "\n" + line)
    assert verify_note(note, [cosigner.vkey])[0].timestamp == v["timestamp"]
    checkpoint = ScalesCheckpoint.from_text(note.serialize())
    verifier = Ed25519CosignatureVerifier(ScalesVkey.from_string(v["vkey"]))
    verifier.verify_note(checkpoint.signatures[0], checkpoint)
    assert verifier.get_timestamp(checkpoint.signatures[0].payload) == v["timestamp"]


@pytest.mark.parametrize("v", params("policy"))
def test_policy(v: dict[str, Any]) -> None:
    def check() -> None:
        policy = Policy.parse(v["policy"])
        assert [str(log.vkey) for log in policy.logs] == v["logs"]
        assert [
            {"name": w.name, "vkey": str(w.vkey), "url": w.url, "displayName": w.display_name} for w in policy.witnesses
        ] == v["witnesses"]
        assert policy.quorum == v["quorum"]
        assert policy.serialize() == v["serialized"]

    replay(v, check)


@pytest.mark.parametrize("v", params("tlogProof"))
def test_tlog_proof(v: dict[str, Any]) -> None:
    def check() -> None:
        proof = TlogProof.parse(v["proof"])
        checked = verify_tlog_proof(proof, proof.leaf_hash(), Policy.parse(v["policy"]))
        assert proof.serialize() == v["proof"]
        assert (proof.index, checked.checkpoint.tree_size, "0x" + proof.leaf_hash().hex()) == (
            v["leafIndex"],
            v["treeSize"],
            v["leafHash"],
        )
        assert [{"witness": c.witness, "timestamp": c.timestamp} for c in checked.cosigned_by] == v["cosignedBy"]
        assert checked.quorum_met is v["quorumMet"]

    replay(v, check)


def test_tlog_proof_leaves_are_the_bundle_log() -> None:
    """The proven leaves are those of bundles.json's log: the same leaf hash at the same index."""
    bundles = json.loads((VECTORS.parent / "bundles.json").read_text(encoding="utf-8"))["vectors"]
    by_index = {e["leafIndex"]: e["leafHash"] for e in bundles[0]["bundle"]["events"]}
    proven = {v["leafIndex"]: v["leafHash"] for v in vectors() if v["kind"] == "tlogProof" and v["valid"]}
    shared = by_index.keys() & proven.keys()
    assert shared and all(by_index[i] == proven[i] for i in shared)


def test_formats_section_16_examples_are_vectors() -> None:
    """docs/FORMATS.md §16 shows vectors, not hand-copied text that could drift."""
    formats = (VECTORS.parents[2] / "docs" / "FORMATS.md").read_text(encoding="utf-8")
    section = formats[formats.index("## 16. Signed notes") : formats.index("## Appendix A")]
    blocks = [block.split("\n", 1)[1] for block in section.split("```")[1::2]]
    texts = {v.get(key) for v in vectors() if v["valid"] for key in ("note", "policy", "proof")}
    shown = [
        b
        for b in blocks
        if b.startswith(("saksi/eip155", "This is", "# Saksi TEST policy", "c2sp.org/tlog-proof@v1\nextra"))
    ]
    assert len(shown) == 4
    assert all(block in texts for block in shown), [b[:40] for b in shown if b not in texts]
    lines = {v["signatureLine"] for v in vectors() if "signatureLine" in v}
    cosig_block = next(b for b in blocks if b.startswith("— ombudsman"))
    assert cosig_block in lines
    proof = next(v for v in vectors() if v["kind"] == "tlogProof" and v["leafIndex"] == 5 and v["valid"])
    assert proof["leafHash"] in section and proof["proof"] in shown
    for v in vectors():
        if v["kind"] == "vkey" and v["valid"]:
            assert v["vkey"] in section.replace("\n", "")
