// Offline verification of a proof bundle in the eight numbered steps of FORMATS §10.3, as
// ledger/core/verify.py does (tests/web/test_js_vectors.py holds the two STEPS lists equal).
//
// Each step that looks at one event or one checkpoint is a function of its own, exported so that the
// citizen page's checks (case.js) apply the very same step rather than a copy: verifyBundle stops at
// the first failure; checkCase records every outcome.

import { ZERO32, bytesEqual, toHex } from './bytes.js';
import { defaultOrigin } from './checkpoint.js';
import { InclusionProofInvalid, InvalidField, RootMismatch, SaksiError, SignatureMismatch, VerificationFailed } from './errors.js';
import { eip712Digest, hashStruct, leafBytes } from './events.js';
import { leafHash, verifyInclusion } from './merkle.js';
import { normalizeSignature, recoverSigner } from './signatures.js';
import { PASS, checkWitnesses, witnessSummary } from './witnessing.js';

export const STEPS = [
  "1. checkpoint origin names the EIP-712 domain's chain and contract",
  "2. the log signed the checkpoint and the policy's quorum of witnesses cosigned it",
  '3. every signature is canonical and recovers to the stated signer',
  '4. every leaf hash is recomputed from the digest, signature and receivedAt',
  "5. every inclusion proof leads to the checkpoint's root",
  "6. the case's events form one hash chain (caseSeq 1, 2, 3 … linked by prevEventHash)",
  "7. the checkpoint's root equals the root anchored on chain",
  "8. every signer was the agency's registered signer when its event was received",
];

/**
 * Step 1 for a checkpoint (and the anchor that names its chain, if any): null when the origin names
 * the domain's chain and contract, else {reason: 'origin' | 'anchor-domain', message}.
 */
export function checkpointProblem(domain, checkpoint, anchor = null) {
  const expectedOrigin = defaultOrigin(domain.chainId, domain.verifyingContract);
  if (checkpoint.origin !== expectedOrigin) {
    return { reason: 'origin', message: `origin is ${JSON.stringify(checkpoint.origin)}, expected ${JSON.stringify(expectedOrigin)}` };
  }
  if (anchor && (anchor.chainId !== domain.chainId || !bytesEqual(anchor.contract, domain.verifyingContract))) {
    return { reason: 'anchor-domain', message: 'the anchor names another chain or contract than the domain' };
  }
  return null;
}

/**
 * Step 2 for one event: its struct hash and EIP-712 digest, and whom its signature recovers to.
 * `problem` is null, 'not-canonical' (recovered from the canonical form all the same), 'malformed'
 * (no valid r, s, v) or 'unrecoverable'; `error` is what was thrown for the last two.
 */
export function signatureOutcome(domain, event, signature) {
  const structHash = hashStruct(event);
  const digest = eip712Digest(domain, structHash);
  try {
    const canonical = normalizeSignature(signature);
    const recovered = recoverSigner(digest, canonical);
    return { structHash, digest, recovered, problem: bytesEqual(canonical, signature) ? null : 'not-canonical', error: null };
  } catch (err) {
    return { structHash, digest, recovered: null, problem: err instanceof InvalidField ? 'malformed' : 'unrecoverable', error: err };
  }
}

/** Step 3 for one event: the leaf hash recomputed from its digest, signature and receivedAt. */
export const recomputedLeafHash = (digest, signature, receivedAt) => leafHash(leafBytes(digest, signature, receivedAt));

/** Step 6: whether the root read from the chain is the checkpoint's. */
export const rootIsAnchored = (anchored, checkpoint) => bytesEqual(anchored, checkpoint.rootHash);

/**
 * The eight steps of FORMATS §10.3, stopping at the first failure (thrown, naming the step).
 * Trust inputs: `policy` (parsePolicy) and/or `logVkey` (parseVkey) for the checkpoint's signatures;
 * `rootAt(treeSize) → Uint8Array` (may be async) reads the chain;
 * `signerAuthorised(agency, signer, receivedAt) → boolean` asks the agency registry.
 */
