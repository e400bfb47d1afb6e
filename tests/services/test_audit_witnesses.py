"""The audit's witness phase (ledger/audit/cosignatures.py): with a witness policy, every signature the
server kept for its checkpoints is verified, one by one, and each bad or missing one is named.

The server's storage of signatures (a `cosignatures` table behind `cosignatures_for(tree_size)`) is the
lead's; here a fake reader stands in for it, holding TEST keys' signatures of the ledger's checkpoints."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import delete, insert, update

from ledger.audit.cosignatures import CosignatureReader, StoredSignatures, check_cosignatures
from ledger.audit.phases import PHASES
from ledger.core.checkpoint import Checkpoint
from ledger.core.note import Cosigner, Note, NoteSignature, NoteSigner
from ledger.core.policy import Policy
from ledger.storage.audit_scan import AuditScan
from ledger.storage.schema import checkpoints, cosignatures, witnessed_checkpoints
from tests.dba import run_as_dba
from tests.services.test_auditor import ORIGIN, Ledger

LOG = NoteSigner(ORIGIN, hashlib.sha256(b"saksi test log key").digest())  # TEST KEY
WITNESSES = [
    Cosigner(f"{name}.example-test", hashlib.sha256(f"saksi test witness key {n}".encode()).digest())  # TEST KEYS
    for n, name in enumerate(("ombudsman", "bpk", "ui"), 1)
]
STRANGER = Cosigner("stranger.example-test", hashlib.sha256(b"saksi test witness key 9").digest())  # TEST KEY
POLICY = Policy.parse(
    f"log {LOG.vkey}\n"
    + "".join(
        f"# name: {label}\nwitness {w.vkey.name.split('.')[0]} {w.vkey}\n"
        for label, w in zip(("Ombudsman RI", "BPK", "Universitas Indonesia"), WITNESSES, strict=True)
    )
    + "group all 2 ombudsman bpk ui\nquorum all\n"
)


class FakeCosignatures:
    """`cosignatures_for(tree_size)` as the lead's storage will answer it."""

    def __init__(self, stored: dict[int, list[NoteSignature]]) -> None:
        self.stored = stored

    def cosignatures_for(self, tree_size: int) -> list[NoteSignature]:
        return list(self.stored.get(tree_size, []))


def flip(sig: NoteSignature, at: int = 20) -> NoteSignature:
    raw = bytearray(sig.signature)
    raw[at] ^= 0x01
    return NoteSignature(sig.name, sig.key_id, bytes(raw))


@pytest.fixture
def ledger(store):
    return Ledger(store)


def stored_checkpoints(ledger: Ledger) -> dict[int, tuple[bytes, str]]:
    with ledger.store.read() as reader:
        return AuditScan(reader.conn).checkpoints()


def honest(ledger: Ledger) -> dict[int, list[NoteSignature]]:
    """Every checkpoint signed by the TEST log key and cosigned by the first two TEST witnesses (and a stranger)."""
    out = {}
    for size, (root, origin) in stored_checkpoints(ledger).items():
        text = Checkpoint(origin, size, root).to_text()
        out[size] = [LOG.sign(text), *(w.cosign(text, 1_767_500_000 + size) for w in WITNESSES[:2])]
        out[size].append(STRANGER.cosign(text, 1))  # a key the policy does not name: ignored
    return out


def test_the_phase_is_the_last_numbered_one():
    assert PHASES[-1][:2] == (11, "checkpoint signatures and witness cosignatures")
    assert isinstance(FakeCosignatures({}), CosignatureReader)


def test_every_honest_signature_verifies_and_the_scope_says_how_many(ledger):
    signatures = honest(ledger)
    report = ledger.audit(witness_policy=POLICY, cosignatures=FakeCosignatures(signatures))
    assert report.discrepancies == [], report.discrepancies
    assert report.scope["witnesses"] == {"policyWitnesses": 3, "signaturesChecked": 3 * len(signatures)}
    assert "witnesses" not in report.scope["notChecked"]


