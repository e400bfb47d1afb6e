"""C2SP signed notes (c2sp.org/signed-note@v1.0.0) and Ed25519 cosignatures (c2sp.org/tlog-cosignature@v1).

A note is a text ending in LF, a blank line, then one or more lines `— <key name> base64(key ID ‖ sig)`.
Saksi signs its checkpoints as notes with an Ed25519 key (type 0x01) whose key name is the log's origin;
witnesses add timestamped Ed25519 cosignatures (type 0x04). Keys are made from a 32-byte seed the caller
supplies: randomness is I/O and stays outside the core.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger.core.ed25519_points import key_problem
from ledger.core.encoding import b64decode, b64encode
from ledger.errors import InvalidField, TooLarge, VerificationFailed

SIG_ED25519 = 0x01
SIG_COSIGNATURE_V1 = 0x04
ED25519_TYPES = (SIG_ED25519, SIG_COSIGNATURE_V1)

#: Go's x/mod/sumdb/note refuses more than 100 signatures; the spec asks for at least 16.
MAX_SIGNATURES = 100
#: Room for 100 post-quantum signatures (≈ 5 kB each in base64) on top of a checkpoint.
MAX_NOTE_BYTES = 1 << 20
MAX_TIMESTAMP = (1 << 63) - 1
MAX_TREE_SIZE = (1 << 63) - 1

SIGNATURE_PREFIX = "— "  # em dash U+2014, space
COSIGNATURE_HEADER = "cosignature/v1\n"
_KEY_ID_HEX = re.compile(r"[0-9a-f]{8}")
_TREE_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")


def _name_problem(name: str) -> str | None:
    """Why `name` is not a key name (non-empty, no Unicode space, no '+', printable), or None."""
    if not name:
        return "must not be empty"
    if "+" in name:
        return "must not contain '+'"
    for char in name:
        if char.isspace() or unicodedata.category(char) in ("Zs", "Zl", "Zp"):
            return "must not contain spaces"
        if ord(char) < 0x20:
            return "must not contain control characters"
        if 0xD800 <= ord(char) <= 0xDFFF:
            return "must be valid UTF-8"
    return None


def check_key_name(field: str, name: object) -> str:
    if not isinstance(name, str):
        raise InvalidField(field, "must be a string")
    problem = _name_problem(name)
    if problem:
        raise InvalidField(field, problem)
    return name


def _text_problem(text: str) -> str | None:
    """Why `text` cannot be a note text (UTF-8, no control characters but LF, ends in LF), or None."""
    if not text.endswith("\n"):
        return "text must end with a newline"
    for char in text:
        code = ord(char)
        if code < 0x20 and char != "\n":
            return f"contains the control character U+{code:04X}"
        if 0xD800 <= code <= 0xDFFF:
            return "must be valid UTF-8"
    return None


def key_id(name: str, sig_type: int, public_key: bytes) -> int:
    """SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4], big-endian."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([sig_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def public_key_of(seed: bytes) -> bytes:
    """The 32-byte Ed25519 public key (RFC 8032) of a 32-byte seed."""
    return _private_key(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _private_key(seed: bytes) -> Ed25519PrivateKey:
    if not isinstance(seed, bytes) or len(seed) != 32:
        raise InvalidField("seed", "must be 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(seed)


def _check_constructor_args(name: object, public_key: object) -> None:
    check_key_name("vkey.name", name)
    if not isinstance(public_key, bytes):
        raise InvalidField("vkey.publicKey", "must be bytes")


@dataclass(frozen=True, slots=True)
class Vkey:
    """A verifier key, `<name>+<hex key ID>+base64(type ‖ public key)`."""

    name: str
    key_id: int
    sig_type: int
    public_key: bytes

    def __post_init__(self) -> None:
        check_key_name("vkey.name", self.name)
        if not 0 <= self.key_id <= 0xFFFFFFFF:
            raise InvalidField("vkey.keyId", "must be a 32-bit unsigned integer")
        if not 0 <= self.sig_type <= 0xFF:
            raise InvalidField("vkey.type", "must be one byte")
        if not self.public_key:
            raise InvalidField("vkey.publicKey", "must not be empty")
        if self.sig_type in ED25519_TYPES:
            if len(self.public_key) != 32:
                raise InvalidField("vkey.publicKey", "must be a 32-byte Ed25519 key")
            problem = key_problem(self.public_key)
            if problem:  # a small-order key "verifies" forged signatures: refuse it, see ed25519_points
                raise InvalidField("vkey.publicKey", problem)
            if self.key_id != key_id(self.name, self.sig_type, self.public_key):
                raise InvalidField("vkey.keyId", "does not match the name, type and key")

    @classmethod
    def parse(cls, text: object) -> Vkey:
        if not isinstance(text, str):
            raise InvalidField("vkey", "must be a string")
        parts = text.split("+", 2)  # the name has no '+'; base64 may
        if len(parts) != 3:
            raise InvalidField("vkey", "must be <name>+<key id>+<base64 key>")
        name, id_hex, key_b64 = parts
        check_key_name("vkey.name", name)
        if not _KEY_ID_HEX.fullmatch(id_hex):
            raise InvalidField("vkey.keyId", "must be 8 lower-case hex digits")
        raw = b64decode("vkey.key", key_b64)
        if len(raw) < 2:
            raise InvalidField("vkey.key", "must hold a type byte and a public key")
        return cls(name, int(id_hex, 16), raw[0], raw[1:])

    def __str__(self) -> str:
        return f"{self.name}+{self.key_id:08x}+{b64encode(bytes([self.sig_type]) + self.public_key)}"

    @classmethod
    def ed25519(cls, name: str, public_key: bytes) -> Vkey:
        """A note signer's vkey (type 0x01), the log's key."""
        _check_constructor_args(name, public_key)
        return cls(name, key_id(name, SIG_ED25519, public_key), SIG_ED25519, public_key)

    @classmethod
    def cosigner(cls, name: str, public_key: bytes) -> Vkey:
        """A witness's vkey (type 0x04, c2sp.org/tlog-cosignature)."""
        _check_constructor_args(name, public_key)
        return cls(name, key_id(name, SIG_COSIGNATURE_V1, public_key), SIG_COSIGNATURE_V1, public_key)


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line; `signature` is what follows the 4-byte key ID."""

    name: str
    key_id: int
    signature: bytes

    def __post_init__(self) -> None:
        check_key_name("note.signature.name", self.name)
        if not 0 <= self.key_id <= 0xFFFFFFFF:
            raise InvalidField("note.signature.keyId", "must be a 32-bit unsigned integer")
        if not self.signature:
            raise InvalidField("note.signature", "must not be empty")

    def line(self) -> str:
        return f"{SIGNATURE_PREFIX}{self.name} {b64encode(self.key_id.to_bytes(4, 'big') + self.signature)}\n"

    @classmethod
    def parse_line(cls, line: object, field: str = "note.signature") -> NoteSignature:
        """`— <name> <base64>`, with or without its final LF."""
        if not isinstance(line, str):
            raise InvalidField(field, "must be a string")
        if line.endswith("\n"):
            line = line[:-1]
        if not line.startswith(SIGNATURE_PREFIX):
            raise InvalidField(field, "must start with an em dash and a space")
        parts = line[len(SIGNATURE_PREFIX) :].split(" ")
        if len(parts) != 2:
            raise InvalidField(field, "must be '— <key name> <base64 signature>'")
        name, sig_b64 = parts
        problem = _name_problem(name)
        if problem:
            raise InvalidField(field, f"key name {problem}")
        raw = b64decode(field, sig_b64)
        if len(raw) < 5:
            raise InvalidField(field, "must hold a 4-byte key ID and a signature")
        return cls(name, int.from_bytes(raw[:4], "big"), raw[4:])


@dataclass(frozen=True, slots=True)
class Note:
    text: str
    signatures: tuple[NoteSignature, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise InvalidField("note", "text must be a string")
        problem = _text_problem(self.text)
        if problem:
            raise InvalidField("note", problem)
        if len(self.signatures) > MAX_SIGNATURES:
            raise InvalidField("note", f"must have at most {MAX_SIGNATURES} signatures")

    @classmethod
    def parse(cls, data: bytes | str) -> Note:
        if isinstance(data, str):
            try:
                data = data.encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidField("note", "must be valid UTF-8") from None
        if not isinstance(data, bytes):
            raise InvalidField("note", "must be bytes or a string")
        if len(data) > MAX_NOTE_BYTES:
            raise TooLarge(f"note: must be at most {MAX_NOTE_BYTES} bytes", field="note")
        try:
            message = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidField("note", "must be valid UTF-8") from None
        problem = _text_problem(message)
        if problem:
            raise InvalidField("note", problem)
        split = message.rfind("\n\n")
        if split < 0:
            raise InvalidField("note", "must have a blank line before the signatures")
        text, block = message[: split + 1], message[split + 2 :]
        if not block:
            raise InvalidField("note", "must have at least one signature line")
        lines = block[:-1].split("\n")
        if len(lines) > MAX_SIGNATURES:
            raise InvalidField("note", f"must have at most {MAX_SIGNATURES} signatures")
        signatures = tuple(
            NoteSignature.parse_line(line, f"note.signature[{number}]") for number, line in enumerate(lines, 1)
        )
        return cls(text, signatures)

    def serialize(self) -> str:
        if not self.signatures:
            raise InvalidField("note", "must have at least one signature")
        return self.text + "\n" + "".join(signature.line() for signature in self.signatures)

    def with_signatures(self, extra: Iterable[NoteSignature]) -> Note:
        """This note with `extra` appended in order; signatures already present are not repeated."""
        signatures = list(self.signatures)
        for signature in extra:
            if signature not in signatures:
                signatures.append(signature)
        return Note(self.text, tuple(signatures))


class NoteSigner:
    """Signs note texts with Ed25519 (type 0x01)."""

    def __init__(self, name: str, seed: bytes) -> None:
        self._key = _private_key(seed)
        self.vkey = Vkey.ed25519(name, public_key_of(seed))

    def sign(self, text: str) -> NoteSignature:
        problem = _text_problem(text)
        if problem:
            raise InvalidField("note", problem)
        return NoteSignature(self.vkey.name, self.vkey.key_id, self._key.sign(text.encode("utf-8")))


class Cosigner:
    """Cosigns checkpoints with timestamped Ed25519 cosignatures (type 0x04, cosignature/v1)."""

    def __init__(self, name: str, seed: bytes) -> None:
        self._key = _private_key(seed)
        self.vkey = Vkey.cosigner(name, public_key_of(seed))

    def cosign(self, checkpoint_text: str, timestamp: int) -> NoteSignature:
        if isinstance(timestamp, bool) or not isinstance(timestamp, int) or not 0 <= timestamp <= MAX_TIMESTAMP:
            raise InvalidField("timestamp", "must be an integer between 0 and 2^63 - 1")
        signed = self._key.sign(cosignature_message(checkpoint_text, timestamp))
        return NoteSignature(self.vkey.name, self.vkey.key_id, timestamp.to_bytes(8, "big") + signed)


def check_checkpoint_body(text: str) -> None:
    """c2sp.org/tlog-checkpoint: origin, size, base64 root hash, then optional non-empty extension lines."""
    problem = _text_problem(text)
    if problem:
        raise InvalidField("checkpoint", problem)
    lines = text[:-1].split("\n")
    if len(lines) < 3 or any(not line for line in lines):
        raise InvalidField("checkpoint", "must be at least three non-empty lines")
    if not _TREE_SIZE.fullmatch(lines[1]) or int(lines[1]) > MAX_TREE_SIZE:
        raise InvalidField("checkpoint.treeSize", "must be decimal ASCII without leading zeros, below 2^63")
    b64decode("checkpoint.rootHash", lines[2])


def cosignature_message(checkpoint_text: str, timestamp: int) -> bytes:
    """`cosignature/v1\\ntime <timestamp>\\n` followed by the checkpoint body (c2sp.org/tlog-cosignature)."""
    check_checkpoint_body(checkpoint_text)
    return f"{COSIGNATURE_HEADER}time {timestamp}\n{checkpoint_text}".encode()


def cosignature_timestamp(sig: NoteSignature) -> int:
    """The u64 timestamp that starts a cosignature/v1 signature."""
    if len(sig.signature) != 72:
        raise InvalidField("cosignature", "must be an 8-byte timestamp and a 64-byte Ed25519 signature")
    timestamp = int.from_bytes(sig.signature[:8], "big")
    if timestamp > MAX_TIMESTAMP:
        raise InvalidField("cosignature.timestamp", "must not exceed 2^63 - 1")
    return timestamp


@dataclass(frozen=True, slots=True)
class VerifiedSignature:
    vkey: Vkey
    timestamp: int | None  # set for cosignatures


def _verify_one(vkey: Vkey, text: str, sig: NoteSignature) -> VerifiedSignature:
    """Verify one signature of a known key; VerificationFailed naming the key if it does not hold."""
    public_key = Ed25519PublicKey.from_public_bytes(vkey.public_key)
    try:
        if vkey.sig_type == SIG_ED25519:
            if len(sig.signature) != 64:
                raise InvalidSignature
            public_key.verify(sig.signature, text.encode("utf-8"))
            return VerifiedSignature(vkey, None)
        timestamp = cosignature_timestamp(sig)
        public_key.verify(sig.signature[8:], cosignature_message(text, timestamp))
        return VerifiedSignature(vkey, timestamp)
    except InvalidField as exc:
        raise VerificationFailed(f"signature by {vkey} is malformed: {exc.message}", vkey=str(vkey)) from None
    except InvalidSignature:
        raise VerificationFailed(f"signature by {vkey} does not verify", vkey=str(vkey)) from None


def verify_signatures(note: Note, vkeys: Iterable[Vkey]) -> tuple[VerifiedSignature, ...]:
    """Verify every signature of a known (name, key ID); signatures of unknown keys are ignored.

    Returns one result per known key that signed, in note order (possibly none). Raises VerificationFailed
    naming the key if any known key's signature fails: the whole note is then refused.
    """
    known: dict[tuple[str, int], Vkey] = {}
    for vkey in vkeys:
        other = known.setdefault((vkey.name, vkey.key_id), vkey)
        if other != vkey:
            raise InvalidField("vkeys", f"two keys share the name {vkey.name} and key ID {vkey.key_id:08x}")
    results: dict[tuple[str, int], VerifiedSignature] = {}
    for sig in note.signatures:
        signer = known.get((sig.name, sig.key_id))
        if signer is None:
            continue
        if signer.sig_type not in ED25519_TYPES:
            raise VerificationFailed(
                f"signature type 0x{signer.sig_type:02x} of {signer} is not supported", vkey=str(signer)
            )
        verified = _verify_one(signer, note.text, sig)
        results.setdefault((sig.name, sig.key_id), verified)
    return tuple(results.values())


def verify_note(note: Note, vkeys: Iterable[Vkey]) -> tuple[VerifiedSignature, ...]:
    """:func:`verify_signatures`, and VerificationFailed if no known key signed (c2sp.org/signed-note)."""
    results = verify_signatures(note, vkeys)
    if not results:
        raise VerificationFailed("note: no signature from a known key")
    return results
