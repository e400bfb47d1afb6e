"""One error tree for all of Saksi, split by what the caller should do.

- :class:`InvalidInput`: fix the request (HTTP 413/415/422, exit 2).
- :class:`NotFound`: ask for something that exists (404, exit 3).
- :class:`Conflict`: reconcile with the current state it carries (409, exit 4).
- :class:`AuthenticationFailed` / :class:`Forbidden`: the signature or signer is wrong (401/403, exit 5).
- :class:`VerificationFailed`: the evidence does not hold; it carries what was expected and found (exit 1).
- :class:`RetryLater`: a dependency is down; the same call may succeed later (503, exit 75).

The HTTP mapping lives in ``api/problems.py``; exit codes in ``ledger/cli.py`` use ``exit_code``.
"""

from __future__ import annotations

from typing import Any


class SaksiError(Exception):
    """Base of every error Saksi raises on purpose."""

    kind = "error"
    exit_code = 1

    def __init__(self, message: str, **evidence: Any) -> None:
        super().__init__(message)
        self.message = message
        self.evidence = evidence

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "message": self.message}
        for key, value in self.evidence.items():
            out[key] = "0x" + value.hex() if isinstance(value, (bytes, bytearray)) else value
        return out


# --- the caller must fix its input ------------------------------------------------------


class InvalidInput(SaksiError):
    kind = "invalid-input"
    exit_code = 2


class InvalidField(InvalidInput):
    """A field breaks a rule of docs/FORMATS.md; names the field and the rule."""

    kind = "invalid-field"

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}", field=field, rule=rule)
        self.field = field
        self.rule = rule


class TooLarge(InvalidInput):
    kind = "too-large"


class UnsupportedMediaType(InvalidInput):
    """A request body that is not JSON by its Content-Type (HTTP 415): refused before it is read."""

    kind = "unsupported-media-type"


# --- the thing asked for does not exist --------------------------------------------------


class NotFound(SaksiError):
    kind = "not-found"
    exit_code = 3


# --- the request conflicts with the ledger's state ---------------------------------------


class Conflict(SaksiError):
    kind = "conflict"
    exit_code = 4


class DuplicateEvent(Conflict):
    """The same agency + eventId was already accepted with different content."""

    kind = "duplicate-event"


class StaleCaseHead(Conflict):
    """caseSeq/prevEventHash do not extend the case's current head; carries the head."""

    kind = "stale-case-head"


# --- the signature or the signer is not acceptable ---------------------------------------


class AuthenticationFailed(SaksiError):
    kind = "bad-signature"
    exit_code = 5


class Forbidden(SaksiError):
    """The signer is unknown, revoked, or not the agency's signer."""

    kind = "forbidden-signer"
    exit_code = 5


# --- evidence does not verify ------------------------------------------------------------


class VerificationFailed(SaksiError):
    kind = "verification-failed"
    exit_code = 1


class InclusionProofInvalid(VerificationFailed):
    kind = "inclusion-proof-invalid"


class ConsistencyProofInvalid(VerificationFailed):
    kind = "consistency-proof-invalid"


class RootMismatch(VerificationFailed):
    kind = "root-mismatch"


class SignatureMismatch(VerificationFailed):
    kind = "signature-mismatch"


# --- a dependency is unavailable: try again later ----------------------------------------


class RetryLater(SaksiError):
    kind = "retry-later"
    exit_code = 75


class StorageUnavailable(RetryLater):
    kind = "storage-unavailable"


class ChainUnavailable(RetryLater):
    kind = "chain-unavailable"
