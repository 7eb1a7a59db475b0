//! The report as one self-contained HTML page (inline CSS and SVG; no script, nothing fetched),
//! rounded for people. The PDF is this page printed.

use std::collections::BTreeMap;
use std::fmt::Write;

use chaintrail_store::ChainStats;
use chaintrail_trace::{Endpoint, EndpointKind, TraceReport, Value};

use crate::citation::{self, StepKey};
use crate::flowchart::flow_chart;
use crate::{Report, round};

/// Paths shown per report (the JSON has every endpoint's path).
const PATHS_SHOWN: usize = 15;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:72rem;\
color:#111827;padding:0 1rem}h1{font-size:1.6rem}h2{margin-top:2.5rem;border-bottom:2px solid \
#d1d5db}h3{margin-top:1.5rem}table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.85rem}\
td,th{border:1px solid #d1d5db;padding:.25rem .5rem;text-align:left;vertical-align:top}\
th{background:#f3f4f6}td.n{text-align:right;white-space:nowrap}code{font-size:.78rem;\
word-break:break-all}.summary li{margin:.2rem 0}.note{color:#374151;font-size:.85rem}\
@media print{details{display:block}details>summary{list-style:none}h2{break-before:page}}";

/// What goes on the page besides the reports.
pub struct Page<'a> {
    /// The page title.
    pub title: &'a str,
    /// An introductory paragraph (plain text).
    pub intro: &'a str,
    /// The store's chains, shown as a table when given.
    pub stats: &'a [ChainStats],
    /// One section per report.
    pub reports: &'a [Report],
}

/// Escape text for HTML.
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Amounts of several assets, rounded for people: `1,234.57 ETH + 12.00 USDT`.
pub fn amounts(values: &[Value]) -> String {
    values
        .iter()
        .map(|v| format!("{} {}", round::units(&v.units), v.asset))
        .collect::<Vec<_>>()
        .join(" + ")
}

fn time(seconds: u64) -> String {
    i64::try_from(seconds)
        .ok()
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .map_or_else(
            || "-".to_string(),
            |t| t.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        )
}

/// What happened to value at an endpoint, in words.
pub fn kind_name(kind: EndpointKind) -> &'static str {
    match kind {
        EndpointKind::Service => "reached service",
        EndpointKind::Entered => "entered",
        EndpointKind::BridgePending => "pending at bridge",
        EndpointKind::Unspent => "unspent",
        EndpointKind::Fee => "fees",
        EndpointKind::Burnt => "burnt",
        EndpointKind::HopLimit => "hop limit",
        EndpointKind::Dust => "dust",
        EndpointKind::Unexplored => "unexplored (budget)",
        EndpointKind::TooLarge => "too large to measure",
        EndpointKind::Minted => "minted",
        EndpointKind::Untracked => "before the store's history",
        _ => "other",
    }
}

fn is_reached(endpoint: &Endpoint) -> bool {
    matches!(
        endpoint.kind,
        EndpointKind::Service | EndpointKind::Entered | EndpointKind::BridgePending
    )
}

/// The page: every report as a section.
pub fn render_html(page: &Page<'_>) -> String {
    let mut html = String::new();
    let _ = write!(
        html,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <style>{STYLE}</style></head><body><h1>{}</h1><p>{}</p>",
        escape(page.title),
        escape(page.title),
        escape(page.intro)
    );
    if !page.stats.is_empty() {
        html.push_str(
            "<h2>Store</h2><table><tr><th>chain</th><th>blocks</th><th>transactions</th>\
             <th>records</th><th>addresses</th></tr>",
        );
        for s in page.stats {
            let _ = write!(
                html,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}\
                 </td><td class=\"n\">{}</td></tr>",
                s.chain,
                round::compact(s.blocks as f64),
                round::compact(s.txs as f64),
                round::compact(s.records as f64),
                round::compact(s.addresses as f64)
            );
        }
        html.push_str("</table>");
    }
    for report in page.reports {
        section(&mut html, report);
    }
    html.push_str("</body></html>\n");
    html
}

fn section(html: &mut String, report: &Report) {
    let trace = &report.trace;
    let seeded_usd: Option<f64> = trace
        .seeded
        .iter()
        .filter_map(|v| v.usd)
        .reduce(|a, b| a + b);
    let (_, cites) = citation::collect(trace);
    let _ = write!(
        html,
        "<h2>{}</h2><p>Traced {} from {} under <b>{}</b>: {} ({}). Built {}.</p>",
        escape(&report.title),
        trace.direction,
        escape(&report.seeds.join(", ")),
        trace.policy,
        escape(&amounts(&trace.seeded)),
        round::usd(seeded_usd),
        escape(&report.generated_at)
    );
    html.push_str("<h3>Flow</h3>");
    html.push_str(&flow_chart(trace));
    sankey(html, trace);
    comparison(html, report);
    by_entity(html, trace, seeded_usd);
    endpoints(html, trace, &cites);
    paths(html, trace, &cites);
    method(html, report);
    citations(html, report);
}

