// The incident dashboard's chart: one group of bars per year, a bar per series (the store's
// incident ledger and each publisher's yearly totals), in plain SVG. An unverified figure is
// drawn hatched and says so in its tooltip and in the legend, with its citation.

import { usd } from './format.js';

const NS = 'http://www.w3.org/2000/svg';
const COLORS = ['#1d4ed8', '#d97706', '#059669', '#9333ea', '#dc2626'];

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  for (const child of children) el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return el;
}

/** Dollars for an axis or a label: "$1.5B", "$660M". */
export function dollars(n) {
  if (n >= 1e9) return `$${(n / 1e9).toFixed(n % 1e9 === 0 ? 0 : 2).replace(/\.?0+$/, '')}B`;
  if (n >= 1e6) return `$${Math.round(n / 1e6)}M`;
  return usd(n);
}

/** The chart of `series` (as GET /v1/dashboard/dprk answers them) and its legend. */
export function yearlyChart(series) {
  const years = [...new Set(series.flatMap((s) => s.points.map((p) => p.year)))].sort((a, b) => a - b);
  const largest = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.usd)));
  const width = 900; const height = 300; const left = 60; const bottom = 30; const top = 10;
  const group = (width - left - 10) / years.length;
  const bar = Math.min(28, (group - 10) / series.length);
  const y = (v) => top + (height - top - bottom) * (1 - v / largest);
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img', 'aria-label': 'DPRK-attributed stolen value per year: the ledger beside published totals', 'data-testid': 'dashboard-chart' },
    svg('defs', {}, svg('pattern', { id: 'unverified', width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
      svg('rect', { width: 6, height: 6, fill: '#fff' }), svg('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#6b7280', 'stroke-width': 3 }))));
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    const v = largest * tick;
    chart.append(svg('line', { x1: left, x2: width - 10, y1: y(v), y2: y(v), stroke: '#e5e7eb' }),
      svg('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end', 'font-size': 10, fill: '#374151' }, dollars(v)));
  }
  years.forEach((year, i) => {
    const x0 = left + group * i + (group - bar * series.length) / 2;
    series.forEach((s, k) => {
      const p = s.points.find((q) => q.year === year);
      if (!p) return;
      const color = COLORS[k % COLORS.length];
      const status = p.verified ? '' : ' — UNVERIFIED';
      chart.append(svg('rect', {
        x: x0 + bar * k, y: y(p.usd), width: bar - 2, height: Math.max(1, y(0) - y(p.usd)),
        fill: p.verified ? color : 'url(#unverified)', stroke: color, 'stroke-width': p.verified ? 0 : 2,
        'data-series': s.id, 'data-year': String(year), 'data-usd': String(p.usd), 'data-verified': String(p.verified),
      }, svg('title', {}, `${s.id}, ${p.scope}: ${dollars(p.usd)}${p.incidents !== null ? ` in ${p.incidents} incidents` : ''}${status}${p.published ? `; published ${p.published}` : ''}; ${p.citation}`)));
    });
    chart.append(svg('text', { x: left + group * i + group / 2, y: height - 10, 'text-anchor': 'middle', 'font-size': 11 }, String(year)));
  });
  const legend = document.createElement('ul');
  legend.className = 'plain legend';
  legend.dataset.testid = 'dashboard-legend';
  series.forEach((s, k) => {
    const li = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = COLORS[k % COLORS.length];
    const unverified = s.points.filter((p) => !p.verified);
    li.append(swatch, `${s.id}: ${s.what}.`);
    for (const p of unverified) {
      li.append(document.createElement('br'), `Hatched, unverified: ${p.year} (${dollars(p.usd)}) — ${p.citation}.`);
    }
    legend.append(li);
  });
  return [chart, legend];
}
