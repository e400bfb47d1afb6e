// The citizen page's checks of one case timeline: every check runs, none stops the others, each
// reports ok | fail | warn | pending | skip. The steps are verifyBundle's (verify.js), applied to what
// the page fetched: CASE_CHECK_STEPS names the step(s) of STEPS behind each check, and
// web/test/citizen-checks.test.mjs holds that every step is covered.

import { parseBundle, parseCheckpointNote } from './bundle.js';
import { MAX_TREE_SIZE, UINT64_MAX, bytesEqual, parseAddress, parseHex, parseUint, toHex } from './bytes.js';
import { checkpointToText, defaultOrigin, parseCheckpointJson } from './checkpoint.js';
import { EVENT_FIELDS, hashStruct, parseDomain, parseEvent } from './events.js';
import { verifyInclusion } from './merkle.js';
import { SaksiError } from './errors.js';
import { parseVkey } from './note.js';
import { parsePolicy } from './policy.js';
import { caseChainProblem, checkpointProblem, recomputedLeafHash, rootIsAnchored, signatureOutcome } from './verify.js';
import { checkWitnesses } from './witnessing.js';

/** Check id → the numbers (1-8) of the STEPS it applies; the registry half of step 8 is `signature`. */
export const CASE_CHECK_STEPS = {
  commitment: [6],
  signature: [3, 8],
  chain: [6],
  leaf: [4],
  checkpoint: [1],
  witnesses: [2],
  inclusion: [5],
  anchor: [7],
};

/**
 * Check a case as the citizen page shows it. Inputs (all already fetched):
 *   commitment  Uint8Array: computed in the browser from the reference and the access code
 *   info        GET /v1/info (the domain and origin; logVkey and witnessPolicy for the witnesses)
 *   timeline    GET /v1/cases/{commitment} (events with their leaf data; head; checkpoint)
 *   bundle      GET /v1/cases/{commitment}/bundle, or null when nothing is anchored yet
 *   agencies    GET /v1/agencies → [{code, name, status, signer, since}]
 *   chain       null (no RPC configured), or {root: Uint8Array} / {error} from chainRootAt
 * Returns {events: [...], checks: {id: {status, ...}}, verdict}, status ∈ ok | fail | warn | pending | skip.
 */
