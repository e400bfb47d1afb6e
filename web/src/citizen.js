// The citizen page (/): look a case up by its reference and access code, verify it in this browser,
// show its timeline, keep its proof, print a receipt, file a complaint.
// Its length is those five views of one case, which share its state; the checks are core/case.js's.
//
// The access code (the case key) stays in this browser: only the HMAC commitment goes to the server.
// A receipt link carries the reference and code in the URL fragment (/#ref=…&code=…), which browsers
// never send to a server. The one exception is filing a complaint, where the citizen proves to the
// server that they hold the case by sending the reference and code in the request body.

import QRCode from 'qrcode';

import { h, replace, request, setupLanguage, shortHex } from './dom.js';
import { eventLabel, formatDate, formatDuration, has, t } from './i18n.js';
import {
  caseCommitment,
  chainRootAt,
  checkCase,
  formatAccessCode,
  normalizeCaseRef,
  parseAccessCode,
  parseDomain,
  toHex,
} from './core/index.js';

const CHECK_ORDER = ['commitment', 'signature', 'chain', 'leaf', 'inclusion', 'checkpoint', 'anchor'];
const ICON = { ok: '✓', fail: '✗', warn: '!', pending: '…', skip: '–' };
const CATEGORIES = ['general', 'delay', 'fee', 'conduct', 'data', 'other'];
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
};

const $ = (id) => document.getElementById(id);

// --- looking a case up ------------------------------------------------------------------------------

async function lookup(refText, codeText, { quiet = false } = {}) {
  if (state.busy) return;
  clearTimeout(state.recheck.timer);
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
    const problem = httpProblem(timeline) ?? httpProblem(info) ?? httpProblem(agencies);
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
    state.lookup = { ref, code, commitment: c, info: info.data, timeline: current.data, bundleText, chain, result, error };
    if (!quiet) state.complaint = { open: false, category: 'general', message: '', sending: false, error: null, receipt: null };
  } finally {
    state.busy = false;
  }
  renderForm();
  if (!quiet || !state.complaint.open) renderResult({ focus: !quiet });
  scheduleRecheck();
  return undefined;
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
  const waiting = found?.result && ['inclusion', 'checkpoint', 'anchor'].some((id) => ['pending', 'warn'].includes(found.result.checks[id]?.status));
  if (!waiting || state.recheck.tries >= RECHECK_TRIES) return;
  state.recheck.tries += 1;
  state.recheck.timer = setTimeout(() => {
    if (state.lookup === found && !state.complaint.open) lookup(found.ref, found.code, { quiet: true });
    else if (state.lookup === found) scheduleRecheck();
  }, RECHECK_MS);
}

/** Whether a URL is served by the same origin as this page (the server's own chain window). */
function sameOrigin(url) {
  try {
    return new URL(url, location.href).origin === location.origin;
  } catch {
    return false;
  }
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

/** FORMATS §10.3 step 6 from this browser, when the server names a public JSON-RPC endpoint. */
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
  replace(root, renderVerdict(result), renderSummary(found), renderTimeline(found), renderChecks(found), renderActions(found));
  announce(t(`verdict.${result.verdict}.title`));
  if (focus) {
    $('verdict').focus();
    $('verdict').scrollIntoView({ block: 'start' });
  }
}

function renderVerdict(result) {
  const v = result.verdict;
  return h(
    'section',
    { class: `card verdict verdict-${v}`, id: 'verdict', tabindex: '-1', 'data-verdict': v, 'aria-labelledby': 'verdict-title' },
    h('p', { class: 'verdict-icon', 'aria-hidden': 'true' }, ICON[v === 'partial' ? 'warn' : v]),
    h('div', {}, h('h2', { id: 'verdict-title' }, t(`verdict.${v}.title`)), h('p', {}, t(`verdict.${v}.text`))),
  );
}

