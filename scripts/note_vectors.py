"""tests/vectors/notes.json: C2SP signed notes, cosignatures, policies and tlog-proof files.

Written by scripts/gen_vectors.py (``build_notes``). The spec examples come from
c2sp.org/signed-note@v1.0.0 and c2sp.org/tlog-cosignature@v1; the rest is signed with Ed25519 TEST SEEDS,
``SHA-256("saksi test note seed N")``, public by definition: never use them for anything real.
Ed25519 (RFC 8032) is deterministic, so the signatures are stable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from ledger.core import merkle
from ledger.core.checkpoint import Checkpoint, default_origin
from ledger.core.encoding import b64encode
from ledger.core.note import (
    Cosigner,
    Note,
    NoteSignature,
    NoteSigner,
    Vkey,
    cosignature_message,
    key_id,
    verify_note,
)
from ledger.core.policy import Policy
from ledger.core.tlog_proof import TlogProof, verify_tlog_proof
from ledger.errors import SaksiError

SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n"
    "— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)
SPEC_COSIGNED = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
    "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)
ORIGIN = default_origin(31337, bytes.fromhex("5fbdb2315678afecb367f032d93f642f64180aa3"))
#: FORMATS §9.4
CHECKPOINT = f"{ORIGIN}\n3\nWkAFHncav89iWu/6bq9a2j87Y3vUNTq5ZQICfIOUqmk=\n"
COSIGNED_AT = 1_767_513_600  # 2026-01-04T08:00:00Z, seconds
WITNESS_NAMES = ("ombudsman.go.id-test", "bpk.go.id-test", "ui.ac.id-test")
WITNESS_LABELS = ("Ombudsman RI (TEST)", "BPK (TEST)", "Universitas Indonesia (TEST)")

TEST_SEED_NOTE = (
    'TEST SEEDS ONLY: every Ed25519 seed here is SHA-256("saksi test note seed N"), public, never for real use.'
)


def note_test_seed(n: int) -> bytes:
    """TEST SEED n = SHA-256("saksi test note seed n")."""
    return hashlib.sha256(f"saksi test note seed {n}".encode()).digest()


LOG = NoteSigner(ORIGIN, note_test_seed(1))
WITNESSES = tuple(Cosigner(name, note_test_seed(10 + i)) for i, name in enumerate(WITNESS_NAMES))
STRANGER = Cosigner("stranger.example/witness", note_test_seed(99))


def _good(description: str, **data: Any) -> dict[str, Any]:
    return {"description": description, "valid": True, "error": None, **data}


def _bad(description: str, error: str, field: str | None = None, **data: Any) -> dict[str, Any]:
    vector = {"description": description, "valid": False, "error": error, **data}
    if field is not None:
        vector["field"] = field
    return vector


def _expect(description: str, action: Callable[[], Any], error: str | None, field: str | None = None) -> None:
    """Refuse to write a vector whose expectation the core does not meet."""
    try:
        action()
    except SaksiError as exc:
        if type(exc).__name__ != error or getattr(exc, "field", None) != field:
            raise AssertionError(f"{description!r}: the core raises {exc!r}, the vector says {error} {field}") from None
        return
    if error is not None:
        raise AssertionError(f"{description!r}: the core accepts it, the vector says {error}")


def _hx(value: bytes) -> str:
    return "0x" + value.hex()


def _signatures(note: Note) -> list[dict[str, Any]]:
    return [{"name": s.name, "keyId": f"{s.key_id:08x}", "signature": _hx(s.signature)} for s in note.signatures]


def _cosigned(text: str, witnesses: Sequence[Cosigner]) -> Note:
    note = Note(text, (LOG.sign(text),))
    return note.with_signatures(w.cosign(text, COSIGNED_AT + i) for i, w in enumerate(witnesses))


def _small_order_vkey(name: str) -> str:
    """Ed25519's identity point as a key: OpenSSL and Go accept R = identity, S = 0 from it for any text."""
    key = bytes([1]) + bytes(31)
    return f"{name}+{key_id(name, 1, key):08x}+{b64encode(bytes([1]) + key)}"


