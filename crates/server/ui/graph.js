// The flow graph of a trace report: nodes are addresses, edges the tainted movements on the
// endpoints' paths (the same graph `chaintrail trace --format dot` draws). Clicking a node shows
// what it is; a selected node's downstream can be collapsed, expanded, or hidden.

import cytoscape from './vendor/cytoscape/cytoscape.esm.min.js';
import { amount, short } from './format.js';

/** Cytoscape elements from a report. */
export function elements(report) {
  const nodes = new Map();
  const edges = new Map();
  const node = (id) => {
    if (!nodes.has(id)) nodes.set(id, { id, label: short(id), endpoints: [] });
    return nodes.get(id);
  };
  for (const endpoint of report.endpoints) {
    for (const step of endpoint.path) {
      const from = node(step.from || '(seed)');
      const to = node(step.to || '(none)');
      const key = `${from.id}|${to.id}|${step.tx}`;
      if (!edges.has(key)) {
        edges.set(key, { id: key, source: from.id, target: to.id, label: amount(step.value), tx: step.tx, rule: step.rule });
      }
    }
    if (endpoint.address) {
      const n = node(endpoint.address);
      n.endpoints.push(endpoint);
      n.kind = endpoint.kind;
      if (endpoint.entity) n.label = `${endpoint.entity}\n${short(endpoint.address)}`;
      else n.label = `${endpoint.kind}\n${short(endpoint.address)}`;
    }
  }
  const seeds = new Set([...edges.values()].filter((e) => e.rule === 'seed').map((e) => e.source));
  return [
    ...[...nodes.values()].map((n) => ({ data: n, classes: [n.kind || '', seeds.has(n.id) ? 'seed' : ''].join(' ').trim() })),
    ...[...edges.values()].map((e) => ({ data: e })),
  ];
}

const STYLE = [
  { selector: 'node', style: { label: 'data(label)', 'text-wrap': 'wrap', 'font-size': 9, 'background-color': '#94a3b8', 'text-valign': 'bottom', 'text-margin-y': 4, width: 22, height: 22 } },
  { selector: 'node.seed', style: { 'background-color': '#7c3aed' } },
  { selector: 'node.service', style: { 'background-color': '#2563eb', shape: 'round-rectangle' } },
  { selector: 'node.entered', style: { 'background-color': '#f59e0b', shape: 'diamond' } },
  { selector: 'node.bridge_pending', style: { 'background-color': '#eab308', shape: 'diamond' } },
  { selector: 'node.unspent', style: { 'background-color': '#dc2626' } },
  { selector: 'node.collapsed', style: { 'border-width': 3, 'border-color': '#111', 'border-style': 'double' } },
  { selector: 'node:selected', style: { 'border-width': 3, 'border-color': '#10b981' } },
  { selector: 'edge', style: { label: 'data(label)', 'font-size': 8, 'curve-style': 'bezier', 'target-arrow-shape': 'triangle', width: 1.5, 'line-color': '#9ca3af', 'target-arrow-color': '#9ca3af', 'text-rotation': 'autorotate', 'text-background-color': '#fff', 'text-background-opacity': 0.8 } },
];

/** Draw `report` into `container`; `onSelect(nodeData)` is called when a node is clicked. */
export function draw(container, report, onSelect) {
  const cy = cytoscape({
    container,
    elements: elements(report),
    style: STYLE,
    layout: { name: 'breadthfirst', directed: true, spacingFactor: 1.1, padding: 20 },
  });
  cy.on('tap', 'node', (event) => onSelect(event.target.data()));
  return {
    cy,
    /** Nodes drawn now (hidden ones not counted). */
    visibleNodes: () => cy.nodes(':visible').length,
    /** Hide everything downstream of `id`, keeping it (marked collapsed). */
    collapse(id) {
      const n = cy.getElementById(id);
      n.successors().style('display', 'none');
      n.addClass('collapsed');
    },
    /** Show `id`'s downstream again. */
    expand(id) {
      const n = cy.getElementById(id);
      n.successors().style('display', 'element');
      n.successors('node').removeClass('collapsed');
      n.removeClass('collapsed');
    },
    /** Hide `id` and everything downstream of it. */
    hideBranch(id) {
      const n = cy.getElementById(id);
      n.union(n.successors()).style('display', 'none');
    },
    showAll() {
      cy.elements().style('display', 'element');
      cy.nodes().removeClass('collapsed');
    },
  };
}