function renderSummary(found) {
  const events = found.result.events;
  const first = events[0];
  const last = events[events.length - 1];
  const agencies = [...new Set(events.map((e) => e.agencyName ?? e.event.agency))];
  const elapsed = Number(last.event.occurredAt - first.event.occurredAt);
  const row = (label, value, cls) => [h('dt', {}, label), h('dd', { class: cls }, value)];
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'case-title' },
    h('h2', { id: 'case-title' }, t('case.heading', { ref: found.ref })),
    h(
      'dl',
      { class: 'facts' },
      row(t('case.status'), eventLabel(last.event.eventType), 'strong'),
      row(t('case.agency'), agencies.join(', ')),
      row(t('case.started'), formatDate(Number(first.event.occurredAt) * 1000)),
      row(t('case.updated'), formatDate(Number(last.event.occurredAt) * 1000)),
      row(t('case.steps'), String(events.length)),
      events.length > 1 ? row(t('case.elapsed'), formatDuration(elapsed)) : null,
    ),
  );
}

function badge(label, status) {
  return h('li', { class: `badge status-${status}`, 'data-status': status }, h('span', { 'aria-hidden': 'true' }, ICON[status]), ` ${label}: `, t(`status.${status}`));
}

function renderTimeline(found) {
  const events = found.result.events;
  const items = events.map((e, i) => {
    const previous = events[i - 1];
    const gap = previous ? Number(e.event.occurredAt - previous.event.occurredAt) : null;
    const statuses = [e.signatureStatus, e.leafStatus, e.chainStatus, e.inclusionStatus];
    const status = statuses.includes('fail') ? 'fail' : 'ok';
    return h(
      'li',
      { class: `step status-${status}`, 'data-seq': e.event.caseSeq, 'data-status': status },
      h('span', { class: 'step-marker', 'aria-hidden': 'true' }, String(e.event.caseSeq)),
      h(
        'div',
        { class: 'step-body' },
        h('h3', {}, h('span', { class: 'visually-hidden' }, `${t('timeline.step', { n: e.event.caseSeq })}: `), eventLabel(e.event.eventType)),
        h('p', { class: 'summary' }, e.event.summary),
        h('p', { class: 'meta' }, `${e.agencyName ?? e.event.agency} · `, h('time', { datetime: new Date(Number(e.event.occurredAt) * 1000).toISOString() }, formatDate(Number(e.event.occurredAt) * 1000))),
        gap !== null ? h('p', { class: 'meta gap' }, t('timeline.after', { duration: formatDuration(gap) })) : null,
        h(
          'ul',
          { class: 'badges' },
          badge(t('timeline.sig'), e.signatureStatus),
          badge(t('timeline.log'), e.leafStatus === 'fail' || e.chainStatus === 'fail' ? 'fail' : 'ok'),
          e.inclusionStatus === 'pending'
            ? h('li', { class: 'badge status-pending', 'data-status': 'pending' }, h('span', { 'aria-hidden': 'true' }, ICON.pending), ` ${t('timeline.pending')}`)
            : badge(t('timeline.proof'), e.inclusionStatus),
        ),
        h(
          'details',
          {},
          h('summary', {}, t('details')),
          h(
            'dl',
            { class: 'tech' },
            tech(t('detail.eventHash'), toHex(e.structHash)),
            tech(t('detail.signer'), e.recovered ? toHex(e.recovered) : '—'),
            tech(t('detail.leafIndex'), String(e.leafIndex)),
            tech(t('detail.leafHash'), toHex(e.statedLeafHash)),
            tech(t('timeline.recorded', { date: '' }).trim(), formatDate(Number(e.receivedAt))),
          ),
        ),
      ),
    );
  });
  return h('section', { class: 'card', 'aria-labelledby': 'timeline-title' }, h('h2', { id: 'timeline-title' }, t('timeline.heading')), h('ol', { class: 'timeline' }, items));
}

function tech(label, value) {
  return [h('dt', {}, label), h('dd', { class: 'mono' }, value)];
}

