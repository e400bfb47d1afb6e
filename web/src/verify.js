// Saksi verifier for browsers and Node: pure functions over the formats of docs/FORMATS.md.
//
// Everything here re-implements the Python reference (ledger/core/) from the written formats and
// is held to the same golden vectors (web/test/vectors.test.mjs replays tests/vectors/*.json).
// No function here talks to the Saksi server; the only network helper (`chainRootAt`) talks to a
// JSON-RPC endpoint of the chain, chosen by the caller.
//
// Integers: JSON numbers that may exceed 2^53 - 1 (occurredAt, receivedAt, chainId, tree sizes)
// must not be rounded, so `parseJson` returns integers outside the safe range as BigInt and numbers
// written with a fraction or exponent as `JsonFloat`, which no integer field accepts.

import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';

import { JsonFloat } from './json.js';

export { JsonFloat, parseJson, stringifyJson } from './json.js';

// --- errors (the names of ledger/errors.py, so that vectors name them) ----------------------------

export class SaksiError extends Error {
  constructor(message, extra = {}) {
    super(message);
    this.name = 'SaksiError';
    this.kind = 'error';
    Object.assign(this, extra);
  }
}

export class InvalidField extends SaksiError {
  constructor(field, rule) {
    super(`${field}: ${rule}`, { field, rule });
    this.name = 'InvalidField';
    this.kind = 'invalid-field';
  }
}

export class AuthenticationFailed extends SaksiError {
  constructor(message, extra) {
    super(message, extra);
    this.name = 'AuthenticationFailed';
    this.kind = 'bad-signature';
  }
}

export class VerificationFailed extends SaksiError {
  constructor(message, extra) {
    super(message, extra);
    this.name = 'VerificationFailed';
    this.kind = 'verification-failed';
  }
}

export class InclusionProofInvalid extends VerificationFailed {
  constructor(message, extra) {
    super(message, extra);
    this.name = 'InclusionProofInvalid';
    this.kind = 'inclusion-proof-invalid';
  }
}

export class ConsistencyProofInvalid extends VerificationFailed {
  constructor(message, extra) {
    super(message, extra);
    this.name = 'ConsistencyProofInvalid';
    this.kind = 'consistency-proof-invalid';
  }
}

export class RootMismatch extends VerificationFailed {
  constructor(message, extra) {
    super(message, extra);
    this.name = 'RootMismatch';
    this.kind = 'root-mismatch';
  }
}

export class SignatureMismatch extends VerificationFailed {
  constructor(message, extra) {
    super(message, extra);
    this.name = 'SignatureMismatch';
    this.kind = 'signature-mismatch';
  }
}

// --- bytes --------------------------------------------------------------------------------------

const encoder = new TextEncoder();
export const utf8 = (text) => encoder.encode(text);

export function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function bytesEqual(a, b) {
  if (!a || !b || a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

export function toHex(bytes) {
  let out = '0x';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;

/** 0x-prefixed hex (either case, like the reference parser) of exactly `length` bytes when given. */
export function parseHex(field, value, length) {
  if (typeof value !== 'string') throw new InvalidField(field, 'must be a 0x-prefixed hex string');
  if (!value.startsWith('0x') && !value.startsWith('0X')) throw new InvalidField(field, 'must start with 0x');
  const digits = value.slice(2);
  if (!HEX_RE.test(digits)) throw new InvalidField(field, 'must be an even number of hex digits');
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  if (length !== undefined && out.length !== length) {
    throw new InvalidField(field, `must be ${length} bytes, got ${out.length}`);
  }
  return out;
}

export const parseAddress = (field, value) => parseHex(field, value, 20);

export const UINT32_MAX = (1n << 32n) - 1n;
export const UINT64_MAX = (1n << 64n) - 1n;
export const UINT256_MAX = (1n << 256n) - 1n;
export const MAX_TREE_SIZE = (1n << 63n) - 1n;

/** A JSON integer (never a boolean, string, fraction or rounded double) as a BigInt. */
function asBigInt(value) {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  return null;
}

export function parseUint(field, value, maximum, minimum = 0n) {
  const v = asBigInt(value);
  if (v === null) throw new InvalidField(field, 'must be an integer');
  if (v < minimum || v > maximum) throw new InvalidField(field, `must be between ${minimum} and ${maximum}`);
  return v;
}

/** A BigInt as a JSON-friendly value: a number when it is safe, else the BigInt itself. */
export const jsonInt = (v) => (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);

export function uintBytes(value, size) {
  let v = BigInt(value);
  const out = new Uint8Array(size);
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (v !== 0n) throw new RangeError(`${value} does not fit in ${size} bytes`);
  return out;
}

export function bytesToBigInt(bytes) {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

export const keccak256 = (data) => keccak_256(data);
export const sha256 = (data) => nobleSha256(data);
export const ZERO32 = new Uint8Array(32);
const isZero = (bytes) => bytes.every((b) => b === 0);

function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof JsonFloat);
}

const has = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);
const get = (obj, key) => (has(obj, key) ? obj[key] : undefined);

// --- base64 (checkpoints) and base32 (access codes) ------------------------------------------------

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function base64Encode(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63];
    out += i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.length ? B64[n & 63] : '=';
  }
  return out;
}

/** Standard base64 with padding, canonical (re-encoding gives the same text), RFC 4648 §4. */
export function base64Decode(field, text, length) {
  if (typeof text !== 'string' || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new InvalidField(field, 'must be standard base64 with padding');
  }
  const body = text.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((body.length * 6) / 8));
  let bits = 0;
  let acc = 0;
  let at = 0;
  for (const ch of body) {
    acc = (acc << 6) | B64.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (at < out.length) out[at++] = (acc >> bits) & 0xff;
    }
  }
  if (base64Encode(out) !== text) throw new InvalidField(field, 'must be canonical base64');
  if (length !== undefined && out.length !== length) throw new InvalidField(field, `must decode to ${length} bytes`);
  return out;
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32Encode(bytes) {
  let out = '';
  let bits = 0;
  let acc = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += B32[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(acc << (5 - bits)) & 31];
  return out;
}

