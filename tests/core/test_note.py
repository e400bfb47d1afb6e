"""C2SP signed notes and cosignatures: the specs' examples, Saksi's TEST-key notes, hostile input."""

from __future__ import annotations

import base64
import hashlib

import pytest
from tlog_scales.signing import Ed25519CosignatureVerifier, PlainEd25519Verifier
from tlog_scales.signing import NoteSignature as ScalesSignature
from tlog_scales.signing import Vkey as ScalesVkey
from tlog_scales.tlog import Checkpoint as ScalesCheckpoint

from ledger.core.note import (
    MAX_SIGNATURES,
    SIG_COSIGNATURE_V1,
    SIG_ED25519,
    Cosigner,
    Note,
    NoteSignature,
    NoteSigner,
    VerifiedSignature,
    Vkey,
    cosignature_message,
    cosignature_timestamp,
    key_id,
    public_key_of,
    verify_note,
)
from ledger.errors import InvalidField, InvalidInput, TooLarge, VerificationFailed

# c2sp.org/signed-note@v1.0.0, "Example"
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n"
    "\n"
    "— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)
# c2sp.org/tlog-cosignature@v1, the example checkpoint with a cosignature
SPEC_COSIGNED = (
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)

# FORMATS §9.4
ORIGIN = "saksi/eip155:31337/0x5fbdb2315678afecb367f032d93f642f64180aa3"
CHECKPOINT = f"{ORIGIN}\n3\nWkAFHncav89iWu/6bq9a2j87Y3vUNTq5ZQICfIOUqmk=\n"


def test_seed(n: int) -> bytes:
    """TEST KEY ONLY: SHA-256("saksi TEST note seed N"), public, never for real use."""
    return hashlib.sha256(f"saksi TEST note seed {n}".encode()).digest()


test_seed.__test__ = False  # type: ignore[attr-defined]

LOG = NoteSigner(ORIGIN, test_seed(1))
WITNESS = Cosigner("witness.example/saksi-test-1", test_seed(2))
OTHER_WITNESS = Cosigner("witness.example/saksi-test-2", test_seed(3))
TIME = 1764000000


def signed_checkpoint() -> Note:
    return Note(CHECKPOINT, (LOG.sign(CHECKPOINT),))


# --- the specs' examples ----------------------------------------------------------------


def test_spec_vkey_round_trips() -> None:
    vkey = Vkey.parse(SPEC_VKEY)
    assert (vkey.name, vkey.key_id, vkey.sig_type) == ("example.com/foo", 0x530D903A, SIG_ED25519)
    assert str(vkey) == SPEC_VKEY
    assert vkey == Vkey.ed25519("example.com/foo", vkey.public_key)
    assert key_id("example.com/foo", SIG_ED25519, vkey.public_key) == 0x530D903A


def test_spec_note_verifies() -> None:
    note = Note.parse(SPEC_NOTE)
    assert note.text == "This is an example message.\n"
    assert note.serialize() == SPEC_NOTE
    vkey = Vkey.parse(SPEC_VKEY)
    assert verify_note(note, [vkey]) == (VerifiedSignature(vkey, None),)
    assert Note.parse(SPEC_NOTE.encode()) == note


def test_spec_note_edited_fails() -> None:
    edited = Note.parse(SPEC_NOTE.replace("example message", "example massage"))
    with pytest.raises(VerificationFailed, match=r"^signature by example.com/foo\+530d903a\+.* does not verify$"):
        verify_note(edited, [Vkey.parse(SPEC_VKEY)])


def test_spec_cosignature_parses() -> None:
    note = Note.parse(SPEC_COSIGNED)
    assert note.text == "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    cosig = note.signatures[1]
    assert (cosig.name, cosig.key_id, len(cosig.signature)) == ("witness.example.com/w1", 0x8D66CF3F, 72)
    assert cosignature_timestamp(cosig) == 1679315147
    assert cosignature_message(note.text, 1679315147) == (b"cosignature/v1\ntime 1679315147\n" + note.text.encode())
    assert note.serialize() == SPEC_COSIGNED


# --- Saksi's own notes (TEST keys), cross-checked with tlog-scales -----------------------------