def _vkeys() -> list[dict[str, Any]]:
    out = []
    for description, signer in (
        ("the signed-note spec's example vkey", None),
        ("Saksi's TEST log key: an Ed25519 note key (type 0x01) named by the origin", LOG),
        ("a TEST witness key: an Ed25519 cosigner key (type 0x04)", WITNESSES[0]),
    ):
        vkey = signer.vkey if signer else None
        text = str(vkey) if vkey else SPEC_VKEY
        parsed = Vkey.parse(text)
        out.append(
            _good(
                description,
                kind="vkey",
                vkey=text,
                name=parsed.name,
                keyId=f"{parsed.key_id:08x}",
                type=parsed.sig_type,
                publicKey=_hx(parsed.public_key),
            )
        )
    log = str(LOG.vkey)
    name, kid, key = log.split("+", 2)
    for description, field, text in (
        ("two parts only", "vkey", f"{name}+{kid}"),
        ("an empty key name", "vkey.name", f"+{kid}+{key}"),
        ("a space in the key name", "vkey.name", f"saksi {name}+{kid}+{key}"),
        ("a no-break space (U+00A0) in the key name", "vkey.name", f"saksi\u00a0{name}+{kid}+{key}"),
        ("an upper-case key ID", "vkey.keyId", f"{name}+{kid.upper()}+{key}"),
        ("a 7-digit key ID", "vkey.keyId", f"{name}+{kid[1:]}+{key}"),
        ("a key ID that is not the hash of name, type and key", "vkey.keyId", f"{name}+{int(kid, 16) ^ 1:08x}+{key}"),
        ("another name for the same key and ID", "vkey.keyId", f"{name}x+{kid}+{key}"),
        ("the key with extra padding", "vkey.key", f"{name}+{kid}+{key}=="),
        ("the key with a character missing", "vkey.key", f"{name}+{kid}+{key[:-1]}"),
        ("a base64url character in the key", "vkey.key", f"{name}+{kid}+{key[:-1]}-"),
        ("a 31-byte Ed25519 key", "vkey.publicKey", f"{name}+{kid}+{b64encode(bytes([1]) + LOG.vkey.public_key[:31])}"),
        ("a type byte alone", "vkey.key", f"{name}+{kid}+AQ=="),
        ("a small-order key (the identity), its key ID right", "vkey.publicKey", _small_order_vkey(name)),
        ("a key that is not on the curve", "vkey.publicKey", f"{name}+{kid}+{b64encode(bytes([1, 2]) + bytes(31))}"),
    ):
        _expect(description, lambda t=text: Vkey.parse(t), "InvalidField", field)
        out.append(_bad(description, "InvalidField", field, kind="vkey", vkey=text))
    return out


