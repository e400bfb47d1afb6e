// The auditor dashboard (/audit): service statistics as charts, the anchoring state, the latest
// checkpoint and the latest audit result. Reads only public endpoints (/v1/stats,
// /v1/checkpoints/latest, /v1/audit/latest).

import { horizontalBars, lineChart, stackedBars } from './charts.js';
import { h, replace, request, setupLanguage, shortHex } from './dom.js';
import { addStrings, formatDate, formatDuration, formatNumber, has, locale, serviceLabel, t } from './i18n.js';
import * as strings from './i18n/audit.js';

addStrings(strings);

const POLL_SECONDS = 15;
const MAX_SAMPLES = 240;

const state = {
  stats: null,
  checkpoint: undefined, // undefined: not loaded; null: none
  audit: undefined, // undefined: not loaded; null: not run
  error: null,
  groupBy: 'service',
  samples: [], // {at, treeSize, anchoredSize, lag}
  updatedAt: null,
};

const $ = (id) => document.getElementById(id);

async function load() {
  const [stats, checkpoint, audit] = await Promise.all([request('/v1/stats'), request('/v1/checkpoints/latest'), request('/v1/audit/latest')]);
  if (stats.ok && stats.data) {
    state.stats = stats.data;
    state.error = null;
    const a = stats.data.anchoring ?? {};
    state.samples.push({
      at: Date.now(),
      treeSize: Number(a.treeSize ?? 0),
      anchoredSize: Number(a.anchoredSize ?? 0),
      lag: Number(a.anchorLagSeconds ?? 0),
    });
    if (state.samples.length > MAX_SAMPLES) state.samples.shift();
  } else {
    state.error = stats.status ? `HTTP ${stats.status}` : t('err.network');
  }
  state.checkpoint = checkpoint.ok ? checkpoint.data : null;
  // 204 before the first audit: a state of the ledger, not an error
  state.audit = audit.ok && audit.status !== 204 ? audit.data : null;
  state.updatedAt = Date.now();
  render();
}

function render() {
  const error = $('audit-error');
  error.hidden = !state.error;
  error.textContent = state.error ? t('audit.error', { detail: state.error }) : '';
  $('updated').textContent = state.updatedAt ? t('audit.updated', { time: formatDate(state.updatedAt) }) : t('loading');
  $('anchoring-note').textContent = t('chart.anchoringNote', { n: POLL_SECONDS });
  for (const [id, key] of [
    ['by-service', 'service'],
    ['by-office', 'office'],
  ]) {
    $(id).setAttribute('aria-pressed', String(state.groupBy === key));
  }
  renderTiles();
  renderCharts();
  renderCheckpoint();
  renderAudit();
  document.body.dataset.ready = 'true';
}

function tile(label, value, note) {
  return h('div', { class: 'tile' }, h('p', { class: 'tile-label' }, label), h('p', { class: 'tile-value' }, value), note ? h('p', { class: 'hint' }, note) : null);
}

function asOf(stats) {
  return stats.asOf ? t('note.statsAsOf', { n: formatNumber(stats.asOf.treeSize) }) : null;
}

function renderTiles() {
  const stats = state.stats;
  if (!stats) return;
  const a = stats.anchoring ?? {};
  replace(
    $('tiles'),
    tile(t('tile.treeSize'), formatNumber(a.treeSize ?? 0), t('unit.leaves')),
    tile(t('tile.anchoredSize'), formatNumber(a.anchoredSize ?? 0), t('unit.leaves')),
    tile(t('tile.unanchored'), formatNumber(a.unanchoredLeaves ?? 0), t('unit.leaves')),
    tile(t('tile.lag'), Number(a.anchorLagSeconds ?? 0) < 60 ? t('unit.seconds', { n: formatNumber(Math.round(Number(a.anchorLagSeconds ?? 0))) }) : formatDuration(a.anchorLagSeconds)),
    // case and complaint figures are refreshed at most once a minute: say which tree size they count
    tile(t('tile.cases'), formatNumber(stats.cases ?? 0), asOf(stats)),
    tile(t('tile.complaintsOpen'), formatNumber(stats.complaints?.open ?? 0), asOf(stats)),
  );
}

/** Every day from the first to the last (a quiet day is a day too), unless that is more than a year. */
function calendar(days) {
  if (days.length < 2) return days;
  const first = Date.parse(`${days[0]}T00:00:00Z`);
  const last = Date.parse(`${days[days.length - 1]}T00:00:00Z`);
  const count = Math.round((last - first) / 86_400_000) + 1;
  if (count > 400) return days;
  return Array.from({ length: count }, (_, i) => new Date(first + i * 86_400_000).toISOString().slice(0, 10));
}