def _scales_checkpoint(note: Note) -> ScalesCheckpoint:
    return ScalesCheckpoint.from_text(note.serialize())


def test_log_signature_verifies_here_and_in_tlog_scales() -> None:
    note = signed_checkpoint()
    assert verify_note(Note.parse(note.serialize()), [LOG.vkey]) == (VerifiedSignature(LOG.vkey, None),)
    scales_vkey = ScalesVkey.from_string(str(LOG.vkey))
    assert scales_vkey.key_id == LOG.vkey.key_id
    assert scales_vkey.serialize() == str(LOG.vkey)
    checkpoint = _scales_checkpoint(note)
    PlainEd25519Verifier(scales_vkey).verify_note(checkpoint.signatures[0], checkpoint)


def test_cosignature_verifies_here_and_in_tlog_scales() -> None:
    cosig = WITNESS.cosign(CHECKPOINT, TIME)
    assert WITNESS.vkey.sig_type == SIG_COSIGNATURE_V1
    assert cosignature_timestamp(cosig) == TIME
    assert cosig.signature[:8] == TIME.to_bytes(8, "big")
    note = signed_checkpoint().with_signatures([cosig])
    assert verify_note(note, [LOG.vkey, WITNESS.vkey]) == (
        VerifiedSignature(LOG.vkey, None),
        VerifiedSignature(WITNESS.vkey, TIME),
    )
    assert verify_note(note, [WITNESS.vkey]) == (VerifiedSignature(WITNESS.vkey, TIME),)
    checkpoint = _scales_checkpoint(note)
    verifier = Ed25519CosignatureVerifier(ScalesVkey.from_string(str(WITNESS.vkey)))
    verifier.verify_note(checkpoint.signatures[1], checkpoint)
    assert verifier.get_timestamp(checkpoint.signatures[1].payload) == TIME


def test_tlog_scales_signature_verifies_here() -> None:
    scales_vkey = ScalesVkey("other.example/log", None, 1, public_key_of(test_seed(4)))
    from tlog_scales.signing import PlainEd25519Signer

    signer = PlainEd25519Signer("other.example/log", test_seed(4))
    checkpoint = ScalesCheckpoint.make_signed("other.example/log", 3, bytes(32), [signer])
    note = Note.parse(checkpoint.serialize())
    assert verify_note(note, [Vkey.parse(scales_vkey.serialize())])[0].vkey.name == "other.example/log"
    assert isinstance(checkpoint.signatures[0], ScalesSignature)


def test_signatures_are_deterministic_and_keys_derive_from_the_seed() -> None:
    assert LOG.sign(CHECKPOINT) == NoteSigner(ORIGIN, test_seed(1)).sign(CHECKPOINT)
    assert LOG.vkey.public_key == public_key_of(test_seed(1))
    assert LOG.vkey.key_id == key_id(ORIGIN, SIG_ED25519, LOG.vkey.public_key)
    assert str(Vkey.parse(str(WITNESS.vkey))) == str(WITNESS.vkey)


# --- verification rules ------------------------------------------------------------------


def test_unknown_keys_are_ignored_even_sharing_name_or_id() -> None:
    note = signed_checkpoint()
    impostor_name = Vkey.ed25519(ORIGIN, public_key_of(test_seed(9)))  # same name, other id
    with pytest.raises(VerificationFailed, match="^note: no signature from a known key$"):
        verify_note(note, [impostor_name])
    with pytest.raises(VerificationFailed, match="^note: no signature from a known key$"):
        verify_note(note, [])
    forged = NoteSignature("someone.else", LOG.vkey.key_id, bytes(64))  # same id, other name
    assert len(verify_note(note.with_signatures([forged]), [LOG.vkey])) == 1


