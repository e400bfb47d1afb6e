// Hand-drawn SVG charts: no chart library, no inline styles (the pages run under a strict CSP), drawn at
// the container's real width so that text stays readable on a phone, each with a data table for
// screen readers and for anyone who wants the numbers.

import { h, s } from './dom.js';
import { formatNumber, t } from './i18n.js';

// Okabe–Ito: distinguishable with the common colour-vision deficiencies.
export const COLORS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#000000', '#999999'];

function niceStep(max, count) {
  const raw = Math.max(max, 1) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = [1, 2, 5, 10].find((m) => m * power >= raw) ?? 10;
  return unit * power;
}

/** Tick values from 0 to a round top; every quantity charted here is a count, so steps are ≥ 1. */
function ticks(max, count = 4) {
  const step = Math.max(1, niceStep(max, count));
  const top = Math.max(step, Math.ceil(max / step) * step);
  const out = [];
  for (let v = 0; v <= top + step / 2; v += step) out.push(Number(v.toFixed(6)));
  return { top, values: out };
}

function width(container) {
  return Math.max(260, Math.floor(container.clientWidth || container.getBoundingClientRect().width || 320));
}

export function legend(names, colors = COLORS) {
  return h(
    'ul',
    { class: 'legend' },
    names.map((name, i) => h('li', {}, s('svg', { width: 12, height: 12, 'aria-hidden': 'true' }, s('rect', { width: 12, height: 12, rx: 2, fill: colors[i % colors.length] })), ` ${name}`)),
  );
}

export function dataTable(caption, headers, rows) {
  return h(
    'details',
    { class: 'data' },
    h('summary', {}, t('chart.table')),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        {},
        h('caption', { class: 'visually-hidden' }, caption),
        h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', {}, rows.map((r) => h('tr', {}, r.map((x, i) => (i === 0 ? h('th', { scope: 'row' }, x) : h('td', {}, x)))))),
      ),
    ),
  );
}

function empty(container) {
  container.replaceChildren(h('p', { class: 'hint' }, t('chart.noData')));
}