export async function verifyBundle(bundle, { rootAt = null, signerAuthorised = null, policy = null, logVkey = null } = {}) {
  const report = { treeSize: bundle.checkpoint.treeSize, events: bundle.events.length, checked: [], skipped: [], witnesses: null };
  const { domain, checkpoint } = bundle;
  const originProblem = checkpointProblem(domain, checkpoint, bundle.anchor);
  if (originProblem) throw new VerificationFailed(`${STEPS[0]}: ${originProblem.message}`);
  report.checked.push(STEPS[0]);

  try {
    report.witnesses = checkWitnesses(checkpoint, bundle.note, { policy, logVkey });
  } catch (err) {
    if (!(err instanceof VerificationFailed)) throw err;
    throw new VerificationFailed(`${STEPS[1]}: ${err.message}`, { reason: err.reason, witness: err.witness });
  }
  if (report.witnesses.status === PASS) report.checked.push(STEPS[1]);
  else report.skipped.push(`${STEPS[1]} (${witnessSummary(report.witnesses)})`);

  for (const item of bundle.events) {
    const where = `event ${item.event.agency}/${item.event.eventId}`;
    const { digest, recovered: signer, problem, error } = signatureOutcome(domain, item.event, item.signature);
    if (error) {
      if (!(error instanceof SaksiError)) throw error;
      throw new SignatureMismatch(`${STEPS[2]}: ${where}: ${error.message}`);
    }
    if (problem === 'not-canonical' || !bytesEqual(signer, item.signer)) {
      throw new SignatureMismatch(`${STEPS[2]}: ${where} was signed by ${toHex(signer)}, not the stated ${toHex(item.signer)}`, {
        expected: item.signer,
        calculated: signer,
      });
    }
    const calculated = recomputedLeafHash(digest, item.signature, item.receivedAt);
    if (!bytesEqual(calculated, item.leafHash)) {
      throw new RootMismatch(`${STEPS[3]}: ${where}: leaf hash differs`, { expected: item.leafHash, calculated });
    }
    try {
      verifyInclusion(item.leafIndex, checkpoint.treeSize, item.leafHash, item.inclusionProof, checkpoint.rootHash);
    } catch (err) {
      if (!(err instanceof SaksiError)) throw err;
      throw new InclusionProofInvalid(`${STEPS[4]}: ${where} (leaf ${item.leafIndex}): ${err.message}`);
    }
    if (bundle.caseCommitment && !bytesEqual(item.event.caseCommitment, bundle.caseCommitment)) {
      throw new VerificationFailed(`${STEPS[5]}: ${where} belongs to another case`);
    }
  }
  report.checked.push(STEPS[2], STEPS[3], STEPS[4]);

  if (bundle.caseCommitment) {
    const problem = caseChainProblem(bundle.events.map((e) => e.event));
    if (problem) throw new VerificationFailed(`${STEPS[5]}: ${problem.message}`, { problem });
    report.checked.push(STEPS[5]);
  } else {
    report.skipped.push(`${STEPS[5]} (not a case bundle)`);
  }

  if (rootAt) {
    const anchored = await rootAt(checkpoint.treeSize);
    if (!rootIsAnchored(anchored, checkpoint)) {
      throw new RootMismatch(`${STEPS[6]}: chain has another root for tree size ${checkpoint.treeSize}`, {
        expected: anchored,
        calculated: checkpoint.rootHash,
      });
    }
    report.checked.push(STEPS[6]);
  } else {
    report.skipped.push(`${STEPS[6]} (no chain given)`);
  }

  if (signerAuthorised) {
    for (const item of bundle.events) {
      if (!(await signerAuthorised(item.event.agency, item.signer, item.receivedAt))) {
        throw new SignatureMismatch(
          `${STEPS[7]}: ${toHex(item.signer)} was not agency ${item.event.agency}'s signer when event ${item.event.eventId} was received`,
        );
      }
    }
    report.checked.push(STEPS[7]);
  } else {
    report.skipped.push(`${STEPS[7]} (no registry given)`);
  }
  return report;
}

/**
 * FORMATS §7.4 / §10.3 step 5: sorted by caseSeq, the events must be exactly 1..N, each linked to
 * the previous by prevEventHash. Returns null, or the first problem {kind, caseSeq, eventId, message}.
 */
export function caseChainProblem(events) {
  const sorted = [...events].sort((a, b) => a.caseSeq - b.caseSeq);
  let previous = ZERO32;
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i];
    const expected = i + 1;
    if (e.caseSeq !== expected) {
      return { kind: 'missing', caseSeq: expected, eventId: e.eventId, message: `caseSeq ${expected} is missing` };
    }
    if (!bytesEqual(e.prevEventHash, previous)) {
      return {
        kind: 'link',
        caseSeq: expected,
        eventId: e.eventId,
        message: `event ${e.eventId} (caseSeq ${expected}) does not link to its predecessor`,
      };
    }
    previous = hashStruct(e);
  }
  return null;
}
