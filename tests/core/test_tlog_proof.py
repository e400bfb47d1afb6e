"""C2SP tlog-proof files: exact bytes, strict parsing, verification against a policy."""

from __future__ import annotations

import base64
import hashlib

import pytest

from ledger.core import merkle
from ledger.core.checkpoint import Checkpoint
from ledger.core.events import leaf_bytes
from ledger.core.note import Cosigner, Note, NoteSigner
from ledger.core.policy import Cosigning, Policy
from ledger.core.tlog_proof import MAX_INCLUSION_HASHES, PROOF_HEADER, TlogProof, verify_tlog_proof
from ledger.errors import InclusionProofInvalid, InvalidField, InvalidInput, TooLarge, VerificationFailed

ORIGIN = "saksi/eip155:31337/0x5fbdb2315678afecb367f032d93f642f64180aa3"
TIME = 1764000000


def seed(label: str) -> bytes:
    """TEST KEY ONLY: SHA-256("saksi TEST proof seed <label>"), public, never for real use."""
    return hashlib.sha256(f"saksi TEST proof seed {label}".encode()).digest()


LOG = NoteSigner(ORIGIN, seed("log"))
WITNESSES = [Cosigner(f"w{i}.witness.example", seed(f"w{i}")) for i in range(3)]
POLICY = Policy.parse(
    f"log {LOG.vkey}\n"
    + "".join(f"witness w{i} {w.vkey}\n" for i, w in enumerate(WITNESSES))
    + "group two 2 w0 w1 w2\nquorum two\n"
)
LEAVES = [
    leaf_bytes(hashlib.sha256(b"digest %d" % i).digest(), bytes([i]) * 64 + b"\x1b", 1764000000000 + i)
    for i in range(11)
]
TREE = merkle.MemoryTree(merkle.leaf_hash(leaf) for leaf in LEAVES)


def checkpoint_note(size: int = 11, cosigners: int = 2) -> Note:
    text = Checkpoint(ORIGIN, size, TREE.root(size)).to_text()
    note = Note(text, (LOG.sign(text),))
    return note.with_signatures(w.cosign(text, TIME + i) for i, w in enumerate(WITNESSES[:cosigners]))


def proof_for(index: int, size: int = 11, cosigners: int = 2) -> TlogProof:
    inclusion = tuple(TREE.inclusion_proof(index, size))
    return TlogProof(index, inclusion, checkpoint_note(size, cosigners), LEAVES[index])


def test_serialize_exact_form_and_round_trip() -> None:
    proof = proof_for(5)
    text = proof.serialize()
    lines = text.split("\n")
    assert lines[0] == PROOF_HEADER
    assert lines[1] == "extra " + base64.b64encode(LEAVES[5]).decode()
    assert lines[2] == "index 5"
    assert lines[3:7] == [base64.b64encode(h).decode() for h in TREE.inclusion_proof(5, 11)]
    assert lines[7] == ""
    assert text.endswith("\n\n" + checkpoint_note().serialize()[len(checkpoint_note().text) + 1 :])
    assert text == "".join(line + "\n" for line in lines[:7]) + "\n" + proof.checkpoint.serialize()
    assert TlogProof.parse(text) == proof
    assert TlogProof.parse(text.encode()) == proof
    assert TlogProof.parse(text).serialize() == text


def test_without_extra_and_without_hashes() -> None:
    single = merkle.MemoryTree([merkle.leaf_hash(LEAVES[0])])
    text = Checkpoint(ORIGIN, 1, single.root()).to_text()
    proof = TlogProof(0, (), Note(text, (LOG.sign(text),)))
    serialized = proof.serialize()
    assert serialized.startswith(f"{PROOF_HEADER}\nindex 0\n\n{ORIGIN}\n1\n")
    assert TlogProof.parse(serialized) == proof
    checked = verify_tlog_proof(proof, merkle.leaf_hash(LEAVES[0]), POLICY)
    assert (checked.checkpoint.tree_size, checked.cosigned_by, checked.quorum_met) == (1, (), False)
    with pytest.raises(InvalidField, match="^tlogProof.extra: missing: a Saksi proof carries the leaf bytes$"):
        proof.leaf()


