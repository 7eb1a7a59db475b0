//! Freeze-request packs: per exchange (or other custodian) the value reached, a folder with its
//! deposits as CSV and JSON (address, stolen amount, transaction, block number and hash, time),
//! the path from the theft to each deposit, and a short letter.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use chaintrail_core::Chain;
use chaintrail_trace::{EndpointKind, PathStep};
use serde::Serialize;

use crate::citation::{self, step_key};
use crate::{Citation, Report, ReportError, round, write_dir_atomic};

/// One deposit address that received stolen value.
#[derive(Debug, Clone, Serialize)]
pub struct Deposit {
    /// The chain.
    pub chain: Chain,
    /// The deposit address.
    pub address: String,
    /// The asset's symbol.
    pub asset: String,
    /// The token contract; `None` for the native coin.
    pub contract: Option<String>,
    /// The stolen amount it received, exact in base units.
    pub amount: String,
    /// The same in whole units, exact.
    pub units: String,
    /// Its USD value, where priced.
    pub usd: Option<f64>,
    /// How many tainted transfers or outputs it received.
    pub deliveries: u64,
    /// The citation of the (largest) delivering transaction.
    pub citation: String,
    /// The delivering transaction.
    pub tx: String,
    /// Its block's height.
    pub block_number: u64,
    /// Its block's hash, when anchored.
    pub block_hash: Option<String>,
    /// When it arrived (RFC 3339, UTC).
    pub time: String,
    /// The path from the theft to this deposit.
    pub path: Vec<PathStep>,
}

/// Everything one exchange needs to act.
#[derive(Debug, Clone, Serialize)]
pub struct FreezePack {
    /// The exchange (or custodian).
    pub exchange: String,
    /// Its role.
    pub category: String,
    /// The case or heist.
    pub case: String,
    /// The report's policy.
    pub policy: String,
    /// Total USD, where priced.
    pub usd: Option<f64>,
    /// Its deposits, largest first.
    pub deposits: Vec<Deposit>,
    /// Every transaction the deposits and paths cite; last, one per line.
    pub citations: Vec<Citation>,
}

fn rfc3339(seconds: u64) -> String {
    i64::try_from(seconds)
        .ok()
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .map_or_else(String::new, |t| t.to_string())
}

/// A pack per service the report's trace reached, largest first.
pub fn freeze_packs(report: &Report) -> Vec<FreezePack> {
    let (_, ids) = citation::collect(&report.trace);
    let cited: BTreeMap<&str, &Citation> = report
        .citations
        .iter()
        .map(|c| (c.id.as_str(), c))
        .collect();
    let citation_of = |step: &PathStep| {
        ids.get(&step_key(step))
            .and_then(|id| cited.get(id.as_str()))
            .copied()
    };
    let mut packs: BTreeMap<String, FreezePack> = BTreeMap::new();
    for endpoint in report
        .trace
        .endpoints
        .iter()
        .filter(|e| e.kind == EndpointKind::Service)
    {
        let name = endpoint
            .entity
            .clone()
            .unwrap_or_else(|| "unnamed service".into());
        let pack = packs.entry(name.clone()).or_insert_with(|| FreezePack {
            exchange: name,
            category: endpoint
                .category
                .clone()
                .unwrap_or_else(|| "service".into()),
            case: report.title.clone(),
            policy: report.trace.policy.to_string(),
            usd: None,
            deposits: Vec::new(),
            citations: Vec::new(),
        });
        let last = endpoint.path.iter().rev().find(|s| s.tx == endpoint.tx);
        let cited = last.and_then(citation_of);
        if let Some(usd) = endpoint.value.usd {
            pack.usd = Some(pack.usd.unwrap_or(0.0) + usd);
        }
        for step in &endpoint.path {
            if let Some(c) = citation_of(step)
                && !pack.citations.iter().any(|have| have.id == c.id)
            {
                pack.citations.push(c.clone());
            }
        }
        pack.deposits.push(Deposit {
            chain: endpoint.chain,
            address: endpoint.address.clone().unwrap_or_default(),
            asset: endpoint.value.asset.clone(),
            contract: endpoint.value.contract.as_ref().map(ToString::to_string),
            amount: endpoint.value.amount.clone(),
            units: endpoint.value.units.clone(),
            usd: endpoint.value.usd,
            deliveries: endpoint.deliveries,
            citation: cited.map_or_else(String::new, |c| c.id.clone()),
            tx: endpoint.tx.clone(),
            block_number: last.map_or(0, |s| s.block),
            block_hash: cited.and_then(|c| c.block_hash.clone()),
            time: rfc3339(endpoint.time),
            path: endpoint.path.clone(),
        });
    }
    let mut packs: Vec<FreezePack> = packs.into_values().collect();
    packs.sort_by(|a, b| b.usd.unwrap_or(0.0).total_cmp(&a.usd.unwrap_or(0.0)));
    packs
}

/// A folder name for an entity: letters, digits and dashes.
fn slug(name: &str) -> String {
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug.trim_matches('-').to_string();
    if slug.is_empty() {
        "service".to_string()
    } else {
        slug
    }
}

