// Cases (FORMATS §7): reference, access code, commitment; payload digests by RFC 8785 JCS (FORMATS §8).
// The counterpart of ledger/core/commitment.py.

import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

import { JsonFloat } from '../json.js';

import { B32, base32Decode, base32Encode, bytesEqual, concatBytes, isObject, isZero, sha256, utf8 } from './bytes.js';
import { InvalidField } from './errors.js';

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

// payload digests: RFC 8785 JCS (FORMATS §8) ------------------------------------------------------

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
