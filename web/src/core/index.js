// The Saksi verifier for browsers and Node: pure functions over the formats of docs/FORMATS.md, one
// module per module of the Python reference (ledger/core/), held to the same golden vectors
// (web/test/vectors.test.mjs replays tests/vectors/*.json). This file only gathers them for the pages
// and the tests.
//
// No function here talks to the Saksi server; the only network helper (rpc.js `chainRootAt`) talks to
// a JSON-RPC endpoint of the chain, chosen by the caller.
//
// Integers: JSON numbers that may exceed 2^53 - 1 (occurredAt, receivedAt, chainId, tree sizes) must
// not be rounded, so `parseJson` returns integers outside the safe range as BigInt and numbers written
// with a fraction or exponent as `JsonFloat`, which no integer field accepts.

export { JsonFloat, parseJson, stringifyJson } from '../json.js';

export * from './bundle.js';
export * from './bytes.js';
export * from './case.js';
export * from './checkpoint.js';
export * from './commitment.js';
export * from './errors.js';
export * from './events.js';
export * from './live.js';
export * from './merkle.js';
export * from './note.js';
export * from './policy.js';
export * from './receipt_proof.js';
export * from './rpc.js';
export * from './signatures.js';
export * from './tlog_proof.js';
export * from './verify.js';
export * from './witnessing.js';
