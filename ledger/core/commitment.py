"""Case commitments, access codes and payload digests (docs/FORMATS.md §7-§8)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import Any

import rfc8785

from ledger.core.encoding import ZERO32
from ledger.errors import InvalidField

CASE_COMMITMENT_PREFIX = b"saksi/case/v1:"
CASE_KEY_SIZE = 32
SALT_SIZE = 16
CASE_REF_RE = re.compile(r"[A-Z0-9](?:[A-Z0-9-]{0,62}[A-Z0-9])?")
_ACCESS_CODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def normalize_case_ref(value: Any) -> str:
    """Case references are upper case [A-Z0-9-], 1-64, no leading or trailing dash."""
    if not isinstance(value, str):
        raise InvalidField("caseRef", "must be a string")
    ref = value.strip()
    if not ref.isascii():
        raise InvalidField("caseRef", "must be ASCII: [A-Z0-9-]")
    ref = ref.upper()
    if not CASE_REF_RE.fullmatch(ref):
        raise InvalidField("caseRef", "must be 1-64 characters of [A-Z0-9-], not starting or ending with -")
    return ref


def case_commitment(case_key: bytes, case_ref: str) -> bytes:
    """HMAC-SHA256(key = caseKey, msg = "saksi/case/v1:" ‖ caseRef)."""
    if len(case_key) != CASE_KEY_SIZE:
        raise InvalidField("caseKey", f"must be {CASE_KEY_SIZE} bytes")
    ref = normalize_case_ref(case_ref)
    return hmac.new(case_key, CASE_COMMITMENT_PREFIX + ref.encode("ascii"), hashlib.sha256).digest()


def format_access_code(case_key: bytes) -> str:
    """The case key as printed: RFC 4648 base32, no padding, groups of four joined by '-'."""
    if len(case_key) != CASE_KEY_SIZE:
        raise InvalidField("caseKey", f"must be {CASE_KEY_SIZE} bytes")
    text = base64.b32encode(case_key).decode("ascii").rstrip("=")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def parse_access_code(value: Any) -> bytes:
    """Accepts what a person types: any case, dashes and spaces ignored."""
    if not isinstance(value, str):
        raise InvalidField("accessCode", "must be a string")
    text = re.sub(r"[\s-]", "", value).upper()
    if len(text) != 52 or any(c not in _ACCESS_CODE_ALPHABET for c in text):
        raise InvalidField("accessCode", "must be 52 base32 characters (A-Z, 2-7)")
    key = base64.b32decode(text + "====")
    if format_access_code(key).replace("-", "") != text:
        raise InvalidField("accessCode", "has non-zero padding bits")
    return key


def _refuse_unsafe_integral_doubles(value: Any) -> None:
    """Refuse doubles that JCS would print as an integer outside +-(2^53 - 1).

    JCS prints the double 1e16 as `10000000000000000`: an integer that RFC 8785 (and
    docs/FORMATS.md 8.1) refuse when the canonical text is read back, so accepting the
    double would give canonical bytes that no verifier can re-canonicalise.

    A loop, not recursion: a payload may be nested as deep as the JSON parser allows (1024),
    deeper than the interpreter's default recursion limit.
    """
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, float):
            if item.is_integer() and (1 << 53) - 1 < abs(item) < 1e21:
                raise InvalidField(
                    "payload", f"{item!r} is an integer outside +-(2^53 - 1) once canonicalised (RFC 8785)"
                )
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, (list, tuple)):
            pending.extend(item)


def canonical_json(value: Any) -> bytes:
    """RFC 8785 JSON Canonicalization Scheme; its output always canonicalises to itself again."""
    _refuse_unsafe_integral_doubles(value)
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise InvalidField("payload", f"cannot be canonicalised (RFC 8785): {exc}") from None


def payload_digest(salt: bytes, payload: Any) -> bytes:
    """SHA-256(salt ‖ JCS(payload)) with a 16-byte salt."""
    if len(salt) != SALT_SIZE:
        raise InvalidField("payloadSalt", f"must be {SALT_SIZE} bytes")
    return hashlib.sha256(salt + canonical_json(payload)).digest()


def check_payload(payload_digest_: bytes, payload: Any, salt: bytes | None) -> None:
    """A zero digest means no payload; otherwise payload and salt must reproduce it."""
    if payload_digest_ == ZERO32:
        if payload is not None or salt is not None:
            raise InvalidField("payload", "must be null when payloadDigest is zero")
        return
    if payload is None or salt is None:
        raise InvalidField("payload", "payload and payloadSalt are required when payloadDigest is not zero")
    if payload_digest(salt, payload) != payload_digest_:
        raise InvalidField("payloadDigest", "does not equal SHA-256(payloadSalt ‖ JCS(payload))")
