//! The Sankey of a trace: the stolen value per hop and where it ended, one diagram per asset
//! (amounts of different assets do not add up). Column 0 is what was seeded; column k holds
//! what ended after k hops, one node per endpoint category (an exchange, a mixer entered,
//! unspent, fees, …), and the value that moved on beyond hop k. Every link's and node's amount is
//! exact in base units (JSON) and rounded in the drawing's labels and tooltips; the layout is
//! computed here once, for the HTML report (an inline SVG, no script) and for the web UI
//! (`POST /v1/sankey`).

use std::collections::BTreeMap;
use std::fmt::Write;

use chaintrail_core::Amount;
use chaintrail_trace::{EndpointKind, TraceReport};
use serde::{Deserialize, Serialize};

use crate::html::{escape, kind_name};
use crate::{ReportError, round};

const WIDTH: f64 = 960.0;
const NODE_WIDTH: f64 = 14.0;
/// Height of the tallest column's value, gaps aside.
const SCALE_HEIGHT: f64 = 260.0;
const GAP: f64 = 14.0;
const TOP: f64 = 24.0;
/// The thinnest a node or band is drawn, so that a tiny amount stays visible and clickable.
const MIN_HEIGHT: f64 = 2.0;
/// Room on the right for the last column's labels.
const LABEL_ROOM: f64 = 230.0;
/// The most hops drawn: a column each.
pub const MAX_SANKEY_HOPS: u32 = 500;

/// One endpoint as the Sankey reads it: a trace report's endpoint (extra fields are ignored, so
/// a `/v1/trace` answer can be posted as it is).
#[derive(Debug, Clone, Deserialize)]
pub struct SankeyEndpoint {
    /// Why the value stopped there.
    pub kind: EndpointKind,
    /// The entity's role (exchange, mixer, …), when attributed.
    #[serde(default)]
    pub category: Option<String>,
    /// Hops from the seed.
    pub hops: u32,
    /// The chain.
    pub chain: String,
    /// How much ended there.
    pub value: SankeyValue,
}

/// An endpoint's amount.
#[derive(Debug, Clone, Deserialize)]
pub struct SankeyValue {
    /// The asset's symbol.
    pub asset: String,
    /// Decimal places of one unit.
    pub decimals: u8,
    /// Base units, exact.
    pub amount: String,
    /// US dollars, where priced.
    #[serde(default)]
    pub usd: Option<f64>,
}

/// What `POST /v1/sankey` takes: a trace report, or just its endpoints.
#[derive(Debug, Clone, Deserialize)]
pub struct SankeyInput {
    /// Where the value went.
    pub endpoints: Vec<SankeyEndpoint>,
}

/// A node: the seeded value, what moved on after a hop, or a category of endpoints at a hop.
#[derive(Debug, Clone, Serialize)]
pub struct SankeyNode {
    /// `seed`, `on-<k>` (moved on after hop k) or `end-<k>-<category>`.
    pub id: String,
    /// For people: `seeded`, `moved on after hop 2`, `exchange (hop 1)`.
    pub label: String,
    /// Its column: 0 for the seed, the hop count after.
    pub column: u32,
    /// Base units, exact.
    pub amount: String,
    /// Whole units, exact.
    pub units: String,
    /// US dollars, when every endpoint behind it is priced.
    pub usd: Option<f64>,
    /// Where it is drawn (SVG user units).
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Height, proportional to `amount`.
    pub height: f64,
}

/// A band from one node to the next column's.
#[derive(Debug, Clone, Serialize)]
pub struct SankeyLink {
    /// The source node's id.
    pub source: String,
    /// The target node's id.
    pub target: String,
    /// Base units, exact.
    pub amount: String,
    /// Whole units, exact.
    pub units: String,
    /// US dollars, when every endpoint behind it is priced.
    pub usd: Option<f64>,
}

/// The Sankey of one asset on one chain.
#[derive(Debug, Clone, Serialize)]
pub struct Sankey {
    /// The chain.
    pub chain: String,
    /// The asset's symbol.
    pub asset: String,
    /// Decimal places of one unit.
    pub decimals: u8,
    /// Nodes, column by column.
    pub nodes: Vec<SankeyNode>,
    /// Links, in the order they are drawn.
    pub links: Vec<SankeyLink>,
    /// The drawing: an inline SVG with a `<title>` tooltip on every node and band.
    pub svg: String,
}

/// A sum of endpoints: exact units, and dollars while every part is priced.
#[derive(Debug, Clone, Copy, Default)]
struct Sum {
    units: u128,
    usd: Option<f64>,
    parts: u64,
}

