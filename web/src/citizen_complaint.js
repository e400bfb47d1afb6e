// Filing a complaint about a case, and the receipt of the complaint (a case of its own). The one place
// where the page sends the reference and access code to the server: in the request body, to prove that
// the citizen holds the case (FORMATS 11.5).

import { h, request } from './dom.js';
import { t } from './i18n.js';

const CATEGORIES = ['general', 'delay', 'fee', 'conduct', 'data', 'other'];
const $ = (id) => document.getElementById(id);

/** The page's state and its re-render and announce functions, bound once by citizen.js. */
let page = null;
export function bindComplaints(ctx) {
  page = ctx;
}

export function toggleComplaint() {
  page.state.complaint.open = !page.state.complaint.open;
  page.renderResult();
  if (page.state.complaint.open) $('complaint-category')?.focus();
  else $('open-complaint')?.focus();
}

export function renderComplaint(found) {
  const c = page.state.complaint;
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
  const c = page.state.complaint;
  if (c.sending) return;
  if (!c.message.trim()) {
    c.error = { key: 'complaint.err.empty' };
    page.renderResult();
    $('complaint-message')?.focus();
    return;
  }
  c.sending = true;
  c.error = null;
  page.renderResult();
  const answer = await request('/v1/complaints', {
    method: 'POST',
    body: JSON.stringify({ caseRef: found.ref, accessCode: found.code, category: c.category, message: c.message }),
  });
  c.sending = false;
  if (answer.status === 201 && answer.data?.caseRef && answer.data?.accessCode) {
    c.receipt = answer.data;
    c.open = false;
    c.message = '';
    page.renderResult();
    const card = $('complaint-receipt');
    if (card) {
      await card.ready;
      card.focus();
    }
    page.announce(t('complaint.done'));
    return;
  }
  const known = { 404: 'complaint.err.404', 429: 'complaint.err.429', 503: 'complaint.err.503', 422: 'complaint.err.422' };
  const detail = answer.data?.detail ?? answer.data?.title ?? '';
  c.error = answer.status === 0 ? { key: 'err.network' } : { key: known[answer.status] ?? 'complaint.err.other', params: { status: answer.status, detail } };
  page.renderResult();
  $('complaint-error')?.focus();
}

function renderComplaintReceipt(receipt) {
  // Filled asynchronously (the QR code is generated) by complaintReceiptContent.
  const card = h('section', { class: 'complaint-receipt', id: 'complaint-receipt', tabindex: '-1', 'aria-labelledby': 'complaint-done-title' });
  card.ready = complaintReceiptContent(receipt).then((content) => card.replaceChildren(...content));
  return card;
}

async function complaintReceiptContent(receipt) {
  // the receipt and its QR encoder are a chunk of their own, loaded when a receipt is first shown
  const { printReceipt, qrSvg, receiptLink } = await import('./receipt.js');
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