const dayFormat = () => new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'short', timeZone: 'UTC' });
const timeFormat = () => new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit', second: '2-digit' });

function renderCharts() {
  const stats = state.stats;
  if (!stats) return;
  // volumes per day, by service or by office (agency)
  const volumes = stats.volumes ?? [];
  const days = calendar([...new Set(volumes.map((v) => v.day))].sort());
  const keyOf = (v) => (state.groupBy === 'service' ? v.service : v.agency);
  const keys = [...new Set(volumes.map(keyOf))].sort();
  const index = new Map(days.map((d, i) => [d, i]));
  const series = keys.map((k) => {
    const values = new Array(days.length).fill(0);
    for (const v of volumes) if (keyOf(v) === k) values[index.get(v.day)] += Number(v.events);
    return { name: state.groupBy === 'service' ? serviceLabel(k) : k, values };
  });
  const fmtDay = dayFormat();
  stackedBars($('chart-volumes'), { title: t('chart.volumes'), labels: days, series, formatLabel: (d) => fmtDay.format(new Date(`${d}T00:00:00Z`)) });

  // time to completion per service
  const completion = Object.entries(stats.timeToCompletion ?? {}).sort();
  // under a day, "0" days says nothing (complaints are often answered within hours): say how long
  const days2 = (v) =>
    Number(v) < 1 ? formatDuration(Math.round(Number(v) * 86_400)) : new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(Number(v));
  horizontalBars($('chart-completion'), {
    title: t('chart.completion'),
    seriesNames: [t('chart.median'), t('chart.p90')],
    rows: completion.map(([service, c]) => ({
      label: serviceLabel(service),
      note: t('chart.cases', { n: formatNumber(c.cases) }),
      values: [Number(c.medianDays), Number(c.p90Days)],
    })),
    format: days2,
  });

  // complaints
  const complaints = stats.complaints ?? { open: 0, resolved: 0 };
  horizontalBars($('chart-complaints'), {
    title: t('chart.complaints'),
    seriesNames: [t('chart.complaints')],
    rows: [
      { label: t('chart.open'), values: [Number(complaints.open)] },
      { label: t('chart.resolved'), values: [Number(complaints.resolved)] },
    ],
    colors: ['#D55E00'],
  });

  // anchoring: tree size and anchored size, and the lag, sampled since the page opened
  const fmtTime = timeFormat();
  const xs = state.samples.map((x) => x.at);
  lineChart($('chart-anchoring'), {
    title: t('chart.anchoring'),
    xs,
    series: [
      { name: t('chart.treeSize'), values: state.samples.map((x) => x.treeSize) },
      { name: t('chart.anchored'), values: state.samples.map((x) => x.anchoredSize) },
    ],
    formatX: (x) => fmtTime.format(new Date(x)),
  });
  lineChart($('chart-lag'), {
    title: t('chart.lag'),
    xs,
    series: [{ name: t('chart.lag'), values: state.samples.map((x) => x.lag) }],
    formatX: (x) => fmtTime.format(new Date(x)),
    formatY: (v) => formatNumber(Math.round(v)),
    colors: ['#CC79A7'],
  });
}

function fact(label, value, cls = 'mono') {
  return [h('dt', {}, label), h('dd', { class: cls }, value)];
}

function renderCheckpoint() {
  const cp = state.checkpoint;
  const root = $('checkpoint');
  if (cp === undefined) return;
  if (!cp) {
    replace(root, h('p', {}, t('checkpoint.none')));
    return;
  }
  const a = cp.anchor;
  replace(
    root,
    h(
      'dl',
      { class: 'facts' },
      fact(t('detail.treeSize'), formatNumber(cp.treeSize), ''),
      fact(t('detail.root'), shortHex(String(cp.rootHash), 10)),
      a ? fact(t('detail.tx'), shortHex(String(a.txHash), 10)) : null,
      a ? fact(t('detail.block'), String(a.blockNumber), '') : null,
      fact(t('checkpoint.status'), a ? anchorStatus(a.status) : t('checkpoint.notAnchored'), ''),
    ),
    h('details', {}, h('summary', {}, t('details')), h('pre', { class: 'mono small' }, String(cp.checkpoint ?? ''))),
  );
}

/** An anchor's state in words (pending, mined, confirmed, dropped), a code only if a newer server sends one. */
function anchorStatus(status) {
  return has(`anchorStatus.${status}`) ? t(`anchorStatus.${status}`) : String(status ?? '');
}

