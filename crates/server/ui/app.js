// The router: `#/<page>/<args…>?<query>` picks a page; each page draws into <main>.

import { apiKey, setApiKey } from './api.js';
import { show, h } from './dom.js';
import * as search from './pages/search.js';
import * as address from './pages/address.js';
import * as tx from './pages/tx.js';
import * as trace from './pages/trace.js';
import * as screen from './pages/screen.js';
import * as cases from './pages/cases.js';
import * as incidents from './pages/incidents.js';

const PAGES = { search, address, tx, trace, screen, cases, case: cases, incidents };

function route() {
  const hash = location.hash.replace(/^#\/?/, '') || 'search';
  const [path, query = ''] = hash.split('?');
  const [name, ...args] = path.split('/').map(decodeURIComponent);
  const page = PAGES[name] || search;
  const main = document.getElementById('page');
  show(main, h('p', { class: 'muted' }, 'Loading…'));
  page.render(main, args, new URLSearchParams(query));
}

function keyState() {
  document.getElementById('key-state').textContent = apiKey() ? 'key set for this tab' : 'no key';
}

document.getElementById('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = document.getElementById('key');
  setApiKey(input.value.trim());
  input.value = '';
  keyState();
  route();
});

window.addEventListener('hashchange', route);
keyState();
route();
