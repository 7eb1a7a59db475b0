// Cases: traces saved with notes. `#/cases` lists them; `#/case/<id>` reloads one — its notes,
// annotations and the trace as saved — exports it (the case as JSON, its report in HTML or PDF
// with every policy side by side, its freeze packs per exchange), edits its name, notes and
// annotations, and deletes it.

import { api, apiBlob, download, seg } from '../api.js';
import { h, show, table, errorBox, link } from '../dom.js';
import { amount, usd, time } from '../format.js';

export async function render(main, args) {
  if (args[0]) return one(main, args[0]);
  try {
    const { cases } = await api('/v1/cases');
    show(main, h('h1', {}, 'Cases'),
      cases.length === 0
        ? h('p', { class: 'muted' }, 'No case yet: trace something and press "Save as case".')
        : table([
          ['Name', (c) => link(`#/case/${seg(c.id)}`, c.name)],
          ['Policy', (c) => c.policy],
          ['Seeds', (c) => c.seeds.join(' ')],
          ['Saved', (c) => c.created_at.replace('T', ' ').replace(/\..*$/, ' UTC')],
        ], cases, 'case-list'));
  } catch (e) {
    show(main, h('h1', {}, 'Cases'), errorBox(e));
  }
}

async function one(main, id) {
  let item;
  try {
    item = await api(`/v1/cases/${seg(id)}`);
  } catch (e) {
    show(main, h('h1', {}, 'Case'), errorBox(e));
    return;
  }
  const status = h('div', { 'data-testid': 'case-status', role: 'status' });
  const packs = h('div', { 'data-testid': 'freeze-packs' });
  const button = (text, testid, action) => h('button', { type: 'button', 'data-testid': testid, onclick: action }, text);
  const busy = async (what, work) => {
    show(status, h('p', { class: 'muted' }, `${what}…`));
    try {
      await work();
      show(status, h('p', { class: 'muted' }, `${what}: done.`));
    } catch (e) {
      show(status, errorBox(e));
    }
  };
  const retrace = new URLSearchParams({ seeds: item.seeds.join('\n'), policy: item.policy, max_hops: String(item.max_hops), min_value: item.min_value === '0' ? '' : item.min_value });
  const trace = item.trace;
  show(main,
    h('h1', { 'data-testid': 'case-name' }, item.name),
    h('p', { class: 'muted' }, `Case ${item.id}, saved ${time(Date.parse(item.created_at) / 1000)}; policy ${item.policy}, at most ${item.max_hops} hops.`),
    h('p', {}, 'Seeds: ', h('span', { class: 'mono' }, item.seeds.join(' '))),
    h('section', {}, h('h2', {}, 'Notes'), h('p', { 'data-testid': 'case-notes' }, item.notes || '—'),
      item.annotations.length ? h('ul', { 'data-testid': 'case-annotations' }, item.annotations.map((a) => h('li', {}, h('span', { class: 'mono' }, a.target), `: ${a.note}`))) : ''),
    h('p', {},
      link(`#/trace?${retrace}`, 'Open in the trace workspace'), ' ',
      button('Export case (JSON)', 'export-case', () => download(new Blob([JSON.stringify(item, null, 2)], { type: 'application/json' }), `${item.id}.json`)), ' ',
      button('Report (HTML)', 'report-html', () => busy('Building the report', async () => download(await apiBlob(`/v1/cases/${seg(id)}/report?format=html`), `${item.id}.html`))), ' ',
      button('Report (PDF)', 'report-pdf', () => busy('Printing the report', async () => download(await apiBlob(`/v1/cases/${seg(id)}/report?format=pdf`), `${item.id}.pdf`))), ' ',
      button('Freeze packs', 'freeze-pack', () => busy('Building the freeze packs', async () => {
        const answer = await api(`/v1/cases/${seg(id)}/freeze-pack`);
        showPacks(packs, answer.packs);
        download(new Blob([JSON.stringify(answer, null, 2)], { type: 'application/json' }), `${item.id}-freeze-packs.json`);
      }))),
    status,
    packs,
    editor(item),
    trace && trace.endpoints ? h('section', {}, h('h2', {}, 'The trace as saved'),
      table([
        ['Kind', (e) => e.kind],
        ['Entity', (e) => e.entity || ''],
        ['Address', (e) => h('span', { class: 'mono' }, e.address || '')],
        ['Amount', (e) => amount(e.value), 'num'],
        ['USD', (e) => usd(e.value.usd), 'num'],
        ['Arrived', (e) => time(e.time)],
      ], trace.endpoints, 'case-endpoints')) : '');
}