def test_bad_signature_from_a_known_key_refuses_the_note() -> None:
    good = signed_checkpoint()
    bad = NoteSignature(WITNESS.vkey.name, WITNESS.vkey.key_id, TIME.to_bytes(8, "big") + bytes(64))
    with pytest.raises(VerificationFailed, match=r"^signature by witness.example/saksi-test-1\+.* does not verify$"):
        verify_note(good.with_signatures([bad]), [LOG.vkey, WITNESS.vkey])
    truncated = NoteSignature(LOG.vkey.name, LOG.vkey.key_id, good.signatures[0].signature[:63])
    with pytest.raises(VerificationFailed, match="does not verify"):
        verify_note(Note(CHECKPOINT, (truncated,)), [LOG.vkey])
    short_cosig = NoteSignature(WITNESS.vkey.name, WITNESS.vkey.key_id, bytes(8))
    with pytest.raises(VerificationFailed, match="is malformed: cosignature: must be an 8-byte timestamp"):
        verify_note(good.with_signatures([short_cosig]), [WITNESS.vkey])


def test_cosignature_time_and_message_are_bound() -> None:
    cosig = WITNESS.cosign(CHECKPOINT, TIME)
    moved = NoteSignature(cosig.name, cosig.key_id, (TIME + 1).to_bytes(8, "big") + cosig.signature[8:])
    with pytest.raises(VerificationFailed, match="does not verify"):
        verify_note(Note(CHECKPOINT, (moved,)), [WITNESS.vkey])
    # a cosignature is not a plain signature over the same text, nor the other way round (same key pair)
    witness_as_log = Vkey.ed25519(WITNESS.vkey.name, WITNESS.vkey.public_key)
    as_plain = NoteSignature(witness_as_log.name, witness_as_log.key_id, cosig.signature[8:])
    with pytest.raises(VerificationFailed, match="does not verify"):
        verify_note(Note(CHECKPOINT, (as_plain,)), [witness_as_log])
    log_as_cosigner = Vkey.cosigner(ORIGIN, LOG.vkey.public_key)
    plain = LOG.sign(CHECKPOINT).signature
    as_cosig = NoteSignature(ORIGIN, log_as_cosigner.key_id, TIME.to_bytes(8, "big") + plain)
    with pytest.raises(VerificationFailed, match="does not verify"):
        verify_note(Note(CHECKPOINT, (as_cosig,)), [log_as_cosigner])


def test_cosignature_over_a_non_checkpoint_fails() -> None:
    with pytest.raises(InvalidField, match="^checkpoint: must be at least three non-empty lines$"):
        WITNESS.cosign("hello\n", TIME)
    text = "hello\n"
    sig = NoteSignature(WITNESS.vkey.name, WITNESS.vkey.key_id, TIME.to_bytes(8, "big") + bytes(64))
    with pytest.raises(VerificationFailed, match="is malformed: checkpoint: must be at least three"):
        verify_note(Note(text, (sig,)), [WITNESS.vkey])


@pytest.mark.parametrize("timestamp", [-1, 1 << 63, True, 1.5])
def test_cosign_refuses_bad_timestamps(timestamp: object) -> None:
    with pytest.raises(InvalidField, match="^timestamp: must be an integer between 0 and 2\\^63 - 1$"):
        WITNESS.cosign(CHECKPOINT, timestamp)  # type: ignore[arg-type]


def test_cosignature_timestamp_above_2_63_is_refused() -> None:
    sig = NoteSignature("w", 1, (1 << 63).to_bytes(8, "big") + bytes(64))
    with pytest.raises(InvalidField, match="^cosignature.timestamp: must not exceed 2\\^63 - 1$"):
        cosignature_timestamp(sig)


def test_duplicate_signature_is_reported_once_and_conflicting_vkeys_refused() -> None:
    note = signed_checkpoint()
    doubled = Note(note.text, note.signatures * 2)
    assert verify_note(doubled, [LOG.vkey, LOG.vkey]) == (VerifiedSignature(LOG.vkey, None),)
    twin = Vkey(LOG.vkey.name, LOG.vkey.key_id, 0x02, b"\x01")
    with pytest.raises(InvalidField, match="^vkeys: two keys share the name"):
        verify_note(note, [LOG.vkey, twin])


def test_unsupported_type_of_a_known_key_fails() -> None:
    vkey = Vkey("x.example", 7, 0x06, b"\x00" * 8)
    with pytest.raises(VerificationFailed, match="^signature type 0x06 of x.example\\+00000007\\+.* is not supported$"):
        verify_note(Note("a\n", (NoteSignature("x.example", 7, b"sig"),)), [vkey])


