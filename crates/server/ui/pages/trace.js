// Trace workspace: seeds, policy, hop limit and dust; the flow graph; where the value ended; and
// a second policy side by side ("between $X under FIFO and $Y under haircut reached Binance").

import { api, seg } from '../api.js';
import { h, show, table, errorBox, link } from '../dom.js';
import { amount, usd, percent, time, short } from '../format.js';
import { draw } from '../graph.js';
import { sankeys, timeline } from '../charts.js';

const POLICIES = ['fifo', 'haircut', 'lifo'];
const NAMES = { fifo: 'FIFO', haircut: 'haircut', lifo: 'LIFO' };

/** The page's state lives in the URL, so a trace can be bookmarked and shared. */
export function render(main, _args, query) {
  const field = (name, value, attrs = {}) => h('input', { name, value, 'data-testid': `trace-${name}`, ...attrs });
  const seeds = h('textarea', { name: 'seeds', rows: 2, 'data-testid': 'trace-seeds', placeholder: 'ethereum:0x<tx hash>  or  bitcoin:<txid>:<vout>  or  ethereum:0x<address>' }, query.get('seeds') || '');
  const choose = (name, selected, extra) => h('select', { name, 'data-testid': `trace-${name}` },
    extra ? h('option', { value: '' }, extra) : '',
    POLICIES.map((p) => h('option', { value: p, selected: p === selected }, NAMES[p])));
  const policy = choose('policy', query.get('policy') || 'fifo');
  const compare = choose('compare', query.get('compare') ?? 'haircut', 'none');
  const maxHops = field('max_hops', query.get('max_hops') || '20', { type: 'number', min: 1, max: 1000, size: 4 });
  const dust = field('min_value', query.get('min_value') || '', { size: 8, placeholder: 'default' });
  const form = h('form', {
    onsubmit: (event) => {
      event.preventDefault();
      const q = new URLSearchParams({ seeds: seeds.value.trim(), policy: policy.value, compare: compare.value, max_hops: maxHops.value, min_value: dust.value.trim() });
      const next = `#/trace?${q}`;
      if (location.hash === next) run(q, result);
      else location.hash = next;
    },
  },
  h('label', {}, 'Seeds (one per line)', seeds),
  h('div', { class: 'inline' },
    h('label', {}, 'Policy', policy),
    h('label', {}, 'Compare with', compare),
    h('label', {}, 'Max hops', maxHops),
    h('label', {}, 'Dust below (units)', dust),
    h('button', { type: 'submit', 'data-testid': 'trace-go' }, 'Trace')));
  const result = h('div');
  show(main, h('h1', {}, 'Trace'), h('section', {}, form), result);
  if (query.get('seeds')) run(query, result);
}

function body(query, policy) {
  const request = { seeds: query.get('seeds').split(/\s+/).filter(Boolean), policy };
  const hops = Number(query.get('max_hops'));
  if (hops > 0) request.max_hops = hops;
  if (query.get('min_value')) request.min_value = query.get('min_value');
  return request;
}

async function run(query, result) {
  const first = query.get('policy') || 'fifo';
  const second = query.get('compare') || '';
  show(result, h('p', { class: 'muted' }, 'Tracing…'));
  try {
    const policies = second && second !== first ? [first, second] : [first];
    const reports = await Promise.all(policies.map((p) => api('/v1/trace', body(query, p))));
    const flows = await api('/v1/sankey', { endpoints: reports[0].endpoints });
    // For tests and the curious: the Sankeys as the server laid them out, amounts exact.
    window.chaintrailSankeys = flows.sankeys;
    const side = h('div', { class: 'side', 'data-testid': 'node-details' }, h('p', { class: 'muted' }, 'Click a node.'));
    const canvas = h('div', { class: 'graph', 'data-testid': 'graph' });
    show(result,
      reports.length === 2 ? comparison(policies, reports) : '',
      h('section', {},
        h('h2', {}, `Flow under ${NAMES[first]}`),
        h('div', { class: 'graph-wrap' }, canvas, side)),
      h('section', {}, h('h2', {}, `Value per hop under ${NAMES[first]}`), sankeys(flows)),
      h('section', {}, h('h2', {}, 'Timeline'), timeline(reports[0])),
      h('div', { class: reports.length === 2 ? 'columns' : '' },
        reports.map((r, i) => endpoints(policies[i], r))),
      saveForm(query, first, reports[0]));
    const graph = draw(canvas, reports[0], (node) => details(side, node, graph));
    // For tests and the curious: the graph as drawn.
    window.chaintrailGraph = graph;
    canvas.dataset.nodes = String(graph.cy.nodes().length);
    canvas.dataset.edges = String(graph.cy.edges().length);
  } catch (e) {
    show(result, errorBox(e));
  }
}