/** Stacked columns: labels along x, one stack per label, one colour per series. */
export function stackedBars(container, { title, labels, series, formatLabel = (x) => x }) {
  if (!labels.length || !series.length) return empty(container);
  const W = width(container);
  const H = 240;
  const m = { l: 40, r: 8, t: 10, b: 30 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const totals = labels.map((_, i) => series.reduce((n, x) => n + (x.values[i] || 0), 0));
  const { top, values } = ticks(Math.max(...totals));
  const y = (v) => m.t + ph - (v / top) * ph;
  const band = pw / labels.length;
  const bar = Math.max(1, Math.min(48, band * 0.72));
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': title, class: 'plot' });
  for (const v of values) {
    svg.append(s('line', { x1: m.l, x2: W - m.r, y1: y(v), y2: y(v), class: 'grid' }), s('text', { x: m.l - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, formatNumber(v)));
  }
  labels.forEach((label, i) => {
    let base = 0;
    const x = m.l + i * band + (band - bar) / 2;
    series.forEach((ser, k) => {
      const v = ser.values[i] || 0;
      if (!v) return;
      svg.append(
        s('rect', { x, y: y(base + v), width: bar, height: Math.max(0.5, y(base) - y(base + v)), fill: COLORS[k % COLORS.length] }, s('title', {}, `${formatLabel(label)} · ${ser.name}: ${formatNumber(v)}`)),
      );
      base += v;
    });
  });
  const every = Math.max(1, Math.ceil(labels.length / Math.max(1, Math.floor(pw / 64))));
  labels.forEach((label, i) => {
    if (i % every) return;
    svg.append(s('text', { x: m.l + i * band + band / 2, y: H - 10, 'text-anchor': 'middle', class: 'tick' }, formatLabel(label)));
  });
  svg.append(s('line', { x1: m.l, x2: W - m.r, y1: y(0), y2: y(0), class: 'axis' }));
  container.replaceChildren(
    legend(series.map((x) => x.name)),
    svg,
    dataTable(title, ['', ...series.map((x) => x.name)], labels.map((label, i) => [formatLabel(label), ...series.map((x) => formatNumber(x.values[i] || 0))])),
  );
  return undefined;
}

/** Horizontal bars: one row per category, one bar per series in each row, the value at its end. */
export function horizontalBars(container, { title, rows, seriesNames, format = formatNumber, colors = COLORS }) {
  if (!rows.length) return empty(container);
  const W = width(container);
  const barH = 16;
  const rowH = 22 + seriesNames.length * (barH + 4);
  const H = rows.length * rowH + 6;
  const m = { l: 4, r: 64 };
  const pw = W - m.l - m.r;
  const max = Math.max(...rows.flatMap((r) => r.values), 0) || 1;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': title, class: 'plot' });
  rows.forEach((row, i) => {
    const top = i * rowH;
    svg.append(s('text', { x: m.l, y: top + 15, class: 'label' }, row.note ? `${row.label} · ${row.note}` : row.label));
    row.values.forEach((v, k) => {
      const y = top + 22 + k * (barH + 4);
      const w = Math.max(v > 0 ? 2 : 0, (v / max) * pw);
      svg.append(
        s('rect', { x: m.l, y, width: w, height: barH, rx: 2, fill: colors[k % colors.length] }, s('title', {}, `${row.label} · ${seriesNames[k]}: ${format(v)}`)),
        s('text', { x: m.l + w + 6, y: y + barH - 3, class: 'value' }, format(v)),
      );
    });
  });
  container.replaceChildren(
    seriesNames.length > 1 ? legend(seriesNames, colors) : '',
    svg,
    dataTable(title, ['', ...seriesNames], rows.map((r) => [r.note ? `${r.label} (${r.note})` : r.label, ...r.values.map(format)])),
  );
  return undefined;
}

/** Lines over time (x = unix ms). */
export function lineChart(container, { title, xs, series, formatX, formatY = formatNumber, colors = COLORS }) {
  if (!xs.length) return empty(container);
  const W = width(container);
  const H = 200;
  const m = { l: 48, r: 12, t: 10, b: 28 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const { top, values } = ticks(Math.max(...series.flatMap((x) => x.values), 0));
  const x0 = xs[0];
  const span = Math.max(1, xs[xs.length - 1] - x0);
  const x = (v) => (xs.length === 1 ? m.l + pw / 2 : m.l + ((v - x0) / span) * pw);
  const y = (v) => m.t + ph - (v / top) * ph;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': title, class: 'plot' });
  for (const v of values) {
    svg.append(s('line', { x1: m.l, x2: W - m.r, y1: y(v), y2: y(v), class: 'grid' }), s('text', { x: m.l - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, formatY(v)));
  }
  series.forEach((ser, k) => {
    const color = colors[k % colors.length];
    if (xs.length > 1) {
      svg.append(s('polyline', { points: xs.map((t0, i) => `${x(t0)},${y(ser.values[i])}`).join(' '), fill: 'none', stroke: color, 'stroke-width': 2, 'stroke-dasharray': k ? '6 3' : null }));
    }
    xs.forEach((t0, i) => svg.append(s('circle', { cx: x(t0), cy: y(ser.values[i]), r: 3, fill: color }, s('title', {}, `${formatX(t0)} · ${ser.name}: ${formatY(ser.values[i])}`))));
  });
  svg.append(s('text', { x: m.l, y: H - 8, class: 'tick' }, formatX(xs[0])));
  if (xs.length > 1) svg.append(s('text', { x: W - m.r, y: H - 8, 'text-anchor': 'end', class: 'tick' }, formatX(xs[xs.length - 1])));
  svg.append(s('line', { x1: m.l, x2: W - m.r, y1: y(0), y2: y(0), class: 'axis' }));
  container.replaceChildren(
    series.length > 1 ? legend(series.map((ser) => ser.name), colors) : '',
    svg,
    dataTable(title, [t('chart.time'), ...series.map((ser) => ser.name)], xs.map((t0, i) => [formatX(t0), ...series.map((ser) => formatY(ser.values[i]))])),
  );
  return undefined;
}