impl Sum {
    fn add(&mut self, units: u128, usd: Option<f64>) -> Result<(), ReportError> {
        self.units = self.units.checked_add(units).ok_or_else(|| {
            ReportError::Invalid(
                "the endpoints of one asset add up past 2^128 base units: not a trace report"
                    .to_string(),
            )
        })?;
        self.usd = match (self.parts, self.usd, usd) {
            (0, _, usd) => usd,
            (_, Some(sum), Some(usd)) => Some(sum + usd),
            _ => None,
        };
        self.parts += 1;
        Ok(())
    }
}

/// What an endpoint of `kind` is called in the diagram: its entity's role where it has one.
fn category(kind: EndpointKind, role: Option<&str>) -> String {
    match (kind, role) {
        (EndpointKind::Service, Some(role)) => role.to_string(),
        (EndpointKind::Entered, Some(role)) => format!("entered {role}"),
        (kind, _) => kind_name(kind).to_string(),
    }
}

fn color(kind: EndpointKind) -> &'static str {
    match kind {
        EndpointKind::Service => "#2563eb",
        EndpointKind::Entered => "#d97706",
        EndpointKind::BridgePending => "#9333ea",
        EndpointKind::Unspent => "#059669",
        EndpointKind::Fee | EndpointKind::Burnt => "#6b7280",
        _ => "#dc2626",
    }
}

const FLOW_COLOR: &str = "#111827";

/// The Sankeys of a trace report, one per asset, largest first by how many endpoints it has.
pub fn sankeys(trace: &TraceReport) -> Result<Vec<Sankey>, ReportError> {
    let json = serde_json::to_value(trace)
        .map_err(|e| ReportError::Invalid(format!("cannot read the trace report: {e}")))?;
    let input: SankeyInput = serde_json::from_value(json)
        .map_err(|e| ReportError::Invalid(format!("cannot read the trace report: {e}")))?;
    sankeys_of(&input.endpoints)
}

/// The Sankeys of `endpoints`, one per (chain, asset).
pub fn sankeys_of(endpoints: &[SankeyEndpoint]) -> Result<Vec<Sankey>, ReportError> {
    let mut by_asset: BTreeMap<(&str, &str, u8), Vec<&SankeyEndpoint>> = BTreeMap::new();
    for endpoint in endpoints {
        let v = &endpoint.value;
        by_asset
            .entry((endpoint.chain.as_str(), v.asset.as_str(), v.decimals))
            .or_default()
            .push(endpoint);
    }
    let mut out = by_asset
        .into_iter()
        .map(|((chain, asset, decimals), endpoints)| one(chain, asset, decimals, &endpoints))
        .collect::<Result<Vec<_>, _>>()?;
    out.sort_by_key(|s| std::cmp::Reverse(s.links.len()));
    Ok(out)
}

struct Draft {
    id: String,
    label: String,
    column: u32,
    sum: Sum,
    color: &'static str,
}

