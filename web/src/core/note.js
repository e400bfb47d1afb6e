// C2SP signed notes (c2sp.org/signed-note@v1.0.0) and Ed25519 checkpoint cosignatures
// (c2sp.org/tlog-cosignature@v1, type 0x04). The counterpart of ledger/core/note.py.
//
// A note is `text` (ending in LF), a blank line, then one or more lines `— <key name> base64(id ‖ sig)`.
// Verifying needs the verifier keys (vkeys) the caller trusts: signatures by unknown (name, id) pairs
// are ignored, a signature by a known key that fails rejects the whole note, and a note with no
// signature verified by a known key is rejected.

import { ed25519 } from '@noble/curves/ed25519.js';

import { base64Decode, base64Encode, concatBytes, sha256, utf8 } from './bytes.js';
import { InvalidField, TooLarge, VerificationFailed } from './errors.js';

export const SIG_ED25519 = 0x01;
export const SIG_COSIGNATURE_V1 = 0x04;
const ED25519_TYPES = [SIG_ED25519, SIG_COSIGNATURE_V1];
// Go's x/mod/sumdb/note refuses more than 100 signatures; the spec asks for at least 16.
export const MAX_SIGNATURES = 100;
export const MAX_NOTE_BYTES = 1 << 20;
const MAX_TIMESTAMP = (1n << 63n) - 1n;

const PREFIX = '\u2014 '; // em dash, space
const DECODER = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const SPACE_RE = /[\s\p{Zs}\p{Zl}\p{Zp}]/u;
const SIZE_RE = /^(?:0|[1-9][0-9]{0,18})$/;

/** SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4], big-endian, as a Number. */
export function keyId(name, sigType, publicKey) {
  const d = sha256(concatBytes(utf8(name), new Uint8Array([0x0a, sigType]), publicKey));
  return d[0] * 0x1000000 + (d[1] << 16) + (d[2] << 8) + d[3];
}

const hex8 = (id) => id.toString(16).padStart(8, '0');

/** Why `name` is not a key name (non-empty, no Unicode space, no '+', no control character), or null. */
function nameProblem(name) {
  if (!name) return 'must not be empty';
  if (name.includes('+')) return "must not contain '+'";
  for (const ch of name) {
    const code = ch.codePointAt(0);
    if (SPACE_RE.test(ch)) return 'must not contain spaces';
    if (code < 0x20) return 'must not contain control characters';
    if (code >= 0xd800 && code <= 0xdfff) return 'must be valid UTF-8';
  }
  return null;
}

function checkName(field, name) {
  if (typeof name !== 'string') throw new InvalidField(field, 'must be a string');
  const problem = nameProblem(name);
  if (problem) throw new InvalidField(field, problem);
  return name;
}

