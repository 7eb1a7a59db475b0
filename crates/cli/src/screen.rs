//! `chaintrail screen` (addresses, a CSV batch, or `build-index`) and `chaintrail serve`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use chaintrail_core::Chain;
use chaintrail_labels::{Date, IncidentLedger};
use chaintrail_screen::{Query, RuleTable, Screener, Screening};
use chaintrail_server::{AppState, Config};
use clap::{Args, Subcommand};

use crate::commands::Global;
use crate::output::{Format, Table, emit};

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ScreenArgs {
    #[command(subcommand)]
    command: Option<ScreenCommand>,
    /// Addresses to screen.
    addresses: Vec<String>,
    /// A CSV of addresses to screen: an `address` column (and optionally `chain`), or one
    /// address per line.
    #[arg(long)]
    file: Option<PathBuf>,
    /// The chain of the addresses; default: inferred from each address.
    #[arg(long)]
    chain: Option<String>,
    /// Screening date (YYYY-MM-DD): labels valid that day; default today.
    #[arg(long)]
    date: Option<Date>,
    /// Show the paths behind each exposure.
    #[arg(long)]
    paths: bool,
    /// More converter links an investigator knows (JSON lines), on top of the links the store
    /// derived from chain data.
    #[arg(long, global = true)]
    links: Option<PathBuf>,
    /// A risk rule table (TOML) in place of the built-in one (docs/exposure.md, "Rule table").
    #[arg(long, global = true)]
    rules: Option<PathBuf>,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(Subcommand)]