/// Value per hop and where it ended, one Sankey per asset.
fn sankey(html: &mut String, trace: &chaintrail_trace::TraceReport) {
    html.push_str("<h3>Per hop</h3>");
    match crate::sankey::sankeys(trace) {
        Ok(sankeys) if sankeys.is_empty() => {
            html.push_str("<p class=\"note\">Nothing ended anywhere: no Sankey to draw.</p>");
        }
        Ok(sankeys) => {
            for s in sankeys {
                let _ = write!(
                    html,
                    "<h4>{} on {}</h4>{}",
                    escape(&s.asset),
                    escape(&s.chain),
                    s.svg
                );
            }
        }
        Err(e) => {
            let _ = write!(
                html,
                "<p class=\"note\">No Sankey: {}</p>",
                escape(&e.to_string())
            );
        }
    }
}

fn comparison(html: &mut String, report: &Report) {
    let comparison = &report.comparison;
    html.push_str("<h3>Policies side by side</h3><ul class=\"summary\">");
    for row in comparison.rows.iter().take(6) {
        let _ = write!(html, "<li>{}</li>", escape(&row.summary));
    }
    html.push_str("</ul><table><tr><th>where</th><th>category</th>");
    for p in &comparison.policies {
        let _ = write!(html, "<th>{}</th>", p.policy);
    }
    html.push_str("</tr>");
    for row in &comparison.rows {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td>",
            escape(&row.entity),
            escape(&row.category)
        );
        for (usd, policy) in row.usd.iter().zip(&comparison.policies) {
            let cell = match &policy.error {
                Some(_) => "n/a".to_string(),
                None => round::usd(Some(usd.unwrap_or(0.0))),
            };
            let _ = write!(html, "<td class=\"n\">{cell}</td>");
        }
        html.push_str("</tr>");
    }
    html.push_str("</table>");
    for p in comparison.policies.iter().filter(|p| p.error.is_some()) {
        let _ = write!(
            html,
            "<p class=\"note\">{} could not run: {}</p>",
            p.policy,
            escape(p.error.as_deref().unwrap_or_default())
        );
    }
    if comparison
        .policies
        .iter()
        .any(|p| p.policy == chaintrail_trace::Policy::Poison)
    {
        html.push_str(
            "<p class=\"note\">Poison counts every unit a tainted address sends as stolen: an \
             upper bound, whose totals can exceed what was stolen.</p>",
        );
    }
}

fn by_entity(html: &mut String, trace: &TraceReport, seeded_usd: Option<f64>) {
    html.push_str(
        "<h3>Where it went, by entity</h3><table><tr><th>where</th><th>category</th>\
         <th>status</th><th>amount</th><th>USD</th><th>share</th></tr>",
    );
    for t in &trace.by_entity {
        let share = match (t.usd, seeded_usd) {
            (Some(v), Some(total)) if total > 0.0 => format!("{:.1}%", 100.0 * v / total),
            _ => "-".to_string(),
        };
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{share}</td></tr>",
            escape(&t.entity),
            escape(&t.category),
            kind_name(t.kind),
            escape(&amounts(&t.values)),
            round::usd(t.usd),
        );
    }
    html.push_str("</table>");
}

fn cite(cites: &BTreeMap<StepKey, String>, endpoint: &Endpoint) -> String {
    endpoint
        .path
        .iter()
        .rev()
        .find(|s| s.tx == endpoint.tx)
        .and_then(|s| cites.get(&citation::step_key(s)))
        .map_or_else(String::new, |id| format!(" [{id}]"))
}

fn endpoints(html: &mut String, trace: &TraceReport, cites: &BTreeMap<StepKey, String>) {
    html.push_str(
        "<h3>Endpoints reached (services, mixers, bridges)</h3><table><tr><th>entity</th>\
         <th>category</th><th>status</th><th>chain</th><th>address</th><th>amount</th>\
         <th>USD</th><th>hops</th><th>arrived</th><th>transaction</th><th>evidence</th></tr>",
    );
    for e in trace.endpoints.iter().filter(|e| is_reached(e)) {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td>\
             <td class=\"n\">{} {}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td>\
             <td><code>{}</code>{}</td><td>{}</td></tr>",
            escape(e.entity.as_deref().unwrap_or("-")),
            escape(e.category.as_deref().unwrap_or("-")),
            kind_name(e.kind),
            e.chain,
            escape(e.address.as_deref().unwrap_or("-")),
            round::units(&e.value.units),
            escape(&e.value.asset),
            round::usd(e.value.usd),
            e.hops,
            time(e.time),
            escape(&e.tx),
            cite(cites, e),
            escape(e.evidence.as_deref().unwrap_or("-")),
        );
    }
    html.push_str("</table>");
}