function base32Decode(text) {
  const out = [];
  let bits = 0;
  let acc = 0;
  for (const ch of text) {
    acc = (acc << 5) | B32.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
    acc &= (1 << bits) - 1;
  }
  return new Uint8Array(out);
}

// --- EIP-712 domain and service events (FORMATS §2-§3) --------------------------------------------

export const EIP712_DOMAIN_TYPE = 'EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)';
export const SERVICE_EVENT_TYPE =
  'ServiceEvent(string eventId,string agency,bytes32 caseCommitment,uint32 caseSeq,bytes32 prevEventHash,' +
  'string eventType,string summary,uint64 occurredAt,bytes32 payloadDigest)';
export const EIP712_DOMAIN_TYPEHASH = keccak256(utf8(EIP712_DOMAIN_TYPE));
export const SERVICE_EVENT_TYPEHASH = keccak256(utf8(SERVICE_EVENT_TYPE));
export const EVENT_FIELDS = [
  'eventId',
  'agency',
  'caseCommitment',
  'caseSeq',
  'prevEventHash',
  'eventType',
  'summary',
  'occurredAt',
  'payloadDigest',
];

/** { chainId: bigint, verifyingContract: Uint8Array(20), separator: Uint8Array(32) } */
export function makeDomain(chainId, verifyingContract) {
  const id = parseUint('chainId', chainId, UINT256_MAX, 1n);
  if (verifyingContract.length !== 20) throw new InvalidField('verifyingContract', 'must be 20 bytes');
  const separator = keccak256(
    concatBytes(
      EIP712_DOMAIN_TYPEHASH,
      keccak256(utf8('Saksi')),
      keccak256(utf8('1')),
      uintBytes(id, 32),
      new Uint8Array(12),
      verifyingContract,
    ),
  );
  return { chainId: id, verifyingContract, separator };
}

export function parseDomain(data) {
  if (!isObject(data)) throw new InvalidField('eip712Domain', 'must be an object');
  if (get(data, 'name') !== 'Saksi' || get(data, 'version') !== '1') {
    throw new InvalidField('eip712Domain', 'name must be "Saksi" and version "1"');
  }
  return makeDomain(
    parseUint('eip712Domain.chainId', get(data, 'chainId'), UINT256_MAX, 1n),
    parseAddress('eip712Domain.verifyingContract', get(data, 'verifyingContract')),
  );
}

export const domainToJson = (d) => ({
  name: 'Saksi',
  version: '1',
  chainId: jsonInt(d.chainId),
  verifyingContract: toHex(d.verifyingContract),
});

const EVENT_ID_RE = /^[A-Za-z0-9._:-]{1,64}$/;
const AGENCY_RE = /^[a-z0-9.-]{1,32}$/;
const EVENT_TYPE_RE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
// Cn follows the JavaScript engine's Unicode version (the reference uses Unicode 14.0.0): a code
// point assigned after 14.0 is accepted here and refused there.
const SUMMARY_FORBIDDEN = /[\p{Cc}\p{Cs}\p{Cn}]/u;

function parseSummary(value) {
  if (typeof value !== 'string') throw new InvalidField('summary', 'must be a string');
  const codePoints = [...value].length;
  if (codePoints < 1 || codePoints > 280) throw new InvalidField('summary', 'must be 1-280 characters');
  if (SUMMARY_FORBIDDEN.test(value)) {
    throw new InvalidField('summary', 'must not contain control, surrogate or unassigned characters');
  }
  return value;
}

/** Parse the closed ServiceEvent JSON object; every rule of FORMATS §3.3, in the reference's order. */
export function parseEvent(data) {
  if (!isObject(data)) throw new InvalidField('event', 'must be an object');
  const unknown = Object.keys(data)
    .filter((k) => !EVENT_FIELDS.includes(k))
    .sort();
  if (unknown.length) throw new InvalidField(`event.${unknown[0]}`, 'is not a ServiceEvent field');
  const missing = EVENT_FIELDS.filter((k) => !has(data, k));
  if (missing.length) throw new InvalidField(`event.${missing[0]}`, 'is required');
  const eventId = data.eventId;
  if (typeof eventId !== 'string' || !EVENT_ID_RE.test(eventId)) {
    throw new InvalidField('eventId', 'must be 1-64 characters of [A-Za-z0-9._:-]');
  }
  const agency = data.agency;
  if (typeof agency !== 'string' || !AGENCY_RE.test(agency)) {
    throw new InvalidField('agency', 'must be 1-32 characters of [a-z0-9.-]');
  }
  const caseCommitment = parseHex('caseCommitment', data.caseCommitment, 32);
  if (isZero(caseCommitment)) throw new InvalidField('caseCommitment', 'must not be zero');
  const caseSeq = Number(parseUint('caseSeq', data.caseSeq, UINT32_MAX, 1n));
  const prevEventHash = parseHex('prevEventHash', data.prevEventHash, 32);
  if ((caseSeq === 1) !== isZero(prevEventHash)) {
    throw new InvalidField('prevEventHash', 'must be zero exactly when caseSeq is 1');
  }
  const eventType = data.eventType;
  if (typeof eventType !== 'string' || eventType.length > 64 || !EVENT_TYPE_RE.test(eventType)) {
    throw new InvalidField(
      'eventType',
      'must be dotted lower case like application.submitted: two or more segments of a-z, 0-9 and _, each starting with a letter, at most 64 characters in all',
    );
  }
  const summary = parseSummary(data.summary);
  const occurredAt = parseUint('occurredAt', data.occurredAt, UINT64_MAX, 1n);
  const payloadDigest = parseHex('payloadDigest', data.payloadDigest, 32);
  return { eventId, agency, caseCommitment, caseSeq, prevEventHash, eventType, summary, occurredAt, payloadDigest };
}