function renderAudit() {
  const audit = state.audit;
  const root = $('audit-result');
  if (audit === undefined) return;
  if (!audit) {
    replace(root, h('p', { class: 'strong', id: 'audit-not-run' }, t('auditResult.notRun')), h('p', { class: 'hint' }, t('auditResult.hint')));
    return;
  }
  const list = Array.isArray(audit.discrepancies) ? audit.discrepancies : null;
  const scope = audit.scope && typeof audit.scope === 'object' ? audit.scope : null;
  const ranAt = scope?.auditedAt ?? audit.finishedAt ?? audit.ranAt ?? audit.checkedAt ?? audit.at ?? null;
  const parts = [];
  if (ranAt !== null) parts.push(h('p', { class: 'hint' }, t('auditResult.ranAt', { time: formatDate(typeof ranAt === 'string' ? Date.parse(ranAt) : Number(ranAt)) })));
  if (list) {
    const partial = !scope || !scope.chain || (scope.notChecked ?? []).length > 0;
    parts.push(h('p', { class: list.length ? 'error' : 'ok strong' }, list.length ? t('auditResult.discrepancies', { n: list.length }) : t(partial ? 'auditResult.okScoped' : 'auditResult.ok')));
  }
  parts.push(renderScope(scope));
  if (list) {
    if (list.length) {
      parts.push(
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            {},
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('auditResult.kind')), h('th', { scope: 'col' }, t('auditResult.where')))),
            h(
              'tbody',
              {},
              list.slice(0, 100).map((d) =>
                h('tr', {}, h('td', {}, String(d.kind ?? '')), h('td', { class: 'mono' }, [d.agency, d.eventId, d.leafIndex !== undefined ? `#${d.leafIndex}` : null].filter((x) => x !== null && x !== undefined).join(' '))),
              ),
            ),
          ),
        ),
      );
    }
  }
  parts.push(h('details', {}, h('summary', {}, t('details')), h('pre', { class: 'mono small' }, JSON.stringify(audit, (k, v) => (typeof v === 'bigint' ? v.toString() : v), 2))));
  replace(root, parts);
}

/** What the audit checked, when, up to which size, and what it did not (the report's scope). */
function renderScope(scope) {
  if (!scope) return h('p', { class: 'hint', id: 'audit-scope' }, t('auditResult.noScope'));
  const size = Number(scope.treeSize ?? 0);
  const items = [h('li', {}, t('auditResult.scope', { from: formatNumber(Number(scope.fromLeaf ?? 0)), to: formatNumber(Math.max(size - 1, 0)), size: formatNumber(size) }))];
  if (scope.chain) {
    items.push(h('li', {}, t('auditResult.chainChecked', { chain: String(scope.chain.chainId ?? '?'), block: formatNumber(Number(scope.chain.headBlock ?? 0)) })));
  } else {
    items.push(h('li', { class: 'error strong', id: 'audit-chain-skipped' }, t('auditResult.chainSkipped')));
  }
  // (the chain has its own line; leaves below an incremental audit's start, the incremental line)
  if (scope.witnesses) items.push(h('li', {}, t('auditResult.witnessesChecked', { n: formatNumber(Number(scope.witnesses.signaturesChecked ?? 0)) })));
  const skipped = (scope.notChecked ?? []).filter((x) => x === 'registry' || x === 'signatures' || x === 'witnesses');
  if (skipped.length) items.push(h('li', {}, t('auditResult.notChecked', { list: skipped.map((x) => t(`auditResult.part.${x}`)).join(', ') })));
  const incremental = scope.incremental;
  if (incremental) {
    items.push(h('li', {}, Number(incremental.resumedFrom ?? 0) === 0 ? t('auditResult.incrementalWhole', { n: formatNumber(Number(incremental.pageSize ?? 0)) }) : t('auditResult.incrementalFrom', { n: formatNumber(Number(incremental.resumedFrom)) })));
  }
  return h('ul', { class: 'hint', id: 'audit-scope' }, items);
}

function start() {
  setupLanguage(render);
  $('refresh').addEventListener('click', load);
  $('by-service').addEventListener('click', () => {
    state.groupBy = 'service';
    render();
  });
  $('by-office').addEventListener('click', () => {
    state.groupBy = 'office';
    render();
  });
  let width = window.innerWidth;
  window.addEventListener('resize', () => {
    if (Math.abs(window.innerWidth - width) < 8) return;
    width = window.innerWidth;
    if (state.stats) renderCharts();
  });
  setInterval(() => {
    if (!document.hidden) load();
  }, POLL_SECONDS * 1000);
  load();
}

start();
