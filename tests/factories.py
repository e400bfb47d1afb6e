"""Factories for tests: agencies with TEST keys, cases and signed submissions.

Every private key here is a TEST KEY derived from a public string; never use one for real.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from typing import Any

from ledger.core.checkpoint import default_origin
from ledger.core.commitment import case_commitment, derive_event_id, payload_digest
from ledger.core.encoding import ZERO32, hex0x, keccak256
from ledger.core.events import Domain, ServiceEvent
from ledger.core.note import NoteSigner
from ledger.core.signatures import address_of_key, sign_digest

TEST_CHAIN_ID = 31337
TEST_CONTRACT = bytes.fromhex("5fbdb2315678afecb367f032d93f642f64180aa3")
TEST_DOMAIN = Domain(TEST_CHAIN_ID, TEST_CONTRACT)
BASE_TIME_S = 1_764_000_000


def test_key(label: str) -> bytes:
    """TEST KEY: keccak256("saksi test key " + label)."""
    return keccak256(f"saksi test key {label}".encode())


def log_signer_for_tests(origin: str = default_origin(TEST_CHAIN_ID, TEST_CONTRACT)) -> NoteSigner:
    """The log's note signer with a TEST KEY seed: SHA-256("saksi test log key"), named ``origin``."""
    return NoteSigner(origin, hashlib.sha256(b"saksi test log key").digest())


@dataclass
class AgencyKey:
    code: str
    key: bytes = b""
    name: str = ""

    def __post_init__(self) -> None:
        self.key = self.key or test_key(self.code)
        self.name = self.name or self.code

    @property
    def address(self) -> bytes:
        return address_of_key(self.key)


_counter = itertools.count(1)


@dataclass
class CaseBuilder:
    """A citizen's case: keeps its head so that each new event extends it."""

    agency: AgencyKey
    ref: str = ""
    key: bytes = b""
    seq: int = 0
    head: bytes = ZERO32
    domain: Domain = TEST_DOMAIN
    events: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        n = next(_counter)
        self.ref = self.ref or f"KTP-JKS-2026-{n:06d}"
        self.key = self.key or hashlib.sha256(f"case key {self.ref}".encode()).digest()

    @property
    def commitment(self) -> bytes:
        return case_commitment(self.key, self.ref)

    def next_item(
        self,
        event_type: str = "application.submitted",
        summary: str = "Permohonan diterima",
        payload: Any = None,
        event_id: str | None = None,
        signer: AgencyKey | None = None,
        advance: bool = True,
        **overrides: Any,
    ) -> dict[str, Any]:
        """A signed submission item extending this case's head."""
        salt = hashlib.sha256(f"salt {self.ref} {self.seq}".encode()).digest()[:16] if payload is not None else None
        seq = self.seq + 1
        occurred_at = BASE_TIME_S + seq * 3600
        event = ServiceEvent(
            event_id=event_id or derive_event_id(self.key, self.ref, seq, self.head, event_type, summary, occurred_at),
            agency=self.agency.code,
            case_commitment=self.commitment,
            case_seq=seq,
            prev_event_hash=self.head,
            event_type=event_type,
            summary=summary,
            occurred_at=occurred_at,
            payload_digest=payload_digest(salt, payload) if salt is not None else ZERO32,
        )
        if overrides:
            fields = {**event.to_json(), **overrides}
            event = ServiceEvent.from_json(fields)
        signature = sign_digest(event.digest(self.domain), (signer or self.agency).key)
        item = {
            "event": event.to_json(),
            "signature": hex0x(signature),
            "payload": payload,
            "payloadSalt": None if salt is None else hex0x(salt),
        }
        if advance:
            self.seq = seq
            self.head = event.hash_struct()
            self.events.append(item)
        return item


class FakeClock:
    """Injected clock in unix ms; tests move it by hand."""

    def __init__(self, now_ms: int = (BASE_TIME_S + 86_400) * 1000) -> None:
        self.now_ms = now_ms

    def __call__(self) -> int:
        return self.now_ms

    def advance(self, ms: int) -> None:
        self.now_ms += ms
