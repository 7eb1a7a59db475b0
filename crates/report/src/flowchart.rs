//! The flow chart: a static inline SVG (no script, no network) of where the traced value went —
//! the seed on the left, what happened to it in the middle (reached a service, entered a mixer
//! or bridge, unspent, cut), the entities on the right, band widths proportional to USD.

use std::collections::BTreeMap;
use std::fmt::Write;

use chaintrail_trace::{EndpointKind, TraceReport};

use crate::html::escape;
use crate::round;

/// Entities drawn one by one; smaller ones are drawn as one "others" node per group.
const MAX_ENTITIES: usize = 12;
const WIDTH: f64 = 960.0;
const ROW: f64 = 34.0;
const BAND: f64 = 26.0;

/// The middle column: what became of the value.
fn group(kind: EndpointKind) -> (&'static str, &'static str) {
    match kind {
        EndpointKind::Service => ("reached a service", "#2563eb"),
        EndpointKind::Entered => ("entered a mixer or bridge", "#d97706"),
        EndpointKind::BridgePending => ("pending at a bridge", "#9333ea"),
        EndpointKind::Unspent => ("unspent", "#059669"),
        EndpointKind::Fee | EndpointKind::Burnt => ("fees and burns", "#6b7280"),
        _ => ("cut (hop limit, dust, budget)", "#dc2626"),
    }
}

struct Node {
    label: String,
    usd: f64,
    color: &'static str,
}

/// The chart of `trace`, sized to its content.
pub fn flow_chart(trace: &TraceReport) -> String {
    let priced = trace
        .by_entity
        .iter()
        .any(|t| t.usd.is_some_and(|u| u > 0.0));
    // Weight: USD when anything is priced, else one per entity (the note says so).
    let weight = |usd: Option<f64>| if priced { usd.unwrap_or(0.0) } else { 1.0 };
    let mut groups: BTreeMap<&'static str, (f64, &'static str, Vec<Node>)> = BTreeMap::new();
    for total in &trace.by_entity {
        let (name, color) = group(total.kind);
        let slot = groups.entry(name).or_insert((0.0, color, Vec::new()));
        slot.0 += weight(total.usd);
        slot.2.push(Node {
            label: total.entity.clone(),
            usd: weight(total.usd),
            color,
        });
    }
    let mut groups: Vec<(&str, f64, &str, Vec<Node>)> = groups
        .into_iter()
        .map(|(name, (usd, color, mut nodes))| {
            nodes.sort_by(|a, b| b.usd.total_cmp(&a.usd));
            (name, usd, color, nodes)
        })
        .collect();
    groups.sort_by(|a, b| b.1.total_cmp(&a.1));
    // Keep the largest entities overall; fold the rest of each group into one node.
    let mut sizes: Vec<f64> = groups
        .iter()
        .flat_map(|g| g.3.iter().map(|n| n.usd))
        .collect();
    sizes.sort_by(|a, b| b.total_cmp(a));
    let cutoff = sizes.get(MAX_ENTITIES - 1).copied().unwrap_or(f64::MIN);
    for (_, _, color, nodes) in &mut groups {
        let (kept, folded): (Vec<Node>, Vec<Node>) = nodes.drain(..).partition(|n| n.usd >= cutoff);
        *nodes = kept;
        if !folded.is_empty() {
            nodes.push(Node {
                label: format!(
                    "{} other{}",
                    folded.len(),
                    if folded.len() == 1 { "" } else { "s" }
                ),
                usd: folded.iter().map(|n| n.usd).sum(),
                color,
            });
        }
    }
    let total: f64 = groups
        .iter()
        .map(|g| g.1)
        .sum::<f64>()
        .max(f64::MIN_POSITIVE);
    let entity_rows: usize = groups.iter().map(|g| g.3.len()).sum::<usize>().max(1);
    let height = ROW * entity_rows as f64 + 60.0;
    let thickness = |usd: f64| (BAND * (entity_rows as f64) * usd / total).clamp(1.5, BAND * 4.0);
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"flow\" role=\"img\" aria-label=\"Flow chart of the traced value\" \
         xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" \
         font-family=\"system-ui,sans-serif\" font-size=\"12\">"
    );
    let seed_usd: f64 = trace.seeded.iter().filter_map(|v| v.usd).sum();
    let seed_y = height / 2.0;
    let _ = write!(
        svg,
        "<rect x=\"10\" y=\"{:.1}\" width=\"150\" height=\"28\" rx=\"4\" fill=\"#111827\"/>\
         <text x=\"85\" y=\"{:.1}\" fill=\"#fff\" text-anchor=\"middle\">seed {}</text>",
        seed_y - 14.0,
        seed_y + 4.0,
        escape(&round::usd(Some(seed_usd).filter(|_| priced))),
    );
    for (i, value) in trace.seeded.iter().enumerate() {
        let _ = write!(
            svg,
            "<text x=\"10\" y=\"{:.1}\" fill=\"#111827\">{} {}</text>",
            seed_y + 30.0 + 15.0 * i as f64,
            escape(&round::units(&value.units)),
            escape(&value.asset)
        );
    }
    let mut row = 0usize;
    for (name, usd, color, nodes) in &groups {
        let first = row;
        row += nodes.len();
        let group_y = 40.0 + ROW * (first + row) as f64 / 2.0;
        let _ = write!(
            svg,
            "<path d=\"M160 {seed_y:.1} C 260 {seed_y:.1}, 260 {group_y:.1}, 360 {group_y:.1}\" \
             stroke=\"{color}\" stroke-opacity=\"0.45\" fill=\"none\" stroke-width=\"{:.1}\"/>\
             <rect x=\"360\" y=\"{:.1}\" width=\"230\" height=\"28\" rx=\"4\" fill=\"{color}\"/>\
             <text x=\"366\" y=\"{:.1}\" fill=\"#fff\">{} {}</text>",
            thickness(*usd),
            group_y - 14.0,
            group_y + 4.0,
            escape(name),
            if priced {
                round::usd(Some(*usd))
            } else {
                String::new()
            },
        );
        for (i, node) in nodes.iter().enumerate() {
            let y = 40.0 + ROW * (first + i) as f64 + ROW / 2.0;
            let _ = write!(
                svg,
                "<path d=\"M590 {group_y:.1} C 650 {group_y:.1}, 650 {y:.1}, 700 {y:.1}\" \
                 stroke=\"{}\" stroke-opacity=\"0.45\" fill=\"none\" stroke-width=\"{:.1}\"/>\
                 <text x=\"706\" y=\"{:.1}\" fill=\"#111827\">{} {}</text>",
                node.color,
                thickness(node.usd),
                y + 4.0,
                escape(&node.label),
                if priced {
                    round::usd(Some(node.usd))
                } else {
                    String::new()
                },
            );
        }
    }
    if !priced {
        let _ = write!(
            svg,
            "<text x=\"10\" y=\"{:.1}\" fill=\"#374151\">Nothing is priced: bands are one per \
             entity, not to scale.</text>",
            height - 8.0
        );
    }
    svg.push_str("</svg>");
    svg
}
