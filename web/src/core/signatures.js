// Signatures (FORMATS §4): canonical r ‖ s ‖ v, low-s, recovery. The counterpart of
// ledger/core/signatures.py.

import { secp256k1 } from '@noble/curves/secp256k1.js';

import { bytesToBigInt, concatBytes, keccak256 } from './bytes.js';
import { AuthenticationFailed, InvalidField } from './errors.js';

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