export function checkCase({ commitment, info, timeline, bundle = null, agencies = [], chain = null }) {
  const domain = parseDomain(info.eip712Domain);
  const registry = new Map(agencies.map((a) => [a.code, a]));
  const events = timeline.events.map((raw) => parseEntry(domain, raw));
  events.sort((a, b) => a.event.caseSeq - b.event.caseSeq);

  const checks = {};

  // 1. the case: every event carries the commitment computed in this browser
  const foreign = events.filter((e) => !bytesEqual(e.event.caseCommitment, commitment));
  checks.commitment = foreign.length
    ? { status: 'fail', events: foreign.map(ref) }
    : { status: 'ok', count: events.length, commitment: toHex(commitment) };

  // 2. signatures: recover each signer and compare with the agency registry
  const sigFailures = [];
  const sigWarnings = [];
  for (const e of events) {
    const outcome = signatureStatus(e, registry);
    if (outcome.failure) sigFailures.push(outcome.failure);
    if (outcome.warning) sigWarnings.push(outcome.warning);
  }
  checks.signature = {
    status: sigFailures.length ? 'fail' : sigWarnings.length ? 'warn' : 'ok',
    failures: sigFailures,
    warnings: sigWarnings,
    count: events.length,
  };

  // 3. the case hash chain, and the head the server reports
  const problem = caseChainProblem(events.map((e) => e.event));
  const head = timeline.head;
  const last = events[events.length - 1];
  const headOk =
    !head ||
    (Number(head.caseSeq) === last.event.caseSeq && bytesEqual(parseHex('head.headHash', head.headHash, 32), last.structHash));
  for (const e of events) e.chainStatus = problem && problem.caseSeq === e.event.caseSeq ? 'fail' : 'ok';
  checks.chain = problem
    ? { status: 'fail', problem }
    : headOk
      ? { status: 'ok', count: events.length }
      : { status: 'fail', problem: { kind: 'head', caseSeq: last.event.caseSeq, eventId: last.event.eventId } };

  // 4. leaf hashes: content + signature + receivedAt → the leaf the log holds
  const leafFailures = events.filter((e) => !e.leafOk);
  for (const e of events) e.leafStatus = e.leafOk ? 'ok' : 'fail';
  checks.leaf = leafFailures.length ? { status: 'fail', failures: leafFailures.map(ref) } : { status: 'ok', count: events.length };

  // 5-6. checkpoint and inclusion proofs (from the bundle, against the newest anchored checkpoint)
  let parsedBundle = null;
  let checkpoint = null;
  let bundleError = null;
  if (bundle) {
    try {
      parsedBundle = parseBundle(bundle);
      checkpoint = parsedBundle.checkpoint;
    } catch (err) {
      bundleError = err.message;
    }
  }
  if (!checkpoint && timeline.checkpoint) {
    try {
      checkpoint = parseCheckpointJson({
        treeSize: timeline.checkpoint.treeSize,
        rootHash: timeline.checkpoint.rootHash,
        checkpoint: timeline.checkpoint.checkpoint,
      });
    } catch (err) {
      bundleError = bundleError ?? err.message;
    }
  }
  const anchorJson = timeline.checkpoint?.anchor ?? bundle?.anchor ?? null;
  if (bundleError) {
    checks.checkpoint = { status: 'fail', reason: 'malformed', detail: bundleError };
  } else if (!checkpoint) {
    checks.checkpoint = { status: 'pending' };
  } else {
    const sameAsTimeline =
      !timeline.checkpoint ||
      (BigInt(timeline.checkpoint.treeSize) === checkpoint.treeSize &&
        bytesEqual(parseHex('rootHash', timeline.checkpoint.rootHash, 32), checkpoint.rootHash));
    const anchorNames = anchorJson
      ? { chainId: BigInt(anchorJson.chainId), contract: parseAddress('anchor.contract', anchorJson.contract) }
      : null;
    const originProblem = checkpointProblem(domain, checkpoint, anchorNames);
    const reason = originProblem?.reason === 'origin' ? 'origin' : !sameAsTimeline ? 'two-checkpoints' : (originProblem?.reason ?? null);
    checks.checkpoint = {
      status: reason ? 'fail' : 'ok',
      reason,
      origin: checkpoint.origin,
      expectedOrigin: defaultOrigin(domain.chainId, domain.verifyingContract),
      treeSize: String(checkpoint.treeSize),
      rootHash: toHex(checkpoint.rootHash),
    };
  }

  checks.witnesses = witnessCheck(info, checkpoint, parsedBundle, timeline, bundleError);

  const proofs = new Map((parsedBundle?.events ?? []).map((b) => [b.leafIndex, b]));
  const inclusionFailures = [];
  let covered = 0;
  let pending = 0;
  for (const e of events) {
    if (!checkpoint || e.leafIndex >= checkpoint.treeSize) {
      e.inclusionStatus = 'pending';
      pending++;
      continue;
    }
    const bundled = proofs.get(e.leafIndex);
    if (!bundled) {
      e.inclusionStatus = 'fail';
      inclusionFailures.push({ ...ref(e), reason: 'no-proof' });
      continue;
    }
    if (!bytesEqual(bundled.leafHash, e.statedLeafHash) || !bytesEqual(hashStruct(bundled.event), e.structHash)) {
      e.inclusionStatus = 'fail';
      inclusionFailures.push({ ...ref(e), reason: 'two-versions' });
      continue;
    }
    try {
      verifyInclusion(e.leafIndex, checkpoint.treeSize, e.statedLeafHash, bundled.inclusionProof, checkpoint.rootHash);
      e.inclusionStatus = 'ok';
      covered++;
    } catch {
      e.inclusionStatus = 'fail';
      inclusionFailures.push({ ...ref(e), reason: 'proof' });
    }
  }
  checks.inclusion = {
    status: inclusionFailures.length ? 'fail' : covered === 0 ? 'pending' : pending ? 'warn' : 'ok',
    failures: inclusionFailures,
    covered,
    pending,
    treeSize: checkpoint ? String(checkpoint.treeSize) : null,
  };

  // 7. the chain: rootAt(treeSize) read by this browser, or only the server's word
  checks.anchor = anchorCheck(checkpoint, anchorJson, chain);

  // a skipped witness check (no policy published) is not a shortfall of this case: see witnessCheck
  return { events, checks, verdict: verdictOf(checks), checkpoint, domain };
}