# --- vkey parsing ------------------------------------------------------------------------

_PUB = Vkey.parse(SPEC_VKEY).public_key


def _vkey_with(name: str, sig_type: int, key: bytes, id_hex: str | None = None) -> str:
    kid = id_hex if id_hex is not None else f"{key_id(name, sig_type, key):08x}"
    return f"{name}+{kid}+{base64.b64encode(bytes([sig_type]) + key).decode()}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("example.com/foo+530d903a", "vkey: must be <name>+<key id>+<base64 key>"),
        (SPEC_VKEY + "+x", "vkey.key: must be standard base64 with padding"),
        (
            "example.com+foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
            "vkey.keyId: must be 8 lower-case hex digits",
        ),
        ("+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "vkey.name: must not be empty"),
        (SPEC_VKEY.replace("example.com/foo", "example.com/ foo"), "vkey.name: must not contain spaces"),
        (SPEC_VKEY.replace("example.com/foo", "example.com/\u00a0foo"), "vkey.name: must not contain spaces"),
        (SPEC_VKEY.replace("example.com/foo", "example.com/\u3000foo"), "vkey.name: must not contain spaces"),
        (SPEC_VKEY.replace("example.com/foo", "example.com/\x01foo"), "vkey.name: must not contain control characters"),
        (SPEC_VKEY.replace("530d903a", "530D903A"), "vkey.keyId: must be 8 lower-case hex digits"),
        (SPEC_VKEY.replace("530d903a", "530d903"), "vkey.keyId: must be 8 lower-case hex digits"),
        (SPEC_VKEY.replace("530d903a", "530d903b"), "vkey.keyId: does not match the name, type and key"),
        (SPEC_VKEY.replace("example.com/foo", "example.com/bar"), "vkey.keyId: does not match the name, type and key"),
        ("n+00000000+AQB=", "vkey.key: must be canonical base64"),
        (SPEC_VKEY.rstrip("k") + "-", "vkey.key: must be standard base64 with padding"),
        (SPEC_VKEY[:-3], "vkey.key: must be standard base64 with padding"),
        (SPEC_VKEY[:-4], "vkey.publicKey: must be a 32-byte Ed25519 key"),
        ("n+00000000+AQ==", "vkey.key: must hold a type byte and a public key"),
        (_vkey_with("n", 1, _PUB[:31]), "vkey.publicKey: must be a 32-byte Ed25519 key"),
        (_vkey_with("n", 4, _PUB + b"\x00"), "vkey.publicKey: must be a 32-byte Ed25519 key"),
    ],
)
def test_vkey_parse_refuses(text: str, message: str) -> None:
    with pytest.raises(InvalidField) as caught:
        Vkey.parse(text)
    assert caught.value.message == message


SMALL_ORDER_KEYS = [
    "0100000000000000000000000000000000000000000000000000000000000000",  # the identity
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # order 2
    "0000000000000000000000000000000000000000000000000000000000000000",  # order 4
    "0000000000000000000000000000000000000000000000000000000000000080",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",  # order 8
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
]
NON_CANONICAL_KEYS = [
    "0100000000000000000000000000000000000000000000000000000000000080",  # -0
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # y = p
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # y = p + 1
    "0200000000000000000000000000000000000000000000000000000000000000",  # y = 2 is not on the curve
]


