// Checkpoints (FORMATS §9): the signed-note body and its JSON form. The counterpart of
// ledger/core/checkpoint.py.

import { MAX_TREE_SIZE, base64Decode, base64Encode, bytesEqual, get, isObject, jsonInt, parseHex, parseUint, toHex } from './bytes.js';
import { InvalidField } from './errors.js';

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
