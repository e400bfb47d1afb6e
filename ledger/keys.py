"""Encrypted keystores (Web3 Secret Storage, via eth-keyfile) for operator and agency keys, and for the
log's note-signing key (an Ed25519 seed in the same encryption, marked by its ``kind``)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import eth_keyfile

from ledger.core.encoding import hex0x
from ledger.core.note import NoteSigner, Vkey
from ledger.core.signatures import address_of_key
from ledger.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound

# scrypt n = 2**18 is the Web3 Secret Storage default (about a second to unlock); demo keys use less.
SCRYPT_N = 1 << 18
DEMO_SCRYPT_N = 1 << 10
DEMO_MARK = "DEMO KEY: for the local demo only, never for real service events"
# The log's C2SP signed-note key (Ed25519, type 0x01): an Ed25519 seed, not an Ethereum key. Its keystore
# says so in `kind`, carries the public vkey in the clear and no address.
NOTE_KEY_KIND = "c2sp-signed-note-ed25519"
# eth-keyfile's version 3 refuses secrets that are not secp256k1 private keys: 0 < secret < n
_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def write_keystore(
    path: Path, private_key: bytes, password: str, *, demo: bool = False, overwrite: bool = False
) -> bytes:
    """Encrypt `private_key` into `path` (mode 0600); return its address."""
    if path.exists() and not overwrite:
        raise Conflict(f"{path} already exists; refusing to overwrite a key")
    if not password:
        raise InvalidInput("an empty keystore password is not allowed")
    data: dict[str, Any] = eth_keyfile.create_keyfile_json(
        private_key, password.encode(), kdf="scrypt", iterations=DEMO_SCRYPT_N if demo else SCRYPT_N
    )
    if demo:
        data["saksi"] = DEMO_MARK
    _write_private(path, data)
    return address_of_key(private_key)


def _write_private(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2)
    tmp.replace(path)


def is_demo_keystore(path: Path) -> bool:
    """Whether a keystore carries the demo mark (written with the demo's fast KDF)."""
    try:
        return json.loads(path.read_text()).get("saksi") == DEMO_MARK
    except (OSError, ValueError, AttributeError):
        return False


def new_note_keystore(path: Path, name: str, password: str, *, demo: bool = False) -> NoteSigner:
    """A fresh Ed25519 note-signing key named ``name`` in a new keystore (mode 0600, never overwritten)."""
    if path.exists():
        raise Conflict(f"{path} already exists; refusing to overwrite a key")
    if not password:
        raise InvalidInput("an empty keystore password is not allowed")
    seed = os.urandom(32)
    while not 0 < int.from_bytes(seed, "big") < _SECP256K1_N:  # about 2^-128 likely: draw again
        seed = os.urandom(32)
    signer = NoteSigner(name, seed)
    data: dict[str, Any] = eth_keyfile.create_keyfile_json(
        seed, password.encode(), kdf="scrypt", iterations=DEMO_SCRYPT_N if demo else SCRYPT_N
    )
    data.pop("address")  # eth-keyfile's address of the seed read as a secp256k1 key: meaningless here
    data["kind"] = NOTE_KEY_KIND
    data["vkey"] = str(signer.vkey)
    if demo:
        data["saksi"] = DEMO_MARK
    _write_private(path, data)
    return signer


def _note_keystore(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise NotFound(f"keystore {path} does not exist") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"keystore {path} is unreadable: {exc}") from None
    if not isinstance(data, dict) or data.get("kind") != NOTE_KEY_KIND:
        raise InvalidInput(f"{path} is not a note-signing keystore (kind {NOTE_KEY_KIND})")
    return data


def note_keystore_vkey(path: Path) -> Vkey:
    """The public verifier key a note-signing keystore carries (no password needed)."""
    data = _note_keystore(path)
    try:
        return Vkey.parse(data.get("vkey"))
    except InvalidInput as exc:
        raise InvalidInput(f"{path}: its vkey is malformed: {exc.message}") from None


def read_note_keystore(path: Path, password: str) -> NoteSigner:
    """The note signer of a keystore; its key must be the one its vkey names."""
    data = _note_keystore(path)
    vkey = note_keystore_vkey(path)
    try:
        seed = bytes(eth_keyfile.decode_keyfile_json(data, password.encode()))
    except ValueError:
        raise AuthenticationFailed(f"wrong password for keystore {path}") from None
    signer = NoteSigner(vkey.name, seed)
    if signer.vkey != vkey:
        raise InvalidInput(f"{path}: the encrypted key is not the one its vkey names")
    return signer


def new_keystore(path: Path, password: str, *, demo: bool = False) -> tuple[bytes, bytes]:
    """A fresh random key in a new keystore: (private key, address)."""
    key = os.urandom(32)
    return key, write_keystore(path, key, password, demo=demo)


def read_keystore(path: Path, password: str) -> bytes:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise NotFound(f"keystore {path} does not exist") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"keystore {path} is unreadable: {exc}") from None
    if isinstance(data, dict) and data.get("kind") == NOTE_KEY_KIND:
        raise InvalidInput(f"{path} holds the log's note-signing key, not an Ethereum key")
    try:
        return bytes(eth_keyfile.decode_keyfile_json(data, password.encode()))
    except ValueError:
        raise AuthenticationFailed(f"wrong password for keystore {path}") from None


def keystore_address(path: Path) -> str:
    try:
        return hex0x(bytes.fromhex(json.loads(path.read_text())["address"]))
    except (OSError, KeyError, ValueError, json.JSONDecodeError):
        raise InvalidInput(f"{path} is not a keystore") from None
