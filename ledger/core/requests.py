"""What an agency signs to read what only it may read (its complaints inbox, its events): pure, so the
agency's client signs it without the server's code and the server checks it
(:mod:`ledger.services.signed_requests`).

The agency's active signer signs, EIP-191 personal_sign, `saksi-<scope>:v1:<agency>:<timestamp>`
and sends the timestamp and signature in headers (`X-Saksi-Timestamp`, `X-Saksi-Signature`).
The scope keeps a signature for one route from opening another; the timestamp keeps it from
being replayed after REQUEST_MAX_AGE_S.
"""

from __future__ import annotations

from ledger.core.encoding import hex0x, keccak256
from ledger.core.signatures import sign_digest

REQUEST_MAX_AGE_S = 300
SCOPES = ("inbox", "events")


def request_message(scope: str, agency: str, timestamp: int) -> bytes:
    """What an agency signs to read one of its own resources."""
    if scope not in SCOPES:
        raise ValueError(f"unknown request scope {scope!r}")
    return f"saksi-{scope}:v1:{agency}:{timestamp}".encode()


def personal_digest(message: bytes) -> bytes:
    """EIP-191 personal_sign's digest of ``message``."""
    return keccak256(b"\x19Ethereum Signed Message:\n" + str(len(message)).encode() + message)


def sign_agency_request(scope: str, agency: str, timestamp: int, private_key: bytes) -> str:
    return hex0x(sign_digest(personal_digest(request_message(scope, agency, timestamp)), private_key))