export const eventToJson = (e) => ({
  eventId: e.eventId,
  agency: e.agency,
  caseCommitment: toHex(e.caseCommitment),
  caseSeq: e.caseSeq,
  prevEventHash: toHex(e.prevEventHash),
  eventType: e.eventType,
  summary: e.summary,
  occurredAt: jsonInt(e.occurredAt),
  payloadDigest: toHex(e.payloadDigest),
});

/** EIP-712 hashStruct(event): also the link of the case hash chain. */
export function hashStruct(e) {
  return keccak256(
    concatBytes(
      SERVICE_EVENT_TYPEHASH,
      keccak256(utf8(e.eventId)),
      keccak256(utf8(e.agency)),
      e.caseCommitment,
      uintBytes(e.caseSeq, 32),
      e.prevEventHash,
      keccak256(utf8(e.eventType)),
      keccak256(utf8(e.summary)),
      uintBytes(e.occurredAt, 32),
      e.payloadDigest,
    ),
  );
}

export const eip712Digest = (domain, structHash) =>
  keccak256(concatBytes(new Uint8Array([0x19, 0x01]), domain.separator, structHash));

export const eventDigest = (domain, e) => eip712Digest(domain, hashStruct(e));

// --- signatures (FORMATS §4) -----------------------------------------------------------------------

export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
export const HALF_N = SECP256K1_N / 2n;

/** Check r, s, v (low-s only) and return the canonical 65 bytes with v in {27, 28}. */
export function normalizeSignature(signature) {
  if (signature.length !== 65) throw new InvalidField('signature', 'must be 65 bytes (r ‖ s ‖ v)');
  const r = bytesToBigInt(signature.subarray(0, 32));
  const s = bytesToBigInt(signature.subarray(32, 64));
  let v = signature[64];
  if (!(r > 0n && r < SECP256K1_N)) throw new InvalidField('signature', 'r must be in [1, n-1]');
  if (!(s > 0n && s <= HALF_N)) throw new InvalidField('signature', 's must be in [1, n/2] (low-s, EIP-2)');
  if (v === 0 || v === 1) v += 27;
  if (v !== 27 && v !== 28) throw new InvalidField('signature', 'v must be 27 or 28');
  const out = new Uint8Array(signature);
  out[64] = v;
  return out;
}

export const addressOfPublicKey = (uncompressed) => keccak256(uncompressed.subarray(1)).slice(12);
export const addressOfKey = (privateKey) => addressOfPublicKey(secp256k1.getPublicKey(privateKey, false));

/** The 20-byte address whose key made `signature` (canonical) over `digest`. */
export function recoverSigner(digest, signature) {
  const r = bytesToBigInt(signature.subarray(0, 32));
  const s = bytesToBigInt(signature.subarray(32, 64));
  try {
    const point = new secp256k1.Signature(r, s, signature[64] - 27).recoverPublicKey(digest);
    return addressOfPublicKey(point.toBytes(false));
  } catch {
    throw new AuthenticationFailed('signature does not recover to any public key');
  }
}

/** RFC 6979 deterministic signature, low-s, v 27/28 (for tests and tools; the page never signs). */
export function signDigest(digest, privateKey) {
  const raw = secp256k1.sign(digest, privateKey, { prehash: false, lowS: true, format: 'recovered' });
  // noble's "recovered" format is recovery ‖ r ‖ s
  return concatBytes(raw.subarray(1, 65), new Uint8Array([raw[0] + 27]));
}

// --- leaves and the Merkle log (FORMATS §5-§6) -----------------------------------------------------

export function leafBytes(digest, signature, receivedAt) {
  const at = parseUint('receivedAt', receivedAt, UINT64_MAX);
  if (digest.length !== 32 || signature.length !== 65) throw new InvalidField('leaf', 'digest must be 32 bytes and signature 65');
  return concatBytes(new Uint8Array([1]), digest, signature, uintBytes(at, 8));
}

export function parseLeaf(data) {
  if (!data.length || data[0] !== 1) throw new InvalidField('leaf', `unknown leaf version ${data.length ? data[0] : null}`);
  if (data.length !== 106) throw new InvalidField('leaf', 'version 1 leaves are 106 bytes');
  return { digest: data.slice(1, 33), signature: data.slice(33, 98), receivedAt: bytesToBigInt(data.subarray(98, 106)) };
}

export const leafHash = (leaf) => sha256(concatBytes(new Uint8Array([0]), leaf));
export const nodeHash = (left, right) => sha256(concatBytes(new Uint8Array([1]), left, right));
export const EMPTY_ROOT = sha256(new Uint8Array());

function checkSize(name, value) {
  const v = asBigInt(value);
  if (v === null || v < 0n || v > MAX_TREE_SIZE) throw new InvalidField(name, 'must be an integer in [0, 2^63)');
  return v;
}

function checkHash(name, value) {
  if (!(value instanceof Uint8Array) || value.length !== 32) throw new InvalidField(name, 'must be 32 bytes');
}

/** MTH(D[n]) over leaf hashes (RFC 9162 §2.1.1). */
export function merkleRoot(leafHashes) {
  const n = leafHashes.length;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return leafHashes[0];
  let k = 1;
  while (k * 2 < n) k *= 2;
  return nodeHash(merkleRoot(leafHashes.slice(0, k)), merkleRoot(leafHashes.slice(k)));
}

