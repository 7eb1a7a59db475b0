//! `chaintrail cluster build|show|stats|export|export-inputs|partition-inputs`: address clusters
//! (entities) with the evidence of every merge, and the multi-input heuristic's input sets for
//! comparing with other clusterings.

use anyhow::{Context, bail};
use chaintrail_cluster::{ChainReport, ClusterInfo, Clusters, Merge, Mode, Settings};
use chaintrail_core::Chain;
use chaintrail_store::Store;
use clap::{Args, Subcommand};

use crate::commands::Global;
use crate::output::{Format, Table, emit};

#[derive(Args)]
pub struct ClusterArgs {
    #[command(subcommand)]
    command: ClusterCommand,
}

#[derive(Subcommand)]
enum ClusterCommand {
    /// Rebuild every chain's clusters from the first transaction (every import updates them
    /// incrementally).
    Build(BuildArgs),
    /// The cluster of an address: size, first/last seen, the service it is, how it joined.
    Show {
        /// The address.
        address: String,
        /// The chain, when the address could be on several.
        #[arg(long)]
        chain: Option<Chain>,
        /// Every merge of the cluster with its transaction, heuristic and confidence, and its
        /// members.
        #[arg(long)]
        evidence: bool,
    },
    /// Per chain: clusters, merges per heuristic, CoinJoins, conflicts and collapses.
    Stats,
    /// The partition of a chain as CSV lines `address,cluster_id`.
    Export {
        /// The chain.
        #[arg(long)]
        chain: Chain,
    },
    /// Write the multi-input heuristic's input of a UTXO chain to a file: per transaction that
    /// is not a coinbase or a CoinJoin, its distinct input address ids (format:
    /// crates/cluster/src/inputs.rs). GraphSense's clustering reads the same file
    /// (docs/benchmarks.md).
    ExportInputs {
        /// The chain.
        #[arg(long)]
        chain: Chain,
        /// The file to write.
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Cluster an input-set file with this crate's union-find, in memory, and print the counts
    /// and the seconds reading and clustering took (JSON). Needs no store.
    PartitionInputs {
        /// A file of `cluster export-inputs`.
        file: std::path::PathBuf,
    },
}

#[derive(serde::Serialize)]
struct InputPartition {
    #[serde(flatten)]
    counts: chaintrail_cluster::inputs::InputSetCounts,
    multi_address_clusters: usize,
    read_seconds: f64,
    cluster_seconds: f64,
}

#[derive(Args)]
struct BuildArgs {
    /// Merge change outputs into the partition from this confidence on (0..=1); by default
    /// change guesses are kept as evidence only.
    #[arg(long)]
    change_threshold: Option<f64>,
    /// Switch change heuristics off: any of address-type, round-amount, fresh-address,
    /// optimal-change, peel-chain, fingerprint (repeatable).
    #[arg(long = "no-change", value_name = "HEURISTIC")]
    no_change: Vec<String>,
    /// Do not merge the senders of Ethereum deposit addresses.
    #[arg(long)]
    no_deposit_reuse: bool,
    /// Do not look for airdrop farms (account chains).
    #[arg(long, conflicts_with = "airdrop_apply")]
    no_airdrop: bool,
    /// Let airdrop-farm merges into the partition (by default they are evidence only).
    #[arg(long)]
    airdrop_apply: bool,
    /// An airdrop pays the same amount of a token to at least this many addresses.
    #[arg(long, default_value_t = 1_000)]
    airdrop_min_recipients: u32,
    /// The plain multi-input partition: no labels, change or deposit merges (what GraphSense
    /// and BlockSci compute).
    #[arg(long)]
    multi_input_only: bool,
    /// Report components growing past this many addresses.
    #[arg(long, default_value_t = 10_000)]
    collapse_addresses: u32,
    /// …or past this share of the addresses seen so far.
    #[arg(long, default_value_t = 0.01)]
    collapse_share: f64,
}

impl BuildArgs {
    fn settings(&self) -> anyhow::Result<Settings> {
        let mut settings = if self.multi_input_only {
            Settings::multi_input_only()
        } else {
            Settings::default()
        };
        settings.change.apply_at = self.change_threshold;
        settings.deposit_reuse &= !self.no_deposit_reuse;
        settings.airdrop.detect &= !self.no_airdrop;
        settings.airdrop.apply = self.airdrop_apply;
        settings.airdrop.min_recipients = self.airdrop_min_recipients;
        settings.collapse_addresses = self.collapse_addresses;
        settings.collapse_share = self.collapse_share;
        for name in &self.no_change {
            match name.as_str() {
                "address-type" => settings.change.address_type = false,
                "round-amount" => settings.change.round_amount = false,
                "fresh-address" => settings.change.fresh_address = false,
                "optimal-change" => settings.change.optimal_change = false,
                "peel-chain" => settings.change.peel_chain = false,
                "fingerprint" => settings.change.fingerprint = false,
                other => bail!(
                    "--no-change {other}: not a change heuristic (address-type, round-amount, fresh-address, optimal-change, peel-chain, fingerprint)"
                ),
            }
        }
        Ok(settings)
    }
}

/// One line per chain of an update.
pub fn report_table(reports: &[ChainReport]) -> Table {
    let mut table = Table::new(&[
        "chain",
        "txs clustered",
        "rebuilt",
        "clusters (≥2)",
        "clustered addresses",
        "largest",
        "new conflicts",
        "new collapses",
        "seconds",
    ])
    .titled("Clusters");
    for r in reports {
        let m = &r.manifest;
        table.row(vec![
            r.chain.to_string(),
            r.txs.to_string(),
            r.rebuilt
                .clone()
                .unwrap_or_else(|| "no (incremental)".to_string()),
            m.clusters.to_string(),
            m.clustered_addresses.to_string(),
            m.largest.1.to_string(),
            r.new_conflicts.len().to_string(),
            r.new_collapses.len().to_string(),
            format!("{:.2}", r.seconds),
        ]);
    }
    table
}

/// Update the clusters after an import; a failure leaves the import itself intact.
pub fn update_after_import(store: &Store) -> anyhow::Result<Vec<ChainReport>> {
    chaintrail_cluster::refresh(store, None, Mode::Incremental).context(
        "the import succeeded, but updating the clusters failed (retry with `chaintrail cluster build`)",
    )
}

fn merge_row(m: &Merge) -> Vec<String> {
    let heuristic = if m.detail.is_empty() {
        m.heuristic.name().to_string()
    } else {
        format!("{} ({})", m.heuristic.name(), m.detail.join(", "))
    };
    vec![
        m.tx.clone(),
        heuristic,
        m.confidence.to_string(),
        if m.applied {
            "yes"
        } else {
            "no (evidence only)"
        }
        .to_string(),
        m.a.clone(),
        m.b.clone(),
    ]
}

/// What the cluster column of `chaintrail address` says: the cluster, its size and service.
pub fn describe(info: &ClusterInfo) -> String {
    let mut text = format!("#{} ({} address(es))", info.cluster, info.size);
    if let Some(label) = &info.label {
        text.push_str(&format!(
            ", {} ({}) via labelled {}",
            label.name, label.role, label.labelled_address
        ));
    }
    if let Some(j) = &info.joined_by {
        text.push_str(&format!(
            ", joined by {} in tx {}",
            j.heuristic.name(),
            j.tx
        ));
    }
    if info.not_yet_clustered {
        text.push_str(" (not clustered yet: run `chaintrail cluster build`)");
    }
    text
}

/// Where the labels of the address carrying a cluster's label come from: "source dataset
/// (file:line)" per label with a role.
fn label_provenance(labels: &chaintrail_labels::LabelStore, address: &str) -> String {
    let sources: Vec<String> = labels
        .lookup(address)
        .into_iter()
        .filter(|l| l.role.is_some())
        .map(|l| {
            format!(
                "{} {} ({}:{})",
                format!("{:?}", l.source).to_lowercase(),
                l.dataset,
                l.file,
                l.line
            )
        })
        .collect();
    if sources.is_empty() {
        "-".to_string()
    } else {
        sources.join("; ")
    }
}

fn info_table(info: &ClusterInfo, labels: &chaintrail_labels::LabelStore) -> Table {
    let mut table = Table::new(&["field", "value"])
        .titled(format!("Cluster of {} on {}", info.address, info.chain));
    let time = |t: Option<u64>| t.map_or("-".to_string(), |t| format!("t={t}"));
    let label = info.label.as_ref().map_or("-".to_string(), |l| {
        format!(
            "{} ({}), labelled address {}",
            l.name, l.role, l.labelled_address
        )
    });
    let joined = info.joined_by.as_ref().map_or(
        "- (alone, or only by later merges of others)".to_string(),
        |j| {
            format!(
                "{} in tx {} (confidence {})",
                j.heuristic.name(),
                j.tx,
                j.confidence
            )
        },
    );
    for (k, v) in [
        (
            "cluster",
            format!("#{} ({})", info.cluster, info.cluster_address),
        ),
        ("size", info.size.to_string()),
        ("first seen", time(info.first_seen)),
        ("last seen", time(info.last_seen)),
        ("service", label),
        (
            "label provenance",
            info.label.as_ref().map_or("-".to_string(), |l| {
                label_provenance(labels, &l.labelled_address)
            }),
        ),
        ("joined by", joined),
    ] {
        table.row(vec![k.to_string(), v]);
    }
    table
}

#[derive(serde::Serialize)]
struct Shown {
    #[serde(flatten)]
    info: ClusterInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<Vec<Merge>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    members: Option<Vec<String>>,
}

pub fn run(global: &Global, args: ClusterArgs) -> anyhow::Result<()> {
    let open_store = || Store::open(&global.data_dir);
    let format = global.format.unwrap_or(Format::Table);
    match args.command {
        ClusterCommand::Build(build) => {
            let store = open_store()?;
            let settings = build.settings()?;
            let reports = chaintrail_cluster::refresh(&store, Some(&settings), Mode::Rebuild)?;
            emit(format, &reports, &[report_table(&reports)])
        }
        ClusterCommand::Show {
            address,
            chain,
            evidence,
        } => {
            let store = open_store()?;
            let clusters = open(&store)?;
            let labels = chaintrail_labels::LabelStore::open(store.dir())?;
            let found = clusters.find(&address, chain);
            if found.is_empty() {
                bail!("{address} is not in a clustered chain of the store");
            }
            let mut tables = Vec::new();
            let mut shown = Vec::new();
            for info in found {
                tables.push(info_table(&info, &labels));
                let (mut merges, mut members) = (None, None);
                if evidence {
                    let list = clusters.evidence(info.chain, info.cluster);
                    let mut table = Table::new(&[
                        "tx",
                        "heuristic",
                        "confidence",
                        "in partition",
                        "address",
                        "with",
                    ])
                    .titled("Evidence");
                    for m in &list {
                        table.row(merge_row(m));
                    }
                    tables.push(table);
                    let names = clusters.members(info.chain, info.cluster);
                    let mut table = Table::new(&["address"]).titled("Members");
                    for name in &names {
                        table.row(vec![name.clone()]);
                    }
                    tables.push(table);
                    (merges, members) = (Some(list), Some(names));
                }
                shown.push(Shown {
                    info,
                    evidence: merges,
                    members,
                });
            }
            emit(format, &shown, &tables)
        }
        ClusterCommand::Stats => {
            let store = open_store()?;
            let clusters = open(&store)?;
            let manifests = clusters.manifests();
            let mut table = Table::new(&["chain", "counter", "value"]).titled("Clusters");
            for m in &manifests {
                for (k, v) in [
                    ("clustered up to tx", m.next_tx.to_string()),
                    ("addresses", m.addresses.saturating_sub(1).to_string()),
                    ("clusters (≥2 addresses)", m.clusters.to_string()),
                    ("addresses in them", m.clustered_addresses.to_string()),
                    (
                        "largest",
                        format!("#{} ({} addresses)", m.largest.0, m.largest.1),
                    ),
                    ("evidence records", m.evidence_records.to_string()),
                ] {
                    table.row(vec![m.chain.to_string(), k.to_string(), v]);
                }
                for (k, v) in &m.counts {
                    table.row(vec![m.chain.to_string(), k.clone(), v.to_string()]);
                }
            }
            let mut tables = vec![table];
            for m in &manifests {
                let mut conflicts =
                    Table::new(&["tx", "heuristic", "address", "label", "with", "label"])
                        .titled(format!("Refused merges on {}", m.chain));
                for c in clusters.conflicts(&store, m.chain)? {
                    conflicts.row(vec![
                        c.tx,
                        c.heuristic.name().to_string(),
                        c.a,
                        c.label_a,
                        c.b,
                        c.label_b,
                    ]);
                }
                tables.push(conflicts);
                let mut collapses = Table::new(&[
                    "tx",
                    "heuristic",
                    "address",
                    "with",
                    "sizes before",
                    "size",
                    "threshold",
                ])
                .titled(format!("Collapse reports on {}", m.chain));
                for c in clusters.collapses(&store, m.chain)? {
                    collapses.row(vec![
                        c.tx,
                        c.heuristic.name().to_string(),
                        c.a,
                        c.b,
                        format!("{} + {}", c.sizes_before[0], c.sizes_before[1]),
                        c.size.to_string(),
                        c.threshold.to_string(),
                    ]);
                }
                tables.push(collapses);
            }
            emit(format, &manifests, &tables)
        }
        ClusterCommand::ExportInputs { chain, out } => {
            let store = open_store()?;
            let counts = chaintrail_cluster::inputs::write_input_sets(&store.reader(chain)?, &out)?;
            let mut table =
                Table::new(&["file", "address count", "sets", "ids"]).titled("Input sets");
            table.row(vec![
                out.display().to_string(),
                counts.address_count.to_string(),
                counts.sets.to_string(),
                counts.ids.to_string(),
            ]);
            emit(format, &counts, &[table])
        }
        ClusterCommand::PartitionInputs { file } => partition_inputs(&file),
        ClusterCommand::Export { chain } => {
            let store = open_store()?;
            let clusters = open(&store)?;
            if !clusters.manifests().iter().any(|m| m.chain == chain) {
                bail!("{chain} has no clusters: run `chaintrail cluster build`");
            }
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            use std::io::Write;
            writeln!(out, "address,cluster_id")?;
            for (address, cluster) in clusters.partition(chain) {
                writeln!(out, "{address},{cluster}")?;
            }
            out.flush()?;
            Ok(())
        }
    }
}

/// `cluster partition-inputs`: needs no store.
fn partition_inputs(file: &std::path::Path) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let sets = chaintrail_cluster::inputs::InputSets::open(file)?;
    let read_seconds = started.elapsed().as_secs_f64();
    let started = std::time::Instant::now();
    let partition = sets.partition();
    let cluster_seconds = started.elapsed().as_secs_f64();
    let report = InputPartition {
        counts: sets.counts(),
        multi_address_clusters: chaintrail_cluster::inputs::multi_address_clusters(&partition),
        read_seconds,
        cluster_seconds,
    };
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

fn open(store: &Store) -> anyhow::Result<Clusters> {
    let clusters = Clusters::open(store)?;
    if clusters.is_empty() {
        bail!("no clusters were built for this store yet: run `chaintrail cluster build`");
    }
    Ok(clusters)
}
