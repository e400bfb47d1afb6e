"""Citizens' complaints: a complaint is a case of its own, filed by the service's complaints desk.

The citizen proves knowledge of the case (reference + access code, in a request
body, never a URL); the desk signs `complaint.filed` on a new complaint case and
hands the citizen that case's reference and access code. The agency the
complaint concerns reads it from its inbox (requests signed by its key) and
answers with signed events on the complaint case (`complaint.answered`,
`complaint.resolved`) through the ordinary append path.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from ledger.core.commitment import (
    CASE_KEY_SIZE,
    SALT_SIZE,
    canonical_json,
    case_commitment,
    derive_event_id,
    format_access_code,
    normalize_case_ref,
    parse_access_code,
    payload_digest,
)
from ledger.core.encoding import ZERO32, hex0x
from ledger.core.events import SUMMARY_MAX, Domain, ServiceEvent, SignedEvent
from ledger.core.signatures import sign_digest
from ledger.errors import InvalidField, NotFound, RetryLater, SaksiError
from ledger.services.append import Appender, Receipt, Submission
from ledger.services.signed_requests import (
    REQUEST_MAX_AGE_S,
    check_agency_request,
    request_message,
    sign_agency_request,
)
from ledger.storage.complaints import ComplaintRecord
from ledger.storage.sql import SqlStore

CATEGORIES = ("general", "delay", "fee", "conduct", "data", "other")
#: How a complaint's summary names its category: signed text a citizen reads, so words, not codes
#: (the same words as the citizen page's form, web/src/i18n.js `category.*`).
CATEGORY_NAMES = {
    "general": "umum",
    "delay": "keterlambatan",
    "fee": "biaya atau pungutan",
    "conduct": "perilaku petugas",
    "data": "data salah",
    "other": "lainnya",
}


@dataclass(frozen=True)
class ComplaintReceipt:
    case_ref: str
    access_code: str
    case_commitment: bytes
    receipt: Receipt

    def to_json(self) -> dict[str, Any]:
        return {
            "caseRef": self.case_ref,
            "accessCode": self.access_code,
            "caseCommitment": hex0x(self.case_commitment),
            "receipt": self.receipt.to_json(),
        }


class ComplaintsDesk:
    def __init__(
        self,
        store: SqlStore,
        appender: Appender,
        domain: Domain,
        agency: str,
        private_key: bytes,
        clock_ms: Callable[[], int],
    ) -> None:
        self.store = store
        self.appender = appender
        self.domain = domain
        self.agency = agency
        self.private_key = private_key
        self.clock_ms = clock_ms

    def file(self, case_ref: str, access_code: str, category: str, message: str) -> ComplaintReceipt:
        ref = normalize_case_ref(case_ref)
        concerned = case_commitment(parse_access_code(access_code), ref)
        if category not in CATEGORIES:
            raise InvalidField("category", f"must be one of {', '.join(CATEGORIES)}")
        if not message.strip() or len(message) > 2000:
            raise InvalidField("message", "must be 1-2000 characters")
        with self.store.read() as reader:
            timeline = reader.case_events(concerned)
            names = {a["code"]: a["name"] for a in reader.agencies()} if timeline else {}
        if not timeline:
            raise NotFound("no case with this reference and access code")
        concerned_agency = timeline[0].event.agency
        now_s = self.clock_ms() // 1000
        key = os.urandom(CASE_KEY_SIZE)
        complaint_ref = "ADU-" + base64.b32encode(os.urandom(10)).decode("ascii")
        commitment = case_commitment(key, complaint_ref)
        payload = {
            "concerns": {"caseCommitment": hex0x(concerned), "agency": concerned_agency},
            "category": category,
            "message": message,
        }
        salt = os.urandom(SALT_SIZE)
        summary = complaint_summary(category, names.get(concerned_agency) or concerned_agency)
        event = ServiceEvent(
            # not f"{complaint_ref}-1": whoever learnt the reference could read the event back
            event_id=derive_event_id(key, complaint_ref, 1, ZERO32, "complaint.filed", summary, now_s),
            agency=self.agency,
            case_commitment=commitment,
            case_seq=1,
            prev_event_hash=ZERO32,
            event_type="complaint.filed",
            summary=summary,
            occurred_at=now_s,
            payload_digest=payload_digest(salt, payload),
        )
        signature = sign_digest(event.digest(self.domain), self.private_key)
        submission = Submission(SignedEvent.create(event, signature, self.domain), canonical_json(payload), salt)

        def record(tx, receipts) -> None:
            (receipt,) = receipts
            if isinstance(receipt, Receipt) and receipt.created:
                tx.complaints.record(
                    ComplaintRecord(
                        case_commitment=commitment,
                        concerns_case=concerned,
                        concerns_agency=concerned_agency,
                        category=category,
                        filed_leaf_index=receipt.leaf_index,
                        filed_at=receipt.received_at,
                    )
                )

        (outcome,) = self.appender.append([submission], after=record)
        if isinstance(outcome, SaksiError):
            raise outcome
        return ComplaintReceipt(complaint_ref, format_access_code(key), commitment, outcome)


def complaint_summary(category: str, agency_name: str) -> str:
    """The signed summary of a new complaint, in the registry's name of the agency it concerns.
    (Complaints filed before this wording keep theirs: a summary is signed event data.)"""
    text = f"Pengaduan diterima ({CATEGORY_NAMES[category]}) tentang layanan {agency_name}"
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1] + "…"


INBOX_MAX_AGE_S = REQUEST_MAX_AGE_S


def inbox_message(agency: str, timestamp: int) -> bytes:
    """What an agency signs (EIP-191 personal_sign) to read its complaints inbox."""
    return request_message("inbox", agency, timestamp)


def sign_inbox_request(agency: str, timestamp: int, private_key: bytes) -> str:
    return sign_agency_request("inbox", agency, timestamp, private_key)


def check_inbox_request(store: SqlStore, agency: str, timestamp: int, signature_hex: str, now_ms: int) -> None:
    """The request must be signed by the agency's active signer within INBOX_MAX_AGE_S."""
    check_agency_request(store, "inbox", agency, timestamp, signature_hex, now_ms)


def inbox(store: SqlStore, agency: str, limit: int = 100, after: int = 0) -> list[dict[str, Any]]:
    """Complaints about an agency's cases, oldest first, with their message and the complaint case's head."""
    with store.read() as reader:
        filed = reader.complaints.about(agency, after, limit)
        heads = reader.case_heads(f.record.case_commitment for f in filed)
        out = []
        for f in filed:
            r = f.record
            head = heads[r.case_commitment]
            history = reader.case_events(r.case_commitment)
            payload = orjson.loads(f.payload) if f.payload is not None else None
            out.append(
                {
                    "complaintCase": hex0x(r.case_commitment),
                    "concernsCase": hex0x(r.concerns_case),
                    "category": r.category,
                    "message": None if payload is None else payload.get("message"),
                    "filedAt": r.filed_at,
                    "filedLeafIndex": r.filed_leaf_index,
                    "status": "resolved"
                    if any(e.event.event_type == "complaint.resolved" for e in history)
                    else "open",
                    "head": {"caseSeq": head.case_seq, "headHash": hex0x(head.head_hash)},
                }
            )
    return out


def desk_unavailable() -> SaksiError:
    return RetryLater("the complaints desk is not configured on this server")