fn paths(html: &mut String, trace: &TraceReport, cites: &BTreeMap<StepKey, String>) {
    html.push_str("<h3>Paths</h3>");
    for e in trace
        .endpoints
        .iter()
        .filter(|e| is_reached(e))
        .take(PATHS_SHOWN)
    {
        let _ = write!(
            html,
            "<details><summary>Path to {} — {} {} ({}), {} hops</summary><table><tr><th>hop</th>\
             <th>time</th><th>transaction</th><th>from</th><th>to</th><th>amount</th><th>rule</th>\
             </tr>",
            escape(e.entity.as_deref().unwrap_or("?")),
            round::units(&e.value.units),
            escape(&e.value.asset),
            round::usd(e.value.usd),
            e.hops
        );
        for step in &e.path {
            let id = cites
                .get(&citation::step_key(step))
                .map_or_else(String::new, |id| format!(" [{id}]"));
            let _ = write!(
                html,
                "<tr><td class=\"n\">{}</td><td>{}</td><td><code>{}</code>{id}</td>\
                 <td><code>{}</code></td><td><code>{}</code></td><td class=\"n\">{} {}</td>\
                 <td>{}</td></tr>",
                step.hop,
                time(step.time),
                escape(&step.tx),
                escape(step.from.as_deref().unwrap_or("-")),
                escape(step.to.as_deref().unwrap_or("-")),
                round::units(&step.value.units),
                escape(&step.value.asset),
                escape(&step.rule)
            );
        }
        html.push_str("</table></details>");
    }
    let reached = trace.endpoints.iter().filter(|e| is_reached(e)).count();
    if reached > PATHS_SHOWN {
        let _ = write!(
            html,
            "<p class=\"note\">The {PATHS_SHOWN} largest of {reached} paths; the JSON report has \
             every endpoint's path.</p>"
        );
    }
}

fn method(html: &mut String, report: &Report) {
    let m = &report.method;
    let _ = write!(
        html,
        "<h3>Method</h3><p>Policy {}. Direction {}; at most {} hops; amounts below {} (whole \
         units) cut as dust; converter links crossed at confidence ≥ {}{}.</p>",
        escape(m.policy_explained),
        m.direction,
        m.max_hops,
        escape(&m.min_value),
        m.min_confidence,
        m.until.map_or_else(String::new, |u| format!(
            "; flows after {} not followed",
            time(u)
        ))
    );
    html.push_str(
        "<table><tr><th>address</th><th>entity</th><th>label</th><th>source</th>\
         <th>file:line</th><th>valid</th><th>confidence</th></tr>",
    );
    for l in &m.labels {
        let _ = write!(
            html,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{} ({})</td><td>{}:{}</td>\
             <td>{} – {}</td><td class=\"n\">{}</td></tr>",
            escape(&l.address),
            escape(&l.entity),
            escape(&l.name),
            escape(&l.source),
            escape(&l.dataset),
            escape(&l.file),
            l.line,
            l.valid_from
                .map_or_else(|| "?".to_string(), |d| d.to_string()),
            l.valid_to
                .map_or_else(|| "now".to_string(), |d| d.to_string()),
            l.confidence
        );
    }
    html.push_str("</table>");
    if m.links.is_empty() {
        html.push_str("<p>No converter link was crossed.</p>");
    } else {
        html.push_str("<table><tr><th>converter link crossed</th><th>path steps</th></tr>");
        for l in &m.links {
            let _ = write!(
                html,
                "<tr><td>{}</td><td class=\"n\">{}</td></tr>",
                escape(&l.rule),
                l.steps
            );
        }
        html.push_str("</table>");
    }
}

fn citations(html: &mut String, report: &Report) {
    let anchored = report.citations.iter().filter(|c| c.is_anchored()).count();
    let _ = write!(
        html,
        "<h3>Citations</h3><p class=\"note\">{} transactions cited, {anchored} anchored to a \
         node (block hash and index). Check them with <code>chaintrail verify-report \
         REPORT.json --rpc URL</code>.</p><details><summary>All citations</summary><table><tr>\
         <th>id</th><th>chain</th><th>block</th><th>block hash</th><th>index</th>\
         <th>transaction</th><th>log / vout</th></tr>",
        report.citations.len()
    );
    for c in &report.citations {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td><code>{}</code></td>\
             <td class=\"n\">{}</td><td><code>{}</code></td><td>{}</td></tr>",
            c.id,
            c.chain,
            c.block_number,
            escape(c.block_hash.as_deref().unwrap_or("-")),
            c.tx_index
                .map_or_else(|| "-".to_string(), |i| i.to_string()),
            escape(&c.tx),
            match (c.log_index, c.vout) {
                (Some(log), _) => format!("log {log}"),
                (_, Some(vout)) => format!("vout {vout}"),
                _ => "-".to_string(),
            }
        );
    }
    html.push_str("</table></details>");
}
