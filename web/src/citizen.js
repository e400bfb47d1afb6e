// The citizen page (/): look a case up by its reference and access code, verify it in this browser,
// show its timeline, keep its proof, print a receipt, file a complaint.
// The views are citizen_view.js's, the complaint form citizen_complaint.js's, receipts receipt.js's; the
// checks are core/case.js's. This module keeps the state of one lookup and renders it.
//
// The access code (the case key) stays in this browser: only the HMAC commitment goes to the server.
// A receipt link carries the reference and code in the URL fragment (/#ref=…&code=…), which browsers
// never send to a server. The one exception is filing a complaint, where the citizen proves to the
// server that they hold the case by sending the reference and code in the request body.

import { bindComplaints, renderComplaint, toggleComplaint } from './citizen_complaint.js';
import { renderChecks, renderSummary, renderTimeline, renderVerdict } from './citizen_view.js';
import { h, replace, request, setupLanguage } from './dom.js';
import { follow } from './live.js';
import { saveTrust } from './trust.js';
import { loadCase, saveCase } from './offline_store.js';
import { addStrings, formatDate, t } from './i18n.js';
import * as strings from './i18n/citizen.js';
import {
  caseCommitment,
  chainRootAt,
  checkCase,
  decodeReceipt,
  formatAccessCode,
  normalizeCaseRef,
  parseAccessCode,
  parseDomain,
  parseHex,
  parseJson,
  parsePolicy,
  toHex,
  verifyReceipt,
} from './core/index.js';

// A case whose newest events wait for an anchored checkpoint (a complaint just filed, say) is checked
// again on its own, so that "partly verified" turns into "verified" without a reload.
const RECHECK_MS = 10_000;
const RECHECK_TRIES = 60;

const state = {
  busy: false,
  lookupError: null, // {key, params}
  lookup: null, // {ref, code, commitment, info, timeline, bundleText, agencies, chain, result, error}
  complaint: { open: false, category: 'general', message: '', sending: false, error: null, receipt: null },
  recheck: { timer: null, tries: 0 },
  stopLive: null, // stops following the shown case live (live.js)
};

const $ = (id) => document.getElementById(id);

addStrings(strings);

/** Print the case's receipt: with the self-proving proof of its newest covered step in the QR code when
 * the server gives one that this page verifies (FORMATS 16.6). The receipt and its QR encoder, and the
 * receipt checker, load only then (chunks of their own). */
async function printLater(titleKey, ref, code) {
  const [{ printReceipt }, proof] = await Promise.all([import('./receipt.js'), verifiedProof(state.lookup)]);
  printReceipt(titleKey, ref, code, proof);
}

async function verifiedProof(found) {
  if (!found?.info?.witnessPolicy) return null;
  const answer = await fetch(`/v1/cases/${found.commitment}/receipt`, { headers: { accept: 'text/plain' } }).catch(() => null);
  if (!answer?.ok) return null;
  const text = (await answer.text()).trim();
  try {
    const receipt = await decodeReceipt(text);
    verifyReceipt(receipt, parsePolicy(found.info.witnessPolicy));
    return { text, caseSeq: receipt.event.caseSeq };
  } catch {
    return null; // never print a proof this page could not verify
  }
}

/** Check a self-proving receipt (a link, pasted text, or a photo of its QR code); works offline. The
 * checker and its words are a chunk of their own (the service worker keeps it for offline use). */
async function checkReceiptFrom(source) {
  const check = await import('./receipt_check.js');
  return source instanceof Blob ? check.checkReceiptImage(source) : check.checkReceipt(source);
}

/** What this page checks receipts against offline: refreshed on every visit that is online. */
async function refreshTrust() {
  const [info, agencies] = await Promise.all([request('/v1/info'), request('/v1/agencies')]);
  if (info.ok && agencies.ok) saveTrust(info.data, agencies.data.agencies);
}

// --- looking a case up ------------------------------------------------------------------------------