function steps(list) {
  return list.map((x) => x.caseSeq).join(', ');
}

function checkText(id, check, found) {
  const lines = [];
  let text = '';
  const p = { ...check };
  switch (id) {
    case 'commitment':
      text = check.status === 'ok' ? t('check.commitment.ok', { count: check.count }) : t('check.commitment.fail', { steps: steps(check.events) });
      break;
    case 'signature':
      text = t(`check.signature.${check.status}`, { count: check.count });
      for (const f of [...check.failures, ...check.warnings]) {
        lines.push(t(`sig.${f.reason}`, { ...f, recovered: shortHex(f.recovered), expected: shortHex(f.expected) }));
      }
      break;
    case 'chain':
      text = check.status === 'ok' ? t('check.chain.ok', { count: check.count }) : t(`chain.${check.problem.kind}`, check.problem);
      break;
    case 'leaf':
      text = check.status === 'ok' ? t('check.leaf.ok') : t('check.leaf.fail', { steps: steps(check.failures) });
      break;
    case 'inclusion':
      text = t(`check.inclusion.${check.status}`, p);
      for (const f of check.failures) lines.push(t(`incl.${f.reason}`, f));
      break;
    case 'checkpoint':
      text = check.status === 'fail' ? t(`cp.${check.reason}`, p) : t(`check.checkpoint.${check.status}`, p);
      break;
    case 'anchor': {
      const a = check.anchor ?? {};
      if (check.status === 'ok') {
        // the embedded chain is read through the server itself (POST /chain-rpc): say it is not independent
        const rpc = found.chain?.rpc ?? '';
        text = t(sameOrigin(rpc) ? 'check.anchor.okSelf' : 'check.anchor.ok', { treeSize: check.treeSize, rpc });
      }
      else if (check.status === 'skip') text = a.txHash ? t('check.anchor.skip', { txHash: shortHex(a.txHash, 8), blockNumber: a.blockNumber, chainId: a.chainId }) : t('check.anchor.skipNoTx');
      else if (check.status === 'pending') text = t('check.anchor.pending');
      else text = t(`anchor.${check.reason}`, { ...p, chainRoot: shortHex(check.chainRoot), detail: check.detail ?? '' });
      break;
    }
    default:
      text = '';
  }
  return { text, lines };
}

function renderChecks(found) {
  const { checks, checkpoint } = found.result;
  const items = CHECK_ORDER.map((id) => {
    const check = checks[id];
    const { text, lines } = checkText(id, check, found);
    return h(
      'li',
      { class: `check status-${check.status}`, 'data-check': id, 'data-status': check.status },
      h('p', { class: 'check-status' }, h('span', { class: 'icon', 'aria-hidden': 'true' }, ICON[check.status]), ' ', t(`status.${check.status}`)),
      h('h3', {}, t(`check.${id}.title`)),
      h('p', {}, text),
      lines.length ? h('ul', { class: 'problems' }, lines.map((line) => h('li', {}, line))) : null,
      technicalDetails(id, check, found, checkpoint),
    );
  });
  return h('section', { class: 'card', 'aria-labelledby': 'checks-title' }, h('h2', { id: 'checks-title' }, t('checks.heading')), h('ul', { class: 'checks' }, items));
}

