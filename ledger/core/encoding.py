"""Small parsers and formatters for the wire forms of docs/FORMATS.md.

Every parser raises :class:`InvalidField` naming the field and the rule it broke.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from ledger.errors import InvalidField

try:  # safe-pysha3 is faster than pycryptodome for short inputs (append-full, audit: benchmarks/results.json)
    from sha3 import keccak_256 as _keccak_256
except ImportError:  # pragma: no cover - pycryptodome comes with eth-hash
    from Crypto.Hash import keccak as _keccak_mod

    def _keccak_256(data: bytes = b"") -> Any:
        return _keccak_mod.new(data=data, digest_bits=256)


ZERO32 = bytes(32)
_HEX_RE = re.compile(r"(?:[0-9a-fA-F]{2})*")
UINT32_MAX = (1 << 32) - 1
UINT64_MAX = (1 << 64) - 1


def keccak256(data: bytes) -> bytes:
    digest: bytes = _keccak_256(data).digest()  # annotated, not cast: no call on this hot path
    return digest


def hex0x(value: bytes) -> str:
    """Lower-case 0x-prefixed hex, the JSON form of every hash, signature and address."""
    return "0x" + value.hex()


def parse_hex(field: str, value: Any, length: int | None = None) -> bytes:
    """0x-prefixed hex (either case) of exactly `length` bytes when given."""
    if not isinstance(value, str):
        raise InvalidField(field, "must be a 0x-prefixed hex string")
    if not value.startswith(("0x", "0X")):
        raise InvalidField(field, "must start with 0x")
    digits = value[2:]
    if not _HEX_RE.fullmatch(digits):
        raise InvalidField(field, "must be an even number of hex digits")
    raw = bytes.fromhex(digits)
    if length is not None and len(raw) != length:
        raise InvalidField(field, f"must be {length} bytes, got {len(raw)}")
    return raw


def parse_address(field: str, value: Any) -> bytes:
    return parse_hex(field, value, 20)


def parse_uint(field: str, value: Any, maximum: int, minimum: int = 0) -> int:
    """A JSON integer (never a bool, float or string) within [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidField(field, "must be an integer")
    if value < minimum or value > maximum:
        raise InvalidField(field, f"must be between {minimum} and {maximum}")
    return value


def b64encode(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def b64decode(field: str, value: str, length: int | None = None) -> bytes:
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise InvalidField(field, "must be standard base64 with padding") from None
    if base64.b64encode(raw).decode("ascii") != value:
        raise InvalidField(field, "must be canonical base64")
    if length is not None and len(raw) != length:
        raise InvalidField(field, f"must decode to {length} bytes")
    return raw
