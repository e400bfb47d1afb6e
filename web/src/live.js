// The citizen page, live: once a case is verified, follow it (GET /v1/cases/{c}/stream, FORMATS 11.5.1)
// and verify what comes incrementally (core/live.js): a new step alone, then the checkpoint that covers
// it with a consistency proof from the checkpoint verified before and the step's inclusion proof. The
// page never shows as verified what it has not checked: a message whose proofs cannot be fetched waits,
// and is tried again, while the page keeps showing what it had verified.
//
// EventSource reconnects by itself, sending the last message id back (Last-Event-ID). Where a proxy
// breaks streams (the stream fails before its first message, or keeps failing), the page falls back to
// asking for the timeline every POLL_MS instead.

import { addCheckpoint, addStep, chainRootAt, parseDomain, parseHex, parseJson, waitingLeaves } from './core/index.js';
import { request } from './dom.js';

const POLL_MS = 10_000;
const RETRY_MS = 5_000;
const FAILURES_BEFORE_POLLING = 3;

/**
 * Follow `found` (the page's verified lookup: info, result); `commitment` is its 0x hex. `update(result,
 * news)` is called with each new result; `status(mode)` with 'live' | 'reconnecting' | 'polling'.
 * Returns a function that stops following.
 */
export function follow(found, { commitment, agencies, update, status, reload }) {
  let result = found.result;
  let stopped = false;
  let source = null;
  let pollTimer = null;
  let failures = 0;
  let chain = Promise.resolve();
  const context = { commitment: parseHex('caseCommitment', commitment, 32), agencies };

  const seq = () => result.events[result.events.length - 1]?.event.caseSeq ?? 0;
  const size = () => (result.checkpoint ? String(result.checkpoint.treeSize) : '0');

  /** Run message handlers one at a time, in order: a checkpoint waits for the steps before it. */
  const serial = (task) => {
    chain = chain.then(() => (stopped ? undefined : task())).catch(() => undefined);
    return chain;
  };

  function onStep(raw) {
    if (raw.caseSeq <= seq()) return;
    if (raw.caseSeq > seq() + 1) {
      reload(); // a gap: something was missed, verify the case again from the start
      return;
    }
    result = addStep(result, raw, context);
    update(result, { step: raw });
  }

  async function onCheckpoint(checkpointJson) {
    if (result.checkpoint && BigInt(checkpointJson.treeSize) <= result.checkpoint.treeSize) return;
    for (;;) {
      if (stopped) return;
      const inputs = await proofsFor(checkpointJson);
      if (inputs) {
        result = addCheckpoint(result, checkpointJson, { info: found.info, ...inputs });
        update(result, { checkpoint: checkpointJson });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS)); // offline for now: the page shows what it had
    }
  }

  /** The consistency and inclusion proofs (and the chain's root) for a new checkpoint; null if any is missing. */
  async function proofsFor(checkpointJson) {
    const to = String(checkpointJson.treeSize);
    let consistency = null;
    if (result.checkpoint) {
      const answer = await request(`/v1/proofs/consistency?from=${result.checkpoint.treeSize}&to=${to}`);
      if (!answer.ok) return null;
      consistency = answer.data.proof.map((h, i) => parseHex(`proof[${i}]`, h, 32));
    }
    const proofs = new Map();
    for (const leafIndex of waitingLeaves(result, to)) {
      const answer = await request(`/v1/proofs/inclusion?leafIndex=${leafIndex}&treeSize=${to}`);
      if (!answer.ok) return null;
      proofs.set(leafIndex, answer.data.proof.map((h, i) => parseHex(`proof[${i}]`, h, 32)));
    }
    let chainRead = null;
    if (found.info.publicRpcUrl) {
      try {
        const domain = parseDomain(found.info.eip712Domain);
        const root = await chainRootAt({ rpcUrl: found.info.publicRpcUrl, chainId: domain.chainId, contract: domain.verifyingContract, treeSize: BigInt(to) });
        chainRead = { root, rpc: found.info.publicRpcUrl };
      } catch (err) {
        chainRead = { error: { message: err.message, kind: err.kind, reason: err.reason }, rpc: found.info.publicRpcUrl };
      }
    }
    return { consistency, proofs, chain: chainRead };
  }

  function listen() {
    if (typeof EventSource === 'undefined') return poll();
    source = new EventSource(`/v1/cases/${commitment}/stream?after=${seq()}&treeSize=${size()}`);
    let heard = false;
    source.addEventListener('open', () => {
      failures = 0;
      status('live');
    });
    const handle = (kind) => (ev) => {
      heard = true;
      failures = 0;
      let data;
      try {
        data = parseJson(ev.data);
      } catch {
        return;
      }
      serial(() => (kind === 'step' ? onStep(data) : onCheckpoint(data)));
    };
    source.addEventListener('step', handle('step'));
    source.addEventListener('checkpoint', handle('checkpoint'));
    source.addEventListener('error', () => {
      failures += 1;
      const closed = source.readyState === EventSource.CLOSED;
      if (closed || failures >= FAILURES_BEFORE_POLLING || (!heard && failures > 1)) {
        source.close();
        source = null;
        poll();
      } else {
        status('reconnecting');
      }
    });
  }

  function poll() {
    status('polling');
    const tick = async () => {
      if (stopped) return;
      const answer = await request(`/v1/cases/${commitment}`);
      if (answer.ok) {
        await serial(async () => {
          for (const raw of answer.data.events) if (raw.caseSeq > seq()) onStep(raw);
          if (answer.data.checkpoint) await onCheckpoint(answer.data.checkpoint);
        });
      }
      if (!stopped) pollTimer = setTimeout(tick, POLL_MS);
    };
    pollTimer = setTimeout(tick, POLL_MS);
  }

  listen();
  return () => {
    stopped = true;
    source?.close();
    clearTimeout(pollTimer);
  };
}