/// Write one folder per pack under `out` (replaced whole, atomically): `deposits.csv`,
/// `deposits.json`, `path.txt`, `letter.txt`. Returns the folder names.
pub fn write_freeze_packs(
    report: &Report,
    out: &Path,
) -> Result<Vec<(String, FreezePack)>, ReportError> {
    let packs = freeze_packs(report);
    if packs.is_empty() {
        return Err(ReportError::Invalid(format!(
            "the trace of {} reached no exchange or other service: there is nobody to ask for \
             a freeze (see the report's endpoints; raise --max-hops or lower --min-value?)",
            report.title
        )));
    }
    let mut named = Vec::new();
    let mut used = BTreeMap::new();
    for pack in packs {
        let base = slug(&pack.exchange);
        let n = used.entry(base.clone()).or_insert(0u32);
        *n += 1;
        let name = if *n == 1 { base } else { format!("{base}-{n}") };
        named.push((name, pack));
    }
    write_dir_atomic(out, |dir| {
        for (name, pack) in &named {
            let folder = dir.join(name);
            let io = |action: &'static str, path: &Path| {
                let path = path.to_path_buf();
                move |source| ReportError::Io {
                    action,
                    path,
                    source,
                }
            };
            std::fs::create_dir_all(&folder).map_err(io("create", &folder))?;
            let csv_path = folder.join("deposits.csv");
            std::fs::write(&csv_path, deposits_csv(pack)?).map_err(io("write", &csv_path))?;
            let json_path = folder.join("deposits.json");
            std::fs::write(&json_path, crate::to_json_lines(pack)?)
                .map_err(io("write", &json_path))?;
            let path_txt = folder.join("path.txt");
            std::fs::write(&path_txt, paths_text(pack)).map_err(io("write", &path_txt))?;
            let letter = folder.join("letter.txt");
            std::fs::write(&letter, letter_text(report, pack)).map_err(io("write", &letter))?;
        }
        Ok(())
    })?;
    Ok(named)
}

fn deposits_csv(pack: &FreezePack) -> Result<Vec<u8>, ReportError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let bad = |e: csv::Error| ReportError::Invalid(format!("cannot write the deposits CSV: {e}"));
    writer
        .write_record([
            "chain",
            "deposit_address",
            "asset",
            "contract",
            "amount_base_units",
            "amount",
            "usd",
            "deliveries",
            "tx",
            "block_number",
            "block_hash",
            "time_utc",
            "citation",
        ])
        .map_err(bad)?;
    for d in &pack.deposits {
        writer
            .write_record([
                d.chain.to_string(),
                d.address.clone(),
                d.asset.clone(),
                d.contract.clone().unwrap_or_default(),
                d.amount.clone(),
                d.units.clone(),
                d.usd.map_or_else(String::new, |u| format!("{u:.2}")),
                d.deliveries.to_string(),
                d.tx.clone(),
                d.block_number.to_string(),
                d.block_hash.clone().unwrap_or_default(),
                d.time.clone(),
                d.citation.clone(),
            ])
            .map_err(bad)?;
    }
    writer
        .into_inner()
        .map_err(|e| ReportError::Invalid(format!("cannot write the deposits CSV: {e}")))
}

fn paths_text(pack: &FreezePack) -> String {
    let mut text = String::new();
    for d in &pack.deposits {
        let _ = writeln!(
            text,
            "Deposit {} ({} {}, {}) — {} hops",
            d.address,
            d.units,
            d.asset,
            round::usd(d.usd),
            d.path.len()
        );
        for s in &d.path {
            let _ = writeln!(
                text,
                "  hop {:>2}  {}  block {}  tx {}\n          {} -> {}  {} {}  [{}]",
                s.hop,
                rfc3339(s.time),
                s.block,
                s.tx,
                s.from.as_deref().unwrap_or("-"),
                s.to.as_deref().unwrap_or("-"),
                s.value.units,
                s.value.asset,
                s.rule
            );
        }
        text.push('\n');
    }
    text
}

fn letter_text(report: &Report, pack: &FreezePack) -> String {
    let stolen = report
        .trace
        .seeded
        .iter()
        .map(|v| format!("{} {}", round::units(&v.units), v.asset))
        .collect::<Vec<_>>()
        .join(" + ");
    let stolen_usd = report
        .trace
        .seeded
        .iter()
        .filter_map(|v| v.usd)
        .reduce(|a, b| a + b);
    let mut text = format!(
        "To: the compliance / law-enforcement response team of {}\n\
         Subject: Request to freeze stolen funds — {}\n\n\
         Funds stolen in {} ({stolen}, about {}) were traced on chain to {} deposit \
         address(es) at {}, which received about {} of them.\n\n\
         Deposits:\n",
        pack.exchange,
        pack.case,
        pack.case,
        round::usd(stolen_usd),
        pack.deposits.len(),
        pack.exchange,
        round::usd(pack.usd),
    );
    for d in &pack.deposits {
        let _ = writeln!(
            text,
            "  - {} on {}: {} {} (about {}), transaction {} in block {}, {}",
            d.address,
            d.chain,
            round::units(&d.units),
            d.asset,
            round::usd(d.usd),
            d.tx,
            d.block_number,
            d.time
        );
    }
    let _ = write!(
        text,
        "\nWe ask you to freeze the balances credited from these deposits, to preserve the \
         account holders' identification, login and withdrawal records, and to contact us \
         before releasing any of it.\n\n\
         Method: the stolen value was followed with chaintrail under the {} policy ({}). \
         deposits.csv and deposits.json list every deposit with its transaction, block number \
         and block hash; path.txt shows the path from the theft to each deposit, hop by hop. \
         Every cited transaction can be checked against any node: chaintrail verify-report \
         deposits.json --rpc <node URL>.\n\n\
         Contact: ______________________\n",
        report.method.policy, report.method.policy_explained
    );
    text
}
