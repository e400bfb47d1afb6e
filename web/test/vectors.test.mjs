// Replays the golden vectors of tests/vectors/*.json against the JavaScript verifier (web/src/core/),
// exactly as tests/core/test_vectors.py replays them against the Python reference: valid vectors must
// pass and reproduce every value they state; negative vectors must throw the named error class (and
// an InvalidField must name the stated field). A vector file that does not exist is skipped.
//
// Run: node --test web/test/

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as v from '../src/core/index.js';

const VECTOR_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'tests', 'vectors');

function load(name) {
  const path = join(VECTOR_DIR, name);
  return existsSync(path) ? v.parseJson(readFileSync(path, 'utf8')) : null;
}

/** Lower-case 0x hex of any length, as the vectors write it. */
function b(value) {
  assert.equal(typeof value, 'string');
  assert.ok(value.startsWith('0x') && value === value.toLowerCase(), value);
  return v.parseHex('vector', value);
}

const h = v.toHex;

/** Deep equality where a BigInt equals the same number and a JsonFloat equals its value. */
function same(a, c) {
  const num = (x) => typeof x === 'number' || typeof x === 'bigint';
  if (num(a) && num(c)) return Number.isInteger(Number(a)) && Number.isInteger(Number(c)) ? BigInt(a) === BigInt(c) : a === c;
  if (a instanceof v.JsonFloat || c instanceof v.JsonFloat) return Number(a) === Number(c);
  if (Array.isArray(a) || Array.isArray(c)) {
    return Array.isArray(a) && Array.isArray(c) && a.length === c.length && a.every((x, i) => same(x, c[i]));
  }
  if (a && c && typeof a === 'object' && typeof c === 'object') {
    const ka = Object.keys(a).sort();
    const kc = Object.keys(c).sort();
    return same(ka, kc) && ka.every((k) => same(a[k], c[k]));
  }
  return a === c;
}

function assertSame(actual, expected, what = 'value') {
  assert.ok(same(actual, expected), `${what} differs:\n  got      ${v.stringifyJson(actual)}\n  expected ${v.stringifyJson(expected)}`);
}

async function replay(vector, action) {
  if (vector.valid) {
    await action();
    return;
  }
  let raised = null;
  try {
    await action();
  } catch (err) {
    raised = err;
  }
  assert.ok(raised, `expected ${vector.error}, nothing was raised`);
  assert.ok(raised instanceof v.SaksiError, `expected ${vector.error}, got ${raised.stack}`);
  assert.equal(raised.name, vector.error, raised.message);
  if (vector.error === 'InvalidField') assert.equal(raised.field, vector.field, raised.message);
}

function suite(name, check) {
  const doc = load(name);
  describe(name, { skip: doc ? false : `tests/vectors/${name} does not exist yet` }, () => {
    if (!doc) return;
    doc.vectors.forEach((vector, i) => {
      const id = `${String(i).padStart(3, '0')} ${vector.kind ? `[${vector.kind}] ` : ''}${vector.description}`;
      it(id, () => replay(vector, () => check(vector)));
    });
  });
}

// --- Merkle ---------------------------------------------------------------------------------------

function checkInclusion(x) {
  const proof = x.proof.map(b);
  v.verifyInclusion(x.leafIndex, x.treeSize, b(x.leafHash), proof, b(x.rootHash));
  assert.equal(h(v.rootFromInclusionProof(x.leafIndex, x.treeSize, b(x.leafHash), proof)), x.rootHash);
}

function checkConsistency(x) {
  v.verifyConsistency(x.oldSize, x.newSize, b(x.oldRoot), b(x.newRoot), x.proof.map(b));
}

suite('merkle_ct.json', (x) => {
  if (x.kind === 'leafHash') assert.equal(h(v.leafHash(b(x.leaf))), x.leafHash);
  else if (x.kind === 'root') {
    const hashes = x.leaves.map((leaf) => v.leafHash(b(leaf)));
    assert.equal(BigInt(hashes.length), BigInt(x.treeSize));
    assert.equal(h(v.merkleRoot(hashes)), x.rootHash);
  } else if (x.kind === 'inclusion') checkInclusion(x);
  else if (x.kind === 'consistency') checkConsistency(x);
  else assert.fail(`unknown kind ${x.kind}`);
});

