// Address: who it is (labels with provenance), its risk with the reason and exposures, balances,
// volumes and counterparties.

import { api, seg } from '../api.js';
import { h, show, table, errorBox, link, riskBadge } from '../dom.js';
import { units, usd, percent, time } from '../format.js';

/** Units of a base-unit amount string with `decimals`, exact, as the API's `units` would be. */
function baseToUnits(amount, decimals) {
  const digits = String(amount).padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const frac = digits.slice(digits.length - decimals).replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : whole;
}

export function render(main, [chain, address]) {
  show(main, h('h1', { class: 'mono' }, address), h('p', { class: 'muted' }, `on ${chain}`));
  const parts = [
    api(`/v1/screen/${seg(address)}?chain=${seg(chain)}`).then(screening, errorBox),
    api(`/v1/labels/${seg(address)}`).then(labels, errorBox),
    api(`/v1/address/${seg(chain)}/${seg(address)}`).then((s) => activity(s, chain), errorBox),
  ];
  Promise.all(parts).then((sections) => main.append(...sections));
}

function screening(s) {
  return h('section', { 'data-testid': 'screening' },
    h('h2', {}, 'Risk ', riskBadge(s.risk)),
    h('p', { 'data-testid': 'risk-reason' }, s.risk_reason || 'No rule raised the risk.'),
    s.exposures.length === 0 ? h('p', { class: 'muted' }, 'No exposures.') :
      table([
        ['Entity', (e) => e.entity],
        ['Category', (e) => e.category],
        ['Direction', (e) => e.direction],
        ['Type', (e) => `${e.exposure_type}, ${e.min_hops} hop${e.min_hops === 1 ? '' : 's'}`],
        ['Amount', (e) => e.values.map((v) => `${units(String(v.units))} ${v.asset}`).join(', '), 'num'],
        ['USD', (e) => usd(e.usd), 'num'],
        ['Share', (e) => percent(e.share), 'num'],
        ['Risk', (e) => `${e.level}${e.rule ? ` (${e.rule})` : ''}`],
      ], s.exposures, 'exposures'),
    h('p', { class: 'muted' }, `Screened at ${s.at}; volume in ${usd(s.volume.incoming_usd)}, out ${usd(s.volume.outgoing_usd)}.`));
}

function labels(report) {
  return h('section', { 'data-testid': 'labels' },
    h('h2', {}, 'Labels'),
    report.labels.length === 0 ? h('p', { class: 'muted' }, 'No label.') :
      table([
        ['Name', (l) => l.name],
        ['Category', (l) => l.category],
        ['Source', (l) => `${l.dataset}${l.file ? ` (${l.file}:${l.line})` : ''}`],
        ['Confidence', (l) => `${l.confidence} ${l.confidence_level || ''}`],
        ['Valid', (l) => `${l.valid_from || '…'} – ${l.valid_to || ''}`],
      ], report.labels, 'label-table'));
}

function activity(s, chain) {
  return h('section', { 'data-testid': 'activity' },
    h('h2', {}, 'Activity'),
    h('p', {}, `${s.incoming} incoming, ${s.outgoing} outgoing; first seen ${time(s.first_seen?.timestamp)}, last seen ${time(s.last_seen?.timestamp)}.`),
    table([
      ['Asset', (b) => b.asset],
      ['Received', (b) => units(baseToUnits(b.received, b.decimals)), 'num'],
      ['Sent', (b) => units(baseToUnits(b.sent, b.decimals)), 'num'],
      ['Balance', (b) => units(b.balance_units), 'num'],
    ], s.balances, 'balances'),
    h('h2', {}, 'Top counterparties'),
    table([
      ['Address', (c) => link(`#/address/${seg(chain)}/${seg(c.address)}`, c.address, 'mono')],
      ['Transfers in', (c) => c.transfers_in, 'num'],
      ['Transfers out', (c) => c.transfers_out, 'num'],
    ], s.top_counterparties, 'counterparties'),
    h('p', {}, link(`#/trace?seeds=${seg(`${chain}:${s.address}`)}`, 'Trace from this address')));
}
