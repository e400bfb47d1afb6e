"""secp256k1 signatures over 32-byte digests, Ethereum style (r ‖ s ‖ v), low-s only."""

from __future__ import annotations

from functools import lru_cache

from coincurve import PrivateKey, PublicKey

from ledger.core.encoding import keccak256
from ledger.errors import AuthenticationFailed, InvalidField

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
HALF_N = SECP256K1_N // 2
SIGNATURE_SIZE = 65


def normalize_signature(signature: bytes) -> bytes:
    """Check r, s, v and return the canonical form: v in {27, 28}, s <= n/2.

    v = 0/1 (the raw recovery id some signers emit) is accepted and rewritten to
    27/28 so that one signature has one encoding in the leaf. A high-s signature
    is refused rather than flipped: the ledger must store what the agency signed.
    """
    if len(signature) != SIGNATURE_SIZE:
        raise InvalidField("signature", f"must be {SIGNATURE_SIZE} bytes (r ‖ s ‖ v)")
    r = int.from_bytes(signature[0:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    v = signature[64]
    if not 0 < r < SECP256K1_N:
        raise InvalidField("signature", "r must be in [1, n-1]")
    if not 0 < s <= HALF_N:
        raise InvalidField("signature", "s must be in [1, n/2] (low-s, EIP-2)")
    if v in (0, 1):
        v += 27
    if v not in (27, 28):
        raise InvalidField("signature", "v must be 27 or 28")
    return signature[:64] + bytes([v])


def address_of(public_key: PublicKey) -> bytes:
    return keccak256(public_key.format(compressed=False)[1:])[12:]


def recover_signer(digest: bytes, signature: bytes) -> bytes:
    """The 20-byte address that produced `signature` over `digest`.

    `signature` must already be canonical (see :func:`normalize_signature`).
    """
    try:
        public_key = PublicKey.from_signature_and_message(
            signature[:64] + bytes([signature[64] - 27]), digest, hasher=None
        )
    except ValueError:
        raise AuthenticationFailed("signature does not recover to any public key") from None
    return address_of(public_key)


def der_signature(signature: bytes) -> bytes:
    """r ‖ s as a DER ECDSA signature (what libsecp256k1's verify takes; v is not part of it)."""
    parts = b""
    for value in (signature[:32], signature[32:64]):
        value = value.lstrip(b"\x00")
        if not value or value[0] & 0x80:
            value = b"\x00" + value
        parts += b"\x02" + bytes([len(value)]) + value
    return b"\x30" + bytes([len(parts)]) + parts


@lru_cache(maxsize=16)
def _signing_key(private_key: bytes) -> PrivateKey:
    """Built once per key: making a PrivateKey derives its public key, half the cost of a signature."""
    return PrivateKey(private_key)


def sign_digest(digest: bytes, private_key: bytes) -> bytes:
    """Sign a 32-byte digest; libsecp256k1 always produces low-s."""
    raw = _signing_key(private_key).sign_recoverable(digest, hasher=None)
    return raw[:64] + bytes([raw[64] + 27])


def address_of_key(private_key: bytes) -> bytes:
    return address_of(PrivateKey(private_key).public_key)
