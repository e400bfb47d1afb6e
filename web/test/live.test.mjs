// Incremental verification (core/live.js) on the valid, witnessed case bundle of tests/vectors/bundles.json:
// the page verified the case's first steps before any checkpoint, then the stream brings the last step and
// the checkpoint that covers them all. Each tampered message is refused by the check it breaks, and the
// result given is never changed. The positive consistency path runs against a real server in
// tests/web (Playwright).

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as v from '../src/core/index.js';

const BUNDLES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'tests', 'vectors', 'bundles.json');
const doc = existsSync(BUNDLES) ? v.parseJson(readFileSync(BUNDLES, 'utf8')) : null;

function fixture() {
  const withTrust = doc.vectors.find((x) => x.valid && x.authorisedSigners && x.policy && x.bundle.caseCommitment);
  const bundle = structuredClone(withTrust.bundle);
  const entries = bundle.events
    .map((e) => ({
      ...e.event,
      signature: e.signature,
      signer: e.signer,
      leafIndex: e.leafIndex,
      leafHash: e.leafHash,
      receivedAt: e.receivedAt,
      anchored: false,
    }))
    .sort((a, b) => a.caseSeq - b.caseSeq);
  const agencies = Object.entries(withTrust.authorisedSigners).map(([code, signers]) => ({
    code,
    name: `Agency ${code}`,
    status: 'active',
    signer: signers[signers.length - 1],
    since: 0,
  }));
  const commitment = v.parseHex('c', bundle.caseCommitment, 32);
  const info = { eip712Domain: bundle.eip712Domain, logVkey: withTrust.logVkey, witnessPolicy: withTrust.policy };
  const earlier = entries.slice(0, -1);
  const timeline = { caseCommitment: bundle.caseCommitment, events: earlier, head: null, checkpoint: null };
  const start = v.checkCase({ commitment, info, timeline, agencies });
  const checkpointJson = { ...bundle.checkpoint, anchor: { ...bundle.anchor, status: 'confirmed' } };
  const proofs = new Map(bundle.events.map((e) => [BigInt(e.leafIndex), e.inclusionProof.map((h, i) => v.parseHex(`p${i}`, h, 32))]));
  return { start, step: entries[entries.length - 1], checkpointJson, proofs, commitment, info, agencies, root: v.parseHex('r', withTrust.anchoredRoot, 32) };
}

describe('live: addStep and addCheckpoint', { skip: doc ? false : 'tests/vectors/bundles.json does not exist yet' }, () => {
  it('a new step is verified alone and waits for a checkpoint; the checkpoint then covers every step', () => {
    const f = fixture();
    assert.equal(f.start.checks.inclusion.status, 'pending');
    const before = JSON.stringify(Object.keys(f.start.checks).map((k) => f.start.checks[k].status));
    const stepped = v.addStep(f.start, f.step, f);
    assert.equal(stepped.events.length, f.start.events.length + 1);
    for (const id of ['commitment', 'signature', 'chain', 'leaf']) assert.equal(stepped.checks[id].status, 'ok', id);
    assert.equal(stepped.events.at(-1).inclusionStatus, 'pending');
    assert.equal(stepped.verdict, 'partial');
    assert.equal(JSON.stringify(Object.keys(f.start.checks).map((k) => f.start.checks[k].status)), before, 'the result given is unchanged');
    assert.equal(v.addStep(stepped, f.step, f), stepped, 'a replayed step changes nothing');

    assert.deepEqual(v.waitingLeaves(stepped, f.checkpointJson.treeSize), stepped.events.map((e) => e.leafIndex));
    const covered = v.addCheckpoint(stepped, f.checkpointJson, { info: f.info, proofs: f.proofs, chain: { root: f.root } });
    for (const [id, check] of Object.entries(covered.checks)) assert.equal(check.status, 'ok', `${id}: ${JSON.stringify(check)}`);
    assert.equal(covered.verdict, 'ok');
    assert.equal(covered.checks.witnesses.names, 'Ombudsman RI, BPK');
    assert.equal(v.addCheckpoint(covered, f.checkpointJson, { info: f.info }), covered, 'not newer: unchanged');
  });

  it('refuses a step whose content was changed, one that does not link, and one that skips a caseSeq', () => {
    const f = fixture();
    const edited = v.addStep(f.start, { ...f.step, summary: 'Permohonan ditolak' }, f);
    assert.equal(edited.checks.signature.failures[0].reason, 'content-changed');
    assert.equal(edited.checks.leaf.status, 'fail');
    assert.equal(edited.verdict, 'fail');
    const unlinked = v.addStep(f.start, { ...f.step, prevEventHash: '0x' + '22'.repeat(32) }, f);
    assert.equal(unlinked.checks.chain.problem.kind, 'link');
    const skipped = v.addStep(f.start, { ...f.step, caseSeq: f.step.caseSeq + 1 }, f);
    assert.equal(skipped.checks.chain.problem.kind, 'missing');
    const foreign = v.addStep(f.start, f.step, { ...f, commitment: new Uint8Array(32).fill(9) });
    assert.equal(foreign.checks.commitment.status, 'fail');
  });

  it('refuses a checkpoint without the proof of a step, with a bad proof, or not consistent with the one verified', () => {
    const f = fixture();
    const stepped = v.addStep(f.start, f.step, f);
    const last = f.step.leafIndex;
    const missing = new Map(f.proofs);
    missing.delete(BigInt(last));
    const noProof = v.addCheckpoint(stepped, f.checkpointJson, { info: f.info, proofs: missing });
    assert.deepEqual(noProof.checks.inclusion.failures.map((x) => x.reason), ['no-proof']);
    const bad = new Map(f.proofs);
    bad.set(BigInt(last), bad.get(BigInt(last)).map((h, i) => (i === 0 ? h.map((b, j) => (j === 0 ? b ^ 1 : b)) : h)));
    const badProof = v.addCheckpoint(stepped, f.checkpointJson, { info: f.info, proofs: bad });
    assert.deepEqual(badProof.checks.inclusion.failures.map((x) => x.reason), ['proof']);
    assert.equal(badProof.verdict, 'fail');
    // the page had verified an (other) checkpoint of size 1: the new one must extend it
    const earlier = { ...stepped, checkpoint: { ...v.parseCheckpointJson(f.checkpointJson), treeSize: 1n, rootHash: new Uint8Array(32).fill(3) } };
    const forked = v.addCheckpoint(earlier, f.checkpointJson, { info: f.info, proofs: f.proofs, consistency: [] });
    assert.equal(forked.checks.checkpoint.reason, 'inconsistent');
    assert.equal(forked.verdict, 'fail');
    const tampered = { ...f.checkpointJson, note: f.checkpointJson.note.replace(/\n— (\S+) (\S)/, (m, name, c) => `\n— ${name} ${c === 'A' ? 'B' : 'A'}`) };
    assert.equal(v.addCheckpoint(stepped, tampered, { info: f.info, proofs: f.proofs }).checks.witnesses.status, 'fail');
  });
});
