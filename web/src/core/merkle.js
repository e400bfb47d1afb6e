// The RFC 9162 Merkle log (FORMATS §6): leaf and node hashes, roots, inclusion and consistency
// proofs. The counterpart of ledger/core/merkle.py (the verifying half: the page builds no tree).

import { MAX_TREE_SIZE, asBigInt, bytesEqual, concatBytes, sha256 } from './bytes.js';
import { ConsistencyProofInvalid, InclusionProofInvalid, InvalidField } from './errors.js';

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
