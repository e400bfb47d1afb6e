// Step 2 of verifying a proof bundle (FORMATS §10.3): the checkpoint as a signed note, the log's
// signature and the witnesses' cosignatures against a C2SP tlog-policy. The counterpart of
// ledger/core/witnessing.py: pass (the quorum cosigned: who and when), warn (no note, no policy or log
// key, or the quorum not met yet), or a thrown VerificationFailed (text mismatch, a log key that is
// not the trusted one, a signature or cosignature that does not verify).

import { checkpointToText } from './checkpoint.js';
import { VerificationFailed } from './errors.js';
import { SIG_ED25519, verifyNote, vkeyToString } from './note.js';
import { checkCheckpoint, logFor, quorumSize } from './policy.js';

export const PASS = 'pass';
export const WARN = 'warn';
export const NO_NOTE = 'no-note';
export const NO_POLICY = 'no-policy';
export const QUORUM_NOT_MET = 'quorum-not-met';
export const NO_WITNESS_REQUIRED = 'no-witness-required';

const sameVkey = (a, b) => vkeyToString(a) === vkeyToString(b);

function logSignature(note, log) {
  try {
    verifyNote(note, [log]);
  } catch (err) {
    if (err instanceof VerificationFailed) throw new VerificationFailed(`the log's signature: ${err.message}`, { reason: 'log-signature' });
    throw err;
  }
}

/**
 * {status, reason, logKey, cosigned: [{witness, displayName, timestamp}], policyWitnesses, required}
 * for one checkpoint and its note (or null); throws VerificationFailed (without the step's name).
 */
export function checkWitnesses(checkpoint, note, { policy = null, logVkey = null } = {}) {
  const report = (status, reason, logKey, cosigned = [], policyWitnesses = 0, required = 0) => ({ status, reason, logKey, cosigned, policyWitnesses, required });
  if (!note) return report(WARN, NO_NOTE, null);
  if (note.text !== checkpointToText(checkpoint)) throw new VerificationFailed("the signed note's text is not the checkpoint's text", { reason: 'text-mismatch' });
  const { origin } = checkpoint;
  if (logVkey && (logVkey.name !== origin || logVkey.sigType !== SIG_ED25519)) {
    throw new VerificationFailed(`the log key ${vkeyToString(logVkey)} is not an Ed25519 key named after the origin ${origin}`, { reason: 'log-key' });
  }
  const policyLog = policy ? logFor(policy, origin) : null;
  if (policy && !policyLog) throw new VerificationFailed(`the policy names no log key for the origin ${origin}`, { reason: 'log-key' });
  if (policyLog && logVkey && !sameVkey(policyLog, logVkey)) {
    throw new VerificationFailed(`the log key ${vkeyToString(logVkey)} is not the policy's key ${vkeyToString(policyLog)} for ${origin}`, { reason: 'log-key' });
  }
  if (!policy) {
    if (!logVkey) return report(WARN, NO_POLICY, null);
    logSignature(note, logVkey);
    return report(WARN, NO_POLICY, vkeyToString(logVkey));
  }
  logSignature(note, policyLog);
  let checked;
  try {
    checked = checkCheckpoint(policy, note);
  } catch (err) {
    const witness = err instanceof VerificationFailed ? policy.witnesses.find((w) => vkeyToString(w.vkey) === err.vkey) : null;
    if (!witness) throw err;
    throw new VerificationFailed(`the cosignature of ${witness.displayName}: ${err.message}`, { reason: 'cosignature', witness: witness.displayName });
  }
  const cosigned = checked.cosignedBy.map((c) => ({ witness: c.name, displayName: c.displayName, timestamp: c.timestamp }));
  const required = quorumSize(policy);
  const reason = !checked.quorumMet ? QUORUM_NOT_MET : required === 0 && !cosigned.length ? NO_WITNESS_REQUIRED : null;
  return report(reason ? WARN : PASS, reason, vkeyToString(policyLog), cosigned, policy.witnesses.length, required);
}

/** The same plain-English line as WitnessReport.summary() (the page says it in its own words). */
export function witnessSummary(r) {
  if (r.reason === NO_NOTE) return 'no independent witness has checked this yet: the bundle carries no signed checkpoint';
  if (r.reason === NO_POLICY) return `${r.logKey ? "the log's signature verified, but " : ''}no witness policy was given, so no independent witness was checked`;
  const names = r.cosigned.map((c) => c.displayName).join(', ');
  const count = `${r.cosigned.length} of the ${r.policyWitnesses} witnesses the policy names; ${r.required} required`;
  if (r.reason === QUORUM_NOT_MET) {
    if (!r.cosigned.length) return `no independent witness has cosigned this checkpoint yet (0 of ${r.policyWitnesses}; ${r.required} required)`;
    return `not yet witnessed by enough: only ${names} (${count})`;
  }
  if (r.reason === NO_WITNESS_REQUIRED) return 'signed by the log; the policy requires no witness (quorum none)';
  return `witnessed by ${names} (${count})`;
}
