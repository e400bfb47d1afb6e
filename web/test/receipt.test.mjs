// Self-proving receipts (core/receipt_proof.js) against tests/vectors/receipts.json, which the Python
// reference (ledger/core/receipt_proof.py) generates: the valid receipt decodes to the same container
// fields and verifies to the same signer and witnesses; every broken one fails with the reference's error.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as v from '../src/core/index.js';

const FILE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'tests', 'vectors', 'receipts.json');
const doc = existsSync(FILE) ? v.parseJson(readFileSync(FILE, 'utf8')) : null;

describe('receipts.json', { skip: doc ? false : 'tests/vectors/receipts.json does not exist yet' }, () => {
  const policy = doc && v.parsePolicy(doc.policy);
  for (const vector of doc?.vectors ?? []) {
    it(vector.description, async () => {
      if (vector.valid) {
        const receipt = await v.decodeReceipt(vector.encoded);
        assert.deepEqual(v.eventToJson(receipt.event), v.eventToJson(v.parseEvent(vector.event)));
        assert.equal(receipt.index, BigInt(vector.leafIndex));
        const out = v.verifyReceipt(receipt, policy);
        assert.equal(v.toHex(out.signer), vector.signer);
        assert.equal(out.tree.treeSize, BigInt(vector.treeSize));
        assert.deepEqual(out.checked.cosignedBy.map((c) => c.name), vector.cosignedBy);
        assert.equal(out.checked.quorumMet, vector.quorumMet);
        assert.equal(v.receiptFromBytes(v.parseHex('c', '0x' + vector.containerHex)).event.summary, receipt.event.summary);
        return;
      }
      let error = null;
      try {
        v.verifyReceipt(await v.decodeReceipt(vector.encoded), policy);
      } catch (err) {
        error = err;
      }
      assert.ok(error, 'must fail');
      assert.equal(error.name, vector.error, error.message);
      if (vector.field) assert.equal(error.field, vector.field, error.message);
    });
  }

  it('says which agency signed, when the registry last seen online names its key', async () => {
    const valid = doc.vectors[0];
    const receipt = await v.decodeReceipt(valid.encoded);
    const agencies = [{ code: valid.event.agency, name: 'Dukcapil (test)', signers: [{ signer: valid.signer }] }];
    const out = v.verifyReceipt(receipt, policy, agencies);
    assert.equal(out.agencyName, 'Dukcapil (test)');
    assert.equal(out.signerRegistered, true);
    assert.equal(v.verifyReceipt(receipt, policy, [{ ...agencies[0], signers: [{ signer: '0x' + '11'.repeat(20) }] }]).signerRegistered, false);
    assert.equal(v.verifyReceipt(receipt, policy).signerRegistered, null);
  });
});