def _notes() -> list[dict[str, Any]]:
    out = []

    def ok(description: str, note: str, vkeys: list[str] | None, verified: list[dict[str, Any]] | None) -> None:
        parsed = Note.parse(note)
        if vkeys is not None:
            got = verify_note(parsed, [Vkey.parse(v) for v in vkeys])
            assert [{"vkey": str(g.vkey), "timestamp": g.timestamp} for g in got] == verified, description
        out.append(
            _good(
                description,
                kind="note",
                note=note,
                vkeys=vkeys,
                text=parsed.text,
                signatures=_signatures(parsed),
                verified=verified,
            )
        )

    def ko(description: str, note: str, vkeys: list[str], error: str, field: str | None = None) -> None:
        _expect(description, lambda: verify_note(Note.parse(note), [Vkey.parse(v) for v in vkeys]), error, field)
        out.append(_bad(description, error, field, kind="note", note=note, vkeys=vkeys))

    log, w = str(LOG.vkey), [str(c.vkey) for c in WITNESSES]
    ok("the signed-note spec's example note and vkey", SPEC_NOTE, [SPEC_VKEY], [{"vkey": SPEC_VKEY, "timestamp": None}])
    ok("the tlog-cosignature spec's example (parsed only: its keys are not published)", SPEC_COSIGNED, None, None)
    signed = Note(CHECKPOINT, (LOG.sign(CHECKPOINT),)).serialize()
    ok("FORMATS 9.4's checkpoint signed by the TEST log key", signed, [log], [{"vkey": log, "timestamp": None}])
    cosigned = _cosigned(CHECKPOINT, WITNESSES[:2]).with_signatures([STRANGER.cosign(CHECKPOINT, COSIGNED_AT)])
    ok(
        "the same checkpoint cosigned by two TEST witnesses and a stranger (ignored)",
        cosigned.serialize(),
        [log, *w],
        [
            {"vkey": log, "timestamp": None},
            {"vkey": w[0], "timestamp": COSIGNED_AT},
            {"vkey": w[1], "timestamp": COSIGNED_AT + 1},
        ],
    )
    ok("only the witnesses known", cosigned.serialize(), [w[1]], [{"vkey": w[1], "timestamp": COSIGNED_AT + 1}])
    ko(
        "the spec's note with its text edited",
        SPEC_NOTE.replace("example", "sample", 1),
        [SPEC_VKEY],
        "VerificationFailed",
    )
    ko("no signature by a known key", signed, [w[0]], "VerificationFailed")
    ko(
        "a cosignature whose timestamp was changed",
        cosigned.serialize().replace(
            NoteSignature.line(cosigned.signatures[1])[:-1],
            NoteSignature(
                cosigned.signatures[1].name,
                cosigned.signatures[1].key_id,
                (COSIGNED_AT + 60).to_bytes(8, "big") + cosigned.signatures[1].signature[8:],
            ).line()[:-1],
        ),
        [log, *w],
        "VerificationFailed",
    )
    other = CHECKPOINT.replace("\n3\n", "\n4\n")
    moved = Note(CHECKPOINT, (LOG.sign(CHECKPOINT), WITNESSES[2].cosign(other, COSIGNED_AT)))
    ko("a cosignature of another checkpoint", moved.serialize(), [log, w[2]], "VerificationFailed")
    sig = SPEC_NOTE.split("\n")[2]
    for description, field, text in (
        ("no final newline", "note", SPEC_NOTE[:-1]),
        ("no blank line before the signatures", "note", SPEC_NOTE.replace("\n\n", "\n")),
        ("no signature line", "note", "This is an example message.\n\n"),
        ("a tab in the text", "note", SPEC_NOTE.replace(" is", "\tis", 1)),
        ("CRLF line endings", "note", SPEC_NOTE.replace("\n", "\r\n")),
        ("a hyphen instead of the em dash", "note.signature[1]", SPEC_NOTE.replace("—", "-")),
        ("two spaces after the key name", "note.signature[1]", SPEC_NOTE.replace("foo ", "foo  ")),
        (
            "a '+' in the signature's key name",
            "note.signature[1]",
            SPEC_NOTE.replace("— example.com/foo", "— example.com+foo"),
        ),
        ("a signature without base64 padding", "note.signature[1]", SPEC_NOTE.replace("yaQM=", "yaQM")),
        ("a signature with non-zero padding bits", "note.signature[1]", SPEC_NOTE.replace("yaQM=", "yaQN=")),
        ("a signature of a key ID only", "note.signature[2]", f"{SPEC_NOTE}— example.com/foo AQIDBA==\n"),
        ("a blank line after the signatures", "note", SPEC_NOTE + "\n"),
        ("a line that is not a signature after the signatures", "note.signature[2]", f"x\n\n{sig}\nnot a signature\n"),
    ):
        ko(description, text, [SPEC_VKEY], "InvalidField", field)
    return out


def _signing() -> list[dict[str, Any]]:
    line = LOG.sign(CHECKPOINT).line()
    out = [
        _good(
            "the TEST log key (seed 1) signs FORMATS 9.4's checkpoint; the key name is the origin",
            kind="signedCheckpoint",
            testSeed=_hx(note_test_seed(1)),
            origin=ORIGIN,
            checkpoint=CHECKPOINT,
            vkey=str(LOG.vkey),
            signatureLine=line,
            note=CHECKPOINT + "\n" + line,
        )
    ]
    for i, witness in enumerate(WITNESSES):
        cosig = witness.cosign(CHECKPOINT, COSIGNED_AT + i)
        out.append(
            _good(
                f"TEST witness {witness.vkey.name} (seed {10 + i}) cosigns it at {COSIGNED_AT + i}",
                kind="cosignature",
                testSeed=_hx(note_test_seed(10 + i)),
                name=witness.vkey.name,
                checkpoint=CHECKPOINT,
                timestamp=COSIGNED_AT + i,
                vkey=str(witness.vkey),
                message=cosignature_message(CHECKPOINT, COSIGNED_AT + i).decode(),
                signatureLine=cosig.line(),
            )
        )
    return out