fn one(
    chain: &str,
    asset: &str,
    decimals: u8,
    endpoints: &[&SankeyEndpoint],
) -> Result<Sankey, ReportError> {
    // Value that never moved (0 hops) is drawn in the first column after the seed.
    let column_of = |e: &SankeyEndpoint| e.hops.max(1);
    let last = endpoints.iter().map(|e| column_of(e)).max().unwrap_or(1);
    if last > MAX_SANKEY_HOPS {
        return Err(ReportError::Invalid(format!(
            "an endpoint is {last} hops from the seed; a Sankey draws at most \
             {MAX_SANKEY_HOPS}: trace with fewer hops (max_hops)"
        )));
    }
    let mut seed = Sum::default();
    let mut moved_on = vec![Sum::default(); last as usize + 1];
    let mut ends: BTreeMap<(u32, String), (Sum, &'static str)> = BTreeMap::new();
    for (n, e) in endpoints.iter().enumerate() {
        let units: u128 = e.value.amount.parse().map_err(|_| {
            ReportError::Invalid(format!(
                "endpoint {n}: amount `{}` is not a whole number of base units",
                e.value.amount
            ))
        })?;
        let column = column_of(e);
        seed.add(units, e.value.usd)?;
        for on in moved_on.iter_mut().take(column as usize).skip(1) {
            on.add(units, e.value.usd)?;
        }
        let slot = ends
            .entry((column, category(e.kind, e.category.as_deref())))
            .or_insert((Sum::default(), color(e.kind)));
        slot.0.add(units, e.value.usd)?;
    }
    let mut columns: Vec<Vec<Draft>> = vec![vec![Draft {
        id: "seed".to_string(),
        label: "seeded".to_string(),
        column: 0,
        sum: seed,
        color: FLOW_COLOR,
    }]];
    for column in 1..=last {
        let mut drafts: Vec<Draft> = ends
            .iter()
            .filter(|((c, _), _)| *c == column)
            .map(|((_, name), (sum, color))| Draft {
                id: format!("end-{column}-{}", slug(name)),
                label: format!(
                    "{name} (hop {column}{})",
                    if column == 1 { " or none" } else { "" }
                ),
                column,
                sum: *sum,
                color,
            })
            .collect();
        drafts.sort_by_key(|d| std::cmp::Reverse(d.sum.units));
        let on = moved_on[column as usize];
        if on.parts > 0 {
            drafts.push(Draft {
                id: format!("on-{column}"),
                label: format!("moved on after hop {column}"),
                column,
                sum: on,
                color: FLOW_COLOR,
            });
        }
        columns.push(drafts);
    }
    Ok(layout(chain, asset, decimals, columns))
}

fn slug(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

fn layout(chain: &str, asset: &str, decimals: u8, columns: Vec<Vec<Draft>>) -> Sankey {
    let total = columns[0][0].sum.units.max(1) as f64;
    let tallest = columns.iter().map(Vec::len).max().unwrap_or(1);
    let height = TOP * 2.0 + SCALE_HEIGHT + GAP * (tallest.saturating_sub(1)) as f64;
    let step = (WIDTH - LABEL_ROOM - NODE_WIDTH - 20.0) / (columns.len().max(2) - 1) as f64;
    let size = |units: u128| (units as f64 / total * SCALE_HEIGHT).max(MIN_HEIGHT);
    let exact = |units: u128| Amount::from_u128(units).format_units(decimals);

    let mut nodes: Vec<SankeyNode> = Vec::new();
    let mut colors: Vec<&'static str> = Vec::new();
    for (c, drafts) in columns.iter().enumerate() {
        let mut y = TOP;
        for d in drafts {
            let h = size(d.sum.units);
            nodes.push(SankeyNode {
                id: d.id.clone(),
                label: d.label.clone(),
                column: d.column,
                amount: d.sum.units.to_string(),
                units: exact(d.sum.units),
                usd: d.sum.usd,
                x: 10.0 + step * c as f64,
                y,
                height: h,
            });
            colors.push(d.color);
            y += h + GAP;
        }
    }
    // Each column's nodes are fed by the node that moved on from the column before (the seed
    // for column 1), its bands stacked top to bottom in the order of their targets.
    let mut links = Vec::new();
    let mut bands = String::new();
    let mut offsets: BTreeMap<String, f64> = BTreeMap::new();
    for (i, target) in nodes.iter().enumerate().filter(|(_, n)| n.column > 0) {
        let source_id = if target.column == 1 {
            "seed".to_string()
        } else {
            format!("on-{}", target.column - 1)
        };
        let Some(source) = nodes.iter().find(|n| n.id == source_id) else {
            continue;
        };
        let offset = offsets.entry(source_id.clone()).or_insert(0.0);
        let (x0, y0) = (source.x + NODE_WIDTH, source.y + *offset);
        let (x1, y1) = (target.x, target.y);
        let h = target.height;
        *offset += h;
        let mid = (x0 + x1) / 2.0;
        let link = SankeyLink {
            source: source_id,
            target: target.id.clone(),
            amount: target.amount.clone(),
            units: target.units.clone(),
            usd: target.usd,
        };
        let _ = write!(
            bands,
            "<path class=\"sankey-link\" data-source=\"{}\" data-target=\"{}\" data-amount=\"{}\" \
             d=\"M{x0:.1} {y0:.1} C{mid:.1} {y0:.1} {mid:.1} {y1:.1} {x1:.1} {y1:.1} \
             L{x1:.1} {:.1} C{mid:.1} {:.1} {mid:.1} {:.1} {x0:.1} {:.1} Z\" fill=\"{}\" \
             fill-opacity=\"0.35\"><title>{}</title></path>",
            escape(&link.source),
            escape(&link.target),
            link.amount,
            y1 + h,
            y1 + h,
            y0 + h,
            y0 + h,
            colors[i],
            escape(&format!(
                "{} → {}: {}",
                nodes
                    .iter()
                    .find(|n| n.id == link.source)
                    .map_or("", |n| n.label.as_str()),
                target.label,
                people(&link.units, asset, link.usd)
            )),
        );
        links.push(link);
    }
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"sankey\" role=\"img\" aria-label=\"Sankey of the traced {asset} per hop \
         and where it ended\" data-nodes=\"{}\" data-links=\"{}\" \
         xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height:.0}\" width=\"100%\" \
         font-family=\"system-ui,sans-serif\" font-size=\"11\">",
        nodes.len(),
        links.len(),
        asset = escape(asset),
    );
    svg.push_str(&bands);
    for (node, color) in nodes.iter().zip(&colors) {
        let text = people(&node.units, asset, node.usd);
        let _ = write!(
            svg,
            "<rect class=\"sankey-node\" data-id=\"{}\" data-amount=\"{}\" x=\"{:.1}\" \
             y=\"{:.1}\" width=\"{NODE_WIDTH}\" height=\"{:.1}\" fill=\"{color}\">\
             <title>{}: {}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#111827\">{}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#374151\">{}</text>",
            escape(&node.id),
            node.amount,
            node.x,
            node.y,
            node.height,
            escape(&node.label),
            escape(&text),
            node.x + NODE_WIDTH + 4.0,
            node.y + 10.0,
            escape(&node.label),
            node.x + NODE_WIDTH + 4.0,
            node.y + 22.0,
            escape(&text),
        );
    }
    svg.push_str("</svg>");
    Sankey {
        chain: chain.to_string(),
        asset: asset.to_string(),
        decimals,
        nodes,
        links,
        svg,
    }
}

/// `10 ETH ($25.4k)`: rounded for people.
fn people(units: &str, asset: &str, usd: Option<f64>) -> String {
    let amount = format!("{} {asset}", round::units(units));
    match usd {
        Some(_) => format!("{amount} ({})", round::usd(usd)),
        None => amount,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(
        kind: EndpointKind,
        category: Option<&str>,
        hops: u32,
        eth: u128,
    ) -> SankeyEndpoint {
        SankeyEndpoint {
            kind,
            category: category.map(str::to_string),
            hops,
            chain: "ethereum".to_string(),
            value: SankeyValue {
                asset: "ETH".to_string(),
                decimals: 18,
                amount: (eth * 10u128.pow(18)).to_string(),
                usd: Some(eth as f64 * 2_000.0),
            },
        }
    }

    #[test]
    fn value_per_hop_ends_where_the_endpoints_say_exactly() {
        let endpoints = [
            endpoint(EndpointKind::Service, Some("exchange"), 1, 10),
            endpoint(EndpointKind::Unspent, None, 0, 5),
            endpoint(EndpointKind::Service, Some("exchange"), 3, 20),
            endpoint(EndpointKind::Entered, Some("mixer"), 3, 7),
            endpoint(EndpointKind::Fee, None, 2, 1),
        ];
        let sankeys = sankeys_of(&endpoints).expect("sankey");
        assert_eq!(sankeys.len(), 1);
        let s = &sankeys[0];
        let ids: Vec<&str> = s.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "seed",
                "end-1-exchange",
                "end-1-unspent",
                "on-1",
                "end-2-fees",
                "on-2",
                "end-3-exchange",
                "end-3-entered-mixer"
            ]
        );
        let amount = |id: &str| {
            s.nodes
                .iter()
                .find(|n| n.id == id)
                .map(|n| n.units.clone())
                .expect("node")
        };
        assert_eq!(amount("seed"), "43");
        assert_eq!(amount("on-1"), "28");
        assert_eq!(amount("on-2"), "27");
        assert_eq!(amount("end-3-exchange"), "20");
        // Every node but the seed has one band in, carrying its amount; each node's bands out
        // add up to what came in.
        assert_eq!(s.links.len(), s.nodes.len() - 1);
        let out_of = |id: &str| -> u128 {
            s.links
                .iter()
                .filter(|l| l.source == id)
                .map(|l| l.amount.parse::<u128>().expect("units"))
                .sum()
        };
        for node in &s.nodes {
            if node.id == "seed" || node.id.starts_with("on-") {
                assert_eq!(out_of(&node.id).to_string(), node.amount, "{}", node.id);
            }
        }
        assert_eq!(s.nodes[0].usd, Some(86_000.0));
        assert!(s.svg.contains("data-nodes=\"8\""), "{}", s.svg);
        assert!(
            s.svg.contains(
                "<title>moved on after hop 2 → exchange (hop 3): 20.00 ETH ($40k)</title>"
            ),
            "{}",
            s.svg
        );
    }

    #[test]
    fn assets_get_a_sankey_each_and_bad_amounts_are_named() {
        let mut usdc = endpoint(EndpointKind::Service, Some("exchange"), 2, 0);
        usdc.value.asset = "USDC".to_string();
        usdc.value.decimals = 6;
        usdc.value.amount = "45000000000".to_string();
        usdc.value.usd = None;
        let sankeys =
            sankeys_of(&[endpoint(EndpointKind::Unspent, None, 1, 3), usdc]).expect("sankeys");
        let assets: Vec<&str> = sankeys.iter().map(|s| s.asset.as_str()).collect();
        assert_eq!(assets, ["USDC", "ETH"]);
        assert_eq!(sankeys[0].nodes[0].units, "45000");
        assert_eq!(sankeys[0].nodes[0].usd, None);

        let mut bad = endpoint(EndpointKind::Unspent, None, 1, 1);
        bad.value.amount = "1.5".to_string();
        let err = sankeys_of(&[bad]).expect_err("refused");
        assert_eq!(
            err.to_string(),
            "endpoint 0: amount `1.5` is not a whole number of base units"
        );
    }
}