def test_without_a_policy_nothing_changes(ledger):
    report = ledger.audit(cosignatures=FakeCosignatures({}))
    assert "witnesses" not in report.scope and "witnesses" not in report.scope["notChecked"]
    assert report.clean


def test_a_policy_without_stored_signatures_says_it_did_not_check(ledger, monkeypatch):
    monkeypatch.setattr(StoredSignatures, "available", staticmethod(lambda reader: False))  # a storage without them
    report = ledger.audit(witness_policy=POLICY)
    assert "witnesses" in report.scope["notChecked"] and report.clean


def test_the_storage_s_own_signatures_are_read_when_it_keeps_them(ledger):
    """With the server's storage of signatures (the checkpoint row's log signature and the cosignatures
    table), the audit reads them itself: this ledger never signed its checkpoints."""
    with ledger.store.read() as reader:
        if not StoredSignatures.available(reader):
            pytest.skip("this storage keeps no checkpoint signatures yet")
    report = ledger.audit(witness_policy=POLICY)
    sizes = sorted(stored_checkpoints(ledger))
    assert [(d.kind, d.tree_size) for d in report.discrepancies] == [("checkpoint-unsigned", s) for s in sizes]
    assert report.scope["witnesses"] == {"policyWitnesses": 3, "signaturesChecked": 0}


def test_each_bad_or_missing_signature_is_one_finding_at_its_checkpoint(ledger):
    signatures = honest(ledger)
    first, second, third = sorted(signatures)
    signatures[first][2] = flip(signatures[first][2])  # BPK's cosignature of the first checkpoint
    signatures[second][0] = flip(signatures[second][0], 3)  # the log's own signature of the second
    signatures[third] = signatures[third][1:]  # the third: cosigned, but the log's signature is gone
    report = ledger.audit(witness_policy=POLICY, cosignatures=FakeCosignatures(signatures))
    found = [(d.kind, d.tree_size) for d in report.discrepancies]
    assert found == [
        ("cosignature-invalid", first),
        ("log-signature-invalid", second),
        ("checkpoint-unsigned", third),
    ]
    bad = report.discrepancies[0].detail
    assert bad.startswith(f"the cosignature of BPK (bpk) of size {first}: signature by bpk.example-test+")
    assert bad.endswith("does not verify")
    assert report.discrepancies[2].detail == (
        f"no signature by the log key {LOG.vkey} is stored for the checkpoint of size {third}"
    )


def test_a_cosignature_of_another_checkpoint_does_not_pass(ledger):
    signatures = honest(ledger)
    first, second, _ = sorted(signatures)
    signatures[second][1] = signatures[first][1]  # Ombudsman's cosignature of the first, kept for the second
    report = ledger.audit(witness_policy=POLICY, cosignatures=FakeCosignatures(signatures))
    assert [(d.kind, d.tree_size) for d in report.discrepancies] == [("cosignature-invalid", second)]


class FakeStorageReader:
    """The server's storage as the audit reads it: the log's signature on the checkpoint row, and a
    cosignatures table of (key_name, key_id, signature) rows."""

    class Row:
        def __init__(self, sig: NoteSignature) -> None:
            self.key_name, self.key_id, self.signature = sig.name, sig.key_id, sig.signature

    def __init__(self, ledger: Ledger, log_signatures: dict[int, bytes], cosigs: dict[int, list[NoteSignature]]):
        self.checkpoints = stored_checkpoints(ledger)
        self.log_signatures, self.cosigs = log_signatures, cosigs
        self.witnessing = self

    def signed_checkpoint(self, log_vkey, tree_size):
        if tree_size not in self.log_signatures:
            return None
        root, origin = self.checkpoints[tree_size]
        text = Checkpoint(origin, tree_size, root).to_text()
        return Note(text, (NoteSignature(log_vkey.name, log_vkey.key_id, self.log_signatures[tree_size]),))

    def cosignatures_for(self, tree_size):
        return [self.Row(s) for s in self.cosigs.get(tree_size, [])]

    def witnessed_sizes(self, policy_digest):
        return []