suite('inclusion.json', checkInclusion);
suite('consistency.json', checkConsistency);

// --- events ---------------------------------------------------------------------------------------

suite('events.json', (x) => {
  switch (x.kind) {
    case 'testKey': {
      assert.ok(x.label.startsWith('saksi test key '));
      assert.equal(h(v.keccak256(v.utf8(x.label))), x.testPrivateKey);
      assert.equal(h(v.addressOfKey(b(x.testPrivateKey))), x.address);
      break;
    }
    case 'domain': {
      const domain = v.parseDomain(x.domain);
      assert.equal(h(domain.separator), x.domainSeparator);
      assert.equal(x.domainType, v.EIP712_DOMAIN_TYPE);
      assert.equal(x.eventType, v.SERVICE_EVENT_TYPE);
      assert.equal(h(v.keccak256(v.utf8(x.domainType))), x.domainTypeHash);
      assert.equal(h(v.EIP712_DOMAIN_TYPEHASH), x.domainTypeHash);
      assert.equal(h(v.SERVICE_EVENT_TYPEHASH), x.eventTypeHash);
      break;
    }
    case 'signedEvent': {
      const domain = v.parseDomain(x.domain);
      const event = v.parseEvent(x.event);
      assertSame(v.eventToJson(event), x.event, 'event JSON');
      assert.equal(h(v.hashStruct(event)), x.hashStruct);
      const digest = v.eventDigest(domain, event);
      assert.equal(h(digest), x.digest);
      assert.equal(h(v.signDigest(digest, b(x.testPrivateKey))), x.signature, 'RFC 6979 signature');
      const signature = v.normalizeSignature(b(x.signature));
      assert.equal(h(v.recoverSigner(digest, signature)), x.signer);
      assert.equal(h(v.addressOfKey(b(x.testPrivateKey))), x.signer);
      const leaf = v.leafBytes(digest, signature, x.receivedAt);
      assert.equal(h(leaf), x.leafBytes);
      assert.equal(h(v.leafHash(leaf)), x.leafHash);
      const parsed = v.parseLeaf(leaf);
      assert.equal(h(parsed.digest), x.digest);
      assert.equal(h(parsed.signature), x.signature);
      assert.equal(parsed.receivedAt, BigInt(x.receivedAt));
      break;
    }
    case 'signature': {
      const domain = v.parseDomain(x.domain);
      const event = v.parseEvent(x.event);
      const signature = v.normalizeSignature(b(x.signature));
      const signer = v.recoverSigner(v.eventDigest(domain, event), signature);
      assert.equal(h(signer), x.recovered);
      if (x.valid) assert.equal(h(signature), x.normalizedSignature);
      if (h(signer) !== x.expectSigner) throw new v.SignatureMismatch('signed by another key');
      break;
    }
    case 'eventJson': {
      const event = v.parseEvent(x.event);
      assertSame(v.eventToJson(event), x.event, 'event JSON');
      break;
    }
    case 'domainJson': {
      const domain = v.parseDomain(x.domain);
      assert.equal(h(domain.separator), x.domainSeparator);
      assertSame(v.domainToJson(domain), x.domain, 'domain JSON');
      break;
    }
    case 'leaf': {
      const leaf = v.parseLeaf(b(x.leafBytes));
      assert.equal(h(leaf.digest), x.digest);
      assert.equal(h(leaf.signature), x.signature);
      assert.equal(leaf.receivedAt, BigInt(x.receivedAt));
      assert.equal(h(v.leafBytes(leaf.digest, leaf.signature, leaf.receivedAt)), x.leafBytes);
      break;
    }
    default:
      assert.fail(`unknown kind ${x.kind}`);
  }
});

