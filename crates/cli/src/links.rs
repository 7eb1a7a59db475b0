//! `chaintrail links build|stats|show`: converter links derived from chain data.

use anyhow::Context;
use chaintrail_links::{Build, Manifest};
use chaintrail_store::Store;
use clap::{Args, Subcommand};

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
            let shown = chaintrail_links::derived_about(store.dir(), &what)?;
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
            if shown.is_empty() {
                anyhow::bail!(
                    "nothing derived about `{what}`: no link or pending inbound has that transaction, no attribution that address (run `chaintrail links build` after importing)"
                );
            }
            emit(format, &shown, &[links, pending, derived])
        }
    }
}