def demo_policy_text(quorum: str = "two") -> str:
    lines = [f"# Saksi TEST policy: 2 of 3 TEST witnesses\nlog {LOG.vkey}\n"]
    for i, witness in enumerate(WITNESSES):
        lines.append(f"# name: {WITNESS_LABELS[i]}\nwitness w{i + 1} {witness.vkey} https://{witness.vkey.name}/\n")
    lines.append(f"group two 2 w1 w2 w3\nquorum {quorum}\n")
    return "".join(lines)


def _policies() -> list[dict[str, Any]]:
    text = demo_policy_text()
    policy = Policy.parse(text)
    out = [
        _good(
            "a 2-of-3 policy with display names",
            kind="policy",
            policy=text,
            logs=[str(log.vkey) for log in policy.logs],
            witnesses=[
                {"name": w.name, "vkey": str(w.vkey), "url": w.url, "displayName": w.display_name}
                for w in policy.witnesses
            ],
            quorum=policy.quorum,
            serialized=policy.serialize(),
        )
    ]
    w1 = str(WITNESSES[0].vkey)
    # the policy's lines: 1 comment, 2 log, 3-8 three (name comment, witness) pairs, 9 group, 10 quorum
    for description, field, text_ in (
        ("no quorum line", "policy", text.replace("quorum two\n", "")),
        ("two quorum lines", "policy line 11", text + "quorum none\n"),
        (
            "a quorum naming a group defined after it",
            "policy line 9",
            text.replace("group two 2 w1 w2 w3\nquorum two\n", "quorum two\ngroup two 2 w1 w2 w3\n"),
        ),
        ("a threshold above the number of members", "policy line 9", text.replace("two 2 ", "two 4 ")),
        ("a threshold of 0", "policy line 9", text.replace("two 2 ", "two 0 ")),
        ("a member listed twice", "policy line 9", text.replace("w1 w2 w3", "w1 w2 w2")),
        ("a member not defined", "policy line 9", text.replace("w1 w2 w3", "w1 w2 w4")),
        ("'none' as a member", "policy line 9", text.replace("w1 w2 w3", "w1 w2 none")),
        ("a witness named none", "policy line 4", text.replace("witness w1 ", "witness none ")),
        ("the same witness key twice", "policy line 10", text.replace("quorum two", f"witness w9 {w1}\nquorum two")),
        ("a log key of the cosigner type", "policy line 2", text.replace(f"log {LOG.vkey}", f"log {w1}")),
        ("a witness key of the note type", "policy line 4", text.replace(f"witness w1 {w1}", f"witness w1 {LOG.vkey}")),
        ("a carriage return", "policy line 1", text.replace("\n", "\r\n")),
        ("no final newline", "policy line 10", text[:-1]),
        ("an unknown keyword", "policy line 11", text + "witnesses w1\n"),
    ):
        _expect(description, lambda t=text_: Policy.parse(t), "InvalidField", field)
        out.append(_bad(description, "InvalidField", field, kind="policy", policy=text_))
    return out


