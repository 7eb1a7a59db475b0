// Transaction: its transfers (account chains) or inputs and outputs (UTXO chains).

import { api, seg } from '../api.js';
import { h, show, table, errorBox, link } from '../dom.js';
import { units, time } from '../format.js';

export async function render(main, [chain, hash]) {
  try {
    const t = await api(`/v1/tx/${seg(chain)}/${seg(hash)}`);
    const addr = (a) => (a ? link(`#/address/${seg(chain)}/${seg(a)}`, a, 'mono') : '—');
    show(main,
      h('h1', { class: 'mono' }, t.hash),
      h('p', { class: 'muted' }, `on ${t.chain}, block ${t.block.height} at ${time(t.block.timestamp)}`),
      h('p', {}, link(`#/trace?seeds=${seg(`${chain}:${t.hash}`)}`, 'Trace this transaction')),
      t.transfers.length === 0 ? '' : h('section', {}, h('h2', {}, 'Transfers'), table([
        ['#', (x) => x.position, 'num'],
        ['Kind', (x) => x.kind + (x.success ? '' : ' (failed)')],
        ['From', (x) => addr(x.from)],
        ['To', (x) => addr(x.to)],
        ['Amount', (x) => `${units(x.value.units)} ${x.value.asset}`, 'num'],
      ], t.transfers, 'transfers')),
      t.inputs.length === 0 ? '' : h('section', {}, h('h2', {}, 'Inputs'), table([
        ['#', (x) => x.index, 'num'],
        ['Spends', (x) => (x.coinbase ? 'coinbase' : x.prevout || ''), 'mono'],
        ['Address', (x) => addr(x.address)],
        ['Satoshis', (x) => (x.value ?? '').toLocaleString('en-US'), 'num'],
      ], t.inputs, 'inputs')),
      t.outputs.length === 0 ? '' : h('section', {}, h('h2', {}, 'Outputs'), table([
        ['vout', (x) => x.vout, 'num'],
        ['Address', (x) => addr(x.address)],
        ['Satoshis', (x) => x.value.toLocaleString('en-US'), 'num'],
        ['Spent by', (x) => x.spent_by || 'unspent', 'mono'],
      ], t.outputs, 'outputs')),
      t.fee ? h('p', {}, `Fee: ${t.fee} base units`) : '');
  } catch (e) {
    show(main, h('h1', { class: 'mono' }, hash), errorBox(e));
  }
}