function technicalDetails(id, check, found, checkpoint) {
  const rows = [];
  // the panel leads with what a citizen understands; how it was checked is here, for those who open it
  if (check.status === 'ok' && has(`check.${id}.how`)) {
    rows.push(tech(t('detail.how'), t(`check.${id}.how`, { ...check, rpc: found.chain?.rpc ?? '' })));
  }
  if (id === 'commitment') rows.push(tech(t('detail.commitment'), found.commitment));
  if ((id === 'checkpoint' || id === 'inclusion' || id === 'anchor') && checkpoint) {
    rows.push(tech(t('detail.treeSize'), String(checkpoint.treeSize)), tech(t('detail.root'), toHex(checkpoint.rootHash)));
  }
  if (id === 'anchor' && check.anchor) {
    rows.push(tech(t('detail.tx'), check.anchor.txHash), tech(t('detail.block'), check.anchor.blockNumber), tech('chainId', check.anchor.chainId));
  }
  if (id === 'signature') {
    for (const e of found.result.events) rows.push(tech(`${t('timeline.step', { n: e.event.caseSeq })} · ${t('detail.signer')}`, e.recovered ? toHex(e.recovered) : '—'));
  }
  if (!rows.length) return null;
  return h('details', {}, h('summary', {}, t('details')), h('dl', { class: 'tech' }, rows));
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
      h('button', { type: 'button', class: 'secondary', id: 'print-receipt', onclick: () => printReceipt('receipt.title', found.ref, found.code) }, t('actions.print')),
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

// --- receipts and QR codes -------------------------------------------------------------------------------

function receiptLink(ref, code) {
  const params = new URLSearchParams({ ref, code });
  return `${location.origin}/#${params.toString()}`;
}

async function qrSvg(text) {
  const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  const holder = h('div', { class: 'qr', role: 'img', 'aria-label': t('receipt.scan') });
  // `svg` is markup produced by the QR library from our own link; no server text is interpreted.
  holder.innerHTML = svg;
  return holder;
}

async function receiptBody(titleKey, ref, code) {
  const link = receiptLink(ref, code);
  return [
    h('h2', {}, t(titleKey)),
    h('dl', { class: 'facts stacked' }, h('dt', {}, t('form.ref')), h('dd', { class: 'mono strong' }, ref), h('dt', {}, t('form.code')), h('dd', { class: 'mono code' }, code)),
    await qrSvg(link),
    h('p', {}, t('receipt.scan')),
    h('p', { class: 'mono small break' }, `${t('receipt.link')}: ${link}`),
    h('p', { class: 'warning' }, t('receipt.keep')),
    h('p', { class: 'small' }, t('receipt.printed', { date: formatDate(Date.now()) })),
  ];
}

async function printReceipt(titleKey, ref, code) {
  const receipt = $('receipt');
  replace(receipt, await receiptBody(titleKey, ref, code));
  document.body.classList.add('print-receipt');
  const done = () => {
    document.body.classList.remove('print-receipt');
    window.removeEventListener('afterprint', done);
  };
  window.addEventListener('afterprint', done);
  window.print();
}

// --- complaints --------------------------------------------------------------------------------------------

function toggleComplaint() {
  state.complaint.open = !state.complaint.open;
  renderResult();
  if (state.complaint.open) $('complaint-category')?.focus();
  else $('open-complaint')?.focus();
}

function renderComplaint(found) {
  const c = state.complaint;
  if (c.receipt) return renderComplaintReceipt(c.receipt);
  if (!c.open) return null;
  const message = h('textarea', {
    id: 'complaint-message',
    name: 'message',
    rows: '5',
    maxlength: '2000',
    required: true,
    'aria-describedby': 'complaint-message-hint complaint-count',
    oninput: (ev) => {
      c.message = ev.target.value;
      $('complaint-count').textContent = t('complaint.count', { n: c.message.length });
    },
  });
  message.value = c.message;
  const select = h(
    'select',
    { id: 'complaint-category', name: 'category', onchange: (ev) => (c.category = ev.target.value) },
    CATEGORIES.map((cat) => h('option', { value: cat, selected: cat === c.category }, t(`category.${cat}`))),
  );
  return h(
    'form',
    { class: 'complaint', id: 'complaint-form', novalidate: true, onsubmit: (ev) => submitComplaint(ev, found), 'aria-labelledby': 'complaint-title' },
    h('h3', { id: 'complaint-title' }, t('complaint.heading')),
    h('p', { class: 'hint' }, t('complaint.intro')),
    h('div', { class: 'field' }, h('label', { for: 'complaint-category' }, t('complaint.category')), select),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'complaint-message' }, t('complaint.message')),
      message,
      h('p', { class: 'hint', id: 'complaint-message-hint' }, t('complaint.messageHint')),
      h('p', { class: 'hint count', id: 'complaint-count', 'aria-live': 'polite' }, t('complaint.count', { n: c.message.length })),
    ),
    c.error ? h('p', { class: 'error', role: 'alert', id: 'complaint-error' }, t(c.error.key, c.error.params)) : null,
    h(
      'div',
      { class: 'buttons' },
      h('button', { type: 'submit', class: 'primary', id: 'complaint-submit', disabled: c.sending }, t(c.sending ? 'complaint.sending' : 'complaint.submit')),
      h('button', { type: 'button', class: 'secondary', onclick: toggleComplaint }, t('complaint.cancel')),
    ),
  );
}

