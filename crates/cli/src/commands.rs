//! The subcommands: argument types and thin handlers over the library crates.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use chaintrail_core::{Chain, ChainModel, TxHash};
use chaintrail_ingest::{FlowJsonl, ImportOptions, Importer};
use chaintrail_labels::SanctionStatus;
use chaintrail_store::{ChainStats, Store, StoreError};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::output::{Format, Table, emit};

pub struct Global {
    pub data_dir: PathBuf,
    pub format: Option<Format>,
}

impl Global {
    pub(crate) fn format(&self, local: Option<Format>) -> Format {
        local.or(self.format).unwrap_or(Format::Table)
    }

    fn store(&self) -> anyhow::Result<Store> {
        Ok(Store::open(&self.data_dir)?)
    }
}

/// A hint for errors the user can fix, printed under the error line.
pub fn hint_for(err: &anyhow::Error) -> Option<&'static str> {
    err.downcast_ref::<StoreError>().and_then(StoreError::hint)
}

pub fn progress_bar(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{what} [{{elapsed_precise}}] {{bar:40}} {{percent}}% ({{eta}} left)"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

// ---- init ----

pub fn init(global: &Global) -> anyhow::Result<()> {
    let store = Store::init(&global.data_dir)?;
    println!("store ready at {}", store.dir().display());
    Ok(())
}

// ---- import ----

/// Every import format, in the order `--help` lists them.
pub const IMPORTERS: &[&dyn Importer] = &[
    &FlowJsonl,
    &chaintrail_evm::EthereumEtl,
    &chaintrail_evm::Cryo,
    &chaintrail_bitcoin::BitcoinEtl::MAINNET,
];

#[derive(Args)]
pub struct ImportArgs {
    /// Input format: flow-jsonl, ethereum-etl (a directory of ethereum-etl CSV/JSON exports, as
    /// one file per table, export_all partitions or stream output), cryo (a directory of cryo
    /// Parquet files), bitcoin-etl (a directory with bitcoin-etl's blocks.json and
    /// transactions.json, or export_all partitions, or stream output).
    #[arg(long, default_value = "flow-jsonl")]
    format: String,
    /// The file or export directory to import.
    path: PathBuf,
    /// Commit a checkpoint after this many transactions.
    #[arg(long, default_value_t = 10_000)]
    checkpoint_every: u64,
    /// The Bitcoin network of a bitcoin-etl export (its addresses say which).
    #[arg(long, default_value = "bitcoin")]
    network: Chain,
    /// Do not derive links after the import (when importing several exports in a row, run
    /// `chaintrail links build` once after the last).
    #[arg(long)]
    skip_links: bool,
    /// Do not update the address clusters after the import (`chaintrail cluster build` does it
    /// later; updates are incremental, so running them after each import costs little).
    #[arg(long)]
    skip_clusters: bool,
}

pub fn import(global: &Global, args: ImportArgs) -> anyhow::Result<()> {
    let bitcoin_etl;
    let importer = match (args.format.as_str(), args.network) {
        ("bitcoin-etl", Chain::Bitcoin(network)) => {
            bitcoin_etl = chaintrail_bitcoin::BitcoinEtl { network };
            &bitcoin_etl as &dyn Importer
        }
        ("bitcoin-etl", other) => bail!("--network {other} is not a Bitcoin network"),
        (name, _) => chaintrail_ingest::find_importer(IMPORTERS, name)?,
    };
    let store = Store::init(&global.data_dir)?;
    let total = std::fs::metadata(&args.path)
        .with_context(|| format!("cannot read {}", args.path.display()))?
        .len();
    let bar = progress_bar(total, "importing");
    // Importers count in their own unit (bytes, blocks or transactions).
    let on_progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let options = ImportOptions {
        checkpoint_every: args.checkpoint_every.max(1),
        on_progress: &on_progress,
    };
    let report = importer.import(&store, &args.path, &options)?;
    bar.finish_and_clear();
    let mut tables = vec![import_table(&report)];
    if !args.skip_links {
        let links = crate::links::refresh_after_import(&store)?;
        tables.push(crate::links::stats_table(&links.manifest));
    }
    if !args.skip_clusters {
        let clusters = crate::cluster::update_after_import(&store)?;
        tables.push(crate::cluster::report_table(&clusters));
    }
    emit(global.format(None), &report, &tables)
}

/// What an import or ingest did, as a table.
pub fn import_table(report: &chaintrail_ingest::ImportReport) -> Table {
    let mut table = Table::new(&[
        "chain",
        "source",
        "txs read",
        "resumed",
        "store txs",
        "records",
    ]);
    let t = &report.totals;
    table.row(vec![
        report.chain.to_string(),
        format!("{} ({})", report.source.display(), report.format),
        report.txs_read.to_string(),
        report.resumed.to_string(),
        t.txs.to_string(),
        (t.transfers + t.inputs + t.outputs).to_string(),
    ]);
    table
}

// ---- stats ----

#[derive(Args)]
pub struct StatsArgs {
    /// Only this chain.
    #[arg(long)]
    chain: Option<Chain>,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

pub fn stats_tables(stats: &[ChainStats]) -> Vec<Table> {
    let mut summary = Table::new(&[
        "chain",
        "model",
        "blocks",
        "txs",
        "records",
        "addresses",
        "assets",
        "B/record",
        "adjacency B/record",
        "tx-hash B/record",
        "dictionary B/address",
    ])
    .titled("Chains (records = transfers on account chains, inputs + outputs on UTXO chains)");
    let mut files = Table::new(&["chain", "file", "bytes"]).titled("Files");
    for s in stats {
        summary.row(vec![
            s.chain.to_string(),
            format!("{:?}", s.model).to_lowercase(),
            s.blocks.to_string(),
            s.txs.to_string(),
            s.records.to_string(),
            s.addresses.to_string(),
            s.assets.to_string(),
            format!("{:.2}", s.bytes_per_record),
            format!("{:.2}", s.adjacency_bytes_per_record),
            format!("{:.2}", s.tx_hash_bytes_per_record),
            format!("{:.2}", s.address_dictionary_bytes_per_address),
        ]);
        for f in &s.files {
            files.row(vec![
                s.chain.to_string(),
                f.name.clone(),
                f.bytes.to_string(),
            ]);
        }
    }
    vec![summary, files]
}

pub fn stats(global: &Global, args: StatsArgs) -> anyhow::Result<()> {
    let store = global.store()?;
    let stats = store.stats(args.chain)?;
    if stats.is_empty() {
        bail!(
            "the store at {} is empty: import data with `chaintrail import` or run `chaintrail demo`",
            store.dir().display()
        );
    }
    emit(global.format(args.format), &stats, &stats_tables(&stats))
}

// ---- address ----

#[derive(Args)]
pub struct AddressArgs {
    /// The address, in any valid form (EVM: any case with a correct EIP-55 checksum).
    address: String,
    /// The chain, when the address could be on several in the store.
    #[arg(long)]
    chain: Option<Chain>,
    /// How many counterparties to list.
    #[arg(long, default_value_t = 10)]
    top: usize,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

pub fn address(global: &Global, args: AddressArgs) -> anyhow::Result<()> {
    let store = global.store()?;
    let labels = chaintrail_labels::LabelStore::open(store.dir())?;
    let clusters = chaintrail_cluster::Clusters::open(&store)?;
    let views = chaintrail_query::address_views(
        &store,
        &labels,
        Some(&clusters),
        &args.address,
        args.chain,
        args.top,
    )?;
    let mut tables = Vec::new();
    for view in &views {
        let s = &view.summary;
        let mut overview =
            Table::new(&["field", "value"]).titled(format!("{} on {}", s.address, s.chain));
        let seen = |b: Option<chaintrail_core::BlockRef>| {
            b.map_or("-".to_string(), |b| {
                format!("block {} (t={})", b.height, b.timestamp)
            })
        };
        let report = &view.labels;
        let status = match (report.sanction_status, report.delisted_since) {
            (SanctionStatus::Sanctioned, _) => "SANCTIONED (OFAC SDN)".to_string(),
            (unknown @ SanctionStatus::Unknown { .. }, _) => format!("OFAC SDN status {unknown}"),
            (SanctionStatus::NotSanctioned, Some(date)) => {
                format!("delisted from OFAC SDN since {date}")
            }
            (SanctionStatus::NotSanctioned, None) if report.labels.is_empty() => {
                "no labels".to_string()
            }
            (SanctionStatus::NotSanctioned, None) => report
                .categories
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        };
        for (k, v) in [
            ("attribution", status),
            ("type", s.address_type.to_string()),
            ("incoming", s.incoming.to_string()),
            ("outgoing", s.outgoing.to_string()),
            ("first seen", seen(s.first_seen)),
            ("last seen", seen(s.last_seen)),
            (
                "cluster",
                view.cluster.as_ref().map_or_else(
                    || "- (no clusters built: `chaintrail cluster build`)".to_string(),
                    crate::cluster::describe,
                ),
            ),
        ] {
            overview.row(vec![k.to_string(), v]);
        }
        tables.push(overview);
        let mut balances = Table::new(&["asset", "received", "sent", "balance"]).titled("Balances");
        for b in &s.balances {
            balances.row(vec![
                b.asset.clone(),
                b.received.format_units(b.decimals),
                b.sent.format_units(b.decimals),
                b.balance_units.clone(),
            ]);
        }
        tables.push(balances);
        if !report.labels.is_empty() {
            let mut table = Table::new(&["label", "category", "source", "confidence", "status"])
                .titled("Labels");
            for l in &report.labels {
                table.row(vec![
                    l.label.name.clone(),
                    l.label.category.to_string(),
                    format!("{:?}", l.label.source).to_lowercase(),
                    l.label.confidence.to_string(),
                    l.status.clone(),
                ]);
            }
            tables.push(table);
        }
        let mut cps =
            Table::new(&["counterparty", "entity", "in", "out"]).titled("Top counterparties");
        for c in &s.top_counterparties {
            cps.row(vec![
                c.address.clone(),
                entity_of(&labels, &c.address),
                c.transfers_in.to_string(),
                c.transfers_out.to_string(),
            ]);
        }
        tables.push(cps);
    }
    emit(global.format(args.format), &views, &tables)
}

/// "Name (category)" of the strongest label of an address, or nothing.
fn entity_of(labels: &chaintrail_labels::LabelStore, address: &str) -> String {
    labels
        .lookup(address)
        .first()
        .map_or_else(String::new, |l| format!("{} ({})", l.name, l.category))
}

/// An address with its entity in brackets, for tables.
fn named(labels: &chaintrail_labels::LabelStore, address: &str) -> String {
    match entity_of(labels, address) {
        entity if entity.is_empty() => address.to_string(),
        entity => format!("{address} [{entity}]"),
    }
}

// ---- tx ----

#[derive(Args)]
pub struct TxArgs {
    /// Transaction hash (64 hex digits, 0x optional).
    hash: String,
    #[arg(long)]
    chain: Option<Chain>,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

pub fn tx(global: &Global, args: TxArgs) -> anyhow::Result<()> {
    let store = global.store()?;
    let labels = chaintrail_labels::LabelStore::open(store.dir())?;
    let hash: TxHash = args.hash.parse()?;
    let summary = chaintrail_query::find_tx(&store, &hash, args.chain)?
        .ok_or_else(|| chaintrail_query::QueryError::TxNotInStore(args.hash.clone()))?;
    let title = format!(
        "{} on {} in block {}{}",
        summary.hash,
        summary.chain,
        summary.block.height,
        summary
            .fee
            .map(|f| format!(", fee {f}"))
            .unwrap_or_default()
    );
    let mut tables = Vec::new();
    if summary.chain.model() == ChainModel::Account {
        let mut t = Table::new(&["#", "kind", "from", "to", "amount", "asset", "ok"]).titled(title);
        for line in &summary.transfers {
            t.row(vec![
                line.position.to_string(),
                line.kind.to_string(),
                line.from
                    .as_deref()
                    .map_or_else(|| "(none)".into(), |a| named(&labels, a)),
                line.to
                    .as_deref()
                    .map_or_else(|| "(none)".into(), |a| named(&labels, a)),
                line.value.units.clone(),
                line.value.asset.clone(),
                line.success.to_string(),
            ]);
        }
        tables.push(t);
    } else {
        let mut inputs = Table::new(&["#", "spends", "address", "value (sat)"]).titled(title);
        for i in &summary.inputs {
            inputs.row(vec![
                i.index.to_string(),
                if i.coinbase {
                    "coinbase".into()
                } else {
                    i.prevout.clone().unwrap_or_default()
                },
                i.address
                    .as_deref()
                    .map_or_else(|| "-".into(), |a| named(&labels, a)),
                i.value.map_or("-".into(), |v| v.to_string()),
            ]);
        }
        let mut outputs = Table::new(&["vout", "address", "type", "value (sat)", "spent by"]);
        for o in &summary.outputs {
            outputs.row(vec![
                o.vout.to_string(),
                named(&labels, &o.address),
                o.address_type.to_string(),
                o.value.to_string(),
                o.spent_by.clone().unwrap_or_else(|| "unspent".into()),
            ]);
        }
        tables.push(inputs);
        tables.push(outputs);
    }
    emit(global.format(args.format), &summary, &tables)
}

// ---- export ----

#[derive(Args)]
pub struct ExportArgs {
    /// Export format.
    #[arg(long, default_value = "parquet", value_parser = ["parquet"])]
    format: String,
    /// Directory to write into; one subdirectory per chain.
    #[arg(long, default_value = "chaintrail-export")]
    out: PathBuf,
    /// Only this chain.
    #[arg(long)]
    chain: Option<Chain>,
}

pub fn export(global: &Global, args: ExportArgs) -> anyhow::Result<()> {
    let store = global.store()?;
    let chains = match args.chain {
        Some(chain) => vec![chain],
        None => store.chains()?,
    };
    let mut exported = Vec::new();
    let mut table = Table::new(&["chain", "table", "rows", "bytes", "path"]);
    for chain in chains {
        let reader = store.reader(chain)?;
        let dir = args.out.join(chain.name());
        let spinner = ProgressBar::new_spinner().with_message(format!("exporting {chain}"));
        spinner.enable_steady_tick(Duration::from_millis(200));
        let tables = chaintrail_export::export_parquet(&reader, &dir)?;
        spinner.finish_and_clear();
        for t in &tables {
            table.row(vec![
                chain.to_string(),
                t.table.clone(),
                t.rows.to_string(),
                t.bytes.to_string(),
                t.path.display().to_string(),
            ]);
        }
        exported.extend(tables);
    }
    emit(global.format(None), &exported, &[table])
}
