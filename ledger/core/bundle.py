"""Proof bundles (docs/FORMATS.md §10): one self-contained JSON file a citizen can keep.

Parsed once into frozen objects; :mod:`ledger.core.verify` checks them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.core.checkpoint import Checkpoint
from ledger.core.encoding import UINT64_MAX, hex0x, parse_address, parse_hex, parse_uint
from ledger.core.events import Domain, ServiceEvent
from ledger.core.note import Note
from ledger.errors import InvalidField, InvalidInput

BUNDLE_FORMAT = "saksi.proof-bundle/v1"
MAX_PROOF_LENGTH = 128


@dataclass(frozen=True, slots=True)
class Anchor:
    chain_id: int
    contract: bytes
    tx_hash: bytes
    block_number: int

    @classmethod
    def from_json(cls, data: Any) -> Anchor:
        if not isinstance(data, dict):
            raise InvalidField("anchor", "must be an object or null")
        return cls(
            parse_uint("anchor.chainId", data.get("chainId"), (1 << 256) - 1, minimum=1),
            parse_address("anchor.contract", data.get("contract")),
            parse_hex("anchor.txHash", data.get("txHash"), 32),
            parse_uint("anchor.blockNumber", data.get("blockNumber"), UINT64_MAX),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "chainId": self.chain_id,
            "contract": hex0x(self.contract),
            "txHash": hex0x(self.tx_hash),
            "blockNumber": self.block_number,
        }


def _parse_proof(field: str, value: Any) -> tuple[bytes, ...]:
    if not isinstance(value, list) or len(value) > MAX_PROOF_LENGTH:
        raise InvalidField(field, f"must be a list of at most {MAX_PROOF_LENGTH} hashes")
    return tuple(parse_hex(f"{field}[{i}]", h, 32) for i, h in enumerate(value))


def _parse_note(data: Any) -> Note | None:
    """`checkpoint.note`: the checkpoint as a C2SP signed note; absent (or null, as the API's checkpoint
    views write an unsigned one) in bundles made before witnessing."""
    if not isinstance(data, dict) or data.get("note") is None:
        return None
    text = data["note"]
    if not isinstance(text, str):
        raise InvalidField("checkpoint.note", "must be a C2SP signed note (a string)")
    try:
        return Note.parse(text)
    except InvalidInput as exc:
        raise InvalidField("checkpoint.note", exc.message) from None


@dataclass(frozen=True, slots=True)
class BundledEvent:
    event: ServiceEvent
    signature: bytes
    signer: bytes
    leaf_index: int
    leaf_hash: bytes
    received_at: int
    inclusion_proof: tuple[bytes, ...]

    @classmethod
    def from_json(cls, data: Any, position: int) -> BundledEvent:
        where = f"events[{position}]"
        if not isinstance(data, dict):
            raise InvalidField(where, "must be an object")
        return cls(
            ServiceEvent.from_json(data.get("event")),
            parse_hex(f"{where}.signature", data.get("signature"), 65),
            parse_address(f"{where}.signer", data.get("signer")),
            parse_uint(f"{where}.leafIndex", data.get("leafIndex"), (1 << 63) - 1),
            parse_hex(f"{where}.leafHash", data.get("leafHash"), 32),
            parse_uint(f"{where}.receivedAt", data.get("receivedAt"), UINT64_MAX),
            _parse_proof(f"{where}.inclusionProof", data.get("inclusionProof")),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "event": self.event.to_json(),
            "signature": hex0x(self.signature),
            "signer": hex0x(self.signer),
            "leafIndex": self.leaf_index,
            "leafHash": hex0x(self.leaf_hash),
            "receivedAt": self.received_at,
            "inclusionProof": [hex0x(h) for h in self.inclusion_proof],
        }


@dataclass(frozen=True, slots=True)
class ProofBundle:
    domain: Domain
    checkpoint: Checkpoint
    anchor: Anchor | None
    case_commitment: bytes | None
    events: tuple[BundledEvent, ...]
    note: Note | None = None  # the checkpoint as a signed note, with its cosignatures (FORMATS 9.1)

    @classmethod
    def from_json(cls, data: Any) -> ProofBundle:
        if not isinstance(data, dict):
            raise InvalidField("bundle", "must be a JSON object")
        if data.get("format") != BUNDLE_FORMAT:
            raise InvalidField("format", f'must be "{BUNDLE_FORMAT}"')
        events = data.get("events")
        if not isinstance(events, list) or not events:
            raise InvalidField("events", "must be a non-empty list")
        case = data.get("caseCommitment")
        anchor = data.get("anchor")
        return cls(
            Domain.from_json(data.get("eip712Domain")),
            Checkpoint.from_json(data.get("checkpoint")),
            None if anchor is None else Anchor.from_json(anchor),
            None if case is None else parse_hex("caseCommitment", case, 32),
            tuple(BundledEvent.from_json(e, i) for i, e in enumerate(events)),
            _parse_note(data.get("checkpoint")),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "format": BUNDLE_FORMAT,
            "eip712Domain": self.domain.to_json(),
            "checkpoint": self.checkpoint.to_json() | ({} if self.note is None else {"note": self.note.serialize()}),
            "anchor": None if self.anchor is None else self.anchor.to_json(),
            "caseCommitment": None if self.case_commitment is None else hex0x(self.case_commitment),
            "events": [e.to_json() for e in self.events],
        }