/** Save the trace as a case (seeds, policy, limits, notes, and the trace as shown). */
function saveForm(query, policy, report) {
  const name = h('input', { name: 'case-name', 'data-testid': 'case-name-input', size: 30, required: true, placeholder: 'e.g. Ronin exploit, day one' });
  const notes = h('textarea', { name: 'case-notes', rows: 2, 'data-testid': 'case-notes-input' });
  const status = h('span', { role: 'status' });
  return h('section', {},
    h('h2', {}, 'Save as case'),
    h('form', {
      onsubmit: async (event) => {
        event.preventDefault();
        const request = { ...body(query, policy), name: name.value.trim(), notes: notes.value, trace: report };
        try {
          const saved = await api('/v1/cases', request);
          location.hash = `#/case/${seg(saved.id)}`;
        } catch (e) {
          show(status, errorBox(e));
        }
      },
    },
    h('div', { class: 'inline' },
      h('label', {}, 'Name', name),
      h('label', {}, 'Notes', notes),
      h('button', { type: 'submit', 'data-testid': 'case-save' }, 'Save as case')),
    status));
}

/** Where the policies disagree, per entity reached: the low and the high figure. */
function comparison(policies, reports) {
  const totals = reports.map((r) => new Map(r.by_entity
    .filter((t) => ['service', 'entered', 'bridge_pending'].includes(t.kind))
    .map((t) => [t.entity, t])));
  const entities = [...new Set(totals.flatMap((m) => [...m.keys()]))];
  const figure = (t) => {
    if (!t) return 'nothing';
    if (t.usd !== null && t.usd !== undefined) return usd(t.usd);
    return t.values.map(amount).join(' + ');
  };
  const line = (entity) => {
    const [a, b] = totals.map((m) => m.get(entity));
    return h('p', { class: 'compare', 'data-testid': 'compare-line' },
      `Between ${figure(a)} under ${NAMES[policies[0]]} and ${figure(b)} under ${NAMES[policies[1]]} reached ${entity}.`);
  };
  return h('section', { 'data-testid': 'compare' },
    h('h2', {}, `${NAMES[policies[0]]} and ${NAMES[policies[1]]} side by side`),
    entities.length === 0 ? h('p', { class: 'muted' }, 'Neither policy reached an attributed entity.') : entities.map(line));
}

function endpoints(policy, report) {
  const seeded = report.seeded.map(amount).join(' + ');
  return h('section', { 'data-testid': `endpoints-${policy}` },
    h('h2', {}, `Where it went under ${NAMES[policy]}`),
    h('p', { class: 'muted' }, `Seeded ${seeded}; ${report.stats.events} events, ${report.stats.elapsed_ms} ms${report.stats.budget_exhausted ? '; work budget exhausted: unexplored endpoints remain' : ''}.`),
    table([
      ['Kind', (e) => e.kind],
      ['Entity', (e) => e.entity || ''],
      ['Address', (e) => (e.address ? h('a', { href: `#/address/${seg(e.chain)}/${seg(e.address)}`, class: 'mono', title: e.address }, short(e.address)) : '')],
      ['Amount', (e) => amount(e.value), 'num'],
      ['USD', (e) => usd(e.value.usd), 'num'],
      ['Hops', (e) => e.hops, 'num'],
      ['Confidence', (e) => percent(e.confidence), 'num'],
      ['Arrived', (e) => time(e.time)],
    ], report.endpoints, `endpoint-table-${policy}`));
}

/** The clicked node: what the trace found there, its labels, and the graph's controls. */
async function details(side, node, graph) {
  const button = (text, action, testid) => h('button', { type: 'button', 'data-testid': testid, onclick: action }, text);
  const chain = node.endpoints[0]?.chain;
  show(side,
    h('h2', { class: 'mono' }, node.id),
    chain ? link(`#/address/${seg(chain)}/${seg(node.id)}`, 'Open address page') : '',
    h('p', {},
      button('Collapse', () => graph.collapse(node.id), 'collapse'), ' ',
      button('Expand', () => graph.expand(node.id), 'expand'), ' ',
      button('Hide branch', () => graph.hideBranch(node.id), 'hide-branch'), ' ',
      button('Show all', () => graph.showAll(), 'show-all')),
    node.endpoints.map((e) => h('div', { 'data-testid': 'node-endpoint' },
      h('p', {}, h('b', {}, e.kind), e.entity ? ` at ${e.entity}` : '', e.category ? ` (${e.category})` : '',
        `: ${amount(e.value)} ${usd(e.value.usd)}`),
      e.flags.length ? h('p', {}, `Flags: ${e.flags.join(', ')}`) : '',
      e.evidence ? h('p', { 'data-testid': 'evidence' }, `Evidence: ${e.evidence}`) : '',
      h('p', { class: 'muted' }, `Path: ${e.path.map((s) => `${s.rule} ${amount(s.value)}`).join(' → ')}`))),
    h('div', { 'data-testid': 'node-labels' }, h('p', { class: 'muted' }, 'Labels…')));
  const labelsBox = side.querySelector('[data-testid=node-labels]');
  if (node.id.startsWith('(')) {
    show(labelsBox);
    return;
  }
  try {
    const report = await api(`/v1/labels/${seg(node.id)}`);
    show(labelsBox, h('h3', {}, 'Labels'), report.labels.length === 0 ? h('p', { class: 'muted' }, 'No label.') :
      h('ul', {}, report.labels.map((l) => h('li', {}, `${l.name} — ${l.category}, ${l.dataset}, confidence ${l.confidence}`))));
  } catch (e) {
    show(labelsBox, errorBox(e));
  }
}