@pytest.mark.parametrize("index", [0, 1, 5, 9, 10])
def test_verify_every_shape(index: int) -> None:
    proof = TlogProof.parse(proof_for(index).serialize())
    assert proof.leaf().to_bytes() == LEAVES[index]
    checked = verify_tlog_proof(proof, proof.leaf_hash(), POLICY)
    assert checked.log == LOG.vkey
    assert checked.cosigned_by == (Cosigning("w0", TIME), Cosigning("w1", TIME + 1))
    assert checked.quorum_met is True
    assert checked.checkpoint == proof.tree


def test_verify_refuses_the_wrong_leaf_index_or_path() -> None:
    proof = proof_for(5)
    with pytest.raises(InclusionProofInvalid, match="^calculated root differs from the expected root$"):
        verify_tlog_proof(proof, merkle.leaf_hash(LEAVES[6]), POLICY)
    moved = TlogProof(6, proof.inclusion, proof.checkpoint, proof.extra)
    with pytest.raises(InclusionProofInvalid):
        verify_tlog_proof(moved, proof.leaf_hash(), POLICY)
    flipped = (bytes([proof.inclusion[0][0] ^ 1]) + proof.inclusion[0][1:],) + proof.inclusion[1:]
    with pytest.raises(InclusionProofInvalid):
        verify_tlog_proof(TlogProof(5, flipped, proof.checkpoint, proof.extra), proof.leaf_hash(), POLICY)
    with pytest.raises(InclusionProofInvalid, match="^proof has fewer elements than the tree has levels$"):
        verify_tlog_proof(TlogProof(5, proof.inclusion[:-1], proof.checkpoint), proof.leaf_hash(), POLICY)
    beyond = TlogProof(11, proof.inclusion, proof.checkpoint)
    with pytest.raises(InclusionProofInvalid, match="^leaf index 11 is not below tree size 11$"):
        verify_tlog_proof(beyond, proof.leaf_hash(), POLICY)


def test_verify_refuses_an_unsigned_or_forged_checkpoint() -> None:
    proof = proof_for(3)
    text = proof.checkpoint.text
    impostor = NoteSigner(ORIGIN, seed("impostor"))
    forged = TlogProof(3, proof.inclusion, Note(text, (impostor.sign(text),)), proof.extra)
    with pytest.raises(VerificationFailed, match=f"^checkpoint: no signature by the log {ORIGIN}$"):
        verify_tlog_proof(forged, proof.leaf_hash(), POLICY)
    tampered_extra = TlogProof(3, proof.inclusion, proof.checkpoint, LEAVES[4])
    with pytest.raises(InclusionProofInvalid):
        verify_tlog_proof(tampered_extra, tampered_extra.leaf_hash(), POLICY)


def test_quorum_is_reported() -> None:
    proof = proof_for(2, cosigners=1)
    checked = verify_tlog_proof(proof, proof.leaf_hash(), POLICY)
    assert (checked.cosigned_by, checked.quorum_met) == ((Cosigning("w0", TIME),), False)
    assert verify_tlog_proof(proof_for(2, cosigners=3), proof.leaf_hash(), POLICY).quorum_met is True


def _good() -> str:
    return proof_for(5).serialize()


def _lines() -> list[str]:
    return _good().split("\n")


