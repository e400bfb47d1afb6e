"""Offline verification of a proof bundle, in numbered steps.

The verifier builds no network client: the caller passes its trust inputs
(``policy`` and/or ``log_vkey`` for the checkpoint's signatures, ``root_at``
reads the anchored root from the chain, ``signer_authorised`` asks the agency
registry whether a signer was the agency's when the event was received).
Without them, the bundle is checked for internal consistency only, and the
report says so. Step 2 (ledger/core/witnessing.py) also warns, without
failing, when no independent witness vouches for the checkpoint yet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ledger.core import merkle
from ledger.core.bundle import ProofBundle
from ledger.core.checkpoint import default_origin
from ledger.core.encoding import ZERO32, hex0x
from ledger.core.events import eip712_digest, leaf_bytes
from ledger.core.note import Vkey
from ledger.core.policy import Policy
from ledger.core.signatures import normalize_signature, recover_signer
from ledger.core.witnessing import PASS, WitnessReport, check_witnesses
from ledger.errors import InclusionProofInvalid, RootMismatch, SaksiError, SignatureMismatch, VerificationFailed

STEPS = (
    "1. checkpoint origin names the EIP-712 domain's chain and contract",
    "2. the log signed the checkpoint and the policy's quorum of witnesses cosigned it",
    "3. every signature is canonical and recovers to the stated signer",
    "4. every leaf hash is recomputed from the digest, signature and receivedAt",
    "5. every inclusion proof leads to the checkpoint's root",
    "6. the case's events form one hash chain (caseSeq 1, 2, 3 … linked by prevEventHash)",
    "7. the checkpoint's root equals the root anchored on chain",
    "8. every signer was the agency's registered signer when its event was received",
)


@dataclass
class VerificationReport:
    tree_size: int
    events: int
    checked: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    witnesses: WitnessReport | None = None


def verify_bundle(
    bundle: ProofBundle,
    *,
    root_at: Callable[[int], bytes] | None = None,
    signer_authorised: Callable[[str, bytes, int], bool] | None = None,
    policy: Policy | None = None,
    log_vkey: Vkey | None = None,
) -> VerificationReport:
    """Raise a VerificationFailed subclass naming the failed step; else report what was checked."""
    report = VerificationReport(bundle.checkpoint.tree_size, len(bundle.events))
    domain, checkpoint = bundle.domain, bundle.checkpoint

    expected_origin = default_origin(domain.chain_id, domain.verifying_contract)
    if checkpoint.origin != expected_origin:
        raise VerificationFailed(f"{STEPS[0]}: origin is {checkpoint.origin!r}, expected {expected_origin!r}")
    if bundle.anchor is not None and (
        bundle.anchor.chain_id != domain.chain_id or bundle.anchor.contract != domain.verifying_contract
    ):
        raise VerificationFailed(f"{STEPS[0]}: the anchor names another chain or contract than the domain")
    report.checked.append(STEPS[0])

    try:
        witnesses = check_witnesses(checkpoint, bundle.note, policy=policy, log_vkey=log_vkey)
    except VerificationFailed as exc:
        raise VerificationFailed(f"{STEPS[1]}: {exc.message}", **exc.evidence) from None
    report.witnesses = witnesses
    if witnesses.status == PASS:
        report.checked.append(STEPS[1])
    else:
        report.skipped.append(f"{STEPS[1]} ({witnesses.summary()})")

    for item in bundle.events:
        where = f"event {item.event.agency}/{item.event.event_id}"
        struct_hash = item.event.hash_struct()
        digest = eip712_digest(domain, struct_hash)
        try:
            signature = normalize_signature(item.signature)
            signer = recover_signer(digest, signature)
        except SaksiError as exc:
            raise SignatureMismatch(f"{STEPS[2]}: {where}: {exc.message}") from None
        if signature != item.signature or signer != item.signer:
            raise SignatureMismatch(
                f"{STEPS[2]}: {where} was signed by {hex0x(signer)}, not the stated {hex0x(item.signer)}",
                expected=item.signer,
                calculated=signer,
            )
        calculated = merkle.leaf_hash(leaf_bytes(digest, signature, item.received_at))
        if calculated != item.leaf_hash:
            raise RootMismatch(
                f"{STEPS[3]}: {where}: leaf hash differs", expected=item.leaf_hash, calculated=calculated
            )
        try:
            merkle.verify_inclusion(
                item.leaf_index, checkpoint.tree_size, item.leaf_hash, item.inclusion_proof, checkpoint.root_hash
            )
        except (InclusionProofInvalid, SaksiError) as exc:
            raise InclusionProofInvalid(f"{STEPS[4]}: {where} (leaf {item.leaf_index}): {exc.message}") from None
        if bundle.case_commitment is not None and item.event.case_commitment != bundle.case_commitment:
            raise VerificationFailed(f"{STEPS[5]}: {where} belongs to another case")
    report.checked += [STEPS[2], STEPS[3], STEPS[4]]

    if bundle.case_commitment is not None:
        previous = ZERO32
        for expected_seq, item in enumerate(sorted(bundle.events, key=lambda e: e.event.case_seq), start=1):
            if item.event.case_seq != expected_seq:
                raise VerificationFailed(f"{STEPS[5]}: caseSeq {expected_seq} is missing")
            if item.event.prev_event_hash != previous:
                raise VerificationFailed(
                    f"{STEPS[5]}: event {item.event.event_id} (caseSeq {expected_seq}) does not link to its predecessor"
                )
            previous = item.event.hash_struct()
        report.checked.append(STEPS[5])
    else:
        report.skipped.append(STEPS[5] + " (not a case bundle)")

    if root_at is not None:
        anchored = root_at(checkpoint.tree_size)
        if anchored != checkpoint.root_hash:
            raise RootMismatch(
                f"{STEPS[6]}: chain has another root for tree size {checkpoint.tree_size}",
                expected=anchored,
                calculated=checkpoint.root_hash,
            )
        report.checked.append(STEPS[6])
    else:
        report.skipped.append(STEPS[6] + " (no chain given)")

    if signer_authorised is not None:
        for item in bundle.events:
            if not signer_authorised(item.event.agency, item.signer, item.received_at):
                raise SignatureMismatch(
                    f"{STEPS[7]}: {hex0x(item.signer)} was not agency {item.event.agency}'s signer "
                    f"when event {item.event.event_id} was received"
                )
        report.checked.append(STEPS[7])
    else:
        report.skipped.append(STEPS[7] + " (no registry given)")
    return report
