//! The demo's summary: text tables for the terminal and a self-contained HTML report.

use std::fmt::Write;
use std::path::Path;

use anyhow::Context;
use chaintrail_eval::demo::HeistOutcome;
use chaintrail_store::ChainStats;
use chaintrail_trace::EndpointKind;

use crate::output::Table;

fn kind_name(kind: EndpointKind) -> &'static str {
    match kind {
        EndpointKind::Service => "reached service",
        EndpointKind::Entered => "entered",
        EndpointKind::BridgePending => "pending at bridge",
        EndpointKind::Unspent => "unspent",
        EndpointKind::Fee => "fees",
        EndpointKind::Burnt => "burnt",
        EndpointKind::HopLimit => "hop limit",
        EndpointKind::Dust => "dust",
        EndpointKind::Unexplored => "unexplored",
        EndpointKind::TooLarge => "too large to measure",
        EndpointKind::Minted => "minted",
        EndpointKind::Untracked => "before the store's history",
        // Kinds added to chaintrail-trace later, until they get a name here.
        _ => "other",
    }
}

fn usd(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("${v:.0}"))
}

/// Per heist: what was stolen and where it went, by entity.
pub fn heist_tables(heists: &[HeistOutcome]) -> Vec<Table> {
    heists
        .iter()
        .map(|h| {
            let mut table = Table::new(&["where", "category", "status", "amount", "usd", "share"])
                .titled(format!(
                    "{} — victim {}, {}: stolen {} (${:.0})",
                    h.name,
                    h.victim,
                    h.date,
                    h.stolen.join(" + "),
                    h.stolen_usd
                ));
            for t in &h.report.by_entity {
                let share = match (t.usd, h.stolen_usd) {
                    (Some(v), total) if total > 0.0 => format!("{:.1}%", 100.0 * v / total),
                    _ => "-".to_string(),
                };
                table.row(vec![
                    t.entity.clone(),
                    t.category.clone(),
                    kind_name(t.kind).to_string(),
                    t.values
                        .iter()
                        .map(|v| format!("{} {}", v.units, v.asset))
                        .collect::<Vec<_>>()
                        .join(" + "),
                    usd(t.usd),
                    share,
                ]);
            }
            table
        })
        .collect()
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem;max-width:75rem;color:#222}\
h1{font-size:1.6rem}h2{margin-top:2.5rem;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.85rem}\
td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}\
th{background:#f4f4f4}.bar{height:1rem;display:inline-block}\
.service{background:#3b82f6}.entered{background:#f59e0b}.unspent{background:#10b981}\
.fee,.burnt{background:#9ca3af}.cut{background:#ef4444}code{font-size:.8rem}";

fn bar_class(kind: EndpointKind) -> &'static str {
    match kind {
        EndpointKind::Service => "service",
        EndpointKind::Entered => "entered",
        EndpointKind::BridgePending => "pending at bridge",
        EndpointKind::Unspent => "unspent",
        EndpointKind::Fee => "fee",
        EndpointKind::Burnt => "burnt",
        _ => "cut",
    }
}

/// A self-contained HTML report (no external assets), written atomically.
pub fn write_report(
    path: &Path,
    heists: &[HeistOutcome],
    stats: &[ChainStats],
) -> anyhow::Result<()> {
    let mut html = String::new();
    let _ = write!(
        html,
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>chaintrail demo report</title>\
         <style>{STYLE}</style></head><body><h1>chaintrail — where did the stolen funds go?</h1>\
         <p>A simulated world with {} heists that follow the DPRK laundering playbook, traced \
         with an explicit taint policy. Every amount below comes with the path that explains it.</p>",
        heists.len()
    );
    html.push_str("<h2>Store</h2><table><tr><th>chain</th><th>blocks</th><th>txs</th><th>records</th><th>addresses</th><th>bytes/record</th></tr>");
    for s in stats {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.2}</td></tr>",
            s.chain, s.blocks, s.txs, s.records, s.addresses, s.bytes_per_record
        );
    }
    html.push_str("</table>");
    for h in heists {
        let _ = write!(
            html,
            "<h2>{}</h2><p>Victim <b>{}</b> on {}. Stolen: <b>{}</b> (${:.0}). Policy: {}.</p>",
            esc(&h.name),
            esc(&h.victim),
            h.date,
            esc(&h.stolen.join(" + ")),
            h.stolen_usd,
            h.report.policy
        );
        html.push_str("<table><tr><th>where</th><th>category</th><th>status</th><th>amount</th><th>USD</th><th>share</th></tr>");
        for t in &h.report.by_entity {
            let share = match t.usd {
                Some(v) if h.stolen_usd > 0.0 => 100.0 * v / h.stolen_usd,
                _ => 0.0,
            };
            let _ = write!(
                html,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td><span class=\"bar {}\" style=\"width:{:.1}px\"></span> {:.1}%</td></tr>",
                esc(&t.entity),
                esc(&t.category),
                kind_name(t.kind),
                esc(&t
                    .values
                    .iter()
                    .map(|v| format!("{} {}", v.units, v.asset))
                    .collect::<Vec<_>>()
                    .join(" + ")),
                usd(t.usd),
                bar_class(t.kind),
                share * 3.0,
                share
            );
        }
        html.push_str("</table>");
        for e in h
            .report
            .endpoints
            .iter()
            .filter(|e| matches!(e.kind, EndpointKind::Service | EndpointKind::Entered))
            .take(3)
        {
            let _ = write!(
                html,
                "<details><summary>Path to {} ({} {}, {} hops)</summary><table><tr><th>hop</th><th>tx</th><th>from</th><th>to</th><th>amount</th><th>rule</th></tr>",
                esc(e.entity.as_deref().unwrap_or("?")),
                esc(&e.value.units),
                esc(&e.value.asset),
                e.hops
            );
            for step in &e.path {
                let _ = write!(
                    html,
                    "<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td><code>{}</code></td><td>{} {}</td><td>{}</td></tr>",
                    step.hop,
                    esc(&step.tx),
                    esc(step.from.as_deref().unwrap_or("-")),
                    esc(step.to.as_deref().unwrap_or("-")),
                    esc(&step.value.units),
                    esc(&step.value.asset),
                    esc(&step.rule)
                );
            }
            html.push_str("</table></details>");
        }
    }
    html.push_str("</body></html>\n");
    let tmp = path.with_extension("html.tmp");
    std::fs::write(&tmp, html).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
