//! `chaintrail watch`: the watchlist alerts are raised for (crate chaintrail-alert).

use chaintrail_alert::{CaseTrace, WatchEntry, WatchTarget, Watchlist};
use clap::{Args, Subcommand};

use crate::commands::Global;
use crate::output::{Format, Table, emit};

#[derive(Args)]
pub struct WatchArgs {
    #[command(subcommand)]
    command: WatchCommand,
    /// Output format (also accepted after the subcommand).
    #[arg(long, value_enum, global = true)]
    format: Option<Format>,
}

#[derive(Subcommand)]
enum WatchCommand {
    /// Watch an address, an entity, a cluster or a trace case.
    Add {
        #[command(subcommand)]
        target: AddTarget,
        /// A note shown with the entry and in its alerts' watch description.
        #[arg(long, global = true)]
        note: Option<String>,
    },
    /// The watch entries with their ids.
    List,
    /// Stop watching entry ID.
    Rm { id: String },
}

#[derive(Subcommand)]
enum AddTarget {
    /// One address: <chain>:<address>, e.g. ethereum:0x….
    Address { address: String },
    /// Every address attributed to an entity of this name (labels, service clusters).
    Entity { name: String },
    /// Every address of the cluster holding <chain>:<address>.
    Cluster { address: String },
    /// The tainted holders of a trace: its seeds and policy, re-traced as blocks arrive.
    Case {
        /// Where the stolen funds start: <chain>:<tx hash | address | txid:vout>. Repeatable.
        #[arg(long, required = true)]
        seed: Vec<String>,
        /// How tainted inflows map onto outflows.
        #[arg(long, default_value = "haircut", value_parser = ["poison", "haircut", "fifo", "lifo", "tiho"])]
        policy: String,
        /// Hops to follow from the seeds.
        #[arg(long, default_value_t = 20)]
        max_hops: u32,
        /// Dust threshold in whole units of the asset at each hop.
        #[arg(long, default_value = "0")]
        min_value: String,
    },
}

fn entries_table(entries: &[WatchEntry]) -> Table {
    let mut table = Table::new(&["id", "watches", "note"]);
    for entry in entries {
        table.row(vec![
            entry.id.clone(),
            entry.target.describe(),
            entry.note.clone().unwrap_or_default(),
        ]);
    }
    table
}

pub fn run(global: &Global, args: WatchArgs) -> anyhow::Result<()> {
    let format = args.format.or(global.format).unwrap_or(Format::Table);
    let mut watchlist = Watchlist::open(&global.data_dir)?;
    match args.command {
        WatchCommand::Add { target, note } => {
            let target = match target {
                AddTarget::Address { address } => WatchTarget::parse_address(&address)?,
                AddTarget::Entity { name } => WatchTarget::entity(&name)?,
                AddTarget::Cluster { address } => WatchTarget::parse_cluster(&address)?,
                AddTarget::Case {
                    seed,
                    policy,
                    max_hops,
                    min_value,
                } => WatchTarget::case(CaseTrace {
                    seeds: seed,
                    policy,
                    max_hops,
                    min_value,
                })?,
            };
            let entry = watchlist.add(target, note)?;
            emit(
                format,
                &entry,
                &[entries_table(std::slice::from_ref(&entry))],
            )
        }
        WatchCommand::List => {
            let entries = watchlist.entries();
            emit(format, &entries, &[entries_table(entries)])
        }
        WatchCommand::Rm { id } => {
            let removed = watchlist.remove(&id)?;
            emit(
                format,
                &removed,
                &[entries_table(std::slice::from_ref(&removed))],
            )
        }
    }
}
