// Building the page: elements from data, never HTML from strings (text from the store may
// hold anything).

/** `h('td', {class: 'num'}, 'text', child)`. Attributes starting with `on` are listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** A table: `columns` are [title, cell(row), 'num'?]; `testid` names it for tests. */
export function table(columns, rows, testid) {
  return h('table', { 'data-testid': testid },
    h('thead', {}, h('tr', {}, columns.map(([title, , kind]) => h('th', { class: kind }, title)))),
    h('tbody', {}, rows.map((row) => h('tr', {},
      columns.map(([, cell, kind]) => h('td', { class: kind }, cell(row)))))));
}

/** The error a failed call shows, with the server's code. */
export function errorBox(e) {
  const hint = e.status === 401 ? ' Type the API key at the top right and press "Use key".' : '';
  return h('div', { class: 'error', 'data-testid': 'error', role: 'alert' },
    `${e.message}${e.code ? ` (${e.code})` : ''}.${hint}`);
}

/** Replace `el`'s content. */
export function show(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== undefined && c !== null));
}

/** A link to another page of the UI. */
export function link(hash, text, cls) {
  return h('a', { href: hash, class: cls }, text);
}

export function riskBadge(level) {
  return h('span', { class: `risk risk-${level}`, 'data-testid': 'risk' }, level);
}
