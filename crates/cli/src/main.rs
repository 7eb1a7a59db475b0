//! The `chaintrail` command: a thin shell over the library crates. Each subcommand parses its
//! arguments, calls one library function and renders the result; no forensics logic lives here.

mod bench;
mod bench_world;
mod cluster;
mod commands;
mod demo;
mod follow;
mod ingest;
mod labels;
mod links;
mod output;
mod report;
mod screen;
mod trace;
mod verify;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::output::Format;

const ABOUT: &str = "Open blockchain forensics: ingest Bitcoin and EVM chains into one local store, \
attribute and trace funds, screen addresses.";

const AFTER_HELP: &str = "Start with `chaintrail demo`: it builds a store in ./chaintrail-data and \
shows what is in it. Then try `chaintrail stats`, `chaintrail address <ADDR>` and `chaintrail tx <HASH>`.";

#[derive(Parser)]
#[command(name = "chaintrail", version, about = ABOUT, after_help = AFTER_HELP)]
struct Cli {
    /// Store directory.
    #[arg(long, global = true, env = "CHAINTRAIL_DATA", default_value = chaintrail_store::DEFAULT_DATA_DIR)]
    data_dir: PathBuf,

    /// Output format of results (also accepted after the subcommand where it means output).
    #[arg(long, value_enum)]
    format: Option<Format>,

    /// More log output (-v info, -vv debug, -vvv trace). Logs go to stderr.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a world with heists into a fresh data dir, trace them and write a report.
    Demo(demo::DemoArgs),
    /// Write a simulated world as ethereum-etl / bitcoin-etl exports with ground truth and labels.
    Sim(demo::SimArgs),
    /// Create an empty store (idempotent).
    Init,
    /// Read a chain from a node or from its files (EVM JSON-RPC; Bitcoin blk*.dat or RPC).
    Ingest(ingest::IngestArgs),
    /// Import data from files into the store; resumes where an interrupted import stopped.
    Import(commands::ImportArgs),
    /// Follow a chain's head into the store, rolling back reorgs (node RPC or Core's block files).
    Follow(follow::FollowArgs),
    /// Rows per table, bytes per record and id counts, per chain.
    Stats(commands::StatsArgs),
    /// Balances, activity and top counterparties of an address.
    Address(commands::AddressArgs),
    /// A transaction's transfers, or its inputs and outputs and fee.
    Tx(commands::TxArgs),
    /// Export the canonical tables (Parquet, ethereum-etl / bitcoin-etl column names).
    Export(commands::ExportArgs),
    /// Follow funds forward with an explicit taint policy; every amount with its path.
    Trace(trace::TraceArgs),
    /// Screen addresses: risk, identifications, direct and indirect exposure; `screen build-index`.
    Screen(screen::ScreenArgs),
    /// Serve the HTTP API (Chainalysis- and TRM-compatible screening, native API, OpenAPI).
    Serve(screen::ServeArgs),
    /// Score the tracer against a simulated world's ground truth (recall, precision per heist and policy).
    Eval(demo::EvalArgs),
    /// Attribution: import OFAC SDN snapshots, TagPacks, explorer/Forta/Tornado label sets;
    /// show an address's labels; export TagPacks.
    Labels(labels::LabelsArgs),
    /// Watchlists for alerts: addresses, entities, clusters and trace cases (`watch add|list|rm`).
    Watch(watch::WatchArgs),
    /// The incident ledger: import, list, show, tallies (DPRK per year vs published totals).
    Incidents(labels::IncidentsArgs),
    /// Converter links derived from chain data (bridge memos and events, pending inbounds,
    /// exchange deposit addresses): build, stats, show.
    Links(links::LinksArgs),
    /// Address clusters (entities): build, show an address's cluster with its evidence, stats,
    /// export a partition.
    Cluster(cluster::ClusterArgs),
    /// Measure the store: append and scan throughput, bytes per record.
    Bench(bench::BenchArgs),
    /// Check every byte of the store against its checksums and name what is damaged.
    VerifyStore(verify::VerifyArgs),
    /// A report on a case or seeds: flow chart, where the value went, every policy side by
    /// side, the method, and a citation for every transaction (HTML, PDF or JSON).
    Report(report::ReportArgs),
    /// Freeze-request packs: per exchange reached, its deposits (CSV, JSON), the paths to them
    /// and a letter.
    FreezePack(report::FreezePackArgs),
    /// Re-check every citation of a JSON report or freeze pack against a node; names the line
    /// and field of each mismatch.
    VerifyReport(report::VerifyReportArgs),
    /// Saved traces with notes: new, list, show (export as JSON).
    Case(report::CaseArgs),
}

fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("CHAINTRAIL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let global = commands::Global {
        data_dir: cli.data_dir,
        format: cli.format,
    };
    let result = match cli.command {
        Command::Demo(args) => demo::demo(&global, args),
        Command::Sim(args) => demo::sim(&global, args),
        Command::Init => commands::init(&global),
        Command::Ingest(args) => ingest::run(&global, args),
        Command::Import(args) => commands::import(&global, args),
        Command::Follow(args) => follow::run(&global, args),
        Command::Stats(args) => commands::stats(&global, args),
        Command::Address(args) => commands::address(&global, args),
        Command::Tx(args) => commands::tx(&global, args),
        Command::Export(args) => commands::export(&global, args),
        Command::Trace(args) => trace::run(&global, args),
        Command::Screen(args) => screen::screen(&global, args),
        Command::Serve(args) => screen::serve(&global, args),
        Command::Eval(args) => demo::eval(&global, args),
        Command::Labels(args) => labels::labels(&global.data_dir, global.format, args),
        Command::Watch(args) => watch::run(&global, args),
        Command::Incidents(args) => labels::incidents(&global.data_dir, global.format, args),
        Command::Links(args) => links::run(&global, args),
        Command::Cluster(args) => cluster::run(&global, args),
        Command::Bench(args) => bench::run(&global, args),
        Command::VerifyStore(args) => verify::run(&global, args),
        Command::Report(args) => report::report(&global, args),
        Command::FreezePack(args) => report::freeze_pack(&global, args),
        Command::VerifyReport(args) => report::verify_report(&global, args),
        Command::Case(args) => report::case(&global, args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let mut message = err.to_string();
            for cause in err.chain().skip(1) {
                // Many errors already name their source in their own text.
                let cause = cause.to_string();
                if !message.ends_with(&cause) {
                    message.push_str(": ");
                    message.push_str(&cause);
                }
            }
            eprintln!("error: {message}");
            if let Some(hint) = commands::hint_for(&err) {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(1)
        }
    }
}
