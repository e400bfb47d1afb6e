// The citizen page's checks (checkCase) and the chain read (chainRootAt over raw JSON-RPC), in Node.
// The case is the valid case bundle of tests/vectors/bundles.json, turned into the timeline the API serves.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as v from '../src/core/index.js';

const BUNDLES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'tests', 'vectors', 'bundles.json');
const doc = existsSync(BUNDLES) ? v.parseJson(readFileSync(BUNDLES, 'utf8')) : null;

function fixture() {
  const withTrust = doc.vectors.find((x) => x.valid && x.authorisedSigners && x.policy && x.bundle.caseCommitment);
  const bundle = structuredClone(withTrust.bundle);
  const events = bundle.events.map((e) => ({
    ...e.event,
    signature: e.signature,
    signer: e.signer,
    leafIndex: e.leafIndex,
    leafHash: e.leafHash,
    receivedAt: e.receivedAt,
    anchored: true,
  }));
  const last = bundle.events.reduce((a, e) => (e.event.caseSeq > a.event.caseSeq ? e : a));
  const timeline = {
    caseCommitment: bundle.caseCommitment,
    events,
    head: { caseSeq: last.event.caseSeq, headHash: v.toHex(v.hashStruct(v.parseEvent(last.event))) },
    checkpoint: { ...bundle.checkpoint, anchor: { ...bundle.anchor, status: 'confirmed' } },
  };
  const agencies = Object.entries(withTrust.authorisedSigners).map(([code, signers]) => ({
    code,
    name: `Agency ${code}`,
    status: 'active',
    signer: signers[signers.length - 1],
    since: 0,
  }));
  return {
    commitment: v.parseHex('c', bundle.caseCommitment, 32),
    info: { eip712Domain: bundle.eip712Domain, logVkey: withTrust.logVkey, witnessPolicy: withTrust.policy },
    timeline,
    bundle,
    agencies,
    anchoredRoot: v.parseHex('r', withTrust.anchoredRoot, 32),
  };
}

const vector = (start) => doc.vectors.find((x) => x.description.startsWith(start));

