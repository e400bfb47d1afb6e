// Incremental verification of a case the page has verified with checkCase, as its live stream brings
// news (FORMATS 11.5.1). Nothing verified before is fetched or checked again:
//
// - addStep: a new step alone: its commitment, its signature against the registry, its link to the
//   case's head (caseSeq + 1, prevEventHash = the head's hashStruct) and its leaf hash. It waits for a
//   checkpoint (inclusion pending).
// - addCheckpoint: a newer checkpoint: its origin, its note (the log's signature and the witness
//   quorum), its consistency with the checkpoint verified before (so every step that one covered stays
//   covered), the inclusion of each waiting step it covers, and the chain's root when one was read.
//
// Each returns a new result in checkCase's shape ({events, checks, verdict, checkpoint, domain}); the
// result given is not changed, so a page that loses its connection mid-way keeps showing exactly what
// it had verified.

import { ZERO32, bytesEqual, parseAddress, toHex } from './bytes.js';
import { anchorCheck, parseEntry, ref, signatureStatus, verdictOf, witnessCheck } from './case.js';
import { parseCheckpointJson } from './checkpoint.js';
import { verifyConsistency, verifyInclusion } from './merkle.js';
import { checkpointProblem } from './verify.js';

/**
 * Add one `step` (a timeline entry) to a verified result. context: {commitment: Uint8Array, agencies}.
 * A step the result already holds (caseSeq not above its head) returns the result unchanged.
 */
export function addStep(result, raw, { commitment, agencies = [] }) {
  const registry = new Map(agencies.map((a) => [a.code, a]));
  const e = parseEntry(result.domain, raw);
  const last = result.events[result.events.length - 1] ?? null;
  if (last && e.event.caseSeq <= last.event.caseSeq) return result;
  const checks = { ...result.checks };

  const mine = bytesEqual(e.event.caseCommitment, commitment);
  if (!mine) checks.commitment = { status: 'fail', events: [...(checks.commitment.events ?? []), ref(e)] };
  else if (checks.commitment.status === 'ok') checks.commitment = { ...checks.commitment, count: checks.commitment.count + 1 };

  const outcome = signatureStatus(e, registry);
  const failures = outcome.failure ? [...checks.signature.failures, outcome.failure] : checks.signature.failures;
  const warnings = outcome.warning ? [...checks.signature.warnings, outcome.warning] : checks.signature.warnings;
  checks.signature = { status: failures.length ? 'fail' : warnings.length ? 'warn' : 'ok', failures, warnings, count: checks.signature.count + 1 };

  const expected = (last?.event.caseSeq ?? 0) + 1;
  let problem = null;
  if (e.event.caseSeq !== expected) {
    problem = { kind: 'missing', caseSeq: expected, eventId: e.event.eventId, message: `caseSeq ${expected} is missing` };
  } else if (!bytesEqual(e.event.prevEventHash, last ? last.structHash : ZERO32)) {
    problem = { kind: 'link', caseSeq: expected, eventId: e.event.eventId, message: `event ${e.event.eventId} (caseSeq ${expected}) does not link to its predecessor` };
  }
  e.chainStatus = problem ? 'fail' : 'ok';
  if (problem) checks.chain = { status: 'fail', problem };
  else if (checks.chain.status === 'ok') checks.chain = { status: 'ok', count: checks.chain.count + 1 };

  e.leafStatus = e.leafOk ? 'ok' : 'fail';
  if (!e.leafOk) checks.leaf = { status: 'fail', failures: [...(checks.leaf.failures ?? []), ref(e)] };
  else if (checks.leaf.status === 'ok') checks.leaf = { status: 'ok', count: checks.leaf.count + 1 };

  e.inclusionStatus = 'pending';
  const events = [...result.events, e];
  checks.inclusion = inclusionSummary(events, checks.inclusion.failures, result.checkpoint);
  return { ...result, events, checks, verdict: verdictOf(checks) };
}

/**
 * Move a verified result to a newer checkpoint. context:
 *   info         GET /v1/info (domain; logVkey and witnessPolicy for step 2)
 *   consistency  [Uint8Array]: GET /v1/proofs/consistency from result.checkpoint's size (null without one)
 *   proofs       Map leafIndex → [Uint8Array]: GET /v1/proofs/inclusion of each waiting step it covers
 *   chain        null, or {root} / {error} from chainRootAt for the new size
 * A checkpoint not newer than the result's returns the result unchanged.
 */
export function addCheckpoint(result, checkpointJson, { info, consistency = null, proofs = new Map(), chain = null }) {
  const checkpoint = parseCheckpointJson({
    treeSize: checkpointJson.treeSize,
    rootHash: checkpointJson.rootHash,
    checkpoint: checkpointJson.checkpoint,
  });
  const previous = result.checkpoint;
  if (previous && checkpoint.treeSize <= previous.treeSize) return result;
  const checks = { ...result.checks };
  const anchorJson = checkpointJson.anchor ?? null;
  const anchorNames = anchorJson ? { chainId: BigInt(anchorJson.chainId), contract: parseAddress('anchor.contract', anchorJson.contract) } : null;
  let reason = checkpointProblem(result.domain, checkpoint, anchorNames)?.reason ?? null;
  if (!reason && previous) {
    try {
      verifyConsistency(previous.treeSize, checkpoint.treeSize, previous.rootHash, checkpoint.rootHash, consistency ?? []);
    } catch {
      reason = 'inconsistent';
    }
  }
  checks.checkpoint = {
    status: reason ? 'fail' : 'ok',
    reason,
    origin: checkpoint.origin,
    treeSize: String(checkpoint.treeSize),
    rootHash: toHex(checkpoint.rootHash),
    previousTreeSize: previous ? String(previous.treeSize) : null,
  };
  checks.witnesses = witnessCheck(info, checkpoint, null, { checkpoint: checkpointJson }, null);

  const failures = [...(checks.inclusion.failures ?? [])];
  const events = result.events.map((old) => {
    if (old.inclusionStatus !== 'pending' || old.leafIndex >= checkpoint.treeSize) return old;
    const e = { ...old };
    const proof = proofs.get(e.leafIndex);
    if (!proof) {
      e.inclusionStatus = 'fail';
      failures.push({ ...ref(e), reason: 'no-proof' });
      return e;
    }
    try {
      verifyInclusion(e.leafIndex, checkpoint.treeSize, e.statedLeafHash, proof, checkpoint.rootHash);
      e.inclusionStatus = 'ok';
    } catch {
      e.inclusionStatus = 'fail';
      failures.push({ ...ref(e), reason: 'proof' });
    }
    return e;
  });
  checks.inclusion = inclusionSummary(events, failures, checkpoint);
  checks.anchor = anchorCheck(checkpoint, anchorJson, chain);
  return { ...result, events, checks, verdict: verdictOf(checks), checkpoint };
}

/** The leaf indexes of the steps waiting for a checkpoint of size `treeSize` (whose proofs to fetch). */
export function waitingLeaves(result, treeSize) {
  return result.events.filter((e) => e.inclusionStatus === 'pending' && e.leafIndex < BigInt(treeSize)).map((e) => e.leafIndex);
}

function inclusionSummary(events, failures, checkpoint) {
  const covered = events.filter((e) => e.inclusionStatus === 'ok').length;
  const pending = events.filter((e) => e.inclusionStatus === 'pending').length;
  return {
    status: failures.length ? 'fail' : covered === 0 ? 'pending' : pending ? 'warn' : 'ok',
    failures,
    covered,
    pending,
    treeSize: checkpoint ? String(checkpoint.treeSize) : null,
  };
}