def _proofs(leaves: Sequence[bytes]) -> list[dict[str, Any]]:
    tree = merkle.MemoryTree(merkle.leaf_hash(leaf) for leaf in leaves)
    text = Checkpoint(ORIGIN, tree.size, tree.root()).to_text()
    policy_text = demo_policy_text()
    policy = Policy.parse(policy_text)
    out = []

    def proof(index: int, witnesses: Sequence[Cosigner], extra: bytes | None = None) -> TlogProof:
        return TlogProof(index, tuple(tree.inclusion_proof(index)), _cosigned(text, witnesses), extra)

    for index, witnesses in ((5, WITNESSES[:2]), (9, WITNESSES), (2, WITNESSES[:1])):
        p = proof(index, witnesses, leaves[index])
        checked = verify_tlog_proof(p, p.leaf_hash(), policy)
        out.append(
            _good(
                f"leaf {index} of an {tree.size}-leaf log, cosigned by {len(witnesses)} of 3 TEST witnesses",
                kind="tlogProof",
                proof=p.serialize(),
                policy=policy_text,
                leafIndex=index,
                treeSize=tree.size,
                leafHash=_hx(p.leaf_hash()),
                cosignedBy=[{"witness": c.witness, "timestamp": c.timestamp} for c in checked.cosigned_by],
                quorumMet=checked.quorum_met,
            )
        )
    good = proof(5, WITNESSES[:2], leaves[5]).serialize()
    lines = good.split("\n")
    for description, error, field, text_ in (
        (
            "extra holds another leaf (unauthenticated data is not trusted)",
            "InclusionProofInvalid",
            None,
            good.replace(lines[1], "extra " + b64encode(leaves[6])),
        ),
        ("the index of another leaf", "InclusionProofInvalid", None, good.replace("index 5\n", "index 4\n")),
        (
            "an inclusion hash with one bit flipped",
            "InclusionProofInvalid",
            None,
            good.replace(
                lines[3], b64encode(bytes([tree.inclusion_proof(5)[0][0] ^ 1]) + tree.inclusion_proof(5)[0][1:])
            ),
        ),
        ("an inclusion proof missing its last hash", "InclusionProofInvalid", None, good.replace(lines[6] + "\n", "")),
        (
            "a checkpoint signed by another key with the log's name",
            "VerificationFailed",
            None,
            good.replace(LOG.sign(text).line(), NoteSigner(ORIGIN, note_test_seed(2)).sign(text).line()),
        ),
        (
            "a second first line",
            "InvalidField",
            "tlogProof",
            "c2sp.org/tlog-proof@v2" + good[len("c2sp.org/tlog-proof@v1") :],
        ),
        ("an index with a leading zero", "InvalidField", "tlogProof.index", good.replace("index 5\n", "index 05\n")),
        ("an empty extra line", "InvalidField", "tlogProof.extra", good.replace(lines[1], "extra ")),
        (
            "a 31-byte inclusion hash",
            "InvalidField",
            "tlogProof.inclusion[0]",
            good.replace(lines[3], b64encode(bytes(31))),
        ),
        (
            "extra that is not a version 1 leaf",
            "InvalidField",
            "leaf",
            good.replace(lines[1], "extra " + b64encode(leaves[5][:-1])),
        ),
    ):

        def replay(t: str = text_) -> None:
            p = TlogProof.parse(t)
            verify_tlog_proof(p, p.leaf_hash(), policy)

        _expect(description, replay, error, field)
        out.append(_bad(description, error, field, kind="tlogProof", proof=text_, policy=policy_text))
    return out


def build_notes(leaves: Sequence[bytes]) -> dict[str, Any]:
    """`leaves`: the leaf bytes (FORMATS §5) of a Saksi log, for the tlog-proof vectors."""
    return {
        "description": (
            "C2SP signed notes (c2sp.org/signed-note@v1.0.0), Ed25519 cosignatures (c2sp.org/tlog-cosignature@v1), "
            "policies (c2sp.org/tlog-policy) and tlog-proof files (c2sp.org/tlog-proof@v1). Kind `vkey`: Vkey.parse, "
            "str() gives it back. Kind `note`: Note.parse, serialize() gives it back; when `vkeys` is not null, "
            "verify_note with them returns `verified` (one per known key that signed). Kinds `signedCheckpoint` and "
            "`cosignature`: signing with the TEST seed gives exactly `signatureLine` (Ed25519 is deterministic). "
            "Kind `policy`: Policy.parse. Kind `tlogProof`: TlogProof.parse, then verify_tlog_proof with the leaf hash "
            "of its extra line (the event's leaf bytes) and `policy`. " + TEST_SEED_NOTE
        ),
        "vectors": _vkeys() + _notes() + _signing() + _policies() + _proofs(leaves),
    }
