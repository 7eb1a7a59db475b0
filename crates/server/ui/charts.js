// Static charts of a trace, drawn as SVG without a library: a timeline of arrivals (USD where
// priced; without prices, endpoints are counted instead, the caption says which), and the
// Sankey of the value per hop, laid out and drawn by the server (POST /v1/sankey).

import { usd, time } from './format.js';
import { h } from './dom.js';

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

/** The server's Sankeys of `report` (one per asset), each under its asset's name. The drawing
 * is parsed as SVG, not HTML, and carries no script (the CSP would refuse one anyway). */
export function sankeys(answer) {
  const parser = new DOMParser();
  return answer.sankeys.map((s) => {
    const doc = parser.parseFromString(s.svg, 'image/svg+xml');
    const drawing = document.importNode(doc.documentElement, true);
    return h('figure', { 'data-testid': 'sankey', 'data-asset': s.asset },
      drawing,
      h('figcaption', { class: 'muted' }, `${s.asset} on ${s.chain}: from the seeds (left), hop by hop, to where it ended; band widths proportional to the amount. Hover a band for its amount.`));
  });
}
