// The EIP-712 domain and service events (FORMATS §2-§3), and the leaf an accepted event becomes
// (FORMATS §5). The counterpart of ledger/core/events.py.

import { UINT256_MAX, UINT32_MAX, UINT64_MAX, bytesToBigInt, concatBytes, get, has, isObject, isZero, jsonInt, keccak256, parseAddress, parseHex, parseUint, toHex, uintBytes, utf8 } from './bytes.js';
import { InvalidField } from './errors.js';

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
