//! The trace as a graph, for Graphviz (DOT) and Gephi (GEXF): nodes are addresses, edges are the
//! tainted movements on the endpoints' paths, labelled with amount and rule.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::report::{EndpointKind, TraceReport};

struct Graph {
    /// Address → (label, category).
    nodes: BTreeMap<String, (String, String)>,
    /// (from, to, tx) → (label, units).
    edges: BTreeMap<(String, String, String), String>,
}

fn graph(report: &TraceReport) -> Graph {
    let mut nodes = BTreeMap::new();
    let mut edges = BTreeMap::new();
    for endpoint in &report.endpoints {
        for step in &endpoint.path {
            let from = step.from.clone().unwrap_or_else(|| "(seed)".to_string());
            let to = step.to.clone().unwrap_or_else(|| "(none)".to_string());
            nodes
                .entry(from.clone())
                .or_insert_with(|| (from.clone(), String::new()));
            nodes
                .entry(to.clone())
                .or_insert_with(|| (to.clone(), String::new()));
            edges.entry((from, to, step.tx.clone())).or_insert_with(|| {
                format!("{} {} ({})", step.value.units, step.value.asset, step.rule)
            });
        }
        if let Some(address) = &endpoint.address {
            let label = match (&endpoint.entity, endpoint.kind) {
                (Some(entity), _) => format!("{entity}\n{address}"),
                (None, EndpointKind::Unspent) => format!("unspent\n{address}"),
                (None, kind) => format!("{kind:?}\n{address}"),
            };
            let category = endpoint.category.clone().unwrap_or_default();
            nodes.insert(address.clone(), (label, category));
        }
    }
    Graph { nodes, edges }
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Graphviz DOT.
pub fn to_dot(report: &TraceReport) -> String {
    let g = graph(report);
    let mut out =
        String::from("digraph trace {\n  rankdir=LR;\n  node [shape=box, fontsize=10];\n");
    for (id, (label, category)) in &g.nodes {
        let color = match category.as_str() {
            "exchange" | "wallet_service" | "otc" => "lightblue",
            "mixer" => "orange",
            "bridge" | "dex" => "khaki",
            _ => "white",
        };
        let _ = writeln!(
            out,
            "  \"{}\" [label=\"{}\", style=filled, fillcolor={color}];",
            escape(id),
            escape(label)
        );
    }
    for ((from, to, tx), label) in &g.edges {
        let _ = writeln!(
            out,
            "  \"{}\" -> \"{}\" [label=\"{}\", tooltip=\"{}\"];",
            escape(from),
            escape(to),
            escape(label),
            escape(tx)
        );
    }
    out.push_str("}\n");
    out
}

/// GEXF 1.3 for Gephi.
pub fn to_gexf(report: &TraceReport) -> String {
    let g = graph(report);
    let ids: BTreeMap<&String, usize> = g.nodes.keys().enumerate().map(|(i, k)| (k, i)).collect();
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gexf xmlns=\"http://gexf.net/1.3\" version=\"1.3\">\n  <graph defaultedgetype=\"directed\">\n    <attributes class=\"node\">\n      <attribute id=\"0\" title=\"category\" type=\"string\"/>\n    </attributes>\n    <attributes class=\"edge\">\n      <attribute id=\"0\" title=\"tx\" type=\"string\"/>\n    </attributes>\n    <nodes>\n",
    );
    for (id, (label, category)) in &g.nodes {
        let _ = writeln!(
            out,
            "      <node id=\"{}\" label=\"{}\"><attvalues><attvalue for=\"0\" value=\"{}\"/></attvalues></node>",
            ids[id],
            xml(label),
            xml(category)
        );
    }
    out.push_str("    </nodes>\n    <edges>\n");
    for (i, ((from, to, tx), label)) in g.edges.iter().enumerate() {
        let _ = writeln!(
            out,
            "      <edge id=\"{i}\" source=\"{}\" target=\"{}\" label=\"{}\"><attvalues><attvalue for=\"0\" value=\"{}\"/></attvalues></edge>",
            ids[from],
            ids[to],
            xml(label),
            xml(tx)
        );
    }
    out.push_str("    </edges>\n  </graph>\n</gexf>\n");
    out
}