async function lookup(refText, codeText, { quiet = false } = {}) {
  if (state.busy) return;
  clearTimeout(state.recheck.timer);
  state.stopLive?.();
  state.stopLive = null;
  if (!quiet) state.recheck.tries = 0;
  state.lookupError = null;
  let ref;
  let key;
  try {
    ref = normalizeCaseRef(refText);
  } catch {
    return fail({ key: 'err.ref' }, 'case-ref');
  }
  try {
    key = parseAccessCode(codeText);
  } catch (error) {
    return fail({ key: error.reason === 'check' ? 'err.codeCheck' : 'err.code' }, 'access-code');
  }
  state.busy = true;
  if (!quiet) {
    state.lookup = null;
    renderForm();
    renderResult();
    announce(t('form.checking'));
  }
  try {
    const code = formatAccessCode(key);
    const commitment = await caseCommitment(key, ref);
    const c = toHex(commitment);
    const [info, timeline, agencies] = await Promise.all([
      request('/v1/info'),
      request(`/v1/cases/${c}`),
      request('/v1/agencies'),
    ]);
    if (info.ok && agencies.ok) saveTrust(info.data, agencies.data.agencies); // for receipts checked offline
    const problem = httpProblem(timeline) ?? httpProblem(info) ?? httpProblem(agencies);
    if (problem?.key === 'err.network' && !quiet && (await fromKeptCopy(ref, code, key, commitment))) return undefined;
    if (problem) return quiet ? retryLater() : fail(problem, 'case-ref');
    let bundle = null;
    let bundleText = null;
    let current = timeline;
    if (timeline.data.checkpoint) {
      const answer = await request(`/v1/cases/${c}/bundle`);
      if (answer.ok) {
        bundle = answer.data;
        bundleText = answer.text;
        // A checkpoint may have been anchored between the two requests: read the timeline again so
        // that both answers speak of the same checkpoint.
        if (String(bundle?.checkpoint?.treeSize) !== String(timeline.data.checkpoint.treeSize)) {
          const again = await request(`/v1/cases/${c}`);
          if (again.ok) current = again;
        }
      } else if (answer.status !== 404) {
        const p = httpProblem(answer);
        if (p) return quiet ? retryLater() : fail(p, 'case-ref');
      }
    }
    const chain = await readChain(info.data, current.data.checkpoint);
    let result = null;
    let error = null;
    try {
      result = checkCase({
        commitment,
        info: info.data,
        timeline: current.data,
        bundle,
        agencies: agencies.data.agencies ?? [],
        chain,
      });
    } catch (err) {
      error = err.message;
    }
    state.lookup = { ref, code, commitment: c, info: info.data, timeline: current.data, bundleText, chain, result, error, agencies: agencies.data.agencies ?? [], live: null, keptAt: null };
    if (result) {
      // what was verified, kept on this device (encrypted with the case key) to open again offline
      const chainKept = chain ? { rpc: chain.rpc, root: chain.root ? toHex(chain.root) : null, error: chain.error ?? null } : null;
      saveCase(key, c, { savedAt: Date.now(), info: info.text, timeline: current.text, bundle: bundleText, agencies: agencies.text, chain: chainKept });
    }
    if (!quiet) state.complaint = { open: false, category: 'general', message: '', sending: false, error: null, receipt: null };
  } finally {
    state.busy = false;
  }
  renderForm();
  if (!quiet || !state.complaint.open) renderResult({ focus: !quiet });
  if (!goLive()) scheduleRecheck();
  return undefined;
}

/** Follow the shown case live (a verified case only); false when this browser cannot. */
function goLive() {
  const found = state.lookup;
  if (!found?.result || typeof EventSource === 'undefined') return false;
  state.stopLive = follow(found, {
    commitment: found.commitment,
    agencies: found.agencies,
    update: (result, news) => {
      if (state.lookup !== found) return;
      found.result = result;
      if (!state.complaint.open) renderResult();
      if (news.step) announce(t('live.newStep', { summary: news.step.summary }));
      else announce(t('live.covered', { treeSize: String(result.checkpoint.treeSize) }));
    },
    status: (mode) => {
      if (state.lookup !== found) return;
      found.live = mode;
      const line = $('live-status');
      if (line) {
        line.dataset.mode = mode;
        line.textContent = t(`live.${mode}`);
      }
    },
    reload: () => lookup(found.ref, found.code, { quiet: true }),
  });
  return true;
}

/** No network: show the copy of the case kept on this device, verified again here, and how old it is;
 * look it up again as soon as the browser is back online. False when no copy is kept. */