async function submitComplaint(ev, found) {
  ev.preventDefault();
  const c = state.complaint;
  if (c.sending) return;
  if (!c.message.trim()) {
    c.error = { key: 'complaint.err.empty' };
    renderResult();
    $('complaint-message')?.focus();
    return;
  }
  c.sending = true;
  c.error = null;
  renderResult();
  const answer = await request('/v1/complaints', {
    method: 'POST',
    body: JSON.stringify({ caseRef: found.ref, accessCode: found.code, category: c.category, message: c.message }),
  });
  c.sending = false;
  if (answer.status === 201 && answer.data?.caseRef && answer.data?.accessCode) {
    c.receipt = answer.data;
    c.open = false;
    c.message = '';
    renderResult();
    const card = $('complaint-receipt');
    if (card) {
      await card.ready;
      card.focus();
    }
    announce(t('complaint.done'));
    return;
  }
  const known = { 404: 'complaint.err.404', 429: 'complaint.err.429', 503: 'complaint.err.503', 422: 'complaint.err.422' };
  const detail = answer.data?.detail ?? answer.data?.title ?? '';
  c.error = answer.status === 0 ? { key: 'err.network' } : { key: known[answer.status] ?? 'complaint.err.other', params: { status: answer.status, detail } };
  renderResult();
  $('complaint-error')?.focus();
}

function renderComplaintReceipt(receipt) {
  // Filled asynchronously (the QR code is generated) by complaintReceiptContent.
  const card = h('section', { class: 'complaint-receipt', id: 'complaint-receipt', tabindex: '-1', 'aria-labelledby': 'complaint-done-title' });
  card.ready = complaintReceiptContent(receipt).then((content) => card.replaceChildren(...content));
  return card;
}

async function complaintReceiptContent(receipt) {
  const link = receiptLink(receipt.caseRef, receipt.accessCode);
  return [
    h('h3', { id: 'complaint-done-title' }, h('span', { 'aria-hidden': 'true' }, '✓ '), t('complaint.done')),
    h('p', {}, t('complaint.doneText')),
    h(
      'dl',
      { class: 'facts stacked' },
      h('dt', {}, t('form.ref')),
      h('dd', { class: 'mono strong', id: 'complaint-ref' }, receipt.caseRef),
      h('dt', {}, t('form.code')),
      h('dd', { class: 'mono code', id: 'complaint-code' }, receipt.accessCode),
    ),
    await qrSvg(link),
    h(
      'div',
      { class: 'buttons' },
      h('a', { class: 'button secondary', href: link, id: 'complaint-link' }, t('complaint.open')),
      h('button', { type: 'button', class: 'secondary', onclick: () => printReceipt('receipt.complaintTitle', receipt.caseRef, receipt.accessCode) }, t('complaint.print')),
    ),
  ];
}

// --- start -----------------------------------------------------------------------------------------------------

function fromFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  const ref = params.get('ref');
  const code = params.get('code');
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
  renderForm();
  fromFragment();
  document.body.dataset.ready = 'true';
}

start();
