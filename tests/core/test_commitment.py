"""Case commitments, access codes and payload digests (RFC 8785 JCS)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core.commitment import (
    canonical_json,
    case_commitment,
    check_payload,
    derive_event_id,
    format_access_code,
    normalize_case_ref,
    parse_access_code,
    payload_digest,
)
from ledger.core.encoding import ZERO32
from ledger.errors import InvalidField

PROPERTY = settings(max_examples=200, deadline=None, derandomize=True)

case_keys = st.binary(min_size=32, max_size=32)
case_refs = st.from_regex(r"[A-Z0-9](?:[A-Z0-9-]{0,62}[A-Z0-9])?", fullmatch=True)
salts = st.binary(min_size=16, max_size=16)


@PROPERTY
@given(case_keys, case_refs)
def test_case_commitment_is_hmac_sha256(key: bytes, ref: str) -> None:
    expected = hmac.new(key, b"saksi/case/v1:" + ref.encode(), hashlib.sha256).digest()
    assert case_commitment(key, ref) == expected
    assert case_commitment(key, f"  {ref.lower()}\t") == expected


def test_different_keys_or_refs_give_unrelated_commitments() -> None:
    key = b"\x01" * 32
    assert case_commitment(key, "KTP-1") != case_commitment(key, "KTP-2")
    assert case_commitment(key, "KTP-1") != case_commitment(b"\x02" * 32, "KTP-1")


@pytest.mark.parametrize("ref", ["", "-A", "A-", "A_B", "A B", "É", "A" * 65, None, 7])
def test_bad_case_refs(ref: Any) -> None:
    with pytest.raises(InvalidField) as raised:
        normalize_case_ref(ref)
    assert raised.value.field == "caseRef"


def test_case_key_must_be_32_bytes() -> None:
    for key in (b"", b"\x00" * 31, b"\x00" * 33):
        with pytest.raises(InvalidField) as raised:
            case_commitment(key, "KTP-1")
        assert raised.value.field == "caseKey"
        with pytest.raises(InvalidField):
            format_access_code(key)


@PROPERTY
@given(case_keys, st.sampled_from(["as printed", "lower", "spaces", "bare", "padded", "old"]))
def test_access_code_round_trip(key: bytes, typing: str) -> None:
    code = format_access_code(key)
    groups = code.split("-")
    assert len(code.replace("-", "")) == 53 and [len(g) for g in groups] == [4] * 13 + [1]
    assert base64.b32decode(code.replace("-", "")[:52] + "====") == key
    typed = {
        "as printed": code,
        "lower": code.lower(),
        "spaces": " ".join(groups),
        "bare": "".join(groups),
        "padded": f"\n {code} \t",
        "old": code[:-2],  # printed before the check character: still accepted
    }[typing]
    assert parse_access_code(typed) == key


def _luhn_mod_32(symbols: str) -> str:
    """Luhn mod N (N = 32) written out again from its textbook definition."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    total = 0
    for position, char in enumerate(reversed(symbols)):
        addend = alphabet.index(char) * (2 if position % 2 == 0 else 1)
        total += addend // 32 + addend % 32
    return alphabet[(32 - total % 32) % 32]


