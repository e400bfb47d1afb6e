// C2SP tlog-proof files (c2sp.org/tlog-proof@v1): an offline proof that an entry is in a witnessed log.
// The counterpart of ledger/core/tlog_proof.py.
//
//   c2sp.org/tlog-proof@v1
//   extra <base64 of the event's 106 leaf bytes>      (Saksi's use of the optional extra line)
//   index <leaf index>
//   <base64 inclusion proof hash, leaf side first>…
//   <blank line>
//   <the signed, cosigned checkpoint note>
//
// The extra line is NOT authenticated: a verifier only trusts the leaf hash it computes from it, and only
// because the inclusion proof binds that hash to a checkpoint the policy's log signed.

import { base64Decode, base64Encode } from './bytes.js';
import { parseCheckpointText } from './checkpoint.js';
import { InvalidField, TooLarge } from './errors.js';
import { leafBytes, parseLeaf } from './events.js';
import { leafHash, verifyInclusion } from './merkle.js';
import { MAX_NOTE_BYTES, parseNote, serializeNote } from './note.js';
import { checkCheckpoint } from './policy.js';

export const PROOF_HEADER = 'c2sp.org/tlog-proof@v1';
export const FILE_EXTENSION = '.tlog-proof';
// A tree below 2^63 leaves has at most 63 levels.
export const MAX_INCLUSION_HASHES = 63;
export const MAX_EXTRA_BYTES = 64 * 1024;
export const MAX_PROOF_BYTES = MAX_NOTE_BYTES + 4 * MAX_EXTRA_BYTES;
const INDEX_RE = /^index (0|[1-9][0-9]{0,18})$/;
const DECODER = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Parse a proof (a string or UTF-8 bytes) into {index (BigInt), inclusion, checkpoint (a note), extra}. */
export function parseTlogProof(data) {
  let text = data;
  if (data instanceof Uint8Array) {
    if (data.length > MAX_PROOF_BYTES) throw new TooLarge(`tlogProof: must be at most ${MAX_PROOF_BYTES} bytes`, { field: 'tlogProof' });
    try {
      text = DECODER.decode(data);
    } catch {
      throw new InvalidField('tlogProof', 'must be valid UTF-8');
    }
  }
  if (typeof text !== 'string') throw new InvalidField('tlogProof', 'must be bytes or a string');
  if (text.length > MAX_PROOF_BYTES) throw new TooLarge(`tlogProof: must be at most ${MAX_PROOF_BYTES} bytes`, { field: 'tlogProof' });
  const split = text.indexOf('\n\n');
  if (split < 0) throw new InvalidField('tlogProof', 'must have a blank line before the checkpoint');
  const lines = text.slice(0, split).split('\n');
  if (lines[0] !== PROOF_HEADER) throw new InvalidField('tlogProof', `must start with the line ${PROOF_HEADER}`);
  let rest = lines.slice(1);
  let extra = null;
  if (rest.length && rest[0].startsWith('extra ')) {
    extra = base64Decode('tlogProof.extra', rest[0].slice('extra '.length));
    if (!extra.length) throw new InvalidField('tlogProof.extra', 'must not be empty (omit the line instead)');
    rest = rest.slice(1);
  }
  if (!rest.length) throw new InvalidField('tlogProof.index', "missing the line 'index <n>'");
  const m = INDEX_RE.exec(rest[0]);
  if (!m || BigInt(m[1]) >= 1n << 63n) throw new InvalidField('tlogProof.index', "must be 'index <n>', decimal without leading zeros, below 2^63");
  const hashes = rest.slice(1);
  if (hashes.length > MAX_INCLUSION_HASHES) throw new InvalidField('tlogProof.inclusion', `must have at most ${MAX_INCLUSION_HASHES} hashes`);
  const inclusion = hashes.map((h, i) => base64Decode(`tlogProof.inclusion[${i}]`, h, 32));
  const checkpoint = parseNote(text.slice(split + 2));
  if (extra !== null && extra.length > MAX_EXTRA_BYTES) throw new InvalidField('tlogProof.extra', `must be 1 to ${MAX_EXTRA_BYTES} bytes (omit it when empty)`);
  parseCheckpointText(checkpoint.text);
  return { index: BigInt(m[1]), inclusion, checkpoint, extra };
}

export function serializeTlogProof(proof) {
  const lines = [PROOF_HEADER];
  if (proof.extra !== null) lines.push(`extra ${base64Encode(proof.extra)}`);
  lines.push(`index ${proof.index}`, ...proof.inclusion.map(base64Encode));
  return `${lines.map((l) => `${l}\n`).join('')}\n${serializeNote(proof.checkpoint)}`;
}

/** Saksi's extra line: the event's leaf bytes (FORMATS §5). Unauthenticated until verified. */
export function tlogProofLeaf(proof) {
  if (proof.extra === null) throw new InvalidField('tlogProof.extra', 'missing: a Saksi proof carries the leaf bytes');
  return parseLeaf(proof.extra);
}

/** SHA-256(0x00 ‖ leaf bytes) of the extra line, checked to be a version 1 leaf. */
export function tlogProofLeafHash(proof) {
  const leaf = tlogProofLeaf(proof);
  return leafHash(leafBytes(leaf.digest, leaf.signature, leaf.receivedAt));
}

/**
 * The verification of c2sp.org/tlog-proof, given the leaf hash the caller computed (step 1): the
 * policy check of the checkpoint (steps 2-3: checkCheckpoint), then the inclusion proof placing
 * `leafHashValue` at `proof.index` under its root (InclusionProofInvalid otherwise). The caller decides
 * what an unmet quorum means: the result says whether it was met.
 */
export function verifyTlogProof(proof, leafHashValue, policy) {
  const checked = checkCheckpoint(policy, proof.checkpoint);
  const tree = checked.checkpoint;
  verifyInclusion(proof.index, tree.treeSize, leafHashValue, proof.inclusion, tree.rootHash);
  return checked;
}
