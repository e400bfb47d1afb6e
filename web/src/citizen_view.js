// The citizen page's rendering of one checked case: the verdict, the summary, the timeline and the
// checks in words (every check of core/case.js, step 2's witnesses included). Pure views of `found`
// (the lookup citizen.js keeps); no state, no requests.

import { h, shortHex } from './dom.js';
import { eventLabel, formatDate, formatDuration, has, t } from './i18n.js';
import { toHex } from './core/index.js';

const CHECK_ORDER = ['commitment', 'signature', 'chain', 'leaf', 'inclusion', 'checkpoint', 'witnesses', 'anchor'];
export const ICON = { ok: '✓', fail: '✗', warn: '!', pending: '…', skip: '–' };

/** Whether a URL is served by the same origin as this page (the server's own chain window). */
export function sameOrigin(url) {
  try {
    return new URL(url, location.href).origin === location.origin;
  } catch {
    return false;
  }
}

export function renderVerdict(result) {
  const v = result.verdict;
  return h(
    'section',
    { class: `card verdict verdict-${v}`, id: 'verdict', tabindex: '-1', 'data-verdict': v, 'aria-labelledby': 'verdict-title' },
    h('p', { class: 'verdict-icon', 'aria-hidden': 'true' }, ICON[v === 'partial' ? 'warn' : v]),
    h('div', {}, h('h2', { id: 'verdict-title' }, t(`verdict.${v}.title`)), h('p', {}, t(`verdict.${v}.text`))),
  );
}

export function renderSummary(found) {
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

export function renderTimeline(found) {
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

/** Step 2 in plain words: who witnessed and when, or that no independent witness has yet, or what failed. */
function witnessText(check) {
  const p = { names: check.names, count: check.count, total: check.total, required: check.required };
  const at = (check.cosigned ?? []).map((c) => t('witness.at', { name: c.name, date: formatDate(c.timestamp * 1000) }));
  if (check.status === 'ok') return { text: t('check.witnesses.ok', p), lines: at };
  if (check.status === 'pending') return { text: t('check.witnesses.pending'), lines: [] };
  if (check.status === 'fail') return { text: t(`witness.fail.${check.reason}`, { witness: check.witness ?? '', detail: check.detail ?? '' }), lines: [] };
  if (check.reason === 'quorum-not-met') return { text: t(check.count ? 'witness.quorum-not-met' : 'witness.none-yet', p), lines: at };
  return { text: t(`witness.${check.reason}`, p), lines: [] };
}

function checkText(id, check, found) {
  const lines = [];
  let witnessLines;
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
    case 'witnesses':
      ({ text, lines: witnessLines } = witnessText(check));
      lines.push(...witnessLines);
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

export function renderChecks(found) {
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
  if (id === 'witnesses' && check.logKey) rows.push(tech(t('detail.logKey'), check.logKey));
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
