// Self-proving receipts (FORMATS 16.6), the mirror of ledger/core/receipt_proof.py: one step of a case
// and its offline proof in a printed receipt's QR code, checked in this browser with no network against
// a witness policy. decodeReceipt is async (the browser's DecompressionStream inflates the raw DEFLATE).

import { canonicalJson } from './commitment.js';
import { InvalidField, TooLarge } from './errors.js';
import { base64Encode, bytesEqual, concatBytes, isObject, parseAddress, toHex, utf8 } from './bytes.js';
import { parseCheckpointText } from './checkpoint.js';
import { leafBytes, makeDomain, parseEvent } from './events.js';
import { leafHash } from './merkle.js';
import { parseNote } from './note.js';
import { parseJson } from '../json.js';
import { MAX_INCLUSION_HASHES, verifyTlogProof } from './tlog_proof.js';
import { signatureOutcome } from './verify.js';

export const RECEIPT_VERSION = 1;
export const MAX_CONTAINER_BYTES = 16 * 1024;
export const MAX_ENCODED_CHARS = 4096;
export const RECEIPT_TEXT_FIELDS = ['agency', 'caseSeq', 'eventId', 'eventType', 'occurredAt', 'summary'];
const HEAD = 179;
const MAX_NOTE_SIGNATURES = 16;
const ORIGIN = /^saksi\/eip155:([1-9][0-9]{0,77})\/(0x[0-9a-f]{40})$/;
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The EIP-712 domain a Saksi checkpoint origin names (InvalidField for any other origin). */
export function domainOfOrigin(origin) {
  const found = ORIGIN.exec(origin);
  if (!found) throw new InvalidField('receipt.origin', 'must be saksi/eip155:<chainId>/<lower-case contract address>');
  return makeDomain(BigInt(found[1]), parseAddress('contract', found[2]));
}

function base64UrlDecode(text) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw new InvalidField('receipt', 'must be base64url without padding');
  }
  const out = new Uint8Array(Math.floor((text.length * 6) / 8));
  let bits = 0;
  let acc = 0;
  let at = 0;
  for (const ch of text) {
    acc = ((acc << 6) | B64URL.indexOf(ch)) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

async function inflateRaw(data) {
  const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
  const reader = stream.getReader();
  const chunks = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > MAX_CONTAINER_BYTES) {
        await reader.cancel();
        throw new TooLarge(`receipt: must unpack to at most ${MAX_CONTAINER_BYTES} bytes`, { field: 'receipt' });
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof TooLarge) throw err;
    throw new InvalidField('receipt', 'is not raw DEFLATE data');
  }
  return concatBytes(...chunks);
}

/** The checkpoint note's signature lines, from the container at `at` (FORMATS 16.6). */
function signatureLines(data, at) {
  if (at >= data.length || data[at] < 1 || data[at] > MAX_NOTE_SIGNATURES) {
    throw new InvalidField('receipt.note', `must have 1 to ${MAX_NOTE_SIGNATURES} signatures`);
  }
  const count = data[at];
  let pos = at + 1;
  const lines = [];
  const part = () => {
    if (pos >= data.length || pos + 1 + data[pos] > data.length) throw new InvalidField('receipt.note', 'a signature is truncated');
    const bytes = data.slice(pos + 1, pos + 1 + data[pos]);
    pos += 1 + bytes.length;
    return bytes;
  };
  for (let i = 0; i < count; i++) {
    const nameBytes = part();
    const raw = part();
    let name;
    try {
      name = new TextDecoder('utf-8', { fatal: true }).decode(nameBytes);
    } catch {
      throw new InvalidField('receipt.note', 'a key name must be UTF-8');
    }
    lines.push(`— ${name} ${base64Encode(raw)}\n`);
  }
  return { lines, end: pos };
}

/** A receipt's base64url text → {event, signature, receivedAt, index, inclusion, checkpoint (note)}. */
export async function decodeReceipt(text) {
  if (typeof text !== 'string') throw new InvalidField('receipt', 'must be a string');
  if (text.length > MAX_ENCODED_CHARS) throw new TooLarge(`receipt: must be at most ${MAX_ENCODED_CHARS} characters`, { field: 'receipt' });
  return receiptFromBytes(await inflateRaw(base64UrlDecode(text)));
}