def test_the_storage_adapter_reads_the_row_signature_and_the_cosignatures(ledger):
    signatures = honest(ledger)
    first, second, _ = sorted(signatures)
    logs = {size: sigs[0].signature for size, sigs in signatures.items() if size != second}
    cosigs = {size: sigs[1:] for size, sigs in signatures.items()}
    storage = FakeStorageReader(ledger, logs, cosigs)
    assert StoredSignatures.available(storage) and not StoredSignatures.available(object())
    adapter = StoredSignatures(storage, POLICY.log_for(ORIGIN))
    assert adapter.cosignatures_for(first) == signatures[first]
    report = ledger.audit(witness_policy=POLICY, cosignatures=adapter)
    assert [(d.kind, d.tree_size) for d in report.discrepancies] == [("checkpoint-unsigned", second)]


def test_a_policy_that_does_not_name_this_log():
    other = Policy.parse(f"log {NoteSigner('example.com/other', b'1' * 32).vkey}\nquorum none\n")
    found, verified = check_cosignatures({3: (b"\x00" * 32, ORIGIN)}, FakeCosignatures({}), other, ORIGIN)
    assert verified == 0
    assert [(d.kind, d.tree_size, d.detail) for d in found] == [
        (
            "log-signature-invalid",
            None,
            f"the witness policy names no log key for this ledger's origin {ORIGIN}: no signature was checked",
        )
    ]


def test_a_checkpoint_of_another_origin_is_named():
    found, _ = check_cosignatures({3: (b"\x00" * 32, "example.com/other")}, FakeCosignatures({}), POLICY, None)
    assert [(d.kind, d.tree_size) for d in found] == [("log-signature-invalid", 3)]
    assert found[0].detail == "the checkpoint's origin example.com/other is not a log of the witness policy"


# --- the server's own storage, tampered with as a DBA would ------------------------------------------------
# The columns test_audit_tamper.py leaves to this file: checkpoints.log_signature, the cosignatures table
# and the quorum marks (witnessed_checkpoints) that make a checkpoint count for citizens.


@pytest.fixture
def witnessed(ledger):
    """The ledger's checkpoints signed by the TEST log key, cosigned by Ombudsman and BPK (2 of 3: the
    quorum), a stranger's cosignature beside them, and each marked as witnessed under POLICY, as the
    witnessing worker leaves them."""
    sizes = sorted(stored_checkpoints(ledger))
    with ledger.store.write() as tx:
        for size, signatures in honest(ledger).items():
            tx.sign_checkpoint(size, signatures[0].signature)
            for at, cosig in enumerate(signatures[1:]):
                tx.witnessing.add_cosignature(size, cosig.name, cosig.key_id, cosig.signature, received_at=size + at)
            tx.witnessing.mark_witnessed(size, POLICY.digest, at=size)
    return sizes


def _dba(ledger, *statements) -> None:
    run_as_dba(ledger.store.engine, *statements)


def _kinds(ledger) -> list[tuple[str, int | None]]:
    return [(d.kind, d.tree_size) for d in ledger.audit(witness_policy=POLICY).discrepancies]


def test_the_witnessed_storage_is_clean_and_every_signature_is_read_from_it(ledger, witnessed):
    report = ledger.audit(witness_policy=POLICY)
    assert report.discrepancies == []
    assert report.scope["witnesses"]["signaturesChecked"] == 3 * len(witnessed)


def test_the_policy_digest_is_the_file_s_sha256():
    text = POLICY.serialize()
    assert Policy.parse(text).digest == hashlib.sha256(text.encode()).digest()
    assert Policy.parse(text + "# a comment changes the file\n").digest != POLICY.digest