/** Step 7 for `checkpoint` (null: pending): the root `chain` read (null: no RPC; {root}; {error}). */
export function anchorCheck(checkpoint, anchorJson, chain) {
  const anchor = anchorJson
    ? { txHash: anchorJson.txHash, blockNumber: String(anchorJson.blockNumber), chainId: String(anchorJson.chainId), status: anchorJson.status ?? null }
    : null;
  if (!checkpoint) return { status: 'pending', anchor };
  const treeSize = String(checkpoint.treeSize);
  if (chain && chain.root) {
    return rootIsAnchored(chain.root, checkpoint)
      ? { status: 'ok', anchor, treeSize, chainRoot: toHex(chain.root) }
      : { status: 'fail', reason: 'root-differs', anchor, treeSize, chainRoot: toHex(chain.root) };
  }
  if (chain && chain.error) {
    const unreachable = chain.error.kind === 'chain-unavailable';
    return { status: unreachable ? 'warn' : 'fail', reason: unreachable ? 'unreachable' : chain.error.reason ?? 'chain-error', detail: chain.error.message, anchor, treeSize };
  }
  return { status: 'skip', reason: 'no-rpc', anchor, treeSize };
}

/** ok when every check is ok, fail when one fails, partial otherwise (a skipped witness check aside). */
export function verdictOf(checks) {
  const statuses = Object.entries(checks)
    .filter(([id, c]) => !(id === 'witnesses' && c.status === 'skip'))
    .map(([, c]) => c.status);
  return statuses.includes('fail') ? 'fail' : statuses.every((s) => s === 'ok') ? 'ok' : 'partial';
}

/** One timeline entry (GET /v1/cases/{c}'s `events` item, or a live `step`), parsed, its signature
 * recovered and its leaf hash recomputed; statuses are set by the checks. */
export function parseEntry(domain, raw) {
    const fields = {};
    for (const k of EVENT_FIELDS) fields[k] = raw[k];
    const event = parseEvent(fields);
    const signature = parseHex('signature', raw.signature, 65);
    const stated = parseAddress('signer', raw.signer);
    const receivedAt = parseUint('receivedAt', raw.receivedAt, UINT64_MAX);
    const leafIndex = parseUint('leafIndex', raw.leafIndex, MAX_TREE_SIZE);
    const statedLeafHash = parseHex('leafHash', raw.leafHash, 32);
    const { structHash, digest, recovered, problem: signatureProblem } = signatureOutcome(domain, event, signature);
    let leafOk = false;
    try {
      leafOk = bytesEqual(recomputedLeafHash(digest, signature, receivedAt), statedLeafHash);
    } catch {
      leafOk = false;
    }
    return { raw, event, signature, stated, recovered, signatureProblem, structHash, digest, receivedAt, leafIndex, statedLeafHash, leafOk };
}

/** The signature check of one parsed entry against the agency registry (a Map code → entry); sets
 * `e.signatureStatus` and `e.agencyName`, returns {failure} or {warning} or {}. */