/** Why `text` cannot be a note text (no control character but LF, ends in LF), or null. */
function textProblem(text) {
  if (!text.endsWith('\n')) return 'text must end with a newline';
  for (const ch of text) {
    const code = ch.codePointAt(0);
    if (code < 0x20 && ch !== '\n') return `contains the control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
    if (code >= 0xd800 && code <= 0xdfff) return 'must be valid UTF-8';
  }
  return null;
}

/**
 * Why 32 bytes are not an acceptable Ed25519 public key, or null (ledger/core/ed25519_points.py): a
 * canonical encoding of a curve point (RFC 8032 §5.1.3, strictly) that is not of small order. A small-order
 * key "verifies" forged signatures for every message, so a witness could deny all its cosignatures.
 */
export function keyProblem(encoded) {
  let point;
  try {
    point = ed25519.Point.fromBytes(encoded, false);
  } catch {
    return 'must be a canonical encoding of a point on Ed25519';
  }
  return point.isSmallOrder() ? 'must not be a point of small order' : null;
}

function makeVkeyChecked(name, id, sigType, publicKey) {
  checkName('vkey.name', name);
  if (!publicKey.length) throw new InvalidField('vkey.publicKey', 'must not be empty');
  if (ED25519_TYPES.includes(sigType)) {
    if (publicKey.length !== 32) throw new InvalidField('vkey.publicKey', 'must be a 32-byte Ed25519 key');
    const problem = keyProblem(publicKey);
    if (problem) throw new InvalidField('vkey.publicKey', problem);
    if (id !== keyId(name, sigType, publicKey)) throw new InvalidField('vkey.keyId', 'does not match the name, type and key');
  }
  return { name, keyId: id, sigType, publicKey };
}

/** `<name>+<hex id>+<base64(type ‖ public key)>`; for types 1 and 4 a 32-byte key whose id matches. */
export function parseVkey(text) {
  if (typeof text !== 'string') throw new InvalidField('vkey', 'must be a string');
  // the name has no '+'; base64 may
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) throw new InvalidField('vkey', 'must be <name>+<key id>+<base64 key>');
  const [name, idText, keyText] = [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1)];
  checkName('vkey.name', name);
  if (!/^[0-9a-f]{8}$/.test(idText)) throw new InvalidField('vkey.keyId', 'must be 8 lower-case hex digits');
  const raw = base64Decode('vkey.key', keyText);
  if (raw.length < 2) throw new InvalidField('vkey.key', 'must hold a type byte and a public key');
  return makeVkeyChecked(name, parseInt(idText, 16), raw[0], raw.slice(1));
}

export const vkeyToString = (vkey) => `${vkey.name}+${hex8(vkey.keyId)}+${base64Encode(concatBytes(new Uint8Array([vkey.sigType]), vkey.publicKey))}`;

/** A vkey for an Ed25519 log key (type 0x01) or a cosigner key (type 0x04). */
export const makeVkey = (name, sigType, publicKey) => makeVkeyChecked(name, keyId(checkName('vkey.name', name), sigType, publicKey), sigType, publicKey);

/** `— <name> <base64(id ‖ signature)>`, with or without its final LF. */
export function parseSignatureLine(line, field = 'note.signature') {
  if (typeof line !== 'string') throw new InvalidField(field, 'must be a string');
  const body = line.endsWith('\n') ? line.slice(0, -1) : line;
  if (!body.startsWith(PREFIX)) throw new InvalidField(field, 'must start with an em dash and a space');
  const parts = body.slice(PREFIX.length).split(' ');
  if (parts.length !== 2) throw new InvalidField(field, "must be '— <key name> <base64 signature>'");
  const [name, sigText] = parts;
  const problem = nameProblem(name);
  if (problem) throw new InvalidField(field, `key name ${problem}`);
  const raw = base64Decode(field, sigText);
  if (raw.length < 5) throw new InvalidField(field, 'must hold a 4-byte key ID and a signature');
  return { name, keyId: raw[0] * 0x1000000 + (raw[1] << 16) + (raw[2] << 8) + raw[3], signature: raw.slice(4) };
}

export function signatureLine(sig) {
  const id = new Uint8Array([sig.keyId >>> 24, (sig.keyId >>> 16) & 0xff, (sig.keyId >>> 8) & 0xff, sig.keyId & 0xff]);
  return `${PREFIX}${sig.name} ${base64Encode(concatBytes(id, sig.signature))}\n`;
}

/** Parse a signed note (UTF-8 bytes or a string): text, the last blank line, ≥ 1 signature lines. */
export function parseNote(data) {
  let bytes = data;
  if (typeof data === 'string') {
    for (const ch of data) {
      const code = ch.codePointAt(0);
      if (code >= 0xd800 && code <= 0xdfff) throw new InvalidField('note', 'must be valid UTF-8');
    }
    bytes = utf8(data);
  }
  if (!(bytes instanceof Uint8Array)) throw new InvalidField('note', 'must be bytes or a string');
  if (bytes.length > MAX_NOTE_BYTES) throw new TooLarge(`note: must be at most ${MAX_NOTE_BYTES} bytes`, { field: 'note' });
  let message;
  try {
    message = DECODER.decode(bytes);
  } catch {
    throw new InvalidField('note', 'must be valid UTF-8');
  }
  const problem = textProblem(message);
  if (problem) throw new InvalidField('note', problem);
  const split = message.lastIndexOf('\n\n');
  if (split < 0) throw new InvalidField('note', 'must have a blank line before the signatures');
  const text = message.slice(0, split + 1);
  const block = message.slice(split + 2);
  if (!block) throw new InvalidField('note', 'must have at least one signature line');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new InvalidField('note', `must have at most ${MAX_SIGNATURES} signatures`);
  return { text, signatures: lines.map((line, i) => parseSignatureLine(line, `note.signature[${i + 1}]`)) };
}

export const serializeNote = (note) => `${note.text}\n${note.signatures.map(signatureLine).join('')}`;

/** c2sp.org/tlog-checkpoint: origin, size, base64 root hash, then optional non-empty extension lines. */
export function checkCheckpointBody(text) {
  const problem = textProblem(text);
  if (problem) throw new InvalidField('checkpoint', problem);
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3 || lines.some((l) => !l)) throw new InvalidField('checkpoint', 'must be at least three non-empty lines');
  if (!SIZE_RE.test(lines[1]) || BigInt(lines[1]) > MAX_TIMESTAMP) {
    throw new InvalidField('checkpoint.treeSize', 'must be decimal ASCII without leading zeros, below 2^63');
  }
  base64Decode('checkpoint.rootHash', lines[2]);
}

/** `cosignature/v1\ntime <timestamp>\n` followed by the checkpoint body (c2sp.org/tlog-cosignature). */
export function cosignatureMessage(checkpointText, timestamp) {
  checkCheckpointBody(checkpointText);
  return utf8(`cosignature/v1\ntime ${BigInt(timestamp)}\n${checkpointText}`);
}

/** The u64 timestamp that starts a cosignature/v1 signature, as a BigInt. */
export function cosignatureTimestamp(sig) {
  if (sig.signature.length !== 72) throw new InvalidField('cosignature', 'must be an 8-byte timestamp and a 64-byte Ed25519 signature');
  let t = 0n;
  for (const b of sig.signature.subarray(0, 8)) t = (t << 8n) | BigInt(b);
  if (t > MAX_TIMESTAMP) throw new InvalidField('cosignature.timestamp', 'must not exceed 2^63 - 1');
  return t;
}

const vkeyText = (vkey) => vkeyToString(vkey);

function verifyOne(vkey, text, sig) {
  let ok = false;
  let timestamp = null;
  try {
    if (vkey.sigType === SIG_ED25519) {
      ok = sig.signature.length === 64 && ed25519.verify(sig.signature, utf8(text), vkey.publicKey, { zip215: false });
    } else {
      timestamp = cosignatureTimestamp(sig);
      ok = ed25519.verify(sig.signature.subarray(8), cosignatureMessage(text, timestamp), vkey.publicKey, { zip215: false });
    }
  } catch (err) {
    if (err instanceof InvalidField) throw new VerificationFailed(`signature by ${vkeyText(vkey)} is malformed: ${err.message}`, { vkey: vkeyText(vkey) });
    ok = false;
  }
  if (!ok) throw new VerificationFailed(`signature by ${vkeyText(vkey)} does not verify`, { vkey: vkeyText(vkey) });
  return { vkey, timestamp };
}

/**
 * Verify every signature of a known (name, key ID); signatures of unknown keys are ignored. Returns
 * one {vkey, timestamp} per known key that signed, in note order, possibly none (timestamp a BigInt for
 * cosignatures, null for Ed25519 note signatures). Throws VerificationFailed naming the key if a known
 * key's signature fails: the whole note is then refused.
 */
export function verifySignatures(note, vkeys) {
  const known = new Map();
  for (const vkey of vkeys) {
    const id = `${vkey.name}\n${vkey.keyId}`;
    const other = known.get(id);
    if (other && vkeyText(other) !== vkeyText(vkey)) throw new InvalidField('vkeys', `two keys share the name ${vkey.name} and key ID ${hex8(vkey.keyId)}`);
    known.set(id, vkey);
  }
  const results = new Map();
  for (const sig of note.signatures) {
    const id = `${sig.name}\n${sig.keyId}`;
    const vkey = known.get(id);
    if (!vkey) continue;
    if (!ED25519_TYPES.includes(vkey.sigType)) {
      throw new VerificationFailed(`signature type 0x${vkey.sigType.toString(16).padStart(2, '0')} of ${vkeyText(vkey)} is not supported`, { vkey: vkeyText(vkey) });
    }
    const verified = verifyOne(vkey, note.text, sig);
    if (!results.has(id)) results.set(id, verified);
  }
  return [...results.values()];
}

/** verifySignatures, and VerificationFailed if no known key signed (c2sp.org/signed-note). */
export function verifyNote(note, vkeys) {
  const results = verifySignatures(note, vkeys);
  if (!results.length) throw new VerificationFailed('note: no signature from a known key');
  return results;
}

// --- signing (tests and tools; the page never signs) ------------------------------------------------

export const publicKeyOf = (seed) => ed25519.getPublicKey(seed);

export function signNote(name, seed, text) {
  const vkey = makeVkey(name, SIG_ED25519, publicKeyOf(seed));
  return { name, keyId: vkey.keyId, signature: ed25519.sign(utf8(text), seed) };
}

export function cosign(name, seed, checkpointText, timestamp) {
  const vkey = makeVkey(name, SIG_COSIGNATURE_V1, publicKeyOf(seed));
  const t = BigInt(timestamp);
  const time = new Uint8Array(8);
  for (let i = 0; i < 8; i++) time[i] = Number((t >> BigInt(56 - 8 * i)) & 0xffn);
  const signature = ed25519.sign(cosignatureMessage(checkpointText, t), seed);
  return { name, keyId: vkey.keyId, signature: concatBytes(time, signature) };
}