@PROPERTY
@given(case_keys, st.integers(0, 51), st.integers(1, 31))
def test_one_mistyped_character_is_told_as_such(key: bytes, position: int, shift: int) -> None:
    """Every single substitution is caught by the check character, and said to be a typo."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    bare = format_access_code(key).replace("-", "")
    assert bare[-1] == _luhn_mod_32(bare[:-1])
    typo = bare[:position] + alphabet[(alphabet.index(bare[position]) + shift) % 32] + bare[position + 1 :]
    with pytest.raises(InvalidField, match="check the code") as raised:
        parse_access_code(typo)
    assert raised.value.field == "accessCode"


@PROPERTY
@given(case_keys, st.integers(0, 51))
def test_swapped_neighbours_are_caught(key: bytes, position: int) -> None:
    bare = format_access_code(key).replace("-", "")
    swapped = bare[:position] + bare[position + 1] + bare[position] + bare[position + 2 :]
    if swapped == bare or {bare[position], bare[position + 1]} == {"A", "7"}:  # Luhn mod N misses 0 <-> N - 1
        return
    with pytest.raises(InvalidField, match="check the code"):
        parse_access_code(swapped)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "A" * 51,
        "A" * 54,
        "1" + "A" * 51,  # 0, 1, 8 and 9 are not RFC 4648 base32
        "A" * 51 + "8",
        "A" * 51 + "B",  # 260 bits for 256: the last 4 must be zero
        "A" * 52 + "====",
        "A" * 52 + "B",  # the check character of 52 A is A
        None,
    ],
)
def test_bad_access_codes(typed: Any) -> None:
    with pytest.raises(InvalidField) as raised:
        parse_access_code(typed)
    assert raised.value.field == "accessCode"


# --- event ids ------------------------------------------------------------------------------------


def test_derived_event_ids_are_hmacs_under_the_case_key() -> None:
    key, ref = b"\x07" * 32, "KTP-JKS-2026-000123"
    args = (ref, 2, b"\x01" * 32, "documents.verified", "Dokumen diverifikasi", 1_764_000_000)
    event_id = derive_event_id(key, *args)
    message = (
        b"saksi/event-id/v1:KTP-JKS-2026-000123\x00"
        + (2).to_bytes(4, "big")
        + b"\x01" * 32
        + (1_764_000_000).to_bytes(8, "big")
        + hashlib.sha256(b"documents.verified").digest()
        + hashlib.sha256(b"Dokumen diverifikasi").digest()
    )
    expected = base64.b32encode(hmac.new(key, message, hashlib.sha256).digest()).decode()[:26].lower()
    assert event_id == "ev-" + expected
    assert derive_event_id(key, *args) == event_id  # built again, the same id: resubmission is idempotent
    assert derive_event_id(key, " ktp-jks-2026-000123 ", *args[1:]) == event_id
    assert ref not in event_id and "000123" not in event_id
    assert derive_event_id(b"\x08" * 32, *args) != event_id  # another key: unrelated
    assert derive_event_id(key, ref, 3, *args[2:]) != event_id
    assert derive_event_id(key, *args[:5], 1_764_000_001) != event_id


# --- RFC 8785 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ('{"b": 1, "a": 2}', '{"a":2,"b":1}'),
        # UTF-16 code unit order: U+1F600 is D83D DE00, which sorts before U+FB33 (code point order would not).
        (
            '{"\ufb33": 1, "\U0001f600": 2, "\u00e9": 3, "A": 4, "": 5}',
            '{"":5,"A":4,"\u00e9":3,"\U0001f600":2,"\ufb33":1}',
        ),
        (
            "[1e21, 0.1, -0, -0.0, 1e-7, 0.000001, 1E+2, 2.50, 5e-324, 9007199254740991.0]",
            "[1e+21,0.1,0,0,1e-7,0.000001,100,2.5,5e-324,9007199254740991]",
        ),
        ("[9007199254740991, -9007199254740991]", "[9007199254740991,-9007199254740991]"),
        (
            '["\\u0007", "\\u001f", "\\"", "\\\\", "\\/", "\u2028", "\u20ac", "\\ud83d\\ude00"]',
            '["\\u0007","\\u001f","\\"","\\\\","/","\u2028","\u20ac","\U0001f600"]',
        ),
        (
            '{"z": {"y": [3, 1, 2], "x": null}, "a": [true, false, {}]}',
            '{"a":[true,false,{}],"z":{"x":null,"y":[3,1,2]}}',
        ),
    ],
)
def test_jcs_known_answers(text: str, canonical: str) -> None:
    assert canonical_json(json.loads(text)) == canonical.encode("utf-8")


def json_values(numbers: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    text = st.text(st.characters(exclude_categories=("Cs",)))
    return st.recursive(
        st.none() | st.booleans() | numbers | text,
        lambda children: st.lists(children, max_size=5) | st.dictionaries(text, children, max_size=5),
        max_leaves=20,
    )


def canonical_as_integer_beyond_safe(number: float) -> bool:
    """JCS prints these doubles as integers outside +-(2^53 - 1), which JCS refuses to read back."""
    return number.is_integer() and 2**53 - 1 < abs(number) < 1e21


any_numbers = st.integers(-(2**60), 2**60) | st.floats(allow_nan=False, allow_infinity=False)
safe_numbers = st.integers(-(2**53) + 1, 2**53 - 1) | st.floats(allow_nan=False, allow_infinity=False).filter(
    lambda f: not canonical_as_integer_beyond_safe(f)
)


def utf16_order(key: str) -> bytes:
    return key.encode("utf-16-be")


@PROPERTY
@given(json_values(any_numbers))
def test_jcs_accepts_only_what_it_can_read_back(value: Any) -> None:
    """canonical_json either refuses a value or gives bytes that canonicalise to themselves."""
    try:
        canonical = canonical_json(value)
    except InvalidField as error:
        assert error.field == "payload"
        return
    reparsed = json.loads(canonical)
    assert canonical_json(reparsed) == canonical
    if isinstance(reparsed, dict):
        assert list(reparsed) == sorted(reparsed, key=utf16_order)


@PROPERTY
@given(json_values(safe_numbers))
def test_jcs_accepts_safe_values(value: Any) -> None:
    assert canonical_json(json.loads(canonical_json(value))) == canonical_json(value)


@PROPERTY
@given(salts, json_values(safe_numbers).filter(lambda v: v is not None))  # null means "no payload" in the API
def test_payload_digest_definition(salt: bytes, payload: Any) -> None:
    digest = payload_digest(salt, payload)
    assert digest == hashlib.sha256(salt + canonical_json(payload)).digest()
    check_payload(digest, payload, salt)


@pytest.mark.parametrize("number", [1e16, 1e20, 2.0**53, -(2.0**53), 1.2345678901234568e20, 9.999999999999999e20])
def test_doubles_printed_as_unsafe_integers_are_refused(number: float) -> None:
    """JCS prints 1e16 as 10000000000000000, an integer that JCS must refuse when read back."""
    with pytest.raises(InvalidField) as raised:
        canonical_json({"a": [number]})
    assert raised.value.field == "payload"
    with pytest.raises(InvalidField):
        canonical_json(int(number))  # the same number written as an integer


@pytest.mark.parametrize(
    ("number", "text"), [(2.0**53 - 1, "9007199254740991"), (1e21, "1e+21"), (-1e300, "-1e+300"), (0.5, "0.5")]
)
def test_doubles_around_the_boundary(number: float, text: str) -> None:
    assert canonical_json(number) == text.encode()
    assert canonical_json(json.loads(canonical_json(number))) == text.encode()


@pytest.mark.parametrize(
    "payload",
    [
        float("nan"),
        float("inf"),
        2**53,
        -(2**53),
        2**53 + 1,
        10**21,
        10**400,
        {1: "x"},
        {"a": object()},
        [{"a": [2**60]}],
    ],
)
def test_uncanonicalisable_payloads(payload: Any) -> None:
    with pytest.raises(InvalidField) as raised:
        payload_digest(b"\x00" * 16, payload)
    assert raised.value.field == "payload"


def test_salt_must_be_16_bytes() -> None:
    with pytest.raises(InvalidField) as raised:
        payload_digest(b"\x00" * 15, {})
    assert raised.value.field == "payloadSalt"


@pytest.mark.parametrize(
    ("digest", "payload", "salt", "field"),
    [
        (ZERO32, None, None, None),
        (ZERO32, {"a": 1}, None, "payload"),
        (ZERO32, None, b"\x00" * 16, "payload"),
        (b"\x01" * 32, None, None, "payload"),
        (b"\x01" * 32, {"a": 1}, None, "payload"),
        (b"\x01" * 32, {"a": 1}, b"\x00" * 16, "payloadDigest"),
        (payload_digest(b"\x00" * 16, {"a": 1}), {"a": 1}, b"\x00" * 16, None),
        (payload_digest(b"\x00" * 16, {"a": 1}), {"a": 1.0}, b"\x00" * 16, None),  # same JSON number
        (payload_digest(b"\x00" * 16, {"a": 1}), {"a": 2}, b"\x00" * 16, "payloadDigest"),
    ],
)
def test_check_payload(digest: bytes, payload: Any, salt: bytes | None, field: str | None) -> None:
    if field is None:
        check_payload(digest, payload, salt)
        return
    with pytest.raises(InvalidField) as raised:
        check_payload(digest, payload, salt)
    assert raised.value.field == field