def _with_line(i: int, value: str) -> str:
    lines = _lines()
    lines[i] = value
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "tlogProof: must have a blank line before the checkpoint"),
        (_good().replace("\n\n", "\n", 1), "tlogProof.inclusion[4]: must be standard base64 with padding"),
        (_with_line(0, "c2sp.org/tlog-proof@v2"), "tlogProof: must start with the line c2sp.org/tlog-proof@v1"),
        (_with_line(0, "c2sp.org/tlog-proof@v1 "), "tlogProof: must start with the line c2sp.org/tlog-proof@v1"),
        (" " + _good(), "tlogProof: must start with the line c2sp.org/tlog-proof@v1"),
        (_with_line(1, "extra "), "tlogProof.extra: must not be empty (omit the line instead)"),
        (_with_line(1, "extra AQ"), "tlogProof.extra: must be standard base64 with padding"),
        (_with_line(1, "extra AR=="), "tlogProof.extra: must be canonical base64"),
        (_with_line(1, "extra  AQ=="), "tlogProof.extra: must be standard base64 with padding"),
        (
            _with_line(1, "Extra AQ=="),
            "tlogProof.index: must be 'index <n>', decimal without leading zeros, below 2^63",
        ),
        (_with_line(2, "index 05"), "tlogProof.index: must be 'index <n>', decimal without leading zeros, below 2^63"),
        (_with_line(2, "index -5"), "tlogProof.index: must be 'index <n>', decimal without leading zeros, below 2^63"),
        (_with_line(2, "index  5"), "tlogProof.index: must be 'index <n>', decimal without leading zeros, below 2^63"),
        (
            _with_line(2, "index 9223372036854775808"),
            "tlogProof.index: must be 'index <n>', decimal without leading zeros, below 2^63",
        ),
        (
            _with_line(2, "index \u0665"),
            "tlogProof.index: must be 'index <n>', decimal without leading zeros, below 2^63",
        ),
        (f"{PROOF_HEADER}\n\n" + checkpoint_note().serialize(), "tlogProof.index: missing the line 'index <n>'"),
        (_with_line(3, _lines()[3][:-1]), "tlogProof.inclusion[0]: must be standard base64 with padding"),
        (_with_line(3, base64.b64encode(bytes(31)).decode()), "tlogProof.inclusion[0]: must decode to 32 bytes"),
        (_with_line(4, _lines()[4] + "\r"), "tlogProof.inclusion[1]: must be standard base64 with padding"),
        (
            _good().replace("\n\n", "\n\nnot a checkpoint\n\n", 1),
            "checkpoint: must have exactly three lines: origin, tree size, root hash",
        ),
        (
            _good().replace("\n\n", "\n\n\n", 1),
            "checkpoint: must have exactly three lines: origin, tree size, root hash",
        ),
        (_good().rstrip("\n"), "note: text must end with a newline"),
        (_good() + "\n", "note: must have at least one signature line"),
        (b"\xff" + _good().encode(), "tlogProof: must be valid UTF-8"),
    ],
)
def test_parse_refuses(text: str | bytes, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        TlogProof.parse(text)
    assert caught.value.message == message


def test_limits() -> None:
    lines = _lines()
    too_many = "\n".join(lines[:3] + [lines[3]] * (MAX_INCLUSION_HASHES + 1) + lines[7:])
    with pytest.raises(InvalidField, match="^tlogProof.inclusion: must have at most 63 hashes$"):
        TlogProof.parse(too_many)
    at_most = "\n".join(lines[:3] + [lines[3]] * MAX_INCLUSION_HASHES + lines[7:])
    assert len(TlogProof.parse(at_most).inclusion) == MAX_INCLUSION_HASHES
    with pytest.raises(TooLarge, match="^tlogProof: must be at most "):
        TlogProof.parse(b"x" * (2 << 20))


def test_model_rules() -> None:
    note = checkpoint_note()
    with pytest.raises(InvalidField, match="^tlogProof.inclusion: hashes must be 32 bytes$"):
        TlogProof(0, (bytes(31),), note)
    with pytest.raises(InvalidField, match="^tlogProof.index: must be an integer in \\[0, 2\\^63\\)$"):
        TlogProof(-1, (), note)
    with pytest.raises(InvalidField, match="^tlogProof.extra: must be 1 to 65536 bytes"):
        TlogProof(0, (), note, b"")
    with pytest.raises(InvalidField, match="^checkpoint: must have exactly three lines"):
        TlogProof(0, (), Note("hello\n", (LOG.sign("hello\n"),)))
    with pytest.raises(InvalidField, match="^leaf: version 1 leaves are 106 bytes$"):
        TlogProof(0, (), note, LEAVES[0][:-1]).leaf_hash()
    with pytest.raises(InvalidField, match="^leaf: unknown leaf version 2$"):
        TlogProof(0, (), note, b"\x02" + LEAVES[0][1:]).leaf()
