// Screening: many addresses at once, each with its risk, reason and exposures.

import { api, seg } from '../api.js';
import { h, show, table, errorBox, link, riskBadge } from '../dom.js';
import { usd } from '../format.js';

export function render(main) {
  const input = h('textarea', { rows: 8, placeholder: 'one address per line (or separated by spaces or commas)', 'data-testid': 'screen-input' });
  const date = h('input', { type: 'date', 'data-testid': 'screen-date' });
  const result = h('div');
  const form = h('form', {
    onsubmit: (event) => {
      event.preventDefault();
      run(input.value, date.value, result);
    },
  }, input, h('p', { class: 'inline' }, h('label', {}, 'As of (optional) ', date), ' ',
    h('button', { type: 'submit', 'data-testid': 'screen-go' }, 'Screen')));
  show(main, h('h1', {}, 'Screening'), h('section', {}, form), result);
}

async function run(text, date, result) {
  const addresses = [...new Set(text.split(/[\s,;]+/).filter(Boolean))];
  show(result, h('p', { class: 'muted' }, `Screening ${addresses.length} addresses…`));
  const query = date ? `?date=${seg(date)}` : '';
  // One call per address, a few at a time, so that a long list stays under the rate limit.
  const rows = [];
  for (let i = 0; i < addresses.length; i += 4) {
    const batch = addresses.slice(i, i + 4);
    rows.push(...await Promise.all(batch.map((address) =>
      api(`/v1/screen/${seg(address)}${query}`).then((s) => ({ address, s }), (e) => ({ address, e })))));
  }
  show(result, h('section', {}, table([
    ['Address', (r) => (r.s && r.s.chains.length ? link(`#/address/${seg(r.s.chains[0])}/${seg(r.s.address)}`, r.address, 'mono') : h('span', { class: 'mono' }, r.address))],
    ['Risk', (r) => (r.s ? riskBadge(r.s.risk) : errorBox(r.e))],
    ['Reason', (r) => (r.s ? r.s.risk_reason || '' : '')],
    ['Exposures', (r) => (r.s ? h('ul', { class: 'plain' }, r.s.exposures.map((e) =>
      h('li', {}, `${e.direction} ${e.exposure_type} ${e.category}: ${e.entity} ${usd(e.usd)}`))) : '')],
  ], rows, 'screen-results')));
}
