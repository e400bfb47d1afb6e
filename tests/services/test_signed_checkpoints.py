"""The log signs its checkpoints (c2sp.org/signed-note@v1.0.0, c2sp.org/tlog-checkpoint@v1.0.0): exactly the
three-line body, stored beside it, old unsigned ones signed on start, nothing signed that the tree does not hold."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import update

from ledger.core.checkpoint import Checkpoint
from ledger.core.note import Note, NoteSignature, NoteSigner, verify_note
from ledger.errors import InvalidInput, NotFound, VerificationFailed
from ledger.services.append import Appender, Receipt
from ledger.services.proofs import checkpoint_note, make_checkpoint, root_at, sign_unsigned_checkpoints
from ledger.storage.schema import checkpoints
from tests.factories import TEST_DOMAIN, AgencyKey, CaseBuilder, FakeClock, log_signer_for_tests

DUKCAPIL = AgencyKey("dukcapil.jaksel")
ORIGIN = "saksi/eip155:31337/0x5fbdb2315678afecb367f032d93f642f64180aa3"


@pytest.fixture
def appender(store) -> Appender:
    with store.write() as tx:
        tx.register_agency(DUKCAPIL.code, DUKCAPIL.name, DUKCAPIL.address, at=0)
    return Appender(store, TEST_DOMAIN, FakeClock())


def append(appender: Appender, count: int) -> None:
    case = CaseBuilder(DUKCAPIL)
    assert all(isinstance(o, Receipt) for o in appender.submit([case.next_item() for _ in range(count)]))


def test_a_new_checkpoint_is_signed_over_exactly_its_three_lines(store, appender):
    signer = log_signer_for_tests(ORIGIN)
    append(appender, 3)
    checkpoint = make_checkpoint(store, ORIGIN, lambda: 1, signer)
    with store.read() as reader:
        note = checkpoint_note(reader, signer.vkey)
    assert note.text == checkpoint.to_text() and note.text.count("\n") == 3
    assert Checkpoint.from_text(note.text) == checkpoint
    assert verify_note(note, [signer.vkey])[0].vkey == signer.vkey
    (line,) = note.signatures
    assert line == signer.sign(checkpoint.to_text())  # Ed25519 is deterministic
    served = note.serialize()
    assert served.startswith(checkpoint.to_text() + "\n— " + ORIGIN + " ")
    raw = base64.b64decode(served.rsplit(" ", 1)[1])
    assert raw[:4] == signer.vkey.key_id.to_bytes(4, "big") and len(raw) == 68
    assert Note.parse(served) == note


def test_extra_signature_lines_follow_the_logs_own(store, appender):
    signer = log_signer_for_tests(ORIGIN)
    append(appender, 1)
    make_checkpoint(store, ORIGIN, lambda: 1, signer)
    other = NoteSigner("witness.example/w1", b"\x07" * 32)  # TEST KEY
    with store.read() as reader:
        plain = checkpoint_note(reader, signer.vkey)
        extra = other.sign(plain.text)
        note = checkpoint_note(reader, signer.vkey, extra=(extra, extra))
    assert note.signatures == (plain.signatures[0], extra)


def test_the_newest_signed_checkpoint_is_served_and_unsigned_ones_are_not(store, appender):
    signer = log_signer_for_tests(ORIGIN)
    with store.read() as reader, pytest.raises(NotFound, match="no signed checkpoint yet"):
        checkpoint_note(reader, signer.vkey)
    append(appender, 2)
    make_checkpoint(store, ORIGIN, lambda: 1, signer)
    append(appender, 2)
    make_checkpoint(store, ORIGIN, lambda: 2)  # no key: stored unsigned
    with store.read() as reader:
        assert Checkpoint.from_text(checkpoint_note(reader, signer.vkey).text).tree_size == 2
        assert reader.signed_checkpoint(signer.vkey, 4) is None
        assert reader.signed_size_in(range(0, 10)) == 2 and reader.signed_size_in(range(3, 10)) is None
        assert reader.signed_sizes() == [2]
    assert make_checkpoint(store, ORIGIN, lambda: 3, signer).tree_size == 4  # the same size again: now signed
    with store.read() as reader:
        assert Checkpoint.from_text(checkpoint_note(reader, signer.vkey).text).tree_size == 4
        assert reader.signed_sizes() == [2, 4] and reader.signed_sizes(after=2) == [4]


def test_unsigned_checkpoints_are_signed_on_start_but_never_a_root_the_tree_does_not_hold(store, appender):
    signer = log_signer_for_tests(ORIGIN)
    for _ in range(3):
        append(appender, 1)
        make_checkpoint(store, ORIGIN, lambda: 1)
    make_checkpoint(store, "saksi/other-origin", lambda: 1)  # size 3 again, but stored once: origin stays
    with store.write() as tx:  # a tampered root at size 2
        tx.conn.execute(update(checkpoints).where(checkpoints.c.tree_size == 2).values(root_hash=b"\x00" * 32))
    assert sign_unsigned_checkpoints(store, signer) == 2
    with store.read() as reader:
        assert [size for size, _, _ in reader.unsigned_checkpoints()] == [2]
        assert reader.signed_sizes() == [1, 3]
        for size in (1, 3):
            note = reader.signed_checkpoint(signer.vkey, size)
            assert note is not None and verify_note(note, [signer.vkey])
            assert Checkpoint.from_text(note.text).root_hash == root_at(reader, size)
    assert sign_unsigned_checkpoints(store, signer) == 0  # idempotent


def test_a_checkpoint_of_another_origin_is_not_signed(store, appender):
    append(appender, 1)
    make_checkpoint(store, "saksi/other-origin", lambda: 1)
    assert sign_unsigned_checkpoints(store, log_signer_for_tests(ORIGIN)) == 0
    with pytest.raises(InvalidInput, match="not as the checkpoint origin"):
        make_checkpoint(store, "saksi/other-origin", lambda: 1, log_signer_for_tests(ORIGIN))


def test_a_stored_signature_is_never_replaced(store, appender):
    signer = log_signer_for_tests(ORIGIN)
    append(appender, 1)
    make_checkpoint(store, ORIGIN, lambda: 1, signer)
    with store.write() as tx:
        tx.sign_checkpoint(1, b"\x01" * 64)
    with store.read() as reader:
        note = checkpoint_note(reader, signer.vkey)
    assert verify_note(note, [signer.vkey])
    forged = Note(note.text, (NoteSignature(signer.vkey.name, signer.vkey.key_id, b"\x01" * 64),))
    with pytest.raises(VerificationFailed):
        verify_note(forged, [signer.vkey])
