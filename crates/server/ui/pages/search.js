// Search: an address or a transaction hash; one hit opens its page, several ask for the chain.

import { api, seg } from '../api.js';
import { h, show, errorBox, link } from '../dom.js';

export function pageOf(hit) {
  const page = hit.kind === 'transaction' ? 'tx' : 'address';
  return `#/${page}/${seg(hit.chain)}/${seg(hit.id)}`;
}

export function render(main, _args, query) {
  const text = query.get('q') || '';
  const input = h('input', { name: 'q', value: text, size: 70, placeholder: 'address or transaction hash', 'data-testid': 'search-input', required: true });
  const result = h('div');
  const form = h('form', {
    class: 'inline',
    onsubmit: (event) => {
      event.preventDefault();
      location.hash = `#/search?q=${seg(input.value.trim())}`;
    },
  }, input, h('button', { type: 'submit', 'data-testid': 'search-go' }, 'Search'));
  show(main, h('h1', {}, 'Search'), h('section', {}, form, result));
  if (text) find(text, result);
}

async function find(text, result) {
  try {
    const { hits } = await api(`/v1/search/${seg(text)}`);
    if (hits.length === 1) {
      location.replace(pageOf(hits[0]));
    } else if (hits.length === 0) {
      show(result, h('p', { 'data-testid': 'no-hits' },
        `Nothing in the store is ${text}: no address that appears on a chain, no stored transaction.`));
    } else {
      show(result, h('p', {}, 'It is on several chains; pick one:'),
        h('ul', { 'data-testid': 'chain-choice' }, hits.map((hit) =>
          h('li', {}, link(pageOf(hit), `${hit.kind} on ${hit.chain}`)))));
    }
  } catch (e) {
    show(result, errorBox(e));
  }
}
