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
_ACCESS_CODE_VALUES = {char: value for value, char in enumerate(_ACCESS_CODE_ALPHABET)}
ACCESS_CODE_LENGTH = 53  # 52 base32 characters of the key and one check character
EVENT_ID_PREFIX = b"saksi/event-id/v1:"


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
    return hmac.digest(case_key, CASE_COMMITMENT_PREFIX + ref.encode("ascii"), "sha256")


def access_code_check(symbols: str) -> str:
    """The check character of an access code: Luhn mod 32 over the base32 symbols.

    It catches every single mistyped character and almost every swap of two neighbours, so
    that a typo is told as "check the code" rather than as "no case found"."""
    total, factor = 0, 2
    for char in reversed(symbols):
        addend = factor * _ACCESS_CODE_VALUES[char]
        total += addend // 32 + addend % 32
        factor = 3 - factor
    return _ACCESS_CODE_ALPHABET[(32 - total % 32) % 32]


def format_access_code(case_key: bytes) -> str:
    """The case key as printed: RFC 4648 base32 (no padding) and a check character, groups of four."""
    if len(case_key) != CASE_KEY_SIZE:
        raise InvalidField("caseKey", f"must be {CASE_KEY_SIZE} bytes")
    text = base64.b32encode(case_key).decode("ascii").rstrip("=")
    text += access_code_check(text)
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def parse_access_code(value: Any) -> bytes:
    """Accepts what a person types: any case, dashes and spaces ignored.

    53 characters are the current form (key and check character); the 52 characters of codes
    printed before the check character existed are still accepted, without that check."""
    if not isinstance(value, str):
        raise InvalidField("accessCode", "must be a string")
    text = re.sub(r"[\s-]", "", value).upper()
    if len(text) not in (ACCESS_CODE_LENGTH, ACCESS_CODE_LENGTH - 1) or any(
        c not in _ACCESS_CODE_ALPHABET for c in text
    ):
        raise InvalidField(
            "accessCode", f"must be {ACCESS_CODE_LENGTH} characters of A-Z and 2-7 (dashes and spaces are ignored)"
        )
    if len(text) == ACCESS_CODE_LENGTH:
        text, check = text[:-1], text[-1]
        if access_code_check(text) != check:
            raise InvalidField("accessCode", "check the code: a character is mistyped (the check character differs)")
    if _ACCESS_CODE_VALUES[text[-1]] & 0x0F:  # 52 characters carry 260 bits: the last 4 are padding
        raise InvalidField("accessCode", "check the code: its last key character must be A or Q (padding bits)")
    return base64.b32decode(text + "====")


def derive_event_id(
    case_key: bytes,
    case_ref: str,
    case_seq: int,
    prev_event_hash: bytes,
    event_type: str,
    summary: str,
    occurred_at: int,
) -> str:
    """An eventId that only the case key's holder can link to the case (docs/FORMATS.md §7.6).

    "ev-" and 26 base32 characters (130 bits) of HMAC-SHA256 under the case key over the
    reference, the event's place in the chain and its visible content. The same event built
    again gives the same id, so a resubmission is answered from the idempotency key; the
    payload's digest is left out, since its salt is fresh each time it is built."""
    if len(case_key) != CASE_KEY_SIZE:
        raise InvalidField("caseKey", f"must be {CASE_KEY_SIZE} bytes")
    if len(prev_event_hash) != 32:
        raise InvalidField("prevEventHash", "must be 32 bytes")
    message = (
        EVENT_ID_PREFIX
        + normalize_case_ref(case_ref).encode("ascii")
        + b"\x00"
        + case_seq.to_bytes(4, "big")
        + prev_event_hash
        + occurred_at.to_bytes(8, "big")
        + hashlib.sha256(event_type.encode("utf-8")).digest()
        + hashlib.sha256(summary.encode("utf-8")).digest()
    )
    digest = hmac.digest(case_key, message, "sha256")
    return "ev-" + base64.b32encode(digest[:20]).decode("ascii")[:26].lower()  # 20 bytes: 32 characters


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
    return stored_payload_digest(salt, canonical_json(payload))


def stored_payload_digest(salt: bytes, canonical: bytes) -> bytes:
    """SHA-256(salt ‖ JCS bytes) of a payload as stored (already canonical), unchecked: the audit's page check."""
    return hashlib.sha256(salt + canonical).digest()


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
