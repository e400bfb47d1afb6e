"""Step 2 of verifying a proof bundle (FORMATS 10.3): the checkpoint as a signed note, its log signature
and its witnesses' cosignatures against a C2SP tlog-policy.

Three outcomes. **pass**: the log signed the checkpoint and the policy's quorum cosigned it (who, and
when). **warn**: nothing that could be checked is wrong, but no independent witness vouches for the
checkpoint yet (no note: a bundle made before witnessing; no policy or log key given; the quorum not met
yet). **fail** (VerificationFailed): the note's text is not the checkpoint, the log key is not the one
trusted for the origin, the log's signature or a known witness's cosignature does not verify.

The trust inputs are the caller's: a policy (the verifier's own file, or one read from the server, which
is only as trustworthy as the server) and/or the log's vkey.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.core.checkpoint import Checkpoint
from ledger.core.note import SIG_ED25519, Note, Vkey, verify_note
from ledger.core.policy import Policy, check_checkpoint
from ledger.errors import VerificationFailed

PASS = "pass"
WARN = "warn"

#: Why the step warns (WitnessReport.reason).
NO_NOTE = "no-note"
NO_POLICY = "no-policy"
QUORUM_NOT_MET = "quorum-not-met"
NO_WITNESS_REQUIRED = "no-witness-required"


@dataclass(frozen=True, slots=True)
class Cosigned:
    """A witness of the policy whose cosignature verified: its policy name, display name, and time (unix s)."""

    witness: str
    display_name: str
    timestamp: int


@dataclass(frozen=True, slots=True)
class WitnessReport:
    status: str  # PASS | WARN
    reason: str | None  # None when passed
    log_key: str | None  # the vkey whose signature verified, None when nothing was verified
    cosigned: tuple[Cosigned, ...] = ()
    policy_witnesses: int = 0  # how many witnesses the policy names
    required: int = 0  # the fewest cosignatures that meet its quorum

    def summary(self) -> str:
        """One line in plain English (the citizen page says the same in its two languages)."""
        if self.reason == NO_NOTE:
            return "no independent witness has checked this yet: the bundle carries no signed checkpoint"
        if self.reason == NO_POLICY:
            signed = "the log's signature verified, but " if self.log_key else ""
            return f"{signed}no witness policy was given, so no independent witness was checked"
        names = ", ".join(c.display_name for c in self.cosigned)
        count = (
            f"{len(self.cosigned)} of the {self.policy_witnesses} witnesses the policy names; {self.required} required"
        )
        if self.reason == QUORUM_NOT_MET:
            if not self.cosigned:
                return f"no independent witness has cosigned this checkpoint yet (0 of {self.policy_witnesses}; {self.required} required)"
            return f"not yet witnessed by enough: only {names} ({count})"
        if self.reason == NO_WITNESS_REQUIRED:
            return "signed by the log; the policy requires no witness (quorum none)"
        return f"witnessed by {names} ({count})"


def quorum_size(policy: Policy) -> int:
    """The fewest witnesses whose cosignatures meet the policy's quorum (0 for `quorum none`)."""
    groups = {group.name: group for group in policy.groups}

    def size(name: str) -> int:
        if name == "none":
            return 0
        group = groups.get(name)
        if group is None:
            return 1
        return sum(sorted(size(member) for member in group.members)[: group.threshold])

    return size(policy.quorum)


def check_witnesses(
    checkpoint: Checkpoint, note: Note | None, *, policy: Policy | None = None, log_vkey: Vkey | None = None
) -> WitnessReport:
    """The outcome of step 2 for one checkpoint; raises VerificationFailed (without the step's name) on a fail."""
    if note is None:
        return WitnessReport(WARN, NO_NOTE, None)
    if note.text != checkpoint.to_text():
        raise VerificationFailed("the signed note's text is not the checkpoint's text")
    origin = checkpoint.origin
    if log_vkey is not None and (log_vkey.name != origin or log_vkey.sig_type != SIG_ED25519):
        raise VerificationFailed(f"the log key {log_vkey} is not an Ed25519 key named after the origin {origin}")
    policy_log = policy.log_for(origin) if policy is not None else None
    if policy is not None and policy_log is None:
        raise VerificationFailed(f"the policy names no log key for the origin {origin}")
    if policy_log is not None and log_vkey is not None and policy_log != log_vkey:
        raise VerificationFailed(f"the log key {log_vkey} is not the policy's key {policy_log} for {origin}")
    if policy is None:
        if log_vkey is None:
            return WitnessReport(WARN, NO_POLICY, None)
        _log_signature(note, log_vkey)
        return WitnessReport(WARN, NO_POLICY, str(log_vkey))
    assert policy_log is not None
    _log_signature(note, policy_log)
    try:
        checked = check_checkpoint(policy, note)
    except VerificationFailed as exc:
        witness = next((w for w in policy.witnesses if str(w.vkey) == exc.evidence.get("vkey")), None)
        if witness is None:
            raise
        raise VerificationFailed(
            f"the cosignature of {witness.display_name}: {exc.message}", witness=witness.name, **exc.evidence
        ) from None
    names = {witness.name: witness.display_name for witness in policy.witnesses}
    cosigned = tuple(Cosigned(name, names.get(name, name), timestamp) for name, timestamp in checked.cosigned_by)
    required = quorum_size(policy)
    if not checked.quorum_met:
        reason: str | None = QUORUM_NOT_MET
    elif required == 0 and not cosigned:
        reason = NO_WITNESS_REQUIRED
    else:
        reason = None
    return WitnessReport(
        PASS if reason is None else WARN, reason, str(policy_log), cosigned, len(policy.witnesses), required
    )


def _log_signature(note: Note, log: Vkey) -> None:
    try:
        verify_note(note, [log])
    except VerificationFailed as exc:
        raise VerificationFailed(f"the log's signature: {exc.message}", **exc.evidence) from None
