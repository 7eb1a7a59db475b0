//! `chaintrail labels …` and `chaintrail incidents …`: thin wrappers over `chaintrail-labels`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chaintrail_core::Chain;
use chaintrail_labels::incidents::{IncidentFilter, dprk_comparison_markdown};
use chaintrail_labels::{
    AddressReport, Category, Date, ImportReport, IncidentLedger, LabelStats, LabelStore,
    SanctionStatus, Source,
};
use clap::{Args, Subcommand};

use crate::output::{Format, Table, emit};

/// How many rejected rows and warnings the table view lists (JSON has them all).
const SHOWN_ISSUES: usize = 20;

#[derive(Args)]
pub struct LabelsArgs {
    #[command(subcommand)]
    command: LabelsCommand,
    /// Output format (also accepted after the subcommand).
    #[arg(long, value_enum, global = true)]
    format: Option<Format>,
}

#[derive(Subcommand)]
enum LabelsCommand {
    /// Import an OFAC SDN snapshot: the advanced XML (.xml or .xml.bz2) or a derived address CSV.
    /// Import several snapshots to record delistings.
    ImportOfac {
        file: PathBuf,
        /// Snapshot date (YYYY-MM-DD) when the file carries none.
        #[arg(long)]
        date: Option<Date>,
    },
    /// Import the designation dates of SDN addresses from a dated address list
    /// (`date_added,address[,…]`, e.g. ultrasoundmoney_eth_2024-08-20.csv): OFAC's own files
    /// date no address.
    ImportOfacDates { file: PathBuf },
    /// Import GraphSense TagPacks / ActorPacks (a .yaml file or a directory).
    ImportTagpack { path: PathBuf },
    /// Export labels as a GraphSense TagPack.
    ExportTagpack {
        /// Only labels from this source (ofac, graphsense, explorer, forta, tornado_cash, incident).
        #[arg(long)]
        source: Option<String>,
        /// Only labels of this dataset (e.g. graphsense:lazarus.yaml).
        #[arg(long)]
        dataset: Option<String>,
        /// Only labels with this category (e.g. mixer, sanctioned).
        #[arg(long)]
        category: Option<String>,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Import Etherscan-family label clouds (<explorer>_{account,token}_labels.json, or a directory).
    ImportEtherscan {
        path: PathBuf,
        /// Chain, when the file name does not say it.
        #[arg(long)]
        chain: Option<Chain>,
    },
    /// Import Forta labelled-dataset CSVs (a file or a directory).
    ImportForta {
        path: PathBuf,
        #[arg(long)]
        chain: Option<Chain>,
    },
    /// Import Tornado Cash's contract list CSV.
    ImportTornado { file: PathBuf },
    /// All labels of an address, strongest first, and whether it is sanctioned.
    Show {
        address: String,
        /// Answer for this date (YYYY-MM-DD): labels valid then, sanction status then.
        #[arg(long)]
        at: Option<Date>,
    },
    /// Label counts by source, category and chain; OFAC snapshots.
    Stats,
}

#[derive(Args)]
pub struct IncidentsArgs {
    #[command(subcommand)]
    command: IncidentsCommand,
    /// Output format (also accepted after the subcommand).
    #[arg(long, value_enum, global = true)]
    format: Option<Format>,
}

#[derive(Subcommand)]
enum IncidentsCommand {
    /// Import incident CSVs (DPRK-attributed list, DeFiHackLabs); attacker addresses become labels.
    Import { files: Vec<PathBuf> },
    /// Incidents in date order.
    List {
        #[arg(long)]
        year: Option<u16>,
        /// Attribution contains this text (case-insensitive), or `unattributed`.
        #[arg(long)]
        actor: Option<String>,
        #[arg(long)]
        chain: Option<String>,
        /// Victim contains this text (case-insensitive).
        #[arg(long)]
        victim: Option<String>,
    },
    /// One incident with its addresses, transactions and references.
    Show { id: String },
    /// Tallies by year, actor, chain and source; DPRK per year beside published totals.
    Stats {
        /// Print the DPRK comparison as a Markdown table.
        #[arg(long)]
        markdown: bool,
    },
}

fn report_tables(report: &ImportReport) -> Vec<Table> {
    let mut summary = Table::new(&[
        "source",
        "files",
        "rows read",
        "imported",
        "rejected",
        "warnings",
        "failed files",
    ])
    .titled("Import");
    summary.row(vec![
        report.source.clone(),
        report.files.len().to_string(),
        report.rows_read.to_string(),
        report.imported.to_string(),
        report.rejected.len().to_string(),
        report.warnings.len().to_string(),
        report.failed_files.len().to_string(),
    ]);
    let mut tables = vec![summary];
    for (title, issues) in [
        ("Failed files", &report.failed_files),
        ("Rejected rows", &report.rejected),
        ("Warnings", &report.warnings),
    ] {
        if issues.is_empty() {
            continue;
        }
        let more = issues.len().saturating_sub(SHOWN_ISSUES);
        let title = if more > 0 {
            format!("{title} (first {SHOWN_ISSUES}; {more} more with --format json)")
        } else {
            title.to_string()
        };
        let mut t = Table::new(&["file", "line", "field", "problem"]).titled(title);
        for i in issues.iter().take(SHOWN_ISSUES) {
            t.row(vec![
                i.file.clone(),
                i.line.to_string(),
                i.field.clone().unwrap_or_default(),
                i.message.clone(),
            ]);
        }
        tables.push(t);
    }
    tables
}

fn show_tables(report: &AddressReport) -> Vec<Table> {
    let status = match (report.sanction_status, report.delisted_since) {
        (SanctionStatus::Sanctioned, _) => "SANCTIONED (OFAC SDN)".to_string(),
        (unknown @ SanctionStatus::Unknown { .. }, _) => format!("OFAC SDN status {unknown}"),
        (SanctionStatus::NotSanctioned, Some(d)) => format!("not sanctioned: delisted since {d}"),
        (SanctionStatus::NotSanctioned, None) => "not on the OFAC SDN list".to_string(),
    };
    let at = report
        .at
        .map_or_else(|| "now".to_string(), |d| d.to_string());
    let categories = report
        .categories
        .iter()
        .map(Category::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let resolved = match &report.resolved {
        None => "no role, no flags".to_string(),
        Some(r) => {
            let role = r.role.as_ref().map_or_else(
                || "no role".to_string(),
                |c| format!("role {} ({}: {})", c.role, c.source, c.name),
            );
            let flags: Vec<String> = r
                .flags
                .iter()
                .map(|f| format!("{} ({}: {})", f.flag, f.source, f.name))
                .collect();
            let unknown: Vec<String> = r
                .unknown
                .iter()
                .map(|f| format!("{} ({}: {})", f.flag, f.source, f.name))
                .collect();
            let known = if flags.is_empty() {
                format!("{role}, no flags")
            } else {
                format!("{role}, flags {}", flags.join(", "))
            };
            if unknown.is_empty() {
                known
            } else {
                format!("{known}, status unknown: {}", unknown.join(", "))
            }
        }
    };
    let mut t = Table::new(&[
        "name",
        "role",
        "flags",
        "source",
        "confidence",
        "chain",
        "valid from",
        "valid to",
        "status",
        "file:line",
    ])
    .titled(format!(
        "{} — {status} — at {at} — {resolved} — categories: {categories}",
        report.query
    ));
    for v in &report.labels {
        let l = &v.label;
        let name = match &v.actor_label {
            Some(actor) if *actor != l.name => format!("{} [{actor}]", l.name),
            _ => l.name.clone(),
        };
        t.row(vec![
            name,
            l.role.map_or_else(|| "-".to_string(), |r| r.to_string()),
            if l.flags.is_empty() {
                "-".to_string()
            } else {
                l.flags
                    .iter()
                    .map(Category::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            l.source.to_string(),
            match &l.confidence_level {
                Some(level) => format!("{} ({level})", l.confidence),
                None => l.confidence.to_string(),
            },
            l.chain
                .map_or_else(|| format!("raw:{}", l.currency), |c| c.to_string()),
            l.valid_from.map(|d| d.to_string()).unwrap_or_default(),
            l.valid_to.map(|d| d.to_string()).unwrap_or_default(),
            if v.exact_match {
                v.status.clone()
            } else {
                format!("{} (case-insensitive match)", v.status)
            },
            format!("{}:{}", l.file, l.line),
        ]);
    }
    let mut listings = Table::new(&["SDN party", "asset", "listing"]).titled("OFAC listings");
    for listing in &report.listings {
        listings.row(vec![
            format!("{} ({})", listing.name, listing.sdn_uid),
            listing.asset.clone(),
            listing.listed.clone(),
        ]);
    }
    if report.listings.is_empty() {
        vec![t]
    } else {
        vec![t, listings]
    }
}

fn stats_tables(s: &LabelStats) -> Vec<Table> {
    let mut summary = Table::new(&[
        "labels",
        "distinct addresses",
        "datasets",
        "actors",
        "OFAC in force",
        "OFAC delisted",
    ])
    .titled("Labels");
    summary.row(vec![
        s.labels.to_string(),
        s.distinct_addresses.to_string(),
        s.datasets.to_string(),
        s.actors.to_string(),
        s.ofac_active_labels.to_string(),
        s.ofac_delisted_labels.to_string(),
    ]);
    let count_table = |title: &str, key: &str, map: &std::collections::BTreeMap<String, usize>| {
        let mut t = Table::new(&[key, "labels"]).titled(title);
        for (k, n) in map {
            t.row(vec![k.clone(), n.to_string()]);
        }
        t
    };
    let mut snapshots =
        Table::new(&["date", "file", "entries", "addresses", "parties"]).titled("OFAC snapshots");
    for o in &s.ofac_snapshots {
        snapshots.row(vec![
            o.date.to_string(),
            o.file.clone(),
            o.entries.to_string(),
            o.distinct_addresses.to_string(),
            o.parties.to_string(),
        ]);
    }
    vec![
        summary,
        count_table("By source", "source", &s.by_source),
        count_table("By category", "category", &s.by_category),
        count_table("By chain", "chain", &s.by_chain),
        snapshots,
    ]
}

fn parse_source(text: &str) -> anyhow::Result<Source> {
    serde_json::from_value(serde_json::Value::String(text.to_string())).with_context(|| {
        format!("unknown source `{text}`: use ofac, graphsense, explorer, forta, tornado_cash or incident")
    })
}

/// `chaintrail labels …`
pub fn labels(
    data_dir: &Path,
    global_format: Option<Format>,
    args: LabelsArgs,
) -> anyhow::Result<()> {
    let format = args.format.or(global_format).unwrap_or(Format::Table);
    let mut store = LabelStore::open(data_dir)
        .with_context(|| format!("cannot open the label store in {}", data_dir.display()))?;
    let import = |store: &mut LabelStore, report: ImportReport| -> anyhow::Result<()> {
        store.save()?;
        emit(format, &report, &report_tables(&report))
    };
    match args.command {
        LabelsCommand::ImportOfac { file, date } => {
            let report = store.import_ofac(&file, date)?;
            import(&mut store, report)
        }
        LabelsCommand::ImportOfacDates { file } => {
            let report = store.import_ofac_dates(&file)?;
            import(&mut store, report)
        }
        LabelsCommand::ImportTagpack { path } => {
            let report = store.import_tagpacks(&path)?;
            import(&mut store, report)
        }
        LabelsCommand::ImportEtherscan { path, chain } => {
            let report = store.import_explorer(&path, chain)?;
            import(&mut store, report)
        }
        LabelsCommand::ImportForta { path, chain } => {
            let report = store.import_forta(&path, chain)?;
            import(&mut store, report)
        }
        LabelsCommand::ImportTornado { file } => {
            let report = store.import_tornado(&file)?;
            import(&mut store, report)
        }
        LabelsCommand::ExportTagpack {
            source,
            dataset,
            category,
            out,
        } => {
            let source = source.as_deref().map(parse_source).transpose()?;
            let category = category
                .as_deref()
                .map(|c| c.parse::<Category>().map_err(anyhow::Error::msg))
                .transpose()?;
            let pack = store.export_tagpack(source, dataset.as_deref(), category);
            if pack.tags.is_empty() {
                bail!(
                    "no labels match: see `chaintrail labels stats` for sources, datasets and categories"
                );
            }
            let yaml = pack.to_yaml();
            match out {
                Some(path) => std::fs::write(&path, yaml)
                    .with_context(|| format!("cannot write {}", path.display())),
                None => Ok(std::io::stdout().write_all(yaml.as_bytes())?),
            }
        }
        LabelsCommand::Show { address, at } => {
            let report = store.show(&address, at);
            emit(format, &report, &show_tables(&report))
        }
        LabelsCommand::Stats => {
            let stats = store.stats();
            emit(format, &stats, &stats_tables(&stats))
        }
    }
}

/// `chaintrail incidents …`
pub fn incidents(
    data_dir: &Path,
    global_format: Option<Format>,
    args: IncidentsArgs,
) -> anyhow::Result<()> {
    let format = args.format.or(global_format).unwrap_or(Format::Table);
    let ledger = IncidentLedger::open(data_dir)
        .with_context(|| format!("cannot open the incident ledger in {}", data_dir.display()))?;
    match args.command {
        IncidentsCommand::Import { files } => {
            if files.is_empty() {
                bail!(
                    "give one or more incident CSVs (dprk_attributed_incidents.csv, defihacklabs_incidents.csv)"
                );
            }
            let report = chaintrail_labels::import_incidents(data_dir, &files)?;
            emit(format, &report, &report_tables(&report))
        }
        IncidentsCommand::List {
            year,
            actor,
            chain,
            victim,
        } => {
            let rows = ledger.list(&IncidentFilter {
                year,
                actor,
                chain,
                victim,
            });
            let mut t = Table::new(&[
                "id",
                "date",
                "victim",
                "chains",
                "USD",
                "attribution",
                "addresses",
                "txs",
            ]);
            for r in &rows {
                t.row(vec![
                    r.id.clone(),
                    r.date.to_string(),
                    r.victim.clone(),
                    r.chains.clone(),
                    r.amount_usd.map(|u| u.to_string()).unwrap_or_default(),
                    r.attribution.clone().unwrap_or_default(),
                    r.addresses.to_string(),
                    r.txs.to_string(),
                ]);
            }
            emit(
                format,
                &rows,
                &[t.titled(format!("{} incidents", rows.len()))],
            )
        }
        IncidentsCommand::Show { id } => {
            let Some(incident) = ledger.get(&id) else {
                bail!("no incident `{id}`: see `chaintrail incidents list`");
            };
            let mut fields = Table::new(&["field", "value"])
                .titled(format!("{} — {}", incident.id, incident.victim));
            for (k, v) in [
                (
                    "date",
                    format!(
                        "{} ({:?} precision)",
                        incident.date, incident.date_precision
                    ),
                ),
                ("chains", incident.chains.join(", ")),
                (
                    "amount USD",
                    incident
                        .amount_usd
                        .map(|u| u.to_string())
                        .unwrap_or_else(|| "unknown".into()),
                ),
                ("amount as written", incident.amount_as_written.clone()),
                (
                    "attribution",
                    incident
                        .attribution
                        .clone()
                        .unwrap_or_else(|| "unattributed".into()),
                ),
                (
                    "attribution confidence",
                    incident.attribution_confidence.clone().unwrap_or_default(),
                ),
                ("vector", incident.vector.clone().unwrap_or_default()),
                (
                    "root cause",
                    incident.root_cause.clone().unwrap_or_default(),
                ),
                (
                    "source",
                    format!("{}:{}", incident.source_file, incident.line),
                ),
                ("note", incident.note.clone().unwrap_or_default()),
            ] {
                fields.row(vec![k.to_string(), v]);
            }
            let mut links = Table::new(&["kind", "chain", "value"])
                .titled("Addresses, transactions, references");
            for a in &incident.addresses {
                links.row(vec![
                    a.role.clone(),
                    a.chain.clone().unwrap_or_default(),
                    a.address.clone(),
                ]);
            }
            for tx in &incident.txs {
                links.row(vec![
                    "tx".into(),
                    tx.chain.clone().unwrap_or_default(),
                    tx.hash.clone(),
                ]);
            }
            for r in &incident.references {
                links.row(vec!["reference".into(), String::new(), r.clone()]);
            }
            emit(format, incident, &[fields, links])
        }
        IncidentsCommand::Stats { markdown } => {
            let stats = ledger.stats();
            if markdown {
                std::io::stdout().write_all(dprk_comparison_markdown(&stats).as_bytes())?;
                return Ok(());
            }
            let tally = |title: &str, key: &str, rows: &[chaintrail_labels::incidents::Tally]| {
                let mut t = Table::new(&[key, "incidents", "with USD amount", "USD"]).titled(title);
                for r in rows {
                    t.row(vec![
                        r.key.clone(),
                        r.incidents.to_string(),
                        r.with_amount.to_string(),
                        r.usd.to_string(),
                    ]);
                }
                t
            };
            let mut dprk = Table::new(&["year", "incidents", "USD in data", "published"])
                .titled("DPRK per year: data vs published");
            for y in &stats.dprk_by_year {
                dprk.row(vec![
                    y.year.to_string(),
                    y.incidents.to_string(),
                    y.usd.to_string(),
                    y.published
                        .iter()
                        .map(|p| {
                            let status = if p.verified { "" } else { "; unverified" };
                            format!("{} {} ({}{status})", p.publisher, p.usd, p.scope)
                        })
                        .collect::<Vec<_>>()
                        .join("; "),
                ]);
            }
            let tables = [
                tally("By year", "year", &stats.by_year),
                tally("By actor", "actor", &stats.by_actor),
                tally("By chain", "chain", &stats.by_chain),
                tally("By source", "source", &stats.by_source),
                dprk,
            ];
            emit(format, &stats, &tables)
        }
    }
}