describe('events.json: the KTP sample events form a hash chain', { skip: load('events.json') ? false : 'no events.json' }, () => {
  it('links caseSeq 1, 2, 3', () => {
    const samples = load('events.json').vectors.filter((x) => x.kind === 'signedEvent' && x.description.startsWith('KTP case'));
    assert.deepEqual(
      samples.map((s) => s.event.caseSeq),
      [1, 2, 3],
    );
    assert.equal(v.caseChainProblem(samples.map((s) => v.parseEvent(s.event))), null);
  });
});

// --- commitments and payloads ------------------------------------------------------------------------

suite('commitments.json', async (x) => {
  switch (x.kind) {
    case 'caseCommitment': {
      const key = b(x.caseKey);
      assert.equal(h(await v.caseCommitment(key, x.caseRef)), x.commitment);
      assert.equal(v.formatAccessCode(key), x.accessCode);
      assert.equal(h(v.parseAccessCode(x.accessCode)), x.caseKey);
      break;
    }
    case 'accessCode':
      assert.equal(h(v.parseAccessCode(x.accessCode)), x.caseKey);
      break;
    case 'payloadDigest': {
      const payload = v.parseJson(x.payloadText);
      const digest = v.payloadDigest(b(x.salt), payload);
      assertSame(payload, x.payload, 'payload');
      assert.equal(v.canonicalJson(payload), x.jcs);
      assert.equal(v.canonicalJson(x.payload), x.jcs);
      assert.equal(h(digest), x.digest);
      break;
    }
    case 'checkPayload':
      v.checkPayload(b(x.payloadDigest), x.payload, x.salt === null ? null : b(x.salt));
      break;
    default:
      assert.fail(`unknown kind ${x.kind}`);
  }
});

// --- checkpoints ---------------------------------------------------------------------------------------

suite('checkpoints.json', (x) => {
  if (x.kind === 'text') {
    const c = v.parseCheckpointText(x.text);
    assert.equal(c.origin, x.origin);
    assert.equal(c.treeSize, BigInt(x.treeSize));
    assert.equal(h(c.rootHash), x.rootHash);
    assert.equal(v.checkpointToText(c), x.text);
  } else if (x.kind === 'json') {
    const c = v.parseCheckpointJson(x.checkpoint);
    assertSame(v.checkpointToJson(c), x.checkpoint, 'checkpoint JSON');
  } else assert.fail(`unknown kind ${x.kind}`);
});

// --- signed notes, cosignatures, policies, tlog-proofs (notes.json, FORMATS §16) -----------------------

const sigRow = (s) => ({ name: s.name, keyId: s.keyId.toString(16).padStart(8, '0'), signature: h(s.signature) });
const verifiedRow = (x) => ({ vkey: v.vkeyToString(x.vkey), timestamp: x.timestamp === null ? null : x.timestamp });