WITNESS_TAMPERS = {
    # name -> (statements(sizes), findings(sizes))
    "checkpoints.log_signature flipped": (
        lambda s: [update(checkpoints).where(checkpoints.c.tree_size == s[1]).values(log_signature=b"\x07" * 64)],
        lambda s: [("log-signature-invalid", s[1])],
    ),
    "checkpoints.log_signature removed": (
        lambda s: [update(checkpoints).where(checkpoints.c.tree_size == s[0]).values(log_signature=None)],
        lambda s: [("checkpoint-unsigned", s[0])],
    ),
    "cosignatures.signature flipped": (
        lambda s: [
            update(cosignatures)
            .where(cosignatures.c.tree_size == s[0], cosignatures.c.key_name == WITNESSES[1].vkey.name)
            .values(signature=(1).to_bytes(8, "big") + b"\x09" * 64)
        ],
        lambda s: [("cosignature-invalid", s[0]), ("quorum-not-met", s[0])],
    ),
    "cosignatures.tree_size moved to another checkpoint": (
        lambda s: [
            delete(cosignatures).where(
                cosignatures.c.tree_size == s[1], cosignatures.c.key_name == WITNESSES[0].vkey.name
            ),
            update(cosignatures)
            .where(cosignatures.c.tree_size == s[0], cosignatures.c.key_name == WITNESSES[0].vkey.name)
            .values(tree_size=s[1]),
        ],
        lambda s: [("quorum-not-met", s[0]), ("cosignature-invalid", s[1]), ("quorum-not-met", s[1])],
    ),
    "cosignatures.key_name of another policy witness": (
        lambda s: [
            update(cosignatures)
            .where(cosignatures.c.tree_size == s[2], cosignatures.c.key_name == WITNESSES[1].vkey.name)
            .values(key_name=WITNESSES[2].vkey.name, key_id=WITNESSES[2].vkey.key_id)
        ],
        lambda s: [("cosignature-invalid", s[2]), ("quorum-not-met", s[2])],
    ),
    "cosignatures.key_id changed": (
        lambda s: [
            update(cosignatures)
            .where(cosignatures.c.tree_size == s[2], cosignatures.c.key_name == WITNESSES[0].vkey.name)
            .values(key_id=1)
        ],
        lambda s: [("quorum-not-met", s[2])],  # a key the policy does not name: ignored, so one cosigner short
    ),
    "cosignatures row deleted": (
        lambda s: [
            delete(cosignatures).where(
                cosignatures.c.tree_size == s[1], cosignatures.c.key_name == WITNESSES[1].vkey.name
            )
        ],
        lambda s: [("quorum-not-met", s[1])],
    ),
    "cosignatures: every one of a witnessed checkpoint deleted": (
        lambda s: [delete(cosignatures).where(cosignatures.c.tree_size == s[0])],
        lambda s: [("quorum-not-met", s[0])],
    ),
    "witnessed_checkpoints row inserted for a size nobody cosigned": (
        lambda s: [
            delete(cosignatures).where(cosignatures.c.tree_size == s[0]),
            delete(witnessed_checkpoints).where(witnessed_checkpoints.c.tree_size == s[0]),
            insert(witnessed_checkpoints).values(tree_size=s[0], policy_hash=POLICY.digest, met_at=1),
        ],
        lambda s: [("quorum-not-met", s[0])],
    ),
    "witnessed_checkpoints.tree_size moved beyond the stored checkpoints": (
        lambda s: [
            update(witnessed_checkpoints).where(witnessed_checkpoints.c.tree_size == s[-1]).values(tree_size=10_000)
        ],
        lambda s: [("quorum-not-met", 10_000)],
    ),
}


@pytest.mark.parametrize("name", sorted(WITNESS_TAMPERS))
def test_each_witness_tamper_is_found_at_its_checkpoint(ledger, witnessed, name):
    statements, expected = WITNESS_TAMPERS[name]
    _dba(ledger, *statements(witnessed))
    assert sorted(_kinds(ledger), key=lambda k: (k[1], k[0])) == sorted(expected(witnessed), key=lambda k: (k[1], k[0]))


def test_a_quorum_mark_under_another_policy_is_not_this_policy_s(ledger, witnessed):
    """Marks name their policy by digest: a mark under another policy file is not held to this one."""
    _dba(ledger, delete(cosignatures).where(cosignatures.c.tree_size == witnessed[0]))
    _dba(ledger, update(witnessed_checkpoints).values(policy_hash=b"\x05" * 32))
    assert _kinds(ledger) == []