export function signatureStatus(e, registry) {
  const entry = registry.get(e.event.agency);
  const registered = entry?.signer ? parseAddress('signer', entry.signer) : null;
  e.agencyName = entry?.name ?? null;
  if (e.signatureProblem) {
    e.signatureStatus = 'fail';
    return { failure: { ...ref(e), reason: e.signatureProblem } };
  }
  if (!bytesEqual(e.recovered, e.stated)) {
    e.signatureStatus = 'fail';
    return { failure: { ...ref(e), reason: 'content-changed', recovered: toHex(e.recovered), expected: toHex(registered ?? e.stated) } };
  }
  if (!entry) {
    e.signatureStatus = 'fail';
    return { failure: { ...ref(e), reason: 'unknown-agency', recovered: toHex(e.recovered) } };
  }
  if (registered && bytesEqual(registered, e.recovered)) {
    e.signatureStatus = 'ok';
    return {};
  }
  if (registered && entry.since !== undefined && e.receivedAt < BigInt(entry.since ?? 0)) {
    e.signatureStatus = 'warn';
    return { warning: { ...ref(e), reason: 'earlier-key', recovered: toHex(e.recovered), expected: toHex(registered) } };
  }
  if (!registered) {
    e.signatureStatus = 'warn';
    return { warning: { ...ref(e), reason: 'agency-revoked', recovered: toHex(e.recovered) } };
  }
  e.signatureStatus = 'fail';
  return { failure: { ...ref(e), reason: 'not-registered-signer', recovered: toHex(e.recovered), expected: toHex(registered) } };
}

/**
 * Step 2 on the page: the checkpoint's signed note (the bundle's, else the timeline's) against the log
 * key and the witness policy that /v1/info publishes. ok = the quorum cosigned; warn = no note
 * or not enough cosignatures yet; skip = the server publishes no policy; fail = a signature that does not
 * verify, named by `reason`.
 */
export function witnessCheck(info, checkpoint, parsedBundle, timeline, bundleError) {
  if (bundleError) return { status: 'fail', reason: 'malformed', detail: bundleError };
  if (!checkpoint) return { status: 'pending' };
  let note = parsedBundle?.note ?? null;
  let policy = null;
  let logVkey = null;
  try {
    // the timeline's note serves when the bundle has none, if it is a note of the same checkpoint
    const sameText = timeline.checkpoint && timeline.checkpoint.checkpoint === checkpointToText(checkpoint);
    if (!note && sameText) note = parseCheckpointNote(timeline.checkpoint);
    if (info.witnessPolicy) policy = parsePolicy(info.witnessPolicy);
    if (info.logVkey) logVkey = parseVkey(info.logVkey);
  } catch (err) {
    return { status: 'fail', reason: 'malformed', detail: err.message };
  }
  try {
    const r = checkWitnesses(checkpoint, note, { policy, logVkey });
    // A server that publishes no witness policy promises no witness: the check is skipped (and says so),
    // it does not lower the verdict. With a policy, a missing note or quorum is a warning.
    const unpromised = !policy;
    return {
      status: r.status === 'pass' ? 'ok' : unpromised ? 'skip' : 'warn',
      reason: unpromised ? 'no-policy' : r.reason,
      cosigned: r.cosigned.map((c) => ({ name: c.displayName, timestamp: Number(c.timestamp) })),
      names: r.cosigned.map((c) => c.displayName).join(', '),
      count: r.cosigned.length,
      total: r.policyWitnesses,
      required: r.required,
      logKey: r.logKey,
    };
  } catch (err) {
    if (!(err instanceof SaksiError)) throw err;
    return { status: 'fail', reason: err.reason ?? 'log-signature', witness: err.witness ?? null, detail: err.message };
  }
}

export function ref(e) {
  return { caseSeq: e.event.caseSeq, eventId: e.event.eventId, agency: e.event.agency };
}