describe('checkCase', { skip: doc ? false : 'tests/vectors/bundles.json does not exist yet' }, () => {
  it('applies every step of verifyBundle, and names the steps behind each check', () => {
    const f = fixture();
    const result = v.checkCase({ ...f, chain: { root: f.anchoredRoot } });
    assert.deepEqual(Object.keys(result.checks).sort(), Object.keys(v.CASE_CHECK_STEPS).sort());
    const covered = new Set(Object.values(v.CASE_CHECK_STEPS).flat());
    assert.deepEqual([...covered].sort(), v.STEPS.map((_, i) => i + 1));
  });

  it('passes every check when the chain confirms the root', () => {
    const f = fixture();
    const result = v.checkCase({ ...f, chain: { root: f.anchoredRoot } });
    for (const [id, check] of Object.entries(result.checks)) assert.equal(check.status, 'ok', `${id}: ${JSON.stringify(check)}`);
    assert.equal(result.verdict, 'ok');
  });

  it('says the chain was not checked without an RPC endpoint', () => {
    const result = v.checkCase(fixture());
    assert.equal(result.checks.anchor.status, 'skip');
    assert.equal(result.checks.anchor.reason, 'no-rpc');
    assert.equal(result.verdict, 'partial');
  });

  it('flags an edited summary on the signature of that event', () => {
    const f = fixture();
    const first = f.timeline.events.find((e) => e.caseSeq === 1);
    first.summary = 'Permohonan ditolak';
    const result = v.checkCase({ ...f, chain: { root: f.anchoredRoot } });
    assert.equal(result.verdict, 'fail');
    assert.equal(result.checks.signature.status, 'fail');
    assert.deepEqual(
      result.checks.signature.failures.map((x) => [x.caseSeq, x.reason]),
      [[1, 'content-changed']],
    );
    assert.equal(result.checks.leaf.status, 'fail');
    assert.equal(result.checks.chain.status, 'fail');
    assert.equal(result.checks.inclusion.status, 'fail', 'the bundle and the timeline disagree');
  });

  it('flags a signer that is not the registered one', () => {
    const f = fixture();
    f.agencies[0].signer = '0x' + '11'.repeat(20);
    const result = v.checkCase(f);
    assert.equal(result.checks.signature.status, 'fail');
    assert.equal(result.checks.signature.failures[0].reason, 'not-registered-signer');
  });

  it('warns (does not fail) for a key rotated after the event was received', () => {
    const f = fixture();
    f.agencies[0].signer = '0x' + '11'.repeat(20);
    f.agencies[0].since = 2 ** 52;
    const result = v.checkCase(f);
    assert.equal(result.checks.signature.status, 'warn');
    assert.equal(result.checks.signature.warnings[0].reason, 'earlier-key');
  });

  it('fails when the chain holds another root', () => {
    const f = fixture();
    const result = v.checkCase({ ...f, chain: { root: new Uint8Array(32).fill(7) } });
    assert.equal(result.checks.anchor.status, 'fail');
    assert.equal(result.checks.anchor.reason, 'root-differs');
  });

  it('fails when an event of the chain is missing', () => {
    const f = fixture();
    f.timeline.events = f.timeline.events.filter((e) => e.caseSeq !== 2);
    const result = v.checkCase(f);
    assert.equal(result.checks.chain.status, 'fail');
    assert.equal(result.checks.chain.problem.kind, 'missing');
  });

  it('names the witnesses that cosigned, with their times and the quorum', () => {
    const result = v.checkCase(fixture());
    const w = result.checks.witnesses;
    assert.equal(w.status, 'ok');
    assert.equal(w.names, 'Ombudsman RI, BPK');
    assert.deepEqual([w.count, w.total, w.required], [2, 3, 2]);
    assert.deepEqual(
      w.cosigned.map((c) => c.name),
      ['Ombudsman RI', 'BPK'],
    );
    assert.ok(w.cosigned.every((c) => Number.isInteger(c.timestamp) && c.timestamp > 1.7e9));
  });

  it('warns, never fails, when no independent witness vouches yet; skips without a policy', () => {
    const f = fixture();
    delete f.bundle.checkpoint.note;
    delete f.timeline.checkpoint.note;
    let result = v.checkCase(f);
    assert.equal(result.checks.witnesses.status, 'warn');
    assert.equal(result.checks.witnesses.reason, 'no-note');
    assert.equal(result.verdict, 'partial');
    result = v.checkCase({ ...fixture(), info: { eip712Domain: f.bundle.eip712Domain }, chain: { root: fixture().anchoredRoot } });
    assert.equal(result.checks.witnesses.status, 'skip', 'a server that publishes no policy promises no witness');
    assert.equal(result.checks.witnesses.reason, 'no-policy');
    assert.equal(result.verdict, 'ok');
  });

  it('warns with the names so far when the quorum is not met', () => {
    const only = doc.vectors.find((x) => x.description.startsWith('only one witness cosigned'));
    const f = fixture();
    f.bundle.checkpoint.note = only.bundle.checkpoint.note;
    const w = v.checkCase(f).checks.witnesses;
    assert.deepEqual([w.status, w.reason, w.names, w.count, w.total, w.required], ['warn', 'quorum-not-met', 'BPK', 1, 3, 2]);
  });

  it("takes the timeline's note when the bundle has none, for the same checkpoint only", () => {
    const f = fixture();
    delete f.bundle.checkpoint.note;
    assert.equal(v.checkCase(f).checks.witnesses.status, 'ok');
    const other = vector('the note signs another checkpoint');
    f.timeline.checkpoint.note = other.bundle.checkpoint.note;
    const w = v.checkCase(f).checks.witnesses;
    assert.deepEqual([w.status, w.reason], ['fail', 'text-mismatch'], 'a timeline whose note is of another checkpoint');
    f.timeline.checkpoint = { ...other.bundle.checkpoint, checkpoint: other.bundle.checkpoint.note.split('\n\n')[0] + '\n' };
    assert.equal(v.checkCase(f).checks.witnesses.reason, 'no-note', "another checkpoint's note is not the bundle's");
  });

  it('reads a null note (an unsigned checkpoint, as the API writes it) as no note', () => {
    const f = fixture();
    f.bundle.checkpoint.note = null;
    f.timeline.checkpoint.note = null;
    const w = v.checkCase(f).checks.witnesses;
    assert.deepEqual([w.status, w.reason], ['warn', 'no-note']);
  });

  it('fails on a tampered cosignature and names the witness', () => {
    const f = fixture();
    const lines = f.bundle.checkpoint.note.split('\n');
    const at = lines.findIndex((l) => l.startsWith('— bpk.go.id-test '));
    const sig = lines[at].split(' ')[2];
    lines[at] = `— bpk.go.id-test ${sig.slice(0, 30)}${sig[30] === 'A' ? 'B' : 'A'}${sig.slice(31)}`;
    f.bundle.checkpoint.note = lines.join('\n');
    const result = v.checkCase(f);
    assert.equal(result.checks.witnesses.status, 'fail');
    assert.equal(result.checks.witnesses.reason, 'cosignature');
    assert.equal(result.checks.witnesses.witness, 'BPK');
    assert.equal(result.verdict, 'fail');
  });

  it('fails when the log key is not the one the policy trusts', () => {
    const f = fixture();
    const other = v.makeVkey(f.bundle.checkpoint.checkpoint.split('\n')[0], v.SIG_ED25519, v.publicKeyOf(new Uint8Array(32).fill(9)));
    const result = v.checkCase({ ...f, info: { ...f.info, logVkey: v.vkeyToString(other) } });
    assert.equal(result.checks.witnesses.status, 'fail');
    assert.equal(result.checks.witnesses.reason, 'log-key');
  });

  it('reports events after the checkpoint as pending, not failed', () => {
    const f = fixture();
    const result = v.checkCase({ ...f, bundle: null, timeline: { ...f.timeline, checkpoint: null } });
    assert.equal(result.checks.inclusion.status, 'pending');
    assert.equal(result.checks.anchor.status, 'pending');
    assert.equal(result.verdict, 'partial');
  });
});

