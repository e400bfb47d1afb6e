"""The witness's Ed25519 seed in an encrypted keystore: scrypt, then AES-256-GCM.

The file is JSON: `{"format": "saksi-witness-key/v1", "kdf": {"name": "scrypt", "n", "r", "p", "salt"},
"cipher": {"name": "aes-256-gcm", "nonce"}, "ciphertext", "vkey"}` (bytes as base64). The cosigner
vkey is the associated data, so a keystore whose vkey was edited no longer opens. The agency keystores
(ledger.keys, Web3 Secret Storage) are secp256k1 keys for eth-account; this key is an Ed25519 seed,
so it has a format of its own, built from the same primitives.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from ledger.errors import AuthenticationFailed, InvalidInput, NotFound
from ledger.witness.files import create_exclusive

FORMAT = "saksi-witness-key/v1"
SCRYPT_N = 1 << 17  # 128 MiB with r = 8: about half a second to unlock, once at start
DEMO_SCRYPT_N = 1 << 10
SCRYPT_R = 8
SCRYPT_P = 1
DEMO_MARK = "DEMO WITNESS: for the local demo only, its cosignatures vouch for nothing"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _kdf(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(password.encode("utf-8"))


def write_key(path: Path, seed: bytes, password: str, vkey: str, *, demo: bool = False) -> None:
    """Encrypt the 32-byte seed into a new file `path` (mode 0600); never overwrites."""
    if not password:
        raise InvalidInput("an empty keystore password is not allowed")
    if len(seed) != 32:
        raise InvalidInput("an Ed25519 seed is 32 bytes")
    n = DEMO_SCRYPT_N if demo else SCRYPT_N
    salt, nonce = os.urandom(16), os.urandom(12)
    ciphertext = AESGCM(_kdf(password, salt, n, SCRYPT_R, SCRYPT_P)).encrypt(nonce, seed, vkey.encode())
    data: dict[str, Any] = {
        "format": FORMAT,
        "vkey": vkey,
        "kdf": {"name": "scrypt", "n": n, "r": SCRYPT_R, "p": SCRYPT_P, "salt": _b64(salt)},
        "cipher": {"name": "aes-256-gcm", "nonce": _b64(nonce)},
        "ciphertext": _b64(ciphertext),
    }
    if demo:
        data["saksi"] = DEMO_MARK
    create_exclusive(path, (json.dumps(data, indent=2) + "\n").encode())


def read_key(path: Path, password: str) -> tuple[bytes, str]:
    """The seed and the vkey it was stored with; AuthenticationFailed on a wrong password."""
    try:
        data = json.loads(path.read_text())
        kdf, cipher = data["kdf"], data["cipher"]
        if data["format"] != FORMAT or kdf["name"] != "scrypt" or cipher["name"] != "aes-256-gcm":
            raise ValueError("unknown format")
        n, r, p = int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
        if not (1 << 10 <= n <= 1 << 20 and r == SCRYPT_R and p == SCRYPT_P):
            raise ValueError("unsupported scrypt parameters")
        salt, nonce = base64.b64decode(kdf["salt"]), base64.b64decode(cipher["nonce"])
        ciphertext, vkey = base64.b64decode(data["ciphertext"]), str(data["vkey"])
    except FileNotFoundError:
        raise NotFound(f"witness key {path} does not exist") from None
    except (OSError, KeyError, TypeError, ValueError):
        raise InvalidInput(f"witness key {path} is not a {FORMAT} keystore") from None
    try:
        seed = AESGCM(_kdf(password, salt, n, r, p)).decrypt(nonce, ciphertext, vkey.encode())
    except InvalidTag:
        raise AuthenticationFailed(f"wrong password for witness key {path}") from None
    return seed, vkey
