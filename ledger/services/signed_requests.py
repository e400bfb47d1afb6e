"""Requests an agency signs to read what only it may read (its complaints inbox, its events): the
server's check. What is signed, and the signing, are pure and live in :mod:`ledger.core.requests`.

The agency's active signer signs, EIP-191 personal_sign, `saksi-<scope>:v1:<agency>:<timestamp>`
and sends the timestamp and signature in headers (`X-Saksi-Timestamp`, `X-Saksi-Signature`).
The scope keeps a signature for one route from opening another; the timestamp keeps it from
being replayed after REQUEST_MAX_AGE_S.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from coincurve import PublicKey

from ledger.core.encoding import hex0x, parse_hex
from ledger.core.requests import (  # noqa: F401 - the server's callers and tests import these from here
    REQUEST_MAX_AGE_S,
    SCOPES,
    personal_digest,
    request_message,
    sign_agency_request,
)
from ledger.core.signatures import address_of, normalize_signature
from ledger.errors import AuthenticationFailed, Forbidden

if TYPE_CHECKING:  # the client signs requests without loading the storage layer
    from ledger.storage.sql import SqlStore


def check_agency_request(
    store: SqlStore, scope: str, agency: str, timestamp: int, signature_hex: str, now_ms: int
) -> None:
    """The request must be signed by the agency's active signer within REQUEST_MAX_AGE_S."""
    if abs(now_ms // 1000 - timestamp) > REQUEST_MAX_AGE_S:
        raise AuthenticationFailed(f"{scope} request timestamp is too old or in the future")
    signature = normalize_signature(parse_hex("signature", signature_hex, 65))
    try:
        public_key = PublicKey.from_signature_and_message(
            signature[:64] + bytes([signature[64] - 27]),
            personal_digest(request_message(scope, agency, timestamp)),
            hasher=None,
        )
    except ValueError:
        raise AuthenticationFailed(f"{scope} request signature does not recover") from None
    signer = address_of(public_key)
    with store.read() as reader:
        current = reader.active_signers([agency]).get(agency)
    if current is None or current.status != "active" or current.signer != signer:
        raise Forbidden(f"{hex0x(signer)} is not the active signer of agency {agency}")
