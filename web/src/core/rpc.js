// The chain: rootAt(uint64) over raw JSON-RPC (FORMATS §12.1), to an endpoint the caller chooses.
// The only module here that talks to a network; the Python side reads the chain in ledger/chain/.

import { UINT64_MAX, concatBytes, isZero, keccak256, parseHex, parseUint, toHex, uintBytes, utf8 } from './bytes.js';
import { SaksiError, VerificationFailed } from './errors.js';

export const ROOT_AT_SELECTOR = keccak256(utf8('rootAt(uint64)')).slice(0, 4);

/** ABI call data of rootAt(treeSize): selector ‖ uint64 left-padded to one 32-byte word. */
export function encodeRootAt(treeSize) {
  const size = parseUint('treeSize', treeSize, UINT64_MAX);
  return toHex(concatBytes(ROOT_AT_SELECTOR, uintBytes(size, 32)));
}

let rpcId = 0;

export async function rpcCall(url, method, params, fetchImpl = globalThis.fetch) {
  const response = await fetchImpl(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method, params }),
    credentials: 'omit',
    referrerPolicy: 'no-referrer',
  });
  if (!response.ok) throw new SaksiError(`JSON-RPC endpoint answered HTTP ${response.status}`, { kind: 'chain-unavailable' });
  const body = await response.json();
  if (body.error) {
    const err = new SaksiError(`JSON-RPC ${method}: ${body.error.message ?? 'error'}`, { kind: 'rpc-error', rpcError: body.error });
    throw err;
  }
  return body.result;
}

/**
 * Read the root the ledger contract anchored for `treeSize` (FORMATS §10.3 step 7), after checking
 * that the endpoint serves the domain's chain. Throws VerificationFailed when the chain is another
 * one or the size was never anchored (rootAt reverts), SaksiError "chain-unavailable" when the
 * endpoint cannot be reached.
 */
export async function chainRootAt({ rpcUrl, chainId, contract, treeSize, fetchImpl = globalThis.fetch }) {
  let remoteChain;
  try {
    remoteChain = BigInt(await rpcCall(rpcUrl, 'eth_chainId', [], fetchImpl));
  } catch (err) {
    if (err instanceof SaksiError) throw err;
    throw new SaksiError(`cannot reach the chain at ${rpcUrl}: ${err.message}`, { kind: 'chain-unavailable' });
  }
  if (remoteChain !== BigInt(chainId)) {
    throw new VerificationFailed(`the RPC endpoint serves chain ${remoteChain}, not ${chainId}`, { reason: 'wrong-chain' });
  }
  let result;
  try {
    result = await rpcCall(rpcUrl, 'eth_call', [{ to: toHex(contract), data: encodeRootAt(treeSize) }, 'latest'], fetchImpl);
  } catch (err) {
    if (err instanceof SaksiError && err.kind === 'rpc-error') {
      throw new VerificationFailed(`the contract has no root for tree size ${treeSize} (rootAt reverted)`, { reason: 'not-anchored' });
    }
    throw err;
  }
  const root = parseHex('rootAt', result, 32);
  if (isZero(root)) throw new VerificationFailed(`the contract has no root for tree size ${treeSize}`, { reason: 'not-anchored' });
  return root;
}
