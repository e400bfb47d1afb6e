"""EIP-712 service events: agreement with eth-account, signatures, round trips and bad input.

eth-account is the independent implementation here: the core hashes with precomputed
type hashes and raw keccak calls, eth-account with its generic typed-data encoder.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core.encoding import UINT32_MAX, UINT64_MAX, ZERO32, keccak256
from ledger.core.events import Domain, Leaf, ServiceEvent, SignedEvent, leaf_bytes
from ledger.core.signatures import HALF_N, SECP256K1_N, address_of_key, normalize_signature, sign_digest
from ledger.errors import AuthenticationFailed, InvalidField

PROPERTY = settings(max_examples=200, deadline=None, derandomize=True)

# The rules of docs/FORMATS.md, written out again here rather than imported from the code under test.
EVENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
AGENCY = re.compile(r"[a-z0-9.-]{1,32}")
EVENT_TYPE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")

TEST_KEY = keccak256(b"saksi test key 1")  # TEST KEY: public, never for real use
ANVIL_DOMAIN = Domain(31337, bytes.fromhex("5fbdb2315678afecb367f032d93f642f64180aa3"))

hashes = st.binary(min_size=32, max_size=32)
nonzero_hashes = hashes.filter(lambda h: h != ZERO32)
summaries = st.text(st.characters(exclude_categories=("Cc", "Cs", "Cn")), min_size=1, max_size=280)


@st.composite
def event_json(draw: st.DrawFn) -> dict[str, Any]:
    seq = draw(st.one_of(st.just(1), st.integers(2, UINT32_MAX)))
    return {
        "eventId": draw(st.from_regex(EVENT_ID, fullmatch=True)),
        "agency": draw(st.from_regex(AGENCY, fullmatch=True)),
        "caseCommitment": "0x" + draw(nonzero_hashes).hex(),
        "caseSeq": seq,
        "prevEventHash": "0x" + (ZERO32 if seq == 1 else draw(nonzero_hashes)).hex(),
        "eventType": draw(st.from_regex(r"[a-z][a-z0-9_]{0,10}(\.[a-z][a-z0-9_]{0,10}){1,3}", fullmatch=True)),
        "summary": draw(summaries),
        "occurredAt": draw(st.integers(1, UINT64_MAX)),
        "payloadDigest": "0x" + draw(hashes).hex(),
    }


events = event_json().map(ServiceEvent.from_json)
domains = st.builds(Domain, st.integers(1, (1 << 256) - 1), st.binary(min_size=20, max_size=20))
private_keys = st.integers(1, SECP256K1_N - 1).map(lambda k: k.to_bytes(32, "big"))


def sample_event(**changes: Any) -> ServiceEvent:
    data = {
        "eventId": "KTP-JKS-2026-000001-1",
        "agency": "dukcapil.jaksel",
        "caseCommitment": "0x" + "11" * 32,
        "caseSeq": 1,
        "prevEventHash": "0x" + "00" * 32,
        "eventType": "application.submitted",
        "summary": "Permohonan KTP-el diterima di Kecamatan Kebayoran Baru 🙏",
        "occurredAt": 1_767_225_600,
        "payloadDigest": "0x" + "00" * 32,
    }
    return ServiceEvent.from_json({**data, **changes})


def address(key: bytes) -> bytes:
    return bytes.fromhex(Account.from_key(key).address[2:])


# --- EIP-712 hashing equals eth-account's ------------------------------------------------------


@PROPERTY
@given(events, domains)
def test_hashing_equals_eth_account(event: ServiceEvent, domain: Domain) -> None:
    message = encode_typed_data(full_message=event.to_typed_data(domain))
    assert message.header == domain.separator
    assert message.body == event.hash_struct()
    assert keccak256(b"\x19" + message.version + message.header + message.body) == event.digest(domain)


@PROPERTY
@given(events, domains, private_keys)
def test_eth_account_signatures_recover_through_the_core(event: ServiceEvent, domain: Domain, key: bytes) -> None:
    typed = event.to_typed_data(domain)
    signed = Account.sign_typed_data(key, full_message=typed)
    signature = bytes(signed.signature)
    assert bytes(signed.message_hash) == event.digest(domain)
    created = SignedEvent.create(event, signature, domain)
    assert created.signer == address(key) == address_of_key(key)
    assert created.signature == signature  # eth-account already emits the canonical form
    assert created.struct_hash == event.hash_struct() and created.digest == event.digest(domain)
    assert int.from_bytes(signature[32:64], "big") <= HALF_N
    # ... and the core's signatures recover in eth-account.
    ours = sign_digest(event.digest(domain), key)
    assert (
        Account.recover_message(encode_typed_data(full_message=typed), signature=ours) == Account.from_key(key).address
    )


@PROPERTY
@given(events, private_keys)
def test_high_s_refused_and_raw_v_normalised(event: ServiceEvent, key: bytes) -> None:
    signature = bytes(
        Account.sign_message(encode_typed_data(full_message=event.to_typed_data(ANVIL_DOMAIN)), key).signature
    )
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    high_s = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])
    with pytest.raises(InvalidField) as raised:
        SignedEvent.create(event, high_s, ANVIL_DOMAIN)
    assert raised.value.field == "signature"
    raw = SignedEvent.create(event, signature[:64] + bytes([v - 27]), ANVIL_DOMAIN)
    assert raw.signature == signature and raw.signature[64] in (27, 28)
    assert raw.signer == address(key)


def test_signature_by_another_key_recovers_another_signer() -> None:
    event = sample_event()
    other = keccak256(b"saksi test key 5")  # TEST KEY
    created = SignedEvent.create(event, sign_digest(event.digest(ANVIL_DOMAIN), other), ANVIL_DOMAIN)
    assert created.signer == address(other) != address(TEST_KEY)


@pytest.mark.parametrize("domain", [Domain(1, ANVIL_DOMAIN.verifying_contract), Domain(31337, b"\x01" * 20)])
def test_signature_is_bound_to_the_domain(domain: Domain) -> None:
    event = sample_event()
    signature = sign_digest(event.digest(ANVIL_DOMAIN), TEST_KEY)
    assert SignedEvent.create(event, signature, domain).signer != address(TEST_KEY)


@pytest.mark.parametrize(
    ("signature", "error"),
    [
        (b"\x01" * 64, InvalidField),
        (b"\x01" * 66, InvalidField),
        (bytes(32) + (1).to_bytes(32, "big") + b"\x1b", InvalidField),  # r = 0
        ((1).to_bytes(32, "big") + bytes(32) + b"\x1b", InvalidField),  # s = 0
        ((1).to_bytes(32, "big") + (HALF_N + 1).to_bytes(32, "big") + b"\x1b", InvalidField),  # high s
        (SECP256K1_N.to_bytes(32, "big") + (1).to_bytes(32, "big") + b"\x1b", InvalidField),  # r = n
        ((1).to_bytes(32, "big") + (1).to_bytes(32, "big") + b"\x02", InvalidField),  # v = 2
        ((1).to_bytes(32, "big") + (1).to_bytes(32, "big") + b"\x1d", InvalidField),  # v = 29
        ((5).to_bytes(32, "big") + (1).to_bytes(32, "big") + b"\x1b", AuthenticationFailed),  # r: no curve point
    ],
)
def test_malformed_signatures(signature: bytes, error: type) -> None:
    with pytest.raises(error) as raised:
        SignedEvent.create(sample_event(), signature, ANVIL_DOMAIN)
    if error is InvalidField:
        assert raised.value.field == "signature"


def test_normalize_accepts_boundary_s() -> None:
    signature = (1).to_bytes(32, "big") + HALF_N.to_bytes(32, "big") + b"\x01"
    assert normalize_signature(signature) == signature[:64] + b"\x1c"


# --- round trips -----------------------------------------------------------------------------------


@PROPERTY
@given(event_json())
def test_event_json_round_trip(data: dict[str, Any]) -> None:
    event = ServiceEvent.from_json(data)
    assert event.to_json() == data
    assert ServiceEvent.from_json(event.to_json()) == event


def test_event_hex_is_case_insensitive_on_input_and_lower_case_on_output() -> None:
    event = sample_event(caseCommitment="0X" + "AB" * 32)
    assert event.case_commitment == b"\xab" * 32
    assert event.to_json()["caseCommitment"] == "0x" + "ab" * 32


@PROPERTY
@given(domains)
def test_domain_round_trip(domain: Domain) -> None:
    assert Domain.from_json(domain.to_json()) == domain
    assert Domain.from_json(domain.to_json()).separator == domain.separator


@PROPERTY
@given(hashes, st.binary(min_size=65, max_size=65), st.integers(0, UINT64_MAX))
def test_leaf_round_trip(digest: bytes, signature: bytes, received_at: int) -> None:
    data = leaf_bytes(digest, signature, received_at)
    assert len(data) == 106 and data[0] == 1
    assert data[98:] == received_at.to_bytes(8, "big")
    leaf = Leaf.from_bytes(data)
    assert leaf == Leaf(digest, signature, received_at)
    assert leaf.to_bytes() == data


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: leaf_bytes(b"\x00" * 32, b"\x00" * 65, -1), "receivedAt"),
        (lambda: leaf_bytes(b"\x00" * 32, b"\x00" * 65, 1 << 64), "receivedAt"),
        (lambda: leaf_bytes(b"\x00" * 31, b"\x00" * 65, 0), "leaf"),
        (lambda: Leaf.from_bytes(b""), "leaf"),
        (lambda: Domain(0, b"\x00" * 20), "chainId"),
        (lambda: Domain(1, b"\x00" * 19), "verifyingContract"),
        (lambda: Domain.from_json({"name": "Saksi", "version": "1", "chainId": 1}), "eip712Domain.verifyingContract"),
        (lambda: Domain.from_json([]), "eip712Domain"),
    ],
)
def test_bad_leaf_and_domain_input(call, field: str) -> None:
    with pytest.raises(InvalidField) as raised:
        call()
    assert raised.value.field == field


# --- every malformed field raises InvalidField naming it -------------------------------------------


def not_matching(pattern: re.Pattern[str]) -> st.SearchStrategy[str]:
    return st.text(max_size=80).filter(lambda s: not pattern.fullmatch(s))


def bad_hex32() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.binary(max_size=40).filter(lambda b: len(b) != 32).map(lambda b: "0x" + b.hex()),
        hashes.map(lambda b: b.hex()),  # no 0x
        st.text(min_size=64, max_size=64)
        .filter(lambda s: not re.fullmatch(r"[0-9a-fA-F]*", s))
        .map(lambda s: "0x" + s),
        st.integers(),
        st.none(),
    )


def bad_uint(lo: int, hi: int) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.integers(max_value=lo - 1),
        st.integers(min_value=hi + 1),
        st.floats(allow_nan=False),
        st.booleans(),
        st.integers(lo, hi).map(str),
        st.none(),
    )


BAD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "eventId": st.one_of(not_matching(EVENT_ID), st.integers(), st.none()),
    "agency": st.one_of(not_matching(AGENCY), st.lists(st.text())),
    "caseCommitment": st.one_of(bad_hex32(), st.just("0x" + "00" * 32)),
    "caseSeq": bad_uint(1, UINT32_MAX),
    "prevEventHash": bad_hex32(),
    "eventType": st.one_of(not_matching(EVENT_TYPE), st.text(alphabet="ab.", min_size=65, max_size=80), st.integers()),
    "summary": st.one_of(
        st.just(""),
        st.text(st.characters(exclude_categories=("Cs",)), min_size=281, max_size=300),
        st.tuples(summaries, st.characters(categories=("Cc", "Cs", "Cn")), summaries).map(lambda t: t[0] + t[1] + t[2]),
        st.integers(),
    ),
    "occurredAt": bad_uint(1, UINT64_MAX),
    "payloadDigest": bad_hex32(),
}


@PROPERTY
@given(event_json(), st.sampled_from(sorted(BAD_VALUES)), st.data())
def test_every_malformed_field_is_named(data: dict[str, Any], field: str, draw: st.DataObject) -> None:
    value = draw.draw(BAD_VALUES[field], label=field)
    with pytest.raises(InvalidField) as raised:
        ServiceEvent.from_json({**data, field: value})
    assert raised.value.field == field


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"caseSeq": 1, "prevEventHash": "0x" + "22" * 32}, "prevEventHash"),
        ({"caseSeq": 2}, "prevEventHash"),
        ({"summary": "a" * 280}, None),
        ({"summary": "😀" * 280}, None),  # 280 code points, 560 UTF-16 units: code points count
        ({"summary": "😀" * 281}, "summary"),
        ({"summary": "Dokumen\u2028diverifikasi"}, None),  # a line separator is not a control character
        ({"summary": "\ud83d"}, "summary"),  # a lone surrogate cannot be UTF-8
        ({"eventId": "x" * 64}, None),
        ({"eventType": "a." + "b" * 62}, None),
        ({"eventType": "a." + "b" * 63}, "eventType"),
    ],
)
def test_field_rules(changes: dict[str, Any], field: str | None) -> None:
    if field is None:
        assert sample_event(**changes).to_json() == {**sample_event().to_json(), **changes}
        return
    with pytest.raises(InvalidField) as raised:
        sample_event(**changes)
    assert raised.value.field == field


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"caseRef": "KTP-1"}, "event.caseRef"),
        ({"signature": "0x"}, "event.signature"),
    ],
)
def test_unknown_fields_are_refused(data: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidField) as raised:
        ServiceEvent.from_json({**sample_event().to_json(), **data})
    assert raised.value.field == field


@pytest.mark.parametrize("missing", ["eventId", "caseSeq", "payloadDigest"])
def test_missing_fields_are_named(missing: str) -> None:
    data = {k: v for k, v in sample_event().to_json().items() if k != missing}
    with pytest.raises(InvalidField) as raised:
        ServiceEvent.from_json(data)
    assert raised.value.field == f"event.{missing}"


@pytest.mark.parametrize("data", [None, [], "event", 1])
def test_event_must_be_an_object(data: Any) -> None:
    with pytest.raises(InvalidField) as raised:
        ServiceEvent.from_json(data)
    assert raised.value.field == "event"