enum ScreenCommand {
    /// Precompute every address's exposure into <data-dir>/screen/exposure.idx; after imports
    /// that only appended blocks, only the addresses they can change are computed again.
    BuildIndex {
        /// The date to build for (YYYY-MM-DD); default today.
        #[arg(long)]
        date: Option<Date>,
        /// Worker threads; default all cores.
        #[arg(long)]
        threads: Option<usize>,
        /// Compute every address, even where an update of the existing index would do.
        #[arg(long)]
        full: bool,
    },
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Accepted API key (repeatable).
    #[arg(
        long = "api-key",
        env = "CHAINTRAIL_API_KEYS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    api_keys: Vec<String>,
    /// File of accepted API keys, one per line (# comments).
    #[arg(long)]
    api_key_file: Option<PathBuf>,
    /// Serve without API keys. Only for local use.
    #[arg(long)]
    open: bool,
    /// Requests per second per key (0 = unlimited).
    #[arg(long, default_value_t = 100)]
    rate_limit: u32,
    /// Largest request body in bytes.
    #[arg(long, default_value_t = 1 << 20)]
    max_body: usize,
    /// Most addresses in one batch request.
    #[arg(long, default_value_t = 1000)]
    max_batch: usize,
    /// Seconds to answer one request.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Allow browser calls from this origin (repeatable); CORS is off without it.
    #[arg(long = "cors-origin")]
    cors_origins: Vec<String>,
    /// Runtime worker threads; default all cores.
    #[arg(long)]
    workers: Option<usize>,
    /// More converter links (JSON lines) the exposure walk and /v1/trace cross, on top of the
    /// store's derived links.
    #[arg(long)]
    links: Option<PathBuf>,
    /// A risk rule table (TOML) in place of the built-in one; the Chainalysis- and TRM-shaped
    /// answers and /v1/rules follow it.
    #[arg(long)]
    rules: Option<PathBuf>,
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// The store's screener, with the extra links of `--links` and the rule table of `--rules`
/// when given.
fn open_screener(
    global: &Global,
    links: Option<&std::path::Path>,
    rules: Option<&std::path::Path>,
) -> anyhow::Result<Screener> {
    let screener = Screener::open(&global.data_dir)?;
    let screener = match links {
        Some(_) => screener.with_links(chaintrail_screen::load_links(&global.data_dir, links)?)?,
        None => screener,
    };
    Ok(match rules {
        Some(path) => screener.with_rules(RuleTable::load(path)?)?,
        None => screener,
    })
}

pub fn screen(global: &Global, args: ScreenArgs) -> anyhow::Result<()> {
    let mut screener = open_screener(global, args.links.as_deref(), args.rules.as_deref())?;
    if let Some(ScreenCommand::BuildIndex {
        date,
        threads,
        full,
    }) = args.command
    {
        let bar = crate::commands::progress_bar(0, "exposure index");
        // A build of a large store takes hours: without a terminal to draw the bar on, say
        // how far it got in the log (`-v`) at every whole percent.
        let logged = std::sync::atomic::AtomicU64::new(0);
        let report =
            screener.build_index(date, threads.unwrap_or_else(cores), full, &|done, total| {
                bar.set_length(total);
                bar.set_position(done);
                let percent = done * 100 / total.max(1);
                if bar.is_hidden()
                    && logged.fetch_max(percent, std::sync::atomic::Ordering::Relaxed) < percent
                {
                    tracing::info!(
                        done,
                        total,
                        "exposure index: {percent}% of the addresses computed"
                    );
                }
            })?;
        bar.finish_and_clear();
        let mut table = Table::new(&[
            "index",
            "date",
            "answers from",
            "until",
            "addresses",
            "with exposure",
            "computed",
            "truncated",
            "links",
            "seconds",
        ]);
        table.row(vec![
            report.path.display().to_string(),
            report.at.to_string(),
            report.valid_from.to_string(),
            report
                .valid_until
                .map_or_else(|| "-".to_string(), |d| d.to_string()),
            report.addresses.to_string(),
            report.with_exposure.to_string(),
            report.computed.to_string(),
            report.truncated.to_string(),
            report.links.to_string(),
            format!("{:.1}", report.seconds),
        ]);
        return emit(global.format.unwrap_or(Format::Table), &report, &[table]);
    }
    let at = args.date;
    let chain = args.chain.as_deref().map(str::parse::<Chain>).transpose()?;
    let mut items: Vec<(String, Option<Chain>)> =
        args.addresses.iter().map(|a| (a.clone(), chain)).collect();
    if let Some(file) = &args.file {
        items.extend(chaintrail_screen::read_batch(file, chain)?);
    }
    if items.is_empty() {
        bail!("give addresses to screen, --file addresses.csv, or `screen build-index`");
    }
    let mut results: Vec<Screening> = Vec::with_capacity(items.len());
    for (address, chain) in items {
        let query = Query {
            address: address.clone(),
            chain,
            at,
            paths: args.paths,
        };
        results.push(
            screener
                .screen(&query)
                .with_context(|| format!("screening {address}"))?,
        );
    }
    let format = args.format.or(global.format).unwrap_or(Format::Table);
    let mut summary = Table::new(&[
        "address",
        "chains",
        "risk",
        "sanctioned",
        "reason",
        "identified as",
        "origin",
    ]);
    let mut exposures = Table::new(&[
        "address",
        "category",
        "entity",
        "direction",
        "type",
        "hops",
        "usd",
        "share",
        "level",
        "rule",
    ])
    .titled("Exposures");
    for s in &results {
        summary.row(vec![
            s.address.clone(),
            s.chains
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" "),
            s.risk.as_str().to_string(),
            s.sanctions.to_string(),
            s.risk_reason.clone().unwrap_or_else(|| "-".to_string()),
            s.ownership
                .iter()
                .map(|o| format!("{} ({})", o.name, o.category))
                .collect::<Vec<_>>()
                .join("; "),
            format!("{:?}", s.origin).to_lowercase(),
        ]);
        for e in &s.exposures {
            exposures.row(vec![
                s.address.clone(),
                e.category.to_string(),
                e.entity.clone(),
                format!("{:?}", e.direction).to_lowercase(),
                format!("{:?}", e.exposure_type).to_lowercase(),
                e.min_hops.to_string(),
                format!("{:.2}", e.usd),
                format!("{:.4}", e.share),
                if e.listing_unknown {
                    format!("{} (listing date unknown)", e.level.as_str())
                } else {
                    e.level.as_str().to_string()
                },
                match (&e.rule, e.alert) {
                    (Some(rule), true) => format!("{rule} (alert)"),
                    (Some(rule), false) => rule.clone(),
                    (None, _) => "-".to_string(),
                },
            ]);
        }
    }
    let tables = match format {
        Format::Csv => vec![summary],
        _ => vec![summary, exposures],
    };
    emit(format, &results, &tables)
}

pub fn serve(global: &Global, args: ServeArgs) -> anyhow::Result<()> {
    let keys = chaintrail_server::api_keys(&args.api_keys, args.api_key_file.as_deref())?;
    let screener = open_screener(global, args.links.as_deref(), args.rules.as_deref())?;
    let incidents = IncidentLedger::open(&global.data_dir)?;
    let index = format!(
        "{}; {} known links; rules {}",
        screener.index_status(),
        screener.links().len(),
        screener.rules().source_text()
    );
    let config = Config {
        keys,
        open: args.open,
        rate_limit: args.rate_limit,
        max_body: args.max_body,
        max_batch: args.max_batch,
        timeout: Duration::from_secs(args.timeout.max(1)),
        cors_origins: args.cors_origins,
    };
    let state = AppState::new(screener, incidents, config)?;
    chaintrail_server::serve_blocking(
        &args.listen,
        state,
        args.workers.unwrap_or_else(cores),
        |addr| {
            eprintln!(
                "chaintrail serving on http://{addr} (exposure index: {index}; OpenAPI at /openapi.json)"
            );
        },
    )?;
    Ok(())
}
