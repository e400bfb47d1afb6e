// Proof bundles (FORMATS §10): parsing and serialising. The counterpart of ledger/core/bundle.py.

import { MAX_TREE_SIZE, UINT256_MAX, UINT64_MAX, get, isObject, jsonInt, parseAddress, parseHex, parseUint, toHex } from './bytes.js';
import { checkpointToJson, parseCheckpointJson } from './checkpoint.js';
import { domainToJson, eventToJson, parseDomain, parseEvent } from './events.js';
import { InvalidField, InvalidInput } from './errors.js';
import { parseNote, serializeNote } from './note.js';

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

/**
 * `checkpoint.note`: the checkpoint as a C2SP signed note; absent (or null, as the API's checkpoint views
 * write an unsigned one) in bundles made before witnessing.
 */
export function parseCheckpointNote(data) {
  if (!isObject(data) || get(data, 'note') === undefined || get(data, 'note') === null) return null;
  const text = data.note;
  if (typeof text !== 'string') throw new InvalidField('checkpoint.note', 'must be a C2SP signed note (a string)');
  try {
    return parseNote(text);
  } catch (err) {
    if (err instanceof InvalidInput) throw new InvalidField('checkpoint.note', err.message);
    throw err;
  }
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
    note: parseCheckpointNote(get(data, 'checkpoint')),
  };
}

export const bundleToJson = (b) => ({
  format: BUNDLE_FORMAT,
  eip712Domain: domainToJson(b.domain),
  checkpoint: b.note ? { ...checkpointToJson(b.checkpoint), note: serializeNote(b.note) } : checkpointToJson(b.checkpoint),
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
