"""Lawful erasure (UU 27/2022): crypto-shred a case's payloads without breaking verification.

The owning agency signs an `erasure.*` event on the case whose payload is
`{"erases": [leafIndex, …], "legalBasis": "…"}` (no personal data). In the same
transaction as that event is appended, the named payloads and their salts are
deleted and `erasures` rows record which event erased them. The leaves stay, so
every proof still verifies; the audit reports the gaps as lawful.
"""

from __future__ import annotations

from typing import Any

import orjson

from ledger.errors import Forbidden, InvalidField, NotFound, SaksiError
from ledger.services.append import Appender, Receipt, Submission
from ledger.storage.sql import WriteTx


def _erasure_request(submission: Submission) -> tuple[list[int], str]:
    event = submission.signed.event
    if not event.event_type.startswith("erasure."):
        raise InvalidField("eventType", "an erasure is an erasure.* event (e.g. erasure.personal_data)")
    if submission.payload_json is None:
        raise InvalidField("payload", 'an erasure carries {"erases": [leafIndex, …], "legalBasis": "…"}')
    body = orjson.loads(submission.payload_json)
    erases, basis = body.get("erases"), body.get("legalBasis")
    if (
        not isinstance(erases, list)
        or not erases
        or len(erases) > 1000
        or not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in erases)
    ):
        raise InvalidField("payload.erases", "must be a non-empty list of leaf indexes")
    if not isinstance(basis, str) or not 1 <= len(basis) <= 200:
        raise InvalidField("payload.legalBasis", "must name the legal basis (1-200 characters)")
    if set(body) - {"erases", "legalBasis"}:
        raise InvalidField("payload", "only erases and legalBasis are allowed")
    return sorted(set(erases)), basis


def erase(appender: Appender, item: Any) -> dict[str, Any]:
    """Append the signed erasure event and shred the payloads it names, atomically."""
    (parsed,) = appender.parse([item], erasure=True)
    if isinstance(parsed, SaksiError):
        raise parsed
    leaves, basis = _erasure_request(parsed)
    event = parsed.signed.event

    def shred(tx: WriteTx, outcomes: list) -> None:
        (receipt,) = outcomes
        if not isinstance(receipt, Receipt) or not receipt.created:
            return
        found = tx.erasures.targets(leaves)
        for index in leaves:
            row = found.get(index)
            if row is None:
                raise NotFound(f"no event at leaf {index}")
            if row.case_commitment != event.case_commitment:
                raise Forbidden(f"leaf {index} belongs to another case")
            if row.agency != event.agency:
                raise Forbidden(f"leaf {index} was recorded by {row.agency}; only it may erase its payload")
            if not row.has_payload:
                raise InvalidField("payload.erases", f"leaf {index} has no stored payload to erase")
        for index in leaves:
            tx.erase_payload(index, receipt.leaf_index, basis)

    (outcome,) = appender.append([parsed], after=shred)
    if isinstance(outcome, SaksiError):
        raise outcome
    return {"receipt": outcome.to_json(), "erased": leaves if outcome.created else [], "legalBasis": basis}