async function fromKeptCopy(ref, code, key, commitment) {
  const c = toHex(commitment);
  const kept = await loadCase(key, c);
  if (!kept) return false;
  const info = parseJson(kept.info);
  const timeline = parseJson(kept.timeline);
  const agencies = parseJson(kept.agencies).agencies ?? [];
  const chain = kept.chain ? { rpc: kept.chain.rpc, ...(kept.chain.root ? { root: parseHex('root', kept.chain.root, 32) } : { error: kept.chain.error }) } : null;
  let result = null;
  let error = null;
  try {
    result = checkCase({ commitment, info, timeline, bundle: kept.bundle ? parseJson(kept.bundle) : null, agencies, chain });
  } catch (err) {
    error = err.message;
  }
  state.busy = false;
  state.lookup = { ref, code, commitment: c, info, timeline, bundleText: kept.bundle, chain, result, error, agencies, live: null, keptAt: kept.savedAt };
  renderForm();
  renderResult({ focus: true });
  window.addEventListener('online', () => state.lookup?.commitment === c && lookup(ref, code, { quiet: true }), { once: true });
  return true;
}

/** A background check that could not reach the server keeps what is shown and tries again later. */
function retryLater() {
  state.busy = false;
  scheduleRecheck();
  return undefined;
}

/** Check the case again later while some of it waits for an anchored checkpoint. */
function scheduleRecheck() {
  const found = state.lookup;
  const waiting = found?.result && ['inclusion', 'checkpoint', 'witnesses', 'anchor'].some((id) => ['pending', 'warn'].includes(found.result.checks[id]?.status));
  if (!waiting || state.recheck.tries >= RECHECK_TRIES) return;
  state.recheck.tries += 1;
  state.recheck.timer = setTimeout(() => {
    if (state.lookup === found && !state.complaint.open) lookup(found.ref, found.code, { quiet: true });
    else if (state.lookup === found) scheduleRecheck();
  }, RECHECK_MS);
}

function httpProblem(answer) {
  if (answer.ok) return null;
  if (answer.status === 0) return { key: 'err.network' };
  if (answer.status === 404) return { key: 'err.notFound' };
  if (answer.status === 429) return { key: 'err.rate' };
  return { key: 'err.server', params: { status: answer.status } };
}

function fail(problem, focusId) {
  state.busy = false;
  state.lookupError = problem;
  state.lookup = null;
  renderForm();
  renderResult();
  $(focusId)?.focus();
  return undefined;
}

/** FORMATS §10.3 step 7 from this browser, when the server names a public JSON-RPC endpoint. */
async function readChain(info, checkpoint) {
  if (!info.publicRpcUrl || !checkpoint) return null;
  try {
    const domain = parseDomain(info.eip712Domain);
    const root = await chainRootAt({
      rpcUrl: info.publicRpcUrl,
      chainId: domain.chainId,
      contract: domain.verifyingContract,
      treeSize: checkpoint.treeSize,
    });
    return { root, rpc: info.publicRpcUrl };
  } catch (err) {
    return { error: { message: err.message, kind: err.kind, reason: err.reason }, rpc: info.publicRpcUrl };
  }
}

// --- rendering -------------------------------------------------------------------------------------------

function announce(text) {
  const status = $('status');
  if (status) status.textContent = text;
}

function renderForm() {
  const button = $('lookup-submit');
  button.disabled = state.busy;
  button.textContent = t(state.busy ? 'form.checking' : 'form.submit');
  const error = $('lookup-error');
  if (state.lookupError) {
    error.hidden = false;
    error.textContent = t(state.lookupError.key, state.lookupError.params);
  } else {
    error.hidden = true;
    error.textContent = '';
  }
  for (const id of ['case-ref', 'access-code']) {
    const invalid =
      (state.lookupError?.key === 'err.ref' && id === 'case-ref') || (['err.code', 'err.codeCheck', 'err.codeMissing'].includes(state.lookupError?.key) && id === 'access-code');
    $(id).setAttribute('aria-invalid', invalid ? 'true' : 'false');
    $(id).setAttribute('aria-describedby', invalid ? `lookup-error ${id}-hint` : `${id}-hint`);
  }
}

