// Printed receipts and their QR codes: the link carries the case reference and access code in its
// fragment (/#ref=…&code=…), which browsers never send to a server.

import QRCode from 'qrcode';

import { h, replace } from './dom.js';
import { formatDate, t } from './i18n.js';

const $ = (id) => document.getElementById(id);

export function receiptLink(ref, code, proof = null) {
  const params = new URLSearchParams({ ref, code, ...(proof ? { proof } : {}) });
  return `${location.origin}/#${params.toString()}`;
}

export async function qrSvg(text) {
  const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  const holder = h('div', { class: 'qr', role: 'img', 'aria-label': t('receipt.scan') });
  // `svg` is markup produced by the QR library from our own link; no server text is interpreted.
  holder.innerHTML = svg;
  return holder;
}

async function receiptBody(titleKey, ref, code, proof) {
  const link = receiptLink(ref, code, proof?.text);
  return [
    h('h2', {}, t(titleKey)),
    h('dl', { class: 'facts stacked' }, h('dt', {}, t('form.ref')), h('dd', { class: 'mono strong' }, ref), h('dt', {}, t('form.code')), h('dd', { class: 'mono code' }, code)),
    await qrSvg(link),
    h('p', {}, t('receipt.scan')),
    proof ? h('p', { class: 'small', id: 'receipt-proof-note' }, t('receipt.proofIncluded', { n: proof.caseSeq })) : null,
    h('p', { class: 'mono small break' }, `${t('receipt.link')}: ${receiptLink(ref, code)}`),
    h('p', { class: 'warning' }, t('receipt.keep')),
    h('p', { class: 'small' }, t('receipt.printed', { date: formatDate(Date.now()) })),
  ];
}

/** Print the receipt; `proof` ({text, caseSeq}: a self-proving receipt the page verified) goes in its QR code. */
export async function printReceipt(titleKey, ref, code, proof = null) {
  const receipt = $('receipt');
  replace(receipt, await receiptBody(titleKey, ref, code, proof));
  document.body.classList.add('print-receipt');
  const done = () => {
    document.body.classList.remove('print-receipt');
    window.removeEventListener('afterprint', done);
  };
  window.addEventListener('afterprint', done);
  window.print();
}
