"""Requests an agency signs to read what only it may read (its complaints inbox, its events).

The agency's active signer signs, EIP-191 personal_sign, `saksi-<scope>:v1:<agency>:<timestamp>`
and sends the timestamp and signature in headers (`X-Saksi-Timestamp`, `X-Saksi-Signature`).
The scope keeps a signature for one route from opening another; the timestamp keeps it from
being replayed after REQUEST_MAX_AGE_S.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from coincurve import PublicKey

from ledger.core.encoding import hex0x, keccak256, parse_hex
from ledger.core.signatures import address_of, normalize_signature, sign_digest
from ledger.errors import AuthenticationFailed, Forbidden

if TYPE_CHECKING:  # the client signs requests without loading the storage layer
    from ledger.storage.sql import SqlStore

REQUEST_MAX_AGE_S = 300
SCOPES = ("inbox", "events")


def request_message(scope: str, agency: str, timestamp: int) -> bytes:
    """What an agency signs to read one of its own resources."""
    if scope not in SCOPES:
        raise ValueError(f"unknown request scope {scope!r}")
    return f"saksi-{scope}:v1:{agency}:{timestamp}".encode()


def _personal_digest(message: bytes) -> bytes:
    return keccak256(b"\x19Ethereum Signed Message:\n" + str(len(message)).encode() + message)


def sign_agency_request(scope: str, agency: str, timestamp: int, private_key: bytes) -> str:
    return hex0x(sign_digest(_personal_digest(request_message(scope, agency, timestamp)), private_key))


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
            _personal_digest(request_message(scope, agency, timestamp)),
            hasher=None,
        )
    except ValueError:
        raise AuthenticationFailed(f"{scope} request signature does not recover") from None
    signer = address_of(public_key)
    with store.read() as reader:
        current = reader.active_signers([agency]).get(agency)
    if current is None or current.status != "active" or current.signer != signer:
        raise Forbidden(f"{hex0x(signer)} is not the active signer of agency {agency}")