suite('notes.json', (x) => {
  switch (x.kind) {
    case 'vkey': {
      const vkey = v.parseVkey(x.vkey);
      assert.equal(v.vkeyToString(vkey), x.vkey);
      assertSame([vkey.name, vkey.keyId.toString(16).padStart(8, '0'), vkey.sigType, h(vkey.publicKey)], [x.name, x.keyId, x.type, x.publicKey]);
      break;
    }
    case 'note': {
      const note = v.parseNote(x.note);
      if (x.valid) {
        assert.equal(v.serializeNote(note), x.note);
        assert.equal(note.text, x.text);
        assertSame(note.signatures.map(sigRow), x.signatures, 'signatures');
      }
      if (x.vkeys !== null && x.vkeys !== undefined) {
        const verified = v.verifyNote(note, x.vkeys.map(v.parseVkey));
        assertSame(verified.map(verifiedRow), x.verified, 'verified');
      }
      break;
    }
    case 'signedCheckpoint': {
      const seed = b(x.testSeed);
      const vkey = v.makeVkey(x.origin, v.SIG_ED25519, v.publicKeyOf(seed));
      assert.equal(v.vkeyToString(vkey), x.vkey);
      assert.equal(v.signatureLine(v.signNote(x.origin, seed, x.checkpoint)), x.signatureLine, 'Ed25519 is deterministic');
      assert.equal(x.note, `${x.checkpoint}\n${x.signatureLine}`);
      v.verifyNote(v.parseNote(x.note), [vkey]);
      break;
    }
    case 'cosignature': {
      const seed = b(x.testSeed);
      const vkey = v.makeVkey(x.name, v.SIG_COSIGNATURE_V1, v.publicKeyOf(seed));
      assert.equal(v.vkeyToString(vkey), x.vkey);
      assert.equal(new TextDecoder().decode(v.cosignatureMessage(x.checkpoint, x.timestamp)), x.message);
      const line = v.signatureLine(v.cosign(x.name, seed, x.checkpoint, x.timestamp));
      assert.equal(line, x.signatureLine);
      const [verified] = v.verifyNote(v.parseNote(`${x.checkpoint}\n${line}`), [vkey]);
      assert.equal(verified.timestamp, BigInt(x.timestamp));
      break;
    }
    case 'policy': {
      const policy = v.parsePolicy(x.policy);
      assertSame(policy.logs.map((l) => v.vkeyToString(l.vkey)), x.logs, 'logs');
      assertSame(
        policy.witnesses.map((w) => ({ name: w.name, vkey: v.vkeyToString(w.vkey), url: w.url, displayName: w.displayName })),
        x.witnesses,
        'witnesses',
      );
      assert.equal(policy.quorum, x.quorum);
      assert.equal(v.serializePolicy(policy), x.serialized);
      break;
    }
    case 'tlogProof': {
      const proof = v.parseTlogProof(x.proof);
      const checked = v.verifyTlogProof(proof, v.tlogProofLeafHash(proof), v.parsePolicy(x.policy));
      assert.equal(v.serializeTlogProof(proof), x.proof);
      assertSame([proof.index, checked.checkpoint.treeSize, h(v.tlogProofLeafHash(proof))], [x.leafIndex, x.treeSize, x.leafHash]);
      assertSame(checked.cosignedBy.map((c) => ({ witness: c.name, timestamp: c.timestamp })), x.cosignedBy, 'cosignedBy');
      assert.equal(checked.quorumMet, x.quorumMet);
      break;
    }
    default:
      assert.fail(`unknown kind ${x.kind}`);
  }
});

// --- bundles ---------------------------------------------------------------------------------------------

suite('bundles.json', async (x) => {
  const bundle = v.parseBundle(x.bundle);
  assertSame(v.bundleToJson(bundle), x.bundle, 'bundle JSON');
  let rootAt = null;
  let signerAuthorised = null;
  if (x.anchoredRoot !== undefined) {
    rootAt = async (treeSize) => {
      assert.equal(treeSize, bundle.checkpoint.treeSize);
      return b(x.anchoredRoot);
    };
  }
  if (x.authorisedSigners !== undefined) {
    signerAuthorised = (agency, signer) => (x.authorisedSigners[agency] ?? []).includes(h(signer));
  }
  const policy = x.policy !== undefined ? v.parsePolicy(x.policy) : null;
  const logVkey = x.logVkey !== undefined ? v.parseVkey(x.logVkey) : null;
  const report = await v.verifyBundle(bundle, { rootAt, signerAuthorised, policy, logVkey });
  assert.equal(report.events, x.bundle.events.length);
  assert.equal(report.checked.length + report.skipped.length, 8);
  if (x.witnesses !== undefined) {
    const w = report.witnesses;
    assertSame(
      {
        status: w.status,
        reason: w.reason,
        logKey: w.logKey,
        cosigned: w.cosigned.map((c) => ({ witness: c.witness, displayName: c.displayName, timestamp: c.timestamp })),
        policyWitnesses: w.policyWitnesses,
        required: w.required,
        summary: v.witnessSummary(w),
      },
      x.witnesses,
      'witness outcome',
    );
    assert.equal(report.checked.includes(v.STEPS[1]), w.status === 'pass');
  }
});
