"""The Python agency client: build events, keep case heads, sign, submit, fetch receipts.

    client = AgencyClient("https://saksi.example", "dukcapil.jaksel", private_key)
    case = client.open_case("KTP-JKS-2026-000123", case_key)       # or CaseState.new(ref)
    item = client.build(case, "application.submitted", "Permohonan KTP-el diterima",
                        occurred_at=1764000000, payload={"nik": "…"})
    receipts = client.submit([item])

Building is deterministic for a given salt, so a resubmission after a time-out is
byte-identical and the ledger answers it with the original receipt. Event ids are
derived from the case key (docs/FORMATS.md §7.6), never from the case reference,
which anyone may know. Opening a case asks the ledger nothing: the ledger's
stale-case-head answer is the authority on a case's head (`rebase`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from ledger.core.commitment import (
    CASE_KEY_SIZE,
    SALT_SIZE,
    case_commitment,
    derive_event_id,
    format_access_code,
    payload_digest,
)
from ledger.core.encoding import ZERO32, hex0x, parse_hex
from ledger.core.events import Domain, ServiceEvent, eip712_digest
from ledger.core.requests import sign_agency_request
from ledger.core.signatures import address_of_key, sign_digest
from ledger.errors import (
    AuthenticationFailed,
    Conflict,
    DuplicateEvent,
    Forbidden,
    InvalidInput,
    NotFound,
    RetryLater,
    SaksiError,
    StaleCaseHead,
    TooLarge,
)

_ERROR_BY_KIND: dict[str, type[SaksiError]] = {
    "duplicate-event": DuplicateEvent,
    "stale-case-head": StaleCaseHead,
    "bad-signature": AuthenticationFailed,
    "forbidden-signer": Forbidden,
    "too-large": TooLarge,
    "not-found": NotFound,
}


def error_from_problem(problem: dict[str, Any]) -> SaksiError:
    """Turn a problem+json body back into the domain error it came from."""
    kind = str(problem.get("type", "")).rsplit("/", 1)[-1]
    status = problem.get("status", 0)
    detail = problem.get("detail") or problem.get("title") or "request failed"
    evidence = {k: v for k, v in problem.items() if k not in ("type", "title", "status", "detail", "instance")}
    cls = _ERROR_BY_KIND.get(kind)
    if cls is None:
        cls = {409: Conflict, 404: NotFound, 401: AuthenticationFailed, 403: Forbidden, 413: TooLarge}.get(status)
    if cls is None:
        cls = RetryLater if status in (429, 502, 503, 504) or status >= 500 else InvalidInput
    error = cls(str(detail))
    error.evidence.update(evidence)
    return error


MAX_RETRY_AFTER_S = 60.0


def retry_after_s(response: httpx.Response) -> float | None:
    """The server's Retry-After in seconds (RFC 9110 §10.2.3, delay-seconds form), if it sent one."""
    value = response.headers.get("Retry-After", "").strip()
    if not value.isdigit():
        return None
    return float(min(int(value), 3600))


@dataclass
class CaseState:
    """What an agency keeps per case: reference, key (the citizen's access code) and head."""

    ref: str
    key: bytes
    seq: int = 0
    head: bytes = ZERO32

    @classmethod
    def new(cls, ref: str) -> CaseState:
        return cls(ref, os.urandom(CASE_KEY_SIZE))

    @property
    def commitment(self) -> bytes:
        return case_commitment(self.key, self.ref)

    @property
    def access_code(self) -> str:
        return format_access_code(self.key)