@pytest.mark.parametrize("key_hex", SMALL_ORDER_KEYS)
def test_small_order_keys_are_refused(key_hex: str) -> None:
    """Such a key verifies a forged signature for any text in OpenSSL; the vkey is refused instead."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    key = bytes.fromhex(key_hex)
    if key_hex == SMALL_ORDER_KEYS[0]:  # the reason: R = identity, S = 0 "verifies" any text for this key
        forged = SMALL_ORDER_KEYS[0] + "00" * 32
        Ed25519PublicKey.from_public_bytes(key).verify(bytes.fromhex(forged), CHECKPOINT.encode())
    for sig_type in (SIG_ED25519, SIG_COSIGNATURE_V1):
        with pytest.raises(InvalidField) as caught:
            Vkey.parse(_vkey_with("w.example", sig_type, key))
        assert caught.value.message == "vkey.publicKey: must not be a point of small order"


@pytest.mark.parametrize("key_hex", NON_CANONICAL_KEYS)
def test_non_canonical_and_off_curve_keys_are_refused(key_hex: str) -> None:
    with pytest.raises(InvalidField) as caught:
        Vkey.cosigner("w.example", bytes.fromhex(key_hex))
    assert caught.value.message == "vkey.publicKey: must be a canonical encoding of a point on Ed25519"


def test_constructors_check_their_arguments() -> None:
    with pytest.raises(InvalidField, match="^vkey.publicKey: must be bytes$"):
        Vkey.ed25519("k", "not bytes")  # type: ignore[arg-type]
    with pytest.raises(InvalidField, match="^vkey.name: must be a string$"):
        Vkey.cosigner(None, bytes(32))  # type: ignore[arg-type]


def test_real_keys_pass_the_point_check() -> None:
    for n in range(200):
        Vkey.ed25519("k", public_key_of(test_seed(n)))


def test_vkey_parse_keeps_other_types_opaque() -> None:
    text = _vkey_with("pq.example/w", 0x06, bytes(1312), id_hex="01020304")
    vkey = Vkey.parse(text)
    assert (vkey.sig_type, vkey.key_id, len(vkey.public_key), str(vkey)) == (6, 0x01020304, 1312, text)
    with pytest.raises(InvalidField, match="^vkey: must be a string$"):
        Vkey.parse(b"x+y+z")


def test_cosigner_vkey_id_uses_type_4() -> None:
    vkey = Vkey.cosigner("w.example", _PUB)
    assert vkey.key_id == key_id("w.example", 0x04, _PUB) != key_id("w.example", 0x01, _PUB)
    assert str(vkey).startswith(f"w.example+{vkey.key_id:08x}+BO")  # base64 of 0x04 ‖ 0xe9…


# --- note parsing ------------------------------------------------------------------------

_SIG = SPEC_NOTE.split("\n")[2]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"This is an example message.\n\n" + _SIG.encode(), "note: text must end with a newline"),
        (SPEC_NOTE.replace("\n\n", "\n"), "note: must have a blank line before the signatures"),
        ("text\n\n", "note: must have at least one signature line"),
        (SPEC_NOTE + "\n", "note: must have at least one signature line"),
        (SPEC_NOTE.replace("This", "Th\tis"), "note: contains the control character U+0009"),
        (SPEC_NOTE.replace("\n\n", "\r\n\n"), "note: contains the control character U+000D"),
        (SPEC_NOTE.replace("This", "Th\x00is"), "note: contains the control character U+0000"),
        (SPEC_NOTE.encode().replace(b"This", b"Th\xffis"), "note: must be valid UTF-8"),
        (SPEC_NOTE.encode().replace(b"This", b"Th\xed\xa0\x80is"), "note: must be valid UTF-8"),
        ("Th\ud800is\n\n" + _SIG + "\n", "note: must be valid UTF-8"),
        (SPEC_NOTE.replace("— ", "- "), "note.signature[1]: must start with an em dash and a space"),
        (SPEC_NOTE.replace("— ", "—"), "note.signature[1]: must start with an em dash and a space"),
        (
            SPEC_NOTE.replace("— example.com/foo ", "— example.com/foo  "),
            "note.signature[1]: must be '— <key name> <base64 signature>'",
        ),
        (
            SPEC_NOTE.replace("— example.com/foo ", "—  example.com/foo "),
            "note.signature[1]: must be '— <key name> <base64 signature>'",
        ),
        (SPEC_NOTE.replace("example.com/foo", "example.com/f+o"), "note.signature[1]: key name must not contain '+'"),
        (
            SPEC_NOTE.replace("example.com/foo", "example.com/f\u2003o"),
            "note.signature[1]: key name must not contain spaces",
        ),
        (SPEC_NOTE.replace("yaQM=", "yaQ="), "note.signature[1]: must be standard base64 with padding"),
        (SPEC_NOTE.replace("yaQM=", "yaQN="), "note.signature[1]: must be canonical base64"),
        (SPEC_NOTE.replace("Uw2QOkn8", "Uw2Q_kn8"), "note.signature[1]: must be standard base64 with padding"),
        ("a\n\n— k AQIDBA==\n", "note.signature[1]: must hold a 4-byte key ID and a signature"),
        ("a\n\n— k \n", "note.signature[1]: must hold a 4-byte key ID and a signature"),
        ("a\n\n— k AQIDBAU=\n— k2\n", "note.signature[2]: must be '— <key name> <base64 signature>'"),
        (
            "a\n\n— k AQIDBAU=\n" * 1 + "— k AQIDBAU=\n" * MAX_SIGNATURES,
            f"note: must have at most {MAX_SIGNATURES} signatures",
        ),
        (1, "note: must be bytes or a string"),
    ],
)
def test_note_parse_refuses(data: bytes | str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Note.parse(data)
    assert caught.value.message == message


def test_note_size_limit() -> None:
    with pytest.raises(TooLarge, match="^note: must be at most 1048576 bytes$"):
        Note.parse("a" * (1 << 20) + "\n\n— k AQIDBAU=\n")


def test_note_text_is_split_at_the_last_blank_line() -> None:
    note = Note.parse("one\n\ntwo\n\n\n— k AQIDBAU=\n— k2 AQIDBAY=\n")
    assert note.text == "one\n\ntwo\n\n"
    assert note.signatures == (NoteSignature("k", 0x01020304, b"\x05"), NoteSignature("k2", 0x01020304, b"\x06"))
    assert note.serialize() == "one\n\ntwo\n\n\n— k AQIDBAU=\n— k2 AQIDBAY=\n"
    assert Note.parse("\n\n— k AQIDBAU=\n").text == "\n"


def test_sixteen_post_quantum_sized_signatures_are_accepted() -> None:
    sigs = tuple(NoteSignature(f"w{i}.example", i, bytes(2428)) for i in range(16))
    note = Note(CHECKPOINT, sigs)
    assert Note.parse(note.serialize()) == note
    many = Note(CHECKPOINT, tuple(NoteSignature("w", i, b"\x01") for i in range(MAX_SIGNATURES)))
    assert len(Note.parse(many.serialize()).signatures) == MAX_SIGNATURES


def test_with_signatures_appends_in_order_and_drops_exact_duplicates() -> None:
    note = signed_checkpoint()
    a, b = WITNESS.cosign(CHECKPOINT, TIME), OTHER_WITNESS.cosign(CHECKPOINT, TIME)
    a_later = WITNESS.cosign(CHECKPOINT, TIME + 5)
    merged = note.with_signatures([b, a, b, note.signatures[0], a_later])
    assert merged.signatures == (note.signatures[0], b, a, a_later)
    assert merged.text == note.text


def test_signature_line_round_trips() -> None:
    sig = NoteSignature("k", 0x01020304, b"\x05")
    assert sig.line() == "— k AQIDBAU=\n"
    assert NoteSignature.parse_line(sig.line()) == sig
    assert NoteSignature.parse_line("— k AQIDBAU=") == sig
    with pytest.raises(InvalidField, match="^note.signature.name: must not be empty$"):
        NoteSignature("", 1, b"x")
    with pytest.raises(InvalidField, match="^note.signature.keyId: must be a 32-bit unsigned integer$"):
        NoteSignature("k", 1 << 32, b"x")


def test_note_model_refuses_bad_text_and_serializing_without_signatures() -> None:
    with pytest.raises(InvalidField, match="^note: text must end with a newline$"):
        Note("no newline", ())
    with pytest.raises(InvalidField, match="^note: must have at least one signature$"):
        Note("a\n", ()).serialize()
    with pytest.raises(InvalidField, match="^note: text must end with a newline$"):
        LOG.sign("no newline")


def test_seed_must_be_32_bytes() -> None:
    with pytest.raises(InvalidField, match="^seed: must be 32 bytes$"):
        NoteSigner(ORIGIN, bytes(31))
    with pytest.raises(InvalidField, match="^vkey.name: must not contain '\\+'$"):
        Cosigner("a+b", test_seed(1))