function showPacks(el, packs) {
  if (packs.length === 0) {
    show(el, h('p', { class: 'muted' }, 'The trace reached no exchange: there is nobody to ask for a freeze.'));
    return;
  }
  show(el, h('h2', {}, 'Freeze packs'), packs.map((p) => h('section', { 'data-testid': 'freeze-pack-exchange' },
    h('h3', {}, `${p.exchange} — ${usd(p.usd) || 'unpriced'}`),
    table([
      ['Deposit address', (d) => h('span', { class: 'mono' }, d.address)],
      ['Stolen amount', (d) => `${amount({ units: d.units, asset: d.asset })}`, 'num'],
      ['USD', (d) => usd(d.usd), 'num'],
      ['Transaction', (d) => h('span', { class: 'mono' }, d.tx)],
      ['Block', (d) => d.block_number, 'num'],
      ['Arrived', (d) => d.time.replace('T', ' ').replace('Z', ' UTC')],
    ], p.deposits, 'freeze-pack-deposits'))));
}

/** Annotations as the editor shows them: one `TARGET = NOTE` a line. */
const annotationLines = (annotations) => annotations.map((a) => `${a.target} = ${a.note}`).join('\n');

function parseAnnotations(text) {
  return text.split('\n').map((line) => line.trim()).filter(Boolean).map((line) => {
    const at = line.indexOf('=');
    if (at <= 0) throw new Error(`annotation "${line}": write it as TARGET = NOTE`);
    return { target: line.slice(0, at).trim(), note: line.slice(at + 1).trim() };
  });
}

/** Edit the name, notes and annotations (PATCH), or delete the case after a confirmation. */
function editor(item) {
  const path = `/v1/cases/${seg(item.id)}`;
  const status = h('div', { role: 'status', 'data-testid': 'case-edit-status' });
  const name = h('input', { id: 'case-edit-name', 'data-testid': 'case-edit-name', value: item.name, required: true });
  const notes = h('textarea', { id: 'case-edit-notes', 'data-testid': 'case-edit-notes', rows: 3 });
  notes.value = item.notes;
  const annotations = h('textarea', { id: 'case-edit-annotations', 'data-testid': 'case-edit-annotations', rows: 3, placeholder: '0xADDRESS = what it is' });
  annotations.value = annotationLines(item.annotations);
  const save = async (event) => {
    event.preventDefault();
    try {
      const body = { name: name.value, notes: notes.value, annotations: parseAnnotations(annotations.value) };
      await api(path, body, 'PATCH');
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    } catch (e) {
      show(status, errorBox(e));
    }
  };
  const confirmDelete = h('span', { 'data-testid': 'case-delete-confirm-box', hidden: true },
    `Delete "${item.name}" for good? `,
    h('button', {
      type: 'button', 'data-testid': 'case-delete-confirm', onclick: async () => {
        try {
          await api(path, undefined, 'DELETE');
          location.hash = '#/cases';
        } catch (e) {
          show(status, errorBox(e));
        }
      },
    }, 'Yes, delete'));
  return h('section', { 'data-testid': 'case-editor' }, h('h2', {}, 'Edit'),
    h('form', { class: 'stacked', onsubmit: save },
      h('label', { for: 'case-edit-name' }, 'Name'), name,
      h('label', { for: 'case-edit-notes' }, 'Notes'), notes,
      h('label', { for: 'case-edit-annotations' }, 'Annotations (one a line: TARGET = NOTE)'), annotations,
      h('p', {}, h('button', { type: 'submit', 'data-testid': 'case-edit-save' }, 'Save changes'), ' ',
        h('button', { type: 'button', 'data-testid': 'case-delete', onclick: () => { confirmDelete.hidden = false; } }, 'Delete case'), ' ',
        confirmDelete)),
    status);
}
