// Two static charts of a trace, drawn as SVG without a library: the value that ended at each
// hop, stacked by what became of it, and a timeline of arrivals. USD where priced; without
// prices, endpoints are counted instead (the caption says which).

import { usd, time } from './format.js';

const NS = 'http://www.w3.org/2000/svg';
const COLORS = {
  service: '#2563eb', entered: '#d97706', bridge_pending: '#9333ea', unspent: '#059669',
  fee: '#6b7280', burnt: '#6b7280',
};
const color = (kind) => COLORS[kind] || '#dc2626';

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  for (const child of children) el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return el;
}

function weigher(report) {
  const priced = report.endpoints.some((e) => e.value.usd > 0);
  return { priced, weight: (e) => (priced ? e.value.usd || 0 : 1) };
}

/** Value per hop: one stacked column per hop, a segment per endpoint kind. */
export function perHop(report) {
  const { priced, weight } = weigher(report);
  const hops = new Map();
  for (const e of report.endpoints) {
    const column = hops.get(e.hops) || new Map();
    column.set(e.kind, (column.get(e.kind) || 0) + weight(e));
    hops.set(e.hops, column);
  }
  const order = [...hops.keys()].sort((a, b) => a - b);
  const largest = Math.max(1e-9, ...order.map((h) => [...hops.get(h).values()].reduce((a, b) => a + b, 0)));
  const width = Math.max(320, 60 * order.length + 60);
  const chart = svg('svg', { viewBox: `0 0 ${width} 220`, width: '100%', role: 'img', 'aria-label': 'Value per hop', 'data-testid': 'per-hop', 'data-columns': String(order.length) });
  order.forEach((hop, i) => {
    let y = 190;
    for (const [kind, value] of hops.get(hop)) {
      const height = (170 * value) / largest;
      y -= height;
      chart.append(svg('rect', { x: 40 + 60 * i, y, width: 40, height: Math.max(height, 1), fill: color(kind) },
        svg('title', {}, `hop ${hop}, ${kind}: ${priced ? usd(value) : `${value} endpoints`}`)));
    }
    chart.append(svg('text', { x: 60 + 60 * i, y: 208, 'text-anchor': 'middle', 'font-size': 11 }, `hop ${hop}`));
  });
  return [chart, caption(priced, 'Where the value ended, by hop from the seed')];
}

/** Arrivals in time: one dot per endpoint, its area proportional to the value. */
export function timeline(report) {
  const { priced, weight } = weigher(report);
  const timed = report.endpoints.filter((e) => e.time > 0);
  const first = Math.min(...timed.map((e) => e.time));
  const last = Math.max(...timed.map((e) => e.time));
  const span = Math.max(last - first, 1);
  const largest = Math.max(1e-9, ...timed.map(weight));
  const chart = svg('svg', { viewBox: '0 0 900 120', width: '100%', role: 'img', 'aria-label': 'Timeline of arrivals', 'data-testid': 'timeline', 'data-dots': String(timed.length) });
  chart.append(svg('line', { x1: 20, y1: 60, x2: 880, y2: 60, stroke: '#9ca3af' }));
  for (const e of timed) {
    const x = 20 + (860 * (e.time - first)) / span;
    const r = 3 + 14 * Math.sqrt(weight(e) / largest);
    chart.append(svg('circle', { cx: x, cy: 60, r, fill: color(e.kind), 'fill-opacity': 0.6 },
      svg('title', {}, `${time(e.time)}: ${e.kind}${e.entity ? ` at ${e.entity}` : ''}${priced ? `, ${usd(e.value.usd)}` : ''}`)));
  }
  chart.append(svg('text', { x: 20, y: 110, 'font-size': 11 }, time(first)));
  chart.append(svg('text', { x: 880, y: 110, 'font-size': 11, 'text-anchor': 'end' }, time(last)));
  return [chart, caption(priced, 'When the value arrived where it ended')];
}

function caption(priced, what) {
  const p = document.createElement('p');
  p.className = 'muted';
  p.textContent = `${what}; ${priced ? 'sized by USD' : 'nothing is priced: one unit per endpoint'}. Colours: blue service, orange mixer or bridge entered, purple pending at a bridge, green unspent, grey fees, red cut.`;
  return p;
}