/** The root implied by an inclusion proof (FORMATS §6.4 steps 0-4). */
export function rootFromInclusionProof(leafIndex, treeSize, leafHashValue, proof) {
  const size = checkSize('treeSize', treeSize);
  const index = checkSize('leafIndex', leafIndex);
  checkHash('leafHash', leafHashValue);
  if (index >= size) throw new InclusionProofInvalid(`leaf index ${index} is not below tree size ${size}`);
  proof.forEach((p, i) => checkHash(`proof[${i}]`, p));
  let fn = index;
  let sn = size - 1n;
  let r = leafHashValue;
  for (const p of proof) {
    if (sn === 0n) throw new InclusionProofInvalid('proof has more elements than the tree has levels');
    if (fn & 1n || fn === sn) {
      r = nodeHash(p, r);
      if (!(fn & 1n)) {
        while (fn && !(fn & 1n)) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new InclusionProofInvalid('proof has fewer elements than the tree has levels');
  return r;
}

export function verifyInclusion(leafIndex, treeSize, leafHashValue, proof, expectedRoot) {
  checkHash('rootHash', expectedRoot);
  const calculated = rootFromInclusionProof(leafIndex, treeSize, leafHashValue, proof);
  if (!bytesEqual(calculated, expectedRoot)) {
    throw new InclusionProofInvalid('calculated root differs from the expected root', { expected: expectedRoot, calculated });
  }
}

/** FORMATS §6.6: throw ConsistencyProofInvalid unless the tree of newSize extends the tree of oldSize. */
export function verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof) {
  const first = checkSize('from', oldSize);
  const second = checkSize('to', newSize);
  checkHash('oldRoot', oldRoot);
  checkHash('newRoot', newRoot);
  proof.forEach((p, i) => checkHash(`proof[${i}]`, p));
  if (first > second) throw new ConsistencyProofInvalid(`old size ${first} exceeds new size ${second}`);
  if (first === second) {
    if (proof.length) throw new ConsistencyProofInvalid('proof between equal sizes must be empty');
    if (!bytesEqual(oldRoot, newRoot)) throw new ConsistencyProofInvalid('equal sizes with different roots');
    return;
  }
  if (first === 0n) {
    if (proof.length) throw new ConsistencyProofInvalid('proof from the empty tree must be empty');
    return;
  }
  if (!proof.length) throw new ConsistencyProofInvalid('proof is empty');
  const path = (first & (first - 1n)) === 0n ? [oldRoot, ...proof] : [...proof];
  let fn = first - 1n;
  let sn = second - 1n;
  while (fn & 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) throw new ConsistencyProofInvalid('proof has more elements than needed');
    if (fn & 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!(fn & 1n)) {
        while (fn && !(fn & 1n)) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new ConsistencyProofInvalid('proof has fewer elements than needed');
  if (!bytesEqual(fr, oldRoot)) throw new ConsistencyProofInvalid('old root does not match');
  if (!bytesEqual(sr, newRoot)) throw new ConsistencyProofInvalid('new root does not match');
}

// --- cases: reference, access code, commitment (FORMATS §7) ----------------------------------------

const CASE_REF_RE = /^[A-Z0-9](?:[A-Z0-9-]{0,62}[A-Z0-9])?$/;
export const CASE_COMMITMENT_PREFIX = 'saksi/case/v1:';

export function normalizeCaseRef(value) {
  if (typeof value !== 'string') throw new InvalidField('caseRef', 'must be a string');
  const ref = value.trim().toUpperCase();
  if (!CASE_REF_RE.test(ref)) {
    throw new InvalidField('caseRef', 'must be 1-64 characters of [A-Z0-9-], not starting or ending with -');
  }
  return ref;
}

/** The check character of an access code: Luhn mod 32 over its base32 symbols (FORMATS §7.3). */
export function accessCodeCheck(symbols) {
  let total = 0;
  let factor = 2;
  for (let i = symbols.length - 1; i >= 0; i--) {
    const addend = factor * B32.indexOf(symbols[i]);
    total += Math.floor(addend / 32) + (addend % 32);
    factor = 3 - factor;
  }
  return B32[(32 - (total % 32)) % 32];
}

export function formatAccessCode(caseKey) {
  if (caseKey.length !== 32) throw new InvalidField('caseKey', 'must be 32 bytes');
  const text = base32Encode(caseKey);
  return (text + accessCodeCheck(text)).match(/.{1,4}/g).join('-');
}

/**
 * Accepts what a person types: any case, dashes and white space ignored. 53 characters (key and
 * check character) or the 52 of codes printed before the check character existed. A code whose check
 * character differs is refused with `reason: 'check'`: one character is mistyped.
 */
export function parseAccessCode(value) {
  if (typeof value !== 'string') throw new InvalidField('accessCode', 'must be a string');
  let text = value.replace(/[\s-]/g, '').toUpperCase();
  if ((text.length !== 53 && text.length !== 52) || [...text].some((c) => !B32.includes(c))) {
    throw new InvalidField('accessCode', 'must be 53 characters of A-Z and 2-7 (dashes and spaces are ignored)');
  }
  if (text.length === 53) {
    const check = text[52];
    text = text.slice(0, 52);
    if (accessCodeCheck(text) !== check) {
      const error = new InvalidField('accessCode', 'check the code: a character is mistyped (the check character differs)');
      error.reason = 'check';
      throw error;
    }
  }
  const key = base32Decode(text);
  if (base32Encode(key) !== text) {
    const error = new InvalidField('accessCode', 'check the code: its last key character must be A or Q (padding bits)');
    error.reason = 'check';
    throw error;
  }
  return key;
}

/**
 * HMAC-SHA256(key = caseKey, msg = "saksi/case/v1:" ‖ caseRef), computed with WebCrypto where the
 * page runs in a secure context (HTTPS or localhost), else with the bundled implementation.
 */
export async function caseCommitment(caseKey, caseRef) {
  if (!(caseKey instanceof Uint8Array) || caseKey.length !== 32) throw new InvalidField('caseKey', 'must be 32 bytes');
  const message = utf8(CASE_COMMITMENT_PREFIX + normalizeCaseRef(caseRef));
  const subtle = globalThis.crypto?.subtle;
  if (subtle) {
    const key = await subtle.importKey('raw', caseKey, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    return new Uint8Array(await subtle.sign('HMAC', key, message));
  }
  return hmac(nobleSha256, caseKey, message);
}

// --- payload digests: RFC 8785 JCS (FORMATS §8) ------------------------------------------------------

const LONE_SURROGATE = /\p{Cs}/u;
const SAFE = 2 ** 53 - 1;

/** RFC 8785 canonical JSON text; refuses what the reference refuses (InvalidField "payload"). */
export function canonicalJson(value) {
  const refuse = (why) => {
    throw new InvalidField('payload', `cannot be canonicalised (RFC 8785): ${why}`);
  };
  const str = (s) => {
    if (LONE_SURROGATE.test(s)) refuse('lone surrogate');
    return JSON.stringify(s);
  };
  const walk = (v) => {
    if (v === null) return 'null';
    if (v === true) return 'true';
    if (v === false) return 'false';
    if (typeof v === 'string') return str(v);
    if (typeof v === 'bigint') refuse(`integer ${v} outside ±(2^53 - 1)`);
    if (typeof v === 'number' || v instanceof JsonFloat) {
      const n = Number(v);
      if (!Number.isFinite(n)) refuse('non-finite number');
      if (typeof v === 'number' && Number.isInteger(n) && Math.abs(n) > SAFE) refuse(`integer ${n} outside ±(2^53 - 1)`);
      if (v instanceof JsonFloat && Number.isInteger(n) && Math.abs(n) > SAFE && Math.abs(n) < 1e21) {
        refuse(`${v.text} is an integer outside ±(2^53 - 1) once canonicalised`);
      }
      return JSON.stringify(n);
    }
    if (Array.isArray(v)) return `[${v.map(walk).join(',')}]`;
    if (isObject(v)) {
      const keys = Object.keys(v).sort();
      return `{${keys.map((k) => `${str(k)}:${walk(v[k])}`).join(',')}}`;
    }
    return refuse(`unsupported value ${typeof v}`);
  };
  return walk(value);
}

export function payloadDigest(salt, payload) {
  if (salt.length !== 16) throw new InvalidField('payloadSalt', 'must be 16 bytes');
  return sha256(concatBytes(salt, utf8(canonicalJson(payload))));
}

export function checkPayload(digest, payload, salt) {
  if (isZero(digest)) {
    if (payload !== null || salt !== null) throw new InvalidField('payload', 'must be null when payloadDigest is zero');
    return;
  }
  if (payload === null || salt === null) {
    throw new InvalidField('payload', 'payload and payloadSalt are required when payloadDigest is not zero');
  }
  if (!bytesEqual(payloadDigest(salt, payload), digest)) {
    throw new InvalidField('payloadDigest', 'does not equal SHA-256(payloadSalt ‖ JCS(payload))');
  }
}

// --- checkpoints (FORMATS §9) ----------------------------------------------------------------------

const SIZE_RE = /^(?:0|[1-9][0-9]{0,19})$/;
// Python's str.isprintable(): no category C or Z character except the ASCII space.
const PRINTABLE_RE = /^(?:[^\p{C}\p{Z}]| )+$/u;

export const defaultOrigin = (chainId, contract) => `saksi/eip155:${BigInt(chainId)}/${toHex(contract)}`;

function makeCheckpoint(origin, treeSize, rootHash) {
  if (typeof origin !== 'string' || !origin || /[\n\r]/.test(origin) || !PRINTABLE_RE.test(origin)) {
    throw new InvalidField('checkpoint.origin', 'must be a non-empty printable line');
  }
  const size = parseUint('checkpoint.treeSize', treeSize, MAX_TREE_SIZE);
  if (rootHash.length !== 32) throw new InvalidField('checkpoint.rootHash', 'must be 32 bytes');
  return { origin, treeSize: size, rootHash };
}

/** `<origin>\n<tree size>\n<base64 root hash>\n`, exactly three lines. */
export function parseCheckpointText(text) {
  if (typeof text !== 'string') throw new InvalidField('checkpoint', 'must be a string');
  if (!text.endsWith('\n')) throw new InvalidField('checkpoint', 'must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length !== 3) throw new InvalidField('checkpoint', 'must have exactly three lines: origin, tree size, root hash');
  const [origin, sizeText, rootText] = lines;
  if (!SIZE_RE.test(sizeText)) throw new InvalidField('checkpoint.treeSize', 'must be decimal ASCII without leading zeros');
  const size = BigInt(sizeText);
  if (size > MAX_TREE_SIZE) throw new InvalidField('checkpoint.treeSize', 'must be below 2^63');
  return makeCheckpoint(origin, size, base64Decode('checkpoint.rootHash', rootText, 32));
}

export const checkpointToText = (c) => `${c.origin}\n${c.treeSize}\n${base64Encode(c.rootHash)}\n`;

/** The API object {treeSize, rootHash, checkpoint}; the three must agree. */
export function parseCheckpointJson(data) {
  if (!isObject(data)) throw new InvalidField('checkpoint', 'must be an object');
  const checkpoint = parseCheckpointText(get(data, 'checkpoint'));
  if (parseUint('checkpoint.treeSize', get(data, 'treeSize'), MAX_TREE_SIZE) !== checkpoint.treeSize) {
    throw new InvalidField('checkpoint.treeSize', 'differs from the checkpoint text');
  }
  if (!bytesEqual(parseHex('checkpoint.rootHash', get(data, 'rootHash'), 32), checkpoint.rootHash)) {
    throw new InvalidField('checkpoint.rootHash', 'differs from the checkpoint text');
  }
  return checkpoint;
}

export const checkpointToJson = (c) => ({
  treeSize: jsonInt(c.treeSize),
  rootHash: toHex(c.rootHash),
  checkpoint: checkpointToText(c),
});

// --- proof bundles (FORMATS §10) ---------------------------------------------------------------------

export const BUNDLE_FORMAT = 'saksi.proof-bundle/v1';
const MAX_PROOF_LENGTH = 128;

export function parseAnchor(data) {
  if (!isObject(data)) throw new InvalidField('anchor', 'must be an object or null');
  return {
    chainId: parseUint('anchor.chainId', get(data, 'chainId'), UINT256_MAX, 1n),
    contract: parseAddress('anchor.contract', get(data, 'contract')),
    txHash: parseHex('anchor.txHash', get(data, 'txHash'), 32),
    blockNumber: parseUint('anchor.blockNumber', get(data, 'blockNumber'), UINT64_MAX),
  };
}

export const anchorToJson = (a) => ({
  chainId: jsonInt(a.chainId),
  contract: toHex(a.contract),
  txHash: toHex(a.txHash),
  blockNumber: jsonInt(a.blockNumber),
});

function parseProof(field, value) {
  if (!Array.isArray(value) || value.length > MAX_PROOF_LENGTH) {
    throw new InvalidField(field, `must be a list of at most ${MAX_PROOF_LENGTH} hashes`);
  }
  return value.map((h, i) => parseHex(`${field}[${i}]`, h, 32));
}

function parseBundledEvent(data, position) {
  const where = `events[${position}]`;
  if (!isObject(data)) throw new InvalidField(where, 'must be an object');
  return {
    event: parseEvent(get(data, 'event')),
    signature: parseHex(`${where}.signature`, get(data, 'signature'), 65),
    signer: parseAddress(`${where}.signer`, get(data, 'signer')),
    leafIndex: parseUint(`${where}.leafIndex`, get(data, 'leafIndex'), MAX_TREE_SIZE),
    leafHash: parseHex(`${where}.leafHash`, get(data, 'leafHash'), 32),
    receivedAt: parseUint(`${where}.receivedAt`, get(data, 'receivedAt'), UINT64_MAX),
    inclusionProof: parseProof(`${where}.inclusionProof`, get(data, 'inclusionProof')),
  };
}

export function parseBundle(data) {
  if (!isObject(data)) throw new InvalidField('bundle', 'must be a JSON object');
  if (get(data, 'format') !== BUNDLE_FORMAT) throw new InvalidField('format', `must be "${BUNDLE_FORMAT}"`);
  const events = get(data, 'events');
  if (!Array.isArray(events) || !events.length) throw new InvalidField('events', 'must be a non-empty list');
  const kase = get(data, 'caseCommitment');
  const anchor = get(data, 'anchor');
  const domain = parseDomain(get(data, 'eip712Domain'));
  const checkpoint = parseCheckpointJson(get(data, 'checkpoint'));
  return {
    domain,
    checkpoint,
    anchor: anchor === null || anchor === undefined ? null : parseAnchor(anchor),
    caseCommitment: kase === null || kase === undefined ? null : parseHex('caseCommitment', kase, 32),
    events: events.map((e, i) => parseBundledEvent(e, i)),
  };
}

export const bundleToJson = (b) => ({
  format: BUNDLE_FORMAT,
  eip712Domain: domainToJson(b.domain),
  checkpoint: checkpointToJson(b.checkpoint),
  anchor: b.anchor === null ? null : anchorToJson(b.anchor),
  caseCommitment: b.caseCommitment === null ? null : toHex(b.caseCommitment),
  events: b.events.map((e) => ({
    event: eventToJson(e.event),
    signature: toHex(e.signature),
    signer: toHex(e.signer),
    leafIndex: jsonInt(e.leafIndex),
    leafHash: toHex(e.leafHash),
    receivedAt: jsonInt(e.receivedAt),
    inclusionProof: e.inclusionProof.map(toHex),
  })),
});

export const STEPS = [
  "1. checkpoint origin names the EIP-712 domain's chain and contract",
  '2. every signature is canonical and recovers to the stated signer',
  '3. every leaf hash is recomputed from the digest, signature and receivedAt',
  "4. every inclusion proof leads to the checkpoint's root",
  "5. the case's events form one hash chain (caseSeq 1, 2, 3 … linked by prevEventHash)",
  "6. the checkpoint's root equals the root anchored on chain",
  "7. every signer was the agency's registered signer when its event was received",
];

/**
 * The seven steps of FORMATS §10.3, stopping at the first failure (thrown, naming the step).
 * Trust inputs: `rootAt(treeSize) → Uint8Array` (may be async) reads the chain;
 * `signerAuthorised(agency, signer, receivedAt) → boolean` asks the agency registry.
 */
export async function verifyBundle(bundle, { rootAt = null, signerAuthorised = null } = {}) {
  const report = { treeSize: bundle.checkpoint.treeSize, events: bundle.events.length, checked: [], skipped: [] };
  const { domain, checkpoint } = bundle;
  const expectedOrigin = defaultOrigin(domain.chainId, domain.verifyingContract);
  if (checkpoint.origin !== expectedOrigin) {
    throw new VerificationFailed(`${STEPS[0]}: origin is ${JSON.stringify(checkpoint.origin)}, expected ${JSON.stringify(expectedOrigin)}`);
  }
  if (bundle.anchor && (bundle.anchor.chainId !== domain.chainId || !bytesEqual(bundle.anchor.contract, domain.verifyingContract))) {
    throw new VerificationFailed(`${STEPS[0]}: the anchor names another chain or contract than the domain`);
  }
  report.checked.push(STEPS[0]);

  for (const item of bundle.events) {
    const where = `event ${item.event.agency}/${item.event.eventId}`;
    const digest = eventDigest(domain, item.event);
    let signature;
    let signer;
    try {
      signature = normalizeSignature(item.signature);
      signer = recoverSigner(digest, signature);
    } catch (err) {
      if (!(err instanceof SaksiError)) throw err;
      throw new SignatureMismatch(`${STEPS[1]}: ${where}: ${err.message}`);
    }
    if (!bytesEqual(signature, item.signature) || !bytesEqual(signer, item.signer)) {
      throw new SignatureMismatch(`${STEPS[1]}: ${where} was signed by ${toHex(signer)}, not the stated ${toHex(item.signer)}`, {
        expected: item.signer,
        calculated: signer,
      });
    }
    const calculated = leafHash(leafBytes(digest, signature, item.receivedAt));
    if (!bytesEqual(calculated, item.leafHash)) {
      throw new RootMismatch(`${STEPS[2]}: ${where}: leaf hash differs`, { expected: item.leafHash, calculated });
    }
    try {
      verifyInclusion(item.leafIndex, checkpoint.treeSize, item.leafHash, item.inclusionProof, checkpoint.rootHash);
    } catch (err) {
      if (!(err instanceof SaksiError)) throw err;
      throw new InclusionProofInvalid(`${STEPS[3]}: ${where} (leaf ${item.leafIndex}): ${err.message}`);
    }
    if (bundle.caseCommitment && !bytesEqual(item.event.caseCommitment, bundle.caseCommitment)) {
      throw new VerificationFailed(`${STEPS[4]}: ${where} belongs to another case`);
    }
  }
  report.checked.push(STEPS[1], STEPS[2], STEPS[3]);

  if (bundle.caseCommitment) {
    const problem = caseChainProblem(bundle.events.map((e) => e.event));
    if (problem) throw new VerificationFailed(`${STEPS[4]}: ${problem.message}`, { problem });
    report.checked.push(STEPS[4]);
  } else {
    report.skipped.push(`${STEPS[4]} (not a case bundle)`);
  }

  if (rootAt) {
    const anchored = await rootAt(checkpoint.treeSize);
    if (!bytesEqual(anchored, checkpoint.rootHash)) {
      throw new RootMismatch(`${STEPS[5]}: chain has another root for tree size ${checkpoint.treeSize}`, {
        expected: anchored,
        calculated: checkpoint.rootHash,
      });
    }
    report.checked.push(STEPS[5]);
  } else {
    report.skipped.push(`${STEPS[5]} (no chain given)`);
  }

  if (signerAuthorised) {
    for (const item of bundle.events) {
      if (!(await signerAuthorised(item.event.agency, item.signer, item.receivedAt))) {
        throw new SignatureMismatch(
          `${STEPS[6]}: ${toHex(item.signer)} was not agency ${item.event.agency}'s signer when event ${item.event.eventId} was received`,
        );
      }
    }
    report.checked.push(STEPS[6]);
  } else {
    report.skipped.push(`${STEPS[6]} (no registry given)`);
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

// --- the chain: rootAt(uint64) over raw JSON-RPC (FORMATS §12.1) ------------------------------------

export const ROOT_AT_SELECTOR = keccak256(utf8('rootAt(uint64)')).slice(0, 4);

/** ABI call data of rootAt(treeSize): selector ‖ uint64 left-padded to one 32-byte word. */
export function encodeRootAt(treeSize) {
  const size = parseUint('treeSize', treeSize, UINT64_MAX);
  return toHex(concatBytes(ROOT_AT_SELECTOR, uintBytes(size, 32)));
}

let rpcId = 0;

export async function rpcCall(url, method, params, fetchImpl = globalThis.fetch) {
  const response = await fetchImpl(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method, params }),
    credentials: 'omit',
    referrerPolicy: 'no-referrer',
  });
  if (!response.ok) throw new SaksiError(`JSON-RPC endpoint answered HTTP ${response.status}`, { kind: 'chain-unavailable' });
  const body = await response.json();
  if (body.error) {
    const err = new SaksiError(`JSON-RPC ${method}: ${body.error.message ?? 'error'}`, { kind: 'rpc-error', rpcError: body.error });
    throw err;
  }
  return body.result;
}

/**
 * Read the root the ledger contract anchored for `treeSize` (FORMATS §10.3 step 6), after checking
 * that the endpoint serves the domain's chain. Throws VerificationFailed when the chain is another
 * one or the size was never anchored (rootAt reverts), SaksiError "chain-unavailable" when the
 * endpoint cannot be reached.
 */
export async function chainRootAt({ rpcUrl, chainId, contract, treeSize, fetchImpl = globalThis.fetch }) {
  let remoteChain;
  try {
    remoteChain = BigInt(await rpcCall(rpcUrl, 'eth_chainId', [], fetchImpl));
  } catch (err) {
    if (err instanceof SaksiError) throw err;
    throw new SaksiError(`cannot reach the chain at ${rpcUrl}: ${err.message}`, { kind: 'chain-unavailable' });
  }
  if (remoteChain !== BigInt(chainId)) {
    throw new VerificationFailed(`the RPC endpoint serves chain ${remoteChain}, not ${chainId}`, { reason: 'wrong-chain' });
  }
  let result;
  try {
    result = await rpcCall(rpcUrl, 'eth_call', [{ to: toHex(contract), data: encodeRootAt(treeSize) }, 'latest'], fetchImpl);
  } catch (err) {
    if (err instanceof SaksiError && err.kind === 'rpc-error') {
      throw new VerificationFailed(`the contract has no root for tree size ${treeSize} (rootAt reverted)`, { reason: 'not-anchored' });
    }
    throw err;
  }
  const root = parseHex('rootAt', result, 32);
  if (isZero(root)) throw new VerificationFailed(`the contract has no root for tree size ${treeSize}`, { reason: 'not-anchored' });
  return root;
}

// --- the citizen's view: every check of a case timeline, none stopping the others -------------------

/**
 * Check a case as the citizen page shows it. Inputs (all already fetched):
 *   commitment  Uint8Array: computed in the browser from the reference and the access code
 *   info        GET /v1/info (the domain and origin)
 *   timeline    GET /v1/cases/{commitment} (events with their leaf data; head; checkpoint)
 *   bundle      GET /v1/cases/{commitment}/bundle, or null when nothing is anchored yet
 *   agencies    GET /v1/agencies → [{code, name, status, signer, since}]
 *   chain       null (no RPC configured), or {root: Uint8Array} / {error} from chainRootAt
 * Returns {events: [...], checks: {id: {status, ...}}, verdict}, status ∈ ok | fail | warn | pending | skip.
 */
export function checkCase({ commitment, info, timeline, bundle = null, agencies = [], chain = null }) {
  const domain = parseDomain(info.eip712Domain);
  const registry = new Map(agencies.map((a) => [a.code, a]));
  const events = timeline.events.map((raw) => {
    const fields = {};
    for (const k of EVENT_FIELDS) fields[k] = raw[k];
    const event = parseEvent(fields);
    const signature = parseHex('signature', raw.signature, 65);
    const stated = parseAddress('signer', raw.signer);
    const structHash = hashStruct(event);
    const digest = eip712Digest(domain, structHash);
    const receivedAt = parseUint('receivedAt', raw.receivedAt, UINT64_MAX);
    const leafIndex = parseUint('leafIndex', raw.leafIndex, MAX_TREE_SIZE);
    const statedLeafHash = parseHex('leafHash', raw.leafHash, 32);
    let recovered = null;
    let signatureProblem = null;
    try {
      const canonical = normalizeSignature(signature);
      if (!bytesEqual(canonical, signature)) signatureProblem = 'not-canonical';
      recovered = recoverSigner(digest, canonical);
    } catch (err) {
      signatureProblem = err instanceof InvalidField ? 'malformed' : 'unrecoverable';
    }
    let leafOk = false;
    try {
      leafOk = bytesEqual(leafHash(leafBytes(digest, signature, receivedAt)), statedLeafHash);
    } catch {
      leafOk = false;
    }
    return { raw, event, signature, stated, recovered, signatureProblem, structHash, digest, receivedAt, leafIndex, statedLeafHash, leafOk };
  });
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
    const entry = registry.get(e.event.agency);
    const registered = entry?.signer ? parseAddress('signer', entry.signer) : null;
    e.agencyName = entry?.name ?? null;
    if (e.signatureProblem) {
      e.signatureStatus = 'fail';
      sigFailures.push({ ...ref(e), reason: e.signatureProblem });
    } else if (!bytesEqual(e.recovered, e.stated)) {
      e.signatureStatus = 'fail';
      sigFailures.push({ ...ref(e), reason: 'content-changed', recovered: toHex(e.recovered), expected: toHex(registered ?? e.stated) });
    } else if (!entry) {
      e.signatureStatus = 'fail';
      sigFailures.push({ ...ref(e), reason: 'unknown-agency', recovered: toHex(e.recovered) });
    } else if (registered && bytesEqual(registered, e.recovered)) {
      e.signatureStatus = 'ok';
    } else if (registered && entry.since !== undefined && e.receivedAt < BigInt(entry.since ?? 0)) {
      e.signatureStatus = 'warn';
      sigWarnings.push({ ...ref(e), reason: 'earlier-key', recovered: toHex(e.recovered), expected: toHex(registered) });
    } else if (!registered) {
      e.signatureStatus = 'warn';
      sigWarnings.push({ ...ref(e), reason: 'agency-revoked', recovered: toHex(e.recovered) });
    } else {
      e.signatureStatus = 'fail';
      sigFailures.push({ ...ref(e), reason: 'not-registered-signer', recovered: toHex(e.recovered), expected: toHex(registered) });
    }
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
    const expected = defaultOrigin(domain.chainId, domain.verifyingContract);
    const sameAsTimeline =
      !timeline.checkpoint ||
      (BigInt(timeline.checkpoint.treeSize) === checkpoint.treeSize &&
        bytesEqual(parseHex('rootHash', timeline.checkpoint.rootHash, 32), checkpoint.rootHash));
    const anchorOk =
      !anchorJson ||
      (BigInt(anchorJson.chainId) === domain.chainId &&
        bytesEqual(parseAddress('anchor.contract', anchorJson.contract), domain.verifyingContract));
    checks.checkpoint = {
      status: checkpoint.origin === expected && sameAsTimeline && anchorOk ? 'ok' : 'fail',
      reason: checkpoint.origin !== expected ? 'origin' : !sameAsTimeline ? 'two-checkpoints' : !anchorOk ? 'anchor-domain' : null,
      origin: checkpoint.origin,
      expectedOrigin: expected,
      treeSize: String(checkpoint.treeSize),
      rootHash: toHex(checkpoint.rootHash),
    };
  }

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
  const anchor = anchorJson
    ? { txHash: anchorJson.txHash, blockNumber: String(anchorJson.blockNumber), chainId: String(anchorJson.chainId), status: anchorJson.status ?? null }
    : null;
  if (!checkpoint) {
    checks.anchor = { status: 'pending', anchor };
  } else if (chain && chain.root) {
    checks.anchor = bytesEqual(chain.root, checkpoint.rootHash)
      ? { status: 'ok', anchor, treeSize: String(checkpoint.treeSize), chainRoot: toHex(chain.root) }
      : { status: 'fail', reason: 'root-differs', anchor, treeSize: String(checkpoint.treeSize), chainRoot: toHex(chain.root) };
  } else if (chain && chain.error) {
    const unreachable = chain.error.kind === 'chain-unavailable';
    checks.anchor = {
      status: unreachable ? 'warn' : 'fail',
      reason: unreachable ? 'unreachable' : chain.error.reason ?? 'chain-error',
      detail: chain.error.message,
      anchor,
      treeSize: String(checkpoint.treeSize),
    };
  } else {
    checks.anchor = { status: 'skip', reason: 'no-rpc', anchor, treeSize: String(checkpoint.treeSize) };
  }

  const statuses = Object.values(checks).map((c) => c.status);
  const verdict = statuses.includes('fail') ? 'fail' : statuses.every((s) => s === 'ok') ? 'ok' : 'partial';
  return { events, checks, verdict, checkpoint, domain };
}

function ref(e) {
  return { caseSeq: e.event.caseSeq, eventId: e.event.eventId, agency: e.event.agency };
}
