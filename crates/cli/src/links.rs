//! `chaintrail links build|stats|show`: converter links derived from chain data.

use anyhow::Context;
use chaintrail_core::{Address, TxHash};
use chaintrail_links::{Attribution, Build, Link, Manifest, Pending};
use chaintrail_store::Store;
use clap::{Args, Subcommand};
use serde::Serialize;

use crate::commands::Global;
use crate::output::{Format, Table, emit};

#[derive(Args)]
pub struct LinksArgs {
    #[command(subcommand)]
    command: LinksCommand,
}

#[derive(Subcommand)]
enum LinksCommand {
    /// Decode bridge joins and pending inbounds, detect deposit addresses, and store them (every
    /// import runs this too).
    Build,
    /// Links, pending inbounds and attributions per decoder, from the last build.
    Stats,
    /// The links and pending inbounds of a transaction, or what was derived about an address.
    Show {
        /// A transaction hash or an address.
        what: String,
    },
}

/// The per-decoder table of a manifest.
pub fn stats_table(manifest: &Manifest) -> Table {
    let mut table = Table::new(&[
        "decoder",
        "decoded",
        "links",
        "pending",
        "attributions",
        "unmatched",
    ])
    .titled(format!(
        "Links version {} (fingerprint {}; {} CoinJoins kept out of co-spends, {} merges of two labelled services refused)",
        manifest.version, manifest.fingerprint, manifest.coinjoins, manifest.refused_merges
    ));
    for (name, s) in &manifest.decoders {
        table.row(vec![
            name.clone(),
            s.decoded.to_string(),
            s.links.to_string(),
            s.pending.to_string(),
            s.attributions.to_string(),
            s.unmatched.to_string(),
        ]);
    }
    table
}

/// Rebuild the store's links after an import; a failure leaves the import itself intact.
pub fn refresh_after_import(store: &Store) -> anyhow::Result<Build> {
    chaintrail_links::refresh(store).context(
        "the import succeeded, but deriving links failed (retry with `chaintrail links build`)",
    )
}

#[derive(Serialize)]
struct Shown<'a> {
    links: Vec<&'a Link>,
    pending: Vec<&'a Pending>,
    attributions: Vec<&'a Attribution>,
}

pub fn run(global: &Global, args: LinksArgs) -> anyhow::Result<()> {
    let store = Store::open(&global.data_dir)?;
    let format = global.format.unwrap_or(Format::Table);
    match args.command {
        LinksCommand::Build => {
            let build = chaintrail_links::refresh(&store)?;
            emit(format, &build.manifest, &[stats_table(&build.manifest)])
        }
        LinksCommand::Stats => {
            let manifest = chaintrail_links::store::manifest(store.dir())?
                .context("no links were built for this store yet: run `chaintrail links build`")?;
            emit(format, &manifest, &[stats_table(&manifest)])
        }
        LinksCommand::Show { what } => {
            let set = chaintrail_links::store::load(store.dir())?;
            let attributions = chaintrail_links::store::load_attributions(store.dir())?;
            let hash: Option<TxHash> = what.parse().ok();
            let address = Address::parse_any(&what).ok().map(|(_, a)| a.to_string());
            let shown = Shown {
                links: set
                    .links()
                    .iter()
                    .filter(|l| {
                        hash.is_some_and(|h| l.from_tx == h || l.to_tx == h)
                            || (address.is_some() && l.to_address.as_deref() == address.as_deref())
                    })
                    .collect(),
                pending: set
                    .pending_inbounds()
                    .iter()
                    .filter(|p| hash.is_some_and(|h| p.tx == h))
                    .collect(),
                attributions: attributions
                    .iter()
                    .filter(|a| {
                        address
                            .as_deref()
                            .is_some_and(|t| a.address.eq_ignore_ascii_case(t))
                    })
                    .collect(),
            };
            let mut links = Table::new(&[
                "kind",
                "via",
                "from",
                "to",
                "to address",
                "confidence",
                "evidence",
            ])
            .titled("Links");
            for l in &shown.links {
                links.row(vec![
                    l.kind.clone(),
                    l.via.clone(),
                    format!("{}:{}", l.from_chain, l.from_tx),
                    format!("{}:{}", l.to_chain, l.to_tx),
                    l.to_address.clone().unwrap_or_default(),
                    l.confidence.to_string(),
                    l.evidence.clone(),
                ]);
            }
            let mut pending =
                Table::new(&["via", "inbound", "since", "evidence"]).titled("Pending inbounds");
            for p in &shown.pending {
                pending.row(vec![
                    p.via.clone(),
                    format!("{}:{}", p.chain, p.tx),
                    p.time.to_string(),
                    p.evidence.clone(),
                ]);
            }
            let mut derived = Table::new(&[
                "address",
                "role",
                "entity",
                "detector",
                "confidence",
                "evidence",
            ])
            .titled("Derived attributions");
            for a in &shown.attributions {
                derived.row(vec![
                    a.address.clone(),
                    a.role.to_string(),
                    a.name.clone(),
                    a.detector.clone(),
                    a.confidence.to_string(),
                    a.evidence.clone(),
                ]);
            }
            if shown.links.is_empty() && shown.pending.is_empty() && shown.attributions.is_empty() {
                anyhow::bail!(
                    "nothing derived about `{what}`: no link or pending inbound has that transaction, no attribution that address (run `chaintrail links build` after importing)"
                );
            }
            emit(format, &shown, &[links, pending, derived])
        }
    }
}
