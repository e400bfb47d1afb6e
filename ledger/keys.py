"""Encrypted keystores (Web3 Secret Storage, via eth-keyfile) for operator and agency keys."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import eth_keyfile

from ledger.core.encoding import hex0x
from ledger.core.signatures import address_of_key
from ledger.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound

# scrypt n = 2**18 is the Web3 Secret Storage default (about a second to unlock); demo keys use less.
SCRYPT_N = 1 << 18
DEMO_SCRYPT_N = 1 << 10


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
        data["saksi"] = "DEMO KEY: for the local demo only, never for real service events"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2)
    tmp.replace(path)
    return address_of_key(private_key)


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
    try:
        return bytes(eth_keyfile.decode_keyfile_json(data, password.encode()))
    except ValueError:
        raise AuthenticationFailed(f"wrong password for keystore {path}") from None


def keystore_address(path: Path) -> str:
    try:
        return hex0x(bytes.fromhex(json.loads(path.read_text())["address"]))
    except (OSError, KeyError, ValueError, json.JSONDecodeError):
        raise InvalidInput(f"{path} is not a keystore") from None
