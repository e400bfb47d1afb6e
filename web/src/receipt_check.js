// Checking a self-proving receipt (FORMATS 16.6) in this browser, with no network: from a receipt link
// (/#…&proof=…), pasted text, or a photo of the receipt's QR code (jsQR, loaded only then). The trust
// it checks against is the witness policy and agency registry this page saw when it was last online
// (trust.js); the page says how old they are. A chunk of its own, loaded when a receipt is checked.

import { caseCommitment, decodeReceipt, bytesEqual, normalizeCaseRef, parseAccessCode, parsePolicy, toHex, verifyReceipt } from './core/index.js';
import { h, replace } from './dom.js';
import { addStrings, formatDate, t } from './i18n.js';
import * as strings from './i18n/receipt.js';
import { loadTrust } from './trust.js';

const $ = (id) => document.getElementById(id);

addStrings(strings);

/** The receipt text out of whatever was given: a link with proof=, the bare base64url, with whitespace. */
export function receiptText(input) {
  const text = String(input ?? '').trim();
  const hash = text.includes('#') ? text.slice(text.indexOf('#') + 1) : text.includes('proof=') ? text : null;
  if (hash !== null) {
    const params = new URLSearchParams(hash.replace(/^[?#]/, ''));
    return { proof: (params.get('proof') ?? '').replace(/\s+/g, ''), ref: params.get('ref'), code: params.get('code') };
  }
  return { proof: text.replace(/\s+/g, ''), ref: null, code: null };
}

const FAILURE = {
  InclusionProofInvalid: 'receipt.fail.inclusion',
  VerificationFailed: 'receipt.fail.witnesses',
  AuthenticationFailed: 'receipt.fail.signature',
};

/** Verify `input` and show the outcome in #receipt-result. Returns the outcome ({status, ...}). */
export async function checkReceipt(input) {
  const { proof, ref, code } = receiptText(input);
  const trust = loadTrust();
  let outcome;
  if (!proof) {
    outcome = { status: 'fail', reason: 'receipt.fail.empty' };
  } else if (!trust?.info?.witnessPolicy) {
    outcome = { status: 'fail', reason: 'receipt.fail.noPolicy' };
  } else {
    try {
      const receipt = await decodeReceipt(proof);
      const checked = verifyReceipt(receipt, parsePolicy(trust.info.witnessPolicy), trust.agencies ?? null);
      let mine = null;
      if (ref && code) {
        const commitment = await caseCommitment(parseAccessCode(code), normalizeCaseRef(ref));
        mine = bytesEqual(commitment, receipt.event.caseCommitment);
      }
      outcome = { status: mine === false ? 'fail' : 'ok', reason: mine === false ? 'receipt.fail.otherCase' : null, checked, trust };
    } catch (err) {
      outcome = { status: 'fail', reason: FAILURE[err.name] ?? 'receipt.fail.malformed', detail: err.message };
    }
  }
  render(outcome);
  return outcome;
}

function render(outcome) {
  const root = $('receipt-result');
  if (!root) return;
  root.hidden = false;
  if (outcome.status !== 'ok') {
    replace(
      root,
      h(
        'div',
        { class: 'verdict verdict-fail', id: 'receipt-verdict', 'data-verdict': 'fail', 'data-reason': outcome.reason, tabindex: '-1' },
        h('h3', {}, t('receipt.fail.title')),
        h('p', {}, t(outcome.reason)),
        outcome.detail ? h('p', { class: 'mono small break' }, outcome.detail) : null,
      ),
    );
    $('receipt-verdict').focus();
    return;
  }
  const { checked, trust } = outcome;
  const event = checked.event;
  const witnesses = checked.checked.cosignedBy.map((c) => c.displayName).join(', ');
  const signer = checked.agencyName && checked.signerRegistered ? checked.agencyName : null;
  const signedBy = signer
    ? t('receipt.ok.signedBy', { agency: signer })
    : t('receipt.ok.signedByKey', { agency: event.agency, key: toHex(checked.signer) });
  const quorum = checked.checked.quorumMet ? t('receipt.ok.witnessedBy', { names: witnesses }) : t('receipt.ok.notEnough', { names: witnesses || '—' });
  replace(
    root,
    h(
      'div',
      { class: `verdict ${checked.checked.quorumMet && signer ? 'verdict-ok' : 'verdict-partial'}`, id: 'receipt-verdict', 'data-verdict': checked.checked.quorumMet && signer ? 'ok' : 'partial', tabindex: '-1' },
      h('h3', {}, t('receipt.ok.title')),
      h('p', { id: 'receipt-claim' }, `${signedBy} ${quorum}`),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, t('receipt.ok.step')),
        h('dd', {}, `${event.caseSeq}. ${event.summary}`),
        h('dt', {}, t('receipt.ok.when')),
        h('dd', {}, formatDate(Number(event.occurredAt) * 1000)),
        h('dt', {}, t('receipt.ok.log')),
        h('dd', {}, t('receipt.ok.logSize', { index: String(checked.tree.treeSize) })),
      ),
      h('p', { class: 'hint', id: 'receipt-freshness' }, t('receipt.ok.trustAge', { date: formatDate(trust.savedAt) })),
    ),
  );
  $('receipt-verdict').focus();
}

/** Load the QR decoder now (while online), so that a photo can be read later without network. */
export function warm() {
  return import('jsqr').catch(() => undefined);
}

/** Read the QR code of an image file (a photo of the printed receipt) and check it. */
export async function checkReceiptImage(file) {
  const { default: jsQR } = await import('jsqr');
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
  const found = jsQR(pixels.data, pixels.width, pixels.height);
  if (!found) {
    render({ status: 'fail', reason: 'receipt.fail.noQr' });
    return { status: 'fail', reason: 'receipt.fail.noQr' };
  }
  return checkReceipt(found.data);
}