// --- rootAt(uint64) over JSON-RPC ---------------------------------------------------------------------

async function withRpc(handler, run) {
  const calls = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const call = JSON.parse(body);
      calls.push(call);
      const answer = handler(call);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ jsonrpc: '2.0', id: call.id, ...answer }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    return await run(`http://127.0.0.1:${server.address().port}/`, calls);
  } finally {
    server.close();
  }
}

describe('chainRootAt', () => {
  const contract = v.parseHex('c', '0x5fbdb2315678afecb367f032d93f642f64180aa3', 20);
  const root = '0x96660cffb8579ce2e3cf5af1fe8cc0feee2eb9a3bba2e5c500039424c9c86adc';

  it('uses the selector of FORMATS §12.1', () => {
    assert.equal(v.toHex(v.ROOT_AT_SELECTOR), '0xeaa38b41');
    assert.equal(v.encodeRootAt(11), '0xeaa38b41' + '0'.repeat(62) + '0b');
  });

  it('reads the anchored root with eth_call after checking eth_chainId', async () => {
    const got = await withRpc(
      (call) => (call.method === 'eth_chainId' ? { result: '0x7a69' } : { result: root }),
      async (url, calls) => {
        const value = await v.chainRootAt({ rpcUrl: url, chainId: 31337n, contract, treeSize: 11n });
        assert.deepEqual(
          calls.map((c) => c.method),
          ['eth_chainId', 'eth_call'],
        );
        assert.deepEqual(calls[1].params, [{ to: v.toHex(contract), data: v.encodeRootAt(11) }, 'latest']);
        return value;
      },
    );
    assert.equal(v.toHex(got), root);
  });

  it('refuses an endpoint of another chain', async () => {
    await withRpc(
      () => ({ result: '0x1' }),
      (url) =>
        assert.rejects(v.chainRootAt({ rpcUrl: url, chainId: 31337n, contract, treeSize: 11n }), (err) => {
          assert.equal(err.name, 'VerificationFailed');
          assert.equal(err.reason, 'wrong-chain');
          return true;
        }),
    );
  });

  it('fails for a size never anchored (rootAt reverts)', async () => {
    await withRpc(
      (call) => (call.method === 'eth_chainId' ? { result: '0x7a69' } : { error: { code: 3, message: 'execution reverted' } }),
      (url) =>
        assert.rejects(v.chainRootAt({ rpcUrl: url, chainId: 31337n, contract, treeSize: 12n }), (err) => {
          assert.equal(err.reason, 'not-anchored');
          return true;
        }),
    );
  });

  it('reports an unreachable endpoint as unavailable, not as a failed check', async () => {
    await assert.rejects(v.chainRootAt({ rpcUrl: 'http://127.0.0.1:9/', chainId: 1n, contract, treeSize: 1n }), (err) => {
      assert.equal(err.kind, 'chain-unavailable');
      return true;
    });
  });
});