function renderResult({ focus = false } = {}) {
  const root = $('result');
  const found = state.lookup;
  if (!found) {
    root.hidden = true;
    root.replaceChildren();
    return;
  }
  root.hidden = false;
  if (found.error) {
    replace(root, h('section', { class: 'card verdict verdict-fail', id: 'verdict', tabindex: '-1' }, h('h2', {}, t('verdict.fail.title')), h('p', {}, t('err.malformed', { detail: found.error }))));
    if (focus) $('verdict').focus();
    return;
  }
  const { result } = found;
  const live = found.keptAt
    ? h('p', { class: 'hint live-status offline-note', id: 'live-status', 'data-mode': 'offline' }, t('offline.kept', { date: formatDate(found.keptAt) }))
    : h('p', { class: 'hint live-status', id: 'live-status', 'data-mode': found.live ?? '', 'aria-live': 'off' }, found.live ? t(`live.${found.live}`) : '');
  replace(root, renderVerdict(result), live, renderSummary(found), renderTimeline(found), renderChecks(found), renderActions(found));
  announce(t(`verdict.${result.verdict}.title`));
  if (focus) {
    $('verdict').focus();
    $('verdict').scrollIntoView({ block: 'start' });
  }
}

function renderActions(found) {
  const downloadable = Boolean(found.bundleText);
  return h(
    'section',
    { class: 'card actions', 'aria-labelledby': 'actions-title' },
    h('h2', { id: 'actions-title' }, t('actions.heading')),
    h(
      'div',
      { class: 'buttons' },
      h('button', { type: 'button', class: 'secondary', id: 'download-bundle', disabled: !downloadable, onclick: downloadBundle }, t('actions.download')),
      h('button', { type: 'button', class: 'secondary', id: 'print-receipt', onclick: () => printLater('receipt.title', found.ref, found.code) }, t('actions.print')),
      h(
        'button',
        { type: 'button', class: 'secondary', id: 'open-complaint', 'aria-expanded': String(state.complaint.open), 'aria-controls': 'complaint', onclick: toggleComplaint },
        t('actions.complain'),
      ),
    ),
    h('p', { class: 'hint' }, downloadable ? t('actions.downloadHint') : t('actions.downloadUnavailable')),
    h('div', { id: 'complaint' }, renderComplaint(found)),
  );
}

function downloadBundle() {
  const found = state.lookup;
  if (!found?.bundleText) return;
  const blob = new Blob([found.bundleText], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: `saksi-${found.ref}.json`, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// --- start -----------------------------------------------------------------------------------------------------

function fromFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  const ref = params.get('ref');
  const code = params.get('code');
  if (params.get('proof')) checkReceiptFrom(location.hash); // checked here first: it needs no network
  if (ref && !code) {
    $('case-ref').value = ref;
    fail({ key: 'err.codeMissing' }, 'access-code');
    return false;
  }
  if (!ref || !code) return false;
  $('case-ref').value = ref;
  $('access-code').value = code;
  lookup(ref, code);
  return true;
}

function start() {
  // the page's own code, kept on this device by its service worker (web/sw.js), opens with no network
  navigator.serviceWorker?.register('/sw.js').catch(() => undefined);
  bindComplaints({ state, renderResult, announce });
  setupLanguage(() => {
    renderForm();
    renderResult();
  });
  $('lookup').addEventListener('submit', (ev) => {
    ev.preventDefault();
    lookup($('case-ref').value, $('access-code').value);
  });
  // The access code is a two-line text area (so that all 66 characters show on a phone); Enter submits.
  $('access-code').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      $('lookup').requestSubmit();
    }
  });
  window.addEventListener('hashchange', fromFragment);
  $('receipt-file').addEventListener('change', (ev) => {
    const file = ev.target.files?.[0];
    if (file) checkReceiptFrom(file);
  });
  $('receipt-check').addEventListener('click', () => checkReceiptFrom($('receipt-paste').value));
  // the checker and its QR decoder load as soon as the citizen turns to the receipt card, while online
  for (const kind of ['pointerdown', 'focusin']) {
    $('receipt-card').addEventListener(kind, () => import('./receipt_check.js').then((m) => m.warm()), { once: true });
  }
  refreshTrust();
  renderForm();
  fromFragment();
  document.body.dataset.ready = 'true';
}

start();