export function receiptFromBytes(data) {
  if (data.length < HEAD || data[0] !== RECEIPT_VERSION) {
    throw new InvalidField('receipt', `must start with version ${RECEIPT_VERSION} and its fixed fields`);
  }
  const count = data[178];
  if (count > MAX_INCLUSION_HASHES) throw new InvalidField('receipt.inclusion', `must have at most ${MAX_INCLUSION_HASHES} hashes`);
  const start = HEAD + 32 * count;
  if (data.length < start) throw new InvalidField('receipt.inclusion', 'is truncated');
  const inclusion = [];
  for (let i = 0; i < count; i++) inclusion.push(data.slice(HEAD + 32 * i, HEAD + 32 * (i + 1)));
  const { lines, end } = signatureLines(data, start);
  let rest;
  try {
    rest = new TextDecoder('utf-8', { fatal: true }).decode(data.slice(end));
  } catch {
    throw new InvalidField('receipt', 'the event fields and the note must be UTF-8');
  }
  const newline = rest.indexOf('\n');
  if (newline < 0) throw new InvalidField('receipt', "must have the event fields, a line break, then the checkpoint's text");
  const line = rest.slice(0, newline);
  let fields;
  try {
    fields = parseJson(line);
  } catch {
    throw new InvalidField('receipt.event', 'must be a JSON object');
  }
  if (!isObject(fields) || Object.keys(fields).sort().join() !== [...RECEIPT_TEXT_FIELDS].sort().join()) {
    throw new InvalidField('receipt.event', `must have exactly the fields ${RECEIPT_TEXT_FIELDS.join(', ')}`);
  }
  let canonical = null;
  try {
    canonical = canonicalJson(fields);
  } catch {
    canonical = null;
  }
  if (canonical !== line) throw new InvalidField('receipt.event', 'must be canonical JSON (keys sorted, no spaces)');
  const event = parseEvent({
    ...fields,
    caseCommitment: toHex(data.slice(1, 33)),
    prevEventHash: toHex(data.slice(33, 65)),
    payloadDigest: toHex(data.slice(65, 97)),
  });
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const index = view.getBigUint64(170);
  if (index >= 1n << 63n) throw new InvalidField('receipt.index', 'must be below 2^63');
  return {
    event,
    signature: data.slice(97, 162),
    receivedAt: view.getBigUint64(162),
    index,
    inclusion,
    checkpoint: parseNote(utf8(`${rest.slice(newline + 1)}\n${lines.join('')}`)),
  };
}

/**
 * Verify a decoded receipt against `policy` (parsePolicy): the leaf recomputed from the event in the
 * origin's domain, then the tlog-proof (the log's signature, the cosignatures, the quorum, the inclusion
 * proof). Throws (a SaksiError naming what failed) on any failure. `agencies` (GET /v1/agencies, as last
 * seen online) say whether the recovered signer is the agency's registered key.
 * Returns {event, tree, signer, agencyName, signerRegistered, checked: {cosignedBy, quorumMet}}.
 */
export function verifyReceipt(receipt, policy, agencies = null) {
  const tree = parseCheckpointText(receipt.checkpoint.text);
  const domain = domainOfOrigin(tree.origin);
  const { digest, recovered, error } = signatureOutcome(domain, receipt.event, receipt.signature);
  if (error) throw error; // malformed (InvalidField) or unrecoverable (AuthenticationFailed), as the reference
  const leaf = leafBytes(digest, receipt.signature, receipt.receivedAt);
  const checked = verifyTlogProof({ index: receipt.index, inclusion: receipt.inclusion, checkpoint: receipt.checkpoint, extra: leaf }, leafHash(leaf), policy);
  const entry = agencies ? agencies.find((a) => a.code === receipt.event.agency) : null;
  const registered = entry?.signers ?? (entry?.signer ? [{ signer: entry.signer }] : []);
  const signerRegistered = agencies ? registered.some((s) => bytesEqual(parseAddress('signer', s.signer), recovered)) : null;
  return { event: receipt.event, tree, signer: recovered, agencyName: entry?.name ?? null, signerRegistered, checked };
}
