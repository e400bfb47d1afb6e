"""Which 32-byte strings are acceptable Ed25519 public keys (RFC 8032 §5.1.3 decoding, plus an order check).

OpenSSL (under `cryptography`) and Go load any 32 bytes as a key, and a key of small order (one of the
eight torsion points) verifies a forged signature such as 64 zero bytes for *every* message: a witness
could publish such a key and later deny every cosignature "it" made. Saksi refuses those keys, and
encodings that are not canonical or not on the curve, when it reads a vkey. Pure integer arithmetic;
keys are checked once, when parsed.
"""

from __future__ import annotations

P = 2**255 - 19
D = (-121665 * pow(121666, -1, P)) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _decode(encoded: bytes) -> tuple[int, int] | None:
    """The affine point (x, y) of a canonical encoding on the curve, or None."""
    if len(encoded) != 32:
        return None
    value = int.from_bytes(encoded, "little")
    sign, y = value >> 255, value & ((1 << 255) - 1)
    if y >= P:
        return None  # non-canonical y
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x = (u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P)) % P
    if (v * x * x - u) % P:
        x = (x * SQRT_M1) % P
        if (v * x * x - u) % P:
            return None  # not on the curve
    if x == 0 and sign:
        return None  # non-canonical: -0
    if x & 1 != sign:
        x = P - x
    return x, y


def _double(point: tuple[int, int]) -> tuple[int, int]:
    x, y = point
    k = D * x * x * y * y % P
    return (2 * x * y * pow(1 + k, -1, P)) % P, ((y * y + x * x) * pow(1 - k, -1, P)) % P


def key_problem(encoded: bytes) -> str | None:
    """Why `encoded` is not an acceptable Ed25519 public key, or None."""
    point = _decode(encoded)
    if point is None:
        return "must be a canonical encoding of a point on Ed25519"
    for _ in range(3):
        point = _double(point)
    if point == (0, 1):
        return "must not be a point of small order"
    return None
