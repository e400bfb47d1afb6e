"""Service events: the EIP-712 typed data agencies sign, and the leaf bytes the log stores.

See docs/FORMATS.md §2-§5. A :class:`ServiceEvent` only exists once every field
has passed its rule; hashing precomputes the type hashes so that the append
path runs on raw keccak calls instead of a generic typed-data encoder.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ledger.core.encoding import (
    UINT32_MAX,
    UINT64_MAX,
    ZERO32,
    hex0x,
    keccak256,
    parse_address,
    parse_hex,
    parse_uint,
)
from ledger.core.signatures import normalize_signature, recover_signer
from ledger.errors import InvalidField

_sha256 = hashlib.sha256

EIP712_DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
SERVICE_EVENT_TYPE = (
    "ServiceEvent(string eventId,string agency,bytes32 caseCommitment,uint32 caseSeq,bytes32 prevEventHash,"
    "string eventType,string summary,uint64 occurredAt,bytes32 payloadDigest)"
)
EIP712_DOMAIN_TYPEHASH = keccak256(EIP712_DOMAIN_TYPE.encode())
SERVICE_EVENT_TYPEHASH = keccak256(SERVICE_EVENT_TYPE.encode())
DOMAIN_NAME = "Saksi"
DOMAIN_VERSION = "1"

LEAF_VERSION = 1
LEAF_SIZE = 1 + 32 + 65 + 8

EVENT_FIELDS = (
    "eventId",
    "agency",
    "caseCommitment",
    "caseSeq",
    "prevEventHash",
    "eventType",
    "summary",
    "occurredAt",
    "payloadDigest",
)

# The event rules, stated once: parse_event checks whole strings against these (fullmatch), and the
# API's path and body patterns (api.schemas, the OpenAPI document) are the same rules anchored.
EVENT_ID_PATTERN = r"[A-Za-z0-9._:-]{1,64}"
AGENCY_PATTERN = r"[a-z0-9.-]{1,32}"
EVENT_TYPE_PATTERN = r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+"
EVENT_ID_RE = re.compile(EVENT_ID_PATTERN)
AGENCY_RE = re.compile(AGENCY_PATTERN)
EVENT_TYPE_RE = re.compile(EVENT_TYPE_PATTERN)
EVENT_TYPE_MAX = 64
SUMMARY_MAX = 280


def validate_agency_code(value: Any, field_name: str = "agency") -> str:
    if not isinstance(value, str) or not AGENCY_RE.fullmatch(value):
        raise InvalidField(field_name, "must be 1-32 characters of [a-z0-9.-]")
    return value


def _parse_summary(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidField("summary", "must be a string")
    if not 1 <= len(value) <= SUMMARY_MAX:
        raise InvalidField("summary", f"must be 1-{SUMMARY_MAX} characters")
    if not (value.isascii() and value.isprintable()) and any(
        unicodedata.category(c) in ("Cc", "Cs", "Cn") for c in value
    ):
        raise InvalidField("summary", "must not contain control, surrogate or unassigned characters")
    return value


@dataclass(frozen=True, slots=True)
class Domain:
    """The EIP-712 domain: name "Saksi", version "1", chain id and the ledger contract."""

    chain_id: int
    verifying_contract: bytes
    separator: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parse_uint("chainId", self.chain_id, (1 << 256) - 1, minimum=1)
        if len(self.verifying_contract) != 20:
            raise InvalidField("verifyingContract", "must be 20 bytes")
        separator = keccak256(
            EIP712_DOMAIN_TYPEHASH
            + keccak256(DOMAIN_NAME.encode())
            + keccak256(DOMAIN_VERSION.encode())
            + self.chain_id.to_bytes(32, "big")
            + bytes(12)
            + self.verifying_contract
        )
        object.__setattr__(self, "separator", separator)

    @classmethod
    def from_json(cls, data: Any) -> Domain:
        if not isinstance(data, dict):
            raise InvalidField("eip712Domain", "must be an object")
        if data.get("name") != DOMAIN_NAME or data.get("version") != DOMAIN_VERSION:
            raise InvalidField("eip712Domain", f'name must be "{DOMAIN_NAME}" and version "{DOMAIN_VERSION}"')
        return cls(
            parse_uint("eip712Domain.chainId", data.get("chainId"), (1 << 256) - 1, minimum=1),
            parse_address("eip712Domain.verifyingContract", data.get("verifyingContract")),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": self.chain_id,
            "verifyingContract": hex0x(self.verifying_contract),
        }


@dataclass(frozen=True, slots=True)
class ServiceEvent:
    """One service event, exactly the EIP-712 `ServiceEvent` struct."""

    event_id: str
    agency: str
    case_commitment: bytes
    case_seq: int
    prev_event_hash: bytes
    event_type: str
    summary: str
    occurred_at: int
    payload_digest: bytes

    @classmethod
    def from_json(cls, data: Any) -> ServiceEvent:
        """Parse the camelCase JSON object of docs/FORMATS.md §3; every rule checked here."""
        if not isinstance(data, dict):
            raise InvalidField("event", "must be an object")
        unknown = sorted(set(data) - set(EVENT_FIELDS))
        if unknown:
            raise InvalidField(f"event.{unknown[0]}", "is not a ServiceEvent field")
        missing = [name for name in EVENT_FIELDS if name not in data]
        if missing:
            raise InvalidField(f"event.{missing[0]}", "is required")
        event_id = data["eventId"]
        if not isinstance(event_id, str) or not EVENT_ID_RE.fullmatch(event_id):
            raise InvalidField("eventId", "must be 1-64 characters of [A-Za-z0-9._:-]")
        agency = validate_agency_code(data["agency"])
        case_commitment = parse_hex("caseCommitment", data["caseCommitment"], 32)
        if case_commitment == ZERO32:
            raise InvalidField("caseCommitment", "must not be zero")
        case_seq = parse_uint("caseSeq", data["caseSeq"], UINT32_MAX, minimum=1)
        prev_event_hash = parse_hex("prevEventHash", data["prevEventHash"], 32)
        if (case_seq == 1) != (prev_event_hash == ZERO32):
            raise InvalidField("prevEventHash", "must be zero exactly when caseSeq is 1")
        event_type = data["eventType"]
        if (
            not isinstance(event_type, str)
            or len(event_type) > EVENT_TYPE_MAX
            or not EVENT_TYPE_RE.fullmatch(event_type)
        ):
            raise InvalidField(
                "eventType",
                "must be dotted lower case like application.submitted: two or more segments of a-z, 0-9 and _, "
                "each starting with a letter, at most 64 characters in all",
            )
        summary = _parse_summary(data["summary"])
        occurred_at = parse_uint("occurredAt", data["occurredAt"], UINT64_MAX, minimum=1)
        payload_digest = parse_hex("payloadDigest", data["payloadDigest"], 32)
        return cls(
            event_id,
            agency,
            case_commitment,
            case_seq,
            prev_event_hash,
            event_type,
            summary,
            occurred_at,
            payload_digest,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "eventId": self.event_id,
            "agency": self.agency,
            "caseCommitment": hex0x(self.case_commitment),
            "caseSeq": self.case_seq,
            "prevEventHash": hex0x(self.prev_event_hash),
            "eventType": self.event_type,
            "summary": self.summary,
            "occurredAt": self.occurred_at,
            "payloadDigest": hex0x(self.payload_digest),
        }

    def to_typed_data(self, domain: Domain) -> dict[str, Any]:
        """The full EIP-712 message, as eth_signTypedData_v4 / eth-account take it."""
        return {
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                "ServiceEvent": [
                    {"name": "eventId", "type": "string"},
                    {"name": "agency", "type": "string"},
                    {"name": "caseCommitment", "type": "bytes32"},
                    {"name": "caseSeq", "type": "uint32"},
                    {"name": "prevEventHash", "type": "bytes32"},
                    {"name": "eventType", "type": "string"},
                    {"name": "summary", "type": "string"},
                    {"name": "occurredAt", "type": "uint64"},
                    {"name": "payloadDigest", "type": "bytes32"},
                ],
            },
            "primaryType": "ServiceEvent",
            "domain": domain.to_json(),
            "message": self.to_json(),
        }

    def hash_struct(self) -> bytes:
        """EIP-712 hashStruct(event); also the case chain link (prevEventHash of the next event)."""
        return struct_hash(
            self.event_id, self.agency, self.case_commitment, self.case_seq, self.prev_event_hash,
            self.event_type, self.summary, self.occurred_at, self.payload_digest,
        )  # fmt: skip

    def digest(self, domain: Domain) -> bytes:
        """keccak256(0x1901 ‖ domainSeparator ‖ hashStruct): what the agency signs."""
        return eip712_digest(domain, self.hash_struct())


def _text_hash(text: str) -> bytes:
    return keccak256(text.encode())


def struct_hash(
    event_id: str,
    agency: str,
    case_commitment: bytes,
    case_seq: int,
    prev_event_hash: bytes,
    event_type: str,
    summary: str,
    occurred_at: int,
    payload_digest: bytes,
    text_hash: Callable[[str], bytes] = _text_hash,
) -> bytes:
    """hashStruct(ServiceEvent) from the fields as stored, unchecked: the one definition that
    :meth:`ServiceEvent.hash_struct` (append) and the audit's page check (millions of rows, which
    passes a caching `text_hash` for agency, type and summary strings that repeat) both use."""
    return keccak256(
        SERVICE_EVENT_TYPEHASH + keccak256(event_id.encode()) + text_hash(agency) + case_commitment
        + case_seq.to_bytes(32, "big") + prev_event_hash + text_hash(event_type) + text_hash(summary)
        + occurred_at.to_bytes(32, "big") + payload_digest
    )  # fmt: skip


def typed_data_digest(domain_separator: bytes, struct_hash_: bytes) -> bytes:
    """keccak256(0x1901 ‖ domainSeparator ‖ hashStruct), given the separator itself."""
    return keccak256(b"\x19\x01" + domain_separator + struct_hash_)


def eip712_digest(domain: Domain, struct_hash: bytes) -> bytes:
    return typed_data_digest(domain.separator, struct_hash)


@dataclass(frozen=True, slots=True)
class SignedEvent:
    """An event with its canonical signature and everything derived from them."""

    event: ServiceEvent
    signature: bytes
    struct_hash: bytes
    digest: bytes
    signer: bytes

    @classmethod
    def create(cls, event: ServiceEvent, signature: bytes, domain: Domain) -> SignedEvent:
        """Normalise the signature and recover its signer (raises on a malformed one)."""
        signature = normalize_signature(signature)
        struct_hash = event.hash_struct()
        digest = eip712_digest(domain, struct_hash)
        return cls(event, signature, struct_hash, digest, recover_signer(digest, signature))


def event_leaf_hash(digest: bytes, signature: bytes, received_at_ms: int) -> bytes:
    """SHA-256(0x00 ‖ leafBytes) of a version 1 leaf, from its parts as stored and unchecked (the
    audit's page check; :func:`leaf_bytes` is the checked way to build the leaf itself)."""
    return _sha256(b"\x00\x01" + digest + signature + received_at_ms.to_bytes(8, "big")).digest()


def leaf_bytes(digest: bytes, signature: bytes, received_at_ms: int) -> bytes:
    """Leaf version 1: 0x01 ‖ eip712Digest ‖ r ‖ s ‖ v ‖ receivedAt (uint64 big-endian ms)."""
    parse_uint("receivedAt", received_at_ms, UINT64_MAX)
    if len(digest) != 32 or len(signature) != 65:
        raise InvalidField("leaf", "digest must be 32 bytes and signature 65")
    return bytes([LEAF_VERSION]) + digest + signature + received_at_ms.to_bytes(8, "big")


@dataclass(frozen=True, slots=True)
class Leaf:
    digest: bytes
    signature: bytes
    received_at_ms: int

    @classmethod
    def from_bytes(cls, data: bytes) -> Leaf:
        if not data or data[0] != LEAF_VERSION:
            raise InvalidField("leaf", f"unknown leaf version {data[0] if data else None}")
        if len(data) != LEAF_SIZE:
            raise InvalidField("leaf", f"version 1 leaves are {LEAF_SIZE} bytes")
        return cls(data[1:33], data[33:98], int.from_bytes(data[98:106], "big"))

    def to_bytes(self) -> bytes:
        return leaf_bytes(self.digest, self.signature, self.received_at_ms)
