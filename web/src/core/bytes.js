// Bytes and integers: hex, fixed-size unsigned integers, hashes, base64 (checkpoints) and base32
// (access codes). The counterpart of ledger/core/encoding.py.

import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';

import { JsonFloat } from '../json.js';

import { InvalidField } from './errors.js';

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
export function asBigInt(value) {
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
export const isZero = (bytes) => bytes.every((b) => b === 0);

export function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof JsonFloat);
}

export const has = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);
export const get = (obj, key) => (has(obj, key) ? obj[key] : undefined);

// base64 (checkpoints) and base32 (access codes) ------------------------------------------------

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

export const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(bytes) {
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

export function base32Decode(text) {
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