@dataclass
class AgencyClient:
    base_url: str
    agency: str
    private_key: bytes
    domain: Domain | None = None
    timeout_s: float = 30.0
    retries: int = 5
    on_wait: Callable[[float, SaksiError], None] | None = None  # told before each pause (429, 503, no answer)
    _http: httpx.Client | None = field(default=None, repr=False)

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(base_url=self.base_url.rstrip("/"), timeout=self.timeout_s)
        return self._http

    @property
    def address(self) -> bytes:
        return address_of_key(self.private_key)

    def info(self) -> dict[str, Any]:
        return self._request("GET", "/v1/info")

    def ensure_domain(self) -> Domain:
        if self.domain is None:
            self.domain = Domain.from_json(self.info()["eip712Domain"])
        return self.domain

    def open_case(self, ref: str, key: bytes) -> CaseState:
        """A case's state to build on, without asking the ledger (new cases start at head 0).

        The first event built on an existing case is refused as stale-case-head with the
        case's current head, which `rebase` adopts; so no lookup is ever made, and none
        through the citizens' rate-limited routes."""
        return CaseState(ref, key)

    @staticmethod
    def rebase(case: CaseState, error: StaleCaseHead) -> None:
        """Move a case to the head the ledger named in its stale-case-head answer."""
        seq, head = error.evidence.get("caseSeq"), error.evidence.get("headHash")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise InvalidInput("the ledger's stale-case-head answer carries no caseSeq")
        case.seq = seq
        case.head = head if isinstance(head, bytes) else parse_hex("headHash", head, 32)

    def build(
        self,
        case: CaseState,
        event_type: str,
        summary: str,
        *,
        occurred_at: int | None = None,
        event_id: str | None = None,
        payload: Any = None,
        salt: bytes | None = None,
        advance: bool = True,
    ) -> dict[str, Any]:
        """A signed submission item extending the case's head (and advance the head)."""
        domain = self.ensure_domain()
        seq = case.seq + 1
        if payload is not None and salt is None:
            salt = os.urandom(SALT_SIZE)
        occurred = occurred_at if occurred_at is not None else int(time.time())
        event = ServiceEvent.from_json(
            {
                "eventId": event_id
                or derive_event_id(case.key, case.ref, seq, case.head, event_type, summary, occurred),
                "agency": self.agency,
                "caseCommitment": hex0x(case.commitment),
                "caseSeq": seq,
                "prevEventHash": hex0x(case.head),
                "eventType": event_type,
                "summary": summary,
                "occurredAt": occurred,
                "payloadDigest": hex0x(payload_digest(salt, payload) if payload is not None else ZERO32),
            }
        )
        struct_hash = event.hash_struct()
        item = {
            "event": event.to_json(),
            "signature": hex0x(sign_digest(eip712_digest(domain, struct_hash), self.private_key)),
            "payload": payload,
            "payloadSalt": None if payload is None else hex0x(salt),
        }
        if advance:
            case.seq, case.head = seq, struct_hash
        return item

    def submit(self, items: Sequence[dict[str, Any]]) -> list[dict[str, Any] | SaksiError]:
        """Submit a batch; one receipt or domain error per item. Retries only what may succeed later."""
        if not items:
            return []
        body = self._request("POST", "/v1/events", json={"events": list(items)}, allow={207})
        out: list[dict[str, Any] | SaksiError] = []
        for entry in body["receipts"]:
            out.append(error_from_problem(entry["problem"]) if "problem" in entry else entry)
        return out

    def submit_one(self, item: dict[str, Any]) -> dict[str, Any]:
        return self._request("POST", "/v1/events", json=item)

    def erase(
        self,
        case: CaseState,
        leaf_indexes: list[int],
        legal_basis: str,
        summary: str = "Data pribadi dihapus (UU 27/2022)",
        occurred_at: int | None = None,
    ) -> dict[str, Any]:
        """Lawful erasure: sign an erasure.personal_data event naming the leaves whose payloads go.

        Built on the case's head as the ledger names it: a stale head is adopted and the event
        signed again (a few times at most, should other events keep arriving)."""
        payload = {"erases": sorted(set(leaf_indexes)), "legalBasis": legal_basis}
        for attempt in range(4):
            item = self.build(
                case, "erasure.personal_data", summary, payload=payload, occurred_at=occurred_at, advance=False
            )
            try:
                answer = self._request("POST", "/v1/erasures", json=item)
            except StaleCaseHead as stale:
                if attempt == 3:
                    raise
                self.rebase(case, stale)
                continue
            built = ServiceEvent.from_json(item["event"])
            case.seq, case.head = built.case_seq, built.hash_struct()
            return answer
        raise AssertionError("unreachable")

    def receipt(self, event_id: str) -> dict[str, Any]:
        """One of this agency's events as the ledger holds it (a request signed by its key)."""
        timestamp = int(time.time())
        signature = sign_agency_request("events", self.agency, timestamp, self.private_key)
        headers = {"X-Saksi-Timestamp": str(timestamp), "X-Saksi-Signature": signature}
        return self._request("GET", f"/v1/events/{self.agency}/{event_id}", headers=headers)

    def _request(self, method: str, path: str, allow: Iterable[int] = (), **kwargs: Any) -> Any:
        delay = 0.2
        for attempt in range(self.retries + 1):
            wait: float | None = None
            try:
                response = self.http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                error: SaksiError = RetryLater(f"cannot reach {self.base_url}: {exc}")
            else:
                if response.status_code < 300 or response.status_code in allow:
                    return response.json()
                try:
                    problem = response.json()
                except ValueError:
                    problem = {"status": response.status_code, "detail": response.text[:200]}
                if not isinstance(problem, dict):
                    problem = {"status": response.status_code, "detail": str(problem)[:200]}
                problem.setdefault("status", response.status_code)
                error = error_from_problem(problem)
                wait = retry_after_s(response)
                if wait is not None:
                    error.evidence["retryAfter"] = wait
            if not isinstance(error, RetryLater) or attempt == self.retries:
                raise error
            pause = min(wait if wait is not None else delay, MAX_RETRY_AFTER_S)
            if self.on_wait is not None:
                self.on_wait(pause, error)
            time.sleep(pause)
            delay = min(delay * 2, 5.0)
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
