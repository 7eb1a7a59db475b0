// The incident dashboard: DPRK-attributed stolen value per year from the store's incident
// ledger, drawn beside the yearly totals others published (UN Panel of Experts, Chainalysis,
// MSMT) with their dates, whether they were verified and where they are quoted; then the
// incidents, each with a link to trace its seeds when the ledger names them.

import { api } from '../api.js';
import { h, show, table, errorBox, link } from '../dom.js';
import { dollars, yearlyChart } from '../yearly.js';

export async function render(main) {
  let board;
  try {
    board = await api('/v1/dashboard/dprk');
  } catch (e) {
    show(main, h('h1', {}, 'Incidents'), errorBox(e));
    return;
  }
  const traceLink = (i) => {
    if (i.seeds.length === 0) return h('span', { class: 'muted' }, 'no seeds in the ledger');
    const q = new URLSearchParams({ seeds: i.seeds.join('\n'), policy: 'fifo', compare: 'haircut', max_hops: '20', min_value: '' });
    return link(`#/trace?${q}`, `Trace ${i.seeds.length === 1 ? 'its seed' : `its ${i.seeds.length} seeds`}`);
  };
  show(main,
    h('h1', {}, 'Incidents: DPRK-attributed thefts'),
    board.incidents.length === 0 ? h('p', { class: 'error', 'data-testid': 'dashboard-empty' },
      'The store\'s incident ledger holds no DPRK-attributed incident, so its bars are empty: import the DPRK list with `chaintrail incidents import dprk_attributed_incidents.csv` and restart the server.') : '',
    h('section', {},
      h('h2', {}, 'Stolen per year: the ledger beside published totals'),
      yearlyChart(board.series),
      h('p', { class: 'muted' }, 'USD at the time of each theft. The ledger counts only the incidents it names; the publishers count by their own attribution, some from incidents they do not name.')),
    h('section', {},
      h('h2', {}, 'Totals over several years'),
      table([
        ['Publisher', (s) => s.publisher],
        ['Years', (s) => `${s.since}–${s.until} (${s.published.scope})`],
        ['Published', (s) => `${dollars(s.published.usd)}${s.published.incidents !== null ? ` in ${s.published.incidents} incidents` : ''}`, 'num'],
        ['Status', (s) => (s.published.verified ? 'verified' : h('b', {}, 'unverified'))],
        ['Ledger, same years', (s) => `${dollars(s.ledger_usd)} in ${s.ledger_incidents} incidents`, 'num'],
        ['Source', (s) => `${s.published.published}; ${s.published.citation}`],
      ], board.spans, 'dashboard-spans')),
    h('section', {},
      h('h2', {}, 'Why they differ'),
      table([['Year', (e) => e[0]], ['', (e) => e[1]]], board.explanations, 'dashboard-explanations')),
    h('section', {},
      h('h2', {}, `Incidents (${board.incidents.length})`),
      table([
        ['Date', (i) => (i.date_precision === 'year' ? i.date.slice(0, 4) : i.date)],
        ['Victim', (i) => i.victim],
        ['Chain', (i) => i.chains.join(', ') || '—'],
        ['Amount', (i) => (i.amount_usd !== null ? dollars(i.amount_usd) : i.amount_as_written), 'num'],
        ['Trace', traceLink],
      ], board.incidents, 'dashboard-incidents')));
}
