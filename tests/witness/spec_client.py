"""A minimal tlog-witness client written from the C2SP specs alone, for the witness's tests.

Nothing here imports Saksi: the Merkle tree is RFC 6962 §2.1 written out recursively, the log key signs
the checkpoint text with `cryptography`'s Ed25519 as c2sp.org/signed-note@v1.0.0 says, and request
bodies are built as bytes exactly as c2sp.org/tlog-witness@v1 describes them. TEST KEYS ONLY.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.core import reference

EM_DASH = "\u2014"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


# --- RFC 6962 §2.1 ---------------------------------------------------------------------------------


# The Merkle tree is the project's one RFC 9162 oracle (tests/core/reference.py), itself written from the
# RFC's text; everything else in this client (bodies, notes, cosignatures) is written from the specs.
mth = reference.mth


def consistency_proof(m: int, leaves: list[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 6962 §2.1.2 (empty for m = 0 or m = n)."""
    if m == 0 or m == len(leaves):
        return []
    return reference.proof(m, leaves)


# --- signed notes ----------------------------------------------------------------------------------


def key_id(name: str, sig_type: int, public_key: bytes) -> bytes:
    return sha256(name.encode() + b"\n" + bytes([sig_type]) + public_key)[:4]


class LogKey:
    """A log's Ed25519 note key (type 0x01) from a fixed TEST seed."""

    def __init__(self, name: str, seed: bytes) -> None:
        self.name = name
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        self.public_key = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.id = key_id(name, 0x01, self.public_key)

    @property
    def vkey(self) -> str:
        typed = bytes([0x01]) + self.public_key
        return f"{self.name}+{self.id.hex()}+{b64(typed)}"

    def signature_line(self, text: str) -> str:
        return f"{EM_DASH} {self.name} {b64(self.id + self._key.sign(text.encode()))}\n"


def checkpoint_text(origin: str, size: int, root: bytes, *extensions: str) -> str:
    return f"{origin}\n{size}\n{b64(root)}\n" + "".join(f"{line}\n" for line in extensions)


def signed_checkpoint(key: LogKey, size: int, root: bytes, origin: str | None = None) -> str:
    text = checkpoint_text(key.name if origin is None else origin, size, root)
    return text + "\n" + key.signature_line(text)


def body(old: int, proof: list[bytes], note: str) -> bytes:
    return (f"old {old}\n" + "".join(b64(h) + "\n" for h in proof) + "\n" + note).encode()


@dataclass
class Log:
    """A log's leaves and key: checkpoints and add-checkpoint bodies at any size."""

    key: LogKey
    leaves: list[bytes]

    def root(self, size: int) -> bytes:
        return mth(self.leaves[:size])

    def note(self, size: int) -> str:
        return signed_checkpoint(self.key, size, self.root(size))

    def request(self, old: int, size: int) -> bytes:
        return body(old, consistency_proof(old, self.leaves[:size]), self.note(size))


def verify_cosignature_line(line: str, cosigner_vkey: str, text: str) -> int:
    """Verify a `— name base64(id ‖ u64 time ‖ sig)` line with an Ed25519 cosigner vkey; its timestamp."""
    name, id_hex, key_b64 = cosigner_vkey.split("+", 2)  # the name has no "+"; base64 may
    raw_key = base64.b64decode(key_b64)
    assert raw_key[0] == 0x04
    prefix = f"{EM_DASH} {name} "
    assert line.startswith(prefix) and line.endswith("\n"), line
    blob = base64.b64decode(line[len(prefix) : -1], validate=True)
    assert blob[:4].hex() == id_hex and len(blob) == 4 + 8 + 64
    timestamp = int.from_bytes(blob[4:12], "big")
    message = f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()
    Ed25519PublicKey.from_public_bytes(raw_key[1:]).verify(blob[12:], message)
    return timestamp
