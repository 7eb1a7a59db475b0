//! `chaintrail trace`: follow funds with an explicit taint policy.

use anyhow::Context;
use chaintrail_labels::LabelStore;
use chaintrail_store::Store;
use chaintrail_trace::{EndpointKind, Policy, Prices, Seed, TraceReport, TraceRequest};
use clap::{Args, ValueEnum};

use crate::commands::Global;
use crate::output::{Format, Table, emit};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TraceFormat {
    Table,
    Json,
    Csv,
    Dot,
    Gexf,
}

#[derive(Args)]
pub struct TraceArgs {
    /// Where to start: <chain>:<tx hash | address | txid:vout>. Repeatable.
    #[arg(long, required = true)]
    seed: Vec<String>,
    /// Trace only this much of the seed, in whole units of --asset (e.g. 12.5).
    #[arg(long)]
    amount: Option<String>,
    /// The seed's asset: native, a token contract, or a symbol the store knows.
    #[arg(long)]
    asset: Option<String>,
    /// How tainted inflows map onto outflows.
    #[arg(long, default_value = "haircut", value_parser = ["poison", "haircut", "fifo", "lifo", "tiho"])]
    policy: String,
    /// Hops to follow; what lies further is reported as cut by the limit.
    #[arg(long, default_value_t = 20)]
    max_hops: u32,
    /// Dust threshold in whole units of the asset at each hop; smaller tainted amounts are
    /// reported as dust, not followed.
    #[arg(long, default_value = "0")]
    min_value: String,
    /// Follow no flows after this date (YYYY-MM-DD, UTC end of day) or Unix time.
    #[arg(long, value_parser = chaintrail_trace::parse_until)]
    until: Option<u64>,
    /// Trace provenance (where funds came from) instead of destination.
    #[arg(long)]
    backward: bool,
    /// More converter links an investigator knows (JSON lines, one link each), on top of the
    /// links the store derived from chain data (`chaintrail links build`).
    #[arg(long)]
    links: Option<std::path::PathBuf>,
    /// Cross converter links (bridge joins, demixing) only at or above this confidence; below
    /// it the value is reported in the converter.
    #[arg(long, default_value_t = chaintrail_trace::DEFAULT_MIN_CONFIDENCE)]
    min_confidence: f64,
    /// Work budget in events; what it leaves unexplored is reported.
    #[arg(long, default_value_t = 20_000_000)]
    budget: u64,
    #[arg(long, value_enum)]
    format: Option<TraceFormat>,
}

/// The store's derived links plus the file named by `--links`.
pub fn load_links(
    data_dir: &std::path::Path,
    explicit: Option<&std::path::Path>,
) -> anyhow::Result<chaintrail_trace::LinkSet> {
    Ok(chaintrail_links::store::load_with_file(data_dir, explicit)?)
}

pub fn run(global: &Global, args: TraceArgs) -> anyhow::Result<()> {
    let store = Store::open(&global.data_dir)?;
    let readers = store.readers()?;
    let policy: Policy = args.policy.parse()?;
    let mut seeds = Vec::new();
    for text in &args.seed {
        let mut seed: Seed = text.parse()?;
        seed.asset = args.asset.clone();
        if let Some(amount) = &args.amount {
            let reader = readers
                .get(&seed.chain)
                .with_context(|| format!("the store has no data for {}", seed.chain))?;
            seed.amount = Some(chaintrail_trace::amount_in_units(
                reader,
                args.asset.as_deref(),
                amount,
            )?);
        }
        seeds.push(seed);
    }
    let request = TraceRequest {
        seeds,
        policy,
        max_hops: args.max_hops,
        min_value: args.min_value.clone(),
        until: args.until,
        backward: args.backward,
        budget: args.budget,
        min_confidence: args.min_confidence,
        ..TraceRequest::default()
    };
    let labels = LabelStore::open(store.dir())?;
    let links = load_links(store.dir(), args.links.as_deref())?;
    let prices = Prices::for_store(store.dir()).map_err(anyhow::Error::msg)?;
    let clusters = chaintrail_cluster::Clusters::open(&store)?;
    let attribution = chaintrail_trace::WithClusters {
        labels: &labels,
        clusters: &clusters,
    };
    let report =
        chaintrail_trace::trace_with(&readers, &attribution, &prices, &[&links], &request)?;
    let format = match (args.format, global.format) {
        (Some(f), _) => f,
        (None, Some(Format::Json)) => TraceFormat::Json,
        (None, Some(Format::Csv)) => TraceFormat::Csv,
        _ => TraceFormat::Table,
    };
    match format {
        TraceFormat::Dot => print!("{}", chaintrail_trace::graph::to_dot(&report)),
        TraceFormat::Gexf => print!("{}", chaintrail_trace::graph::to_gexf(&report)),
        TraceFormat::Json => emit(Format::Json, &report, &[])?,
        TraceFormat::Table => emit(Format::Table, &report, &report_tables(&report, 3))?,
        TraceFormat::Csv => emit(Format::Csv, &report, &report_tables(&report, 0)[1..2])?,
    }
    Ok(())
}

fn usd(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("${v:.0}"))
}

/// Tables a person reads: what was seeded, where it went by entity, the endpoints, and the
/// paths of the `paths` largest endpoints.
pub fn report_tables(report: &TraceReport, paths: usize) -> Vec<Table> {
    let mut seeded = Table::new(&["chain", "asset", "amount", "usd"]).titled(format!(
        "Traced with policy {} (max {} hops, dust < {})",
        report.policy, report.max_hops, report.min_value
    ));
    for v in &report.seeded {
        seeded.row(vec![
            v.chain.to_string(),
            v.asset.clone(),
            v.units.clone(),
            usd(v.usd),
        ]);
    }
    let mut endpoints = Table::new(&[
        "kind",
        "entity",
        "category",
        "flags",
        "chain",
        "address",
        "amount",
        "asset",
        "usd",
        "hops",
        "confidence",
        "tx",
        "evidence",
    ])
    .titled(if report.direction == "backward" {
        "Where it came from"
    } else {
        "Where it went"
    });
    for e in &report.endpoints {
        endpoints.row(vec![
            e.kind.as_str().to_string(),
            e.entity.clone().unwrap_or_else(|| "-".into()),
            e.category.clone().unwrap_or_else(|| "-".into()),
            if e.flags.is_empty() {
                "-".into()
            } else {
                e.flags.join(", ")
            },
            e.chain.to_string(),
            e.address.clone().unwrap_or_else(|| "-".into()),
            e.value.units.clone(),
            e.value.asset.clone(),
            usd(e.value.usd),
            e.hops.to_string(),
            format!("{:.2}", e.confidence),
            e.tx.clone(),
            e.evidence.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    let mut entities =
        Table::new(&["entity", "category", "kind", "amounts", "usd"]).titled("By entity");
    for t in &report.by_entity {
        entities.row(vec![
            t.entity.clone(),
            t.category.clone(),
            t.kind.as_str().to_string(),
            t.values
                .iter()
                .map(|v| format!("{} {}", v.units, v.asset))
                .collect::<Vec<_>>()
                .join(" + "),
            usd(t.usd),
        ]);
    }
    let mut tables = vec![seeded, endpoints, entities];
    let interesting = report
        .endpoints
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EndpointKind::Service | EndpointKind::Entered | EndpointKind::BridgePending
            )
        })
        .take(paths);
    for e in interesting {
        let mut path = Table::new(&["hop", "tx", "from", "to", "amount", "rule"]).titled(format!(
            "Path {} {} ({} {})",
            if report.direction == "backward" {
                "from"
            } else {
                "to"
            },
            e.entity
                .clone()
                .unwrap_or_else(|| e.address.clone().unwrap_or_default()),
            e.value.units,
            e.value.asset
        ));
        for step in &e.path {
            path.row(vec![
                step.hop.to_string(),
                step.tx.clone(),
                step.from.clone().unwrap_or_else(|| "-".into()),
                step.to.clone().unwrap_or_else(|| "-".into()),
                format!("{} {}", step.value.units, step.value.asset),
                step.rule.clone(),
            ]);
        }
        tables.push(path);
    }
    let s = &report.stats;
    let mut stats =
        Table::new(&["events", "holders", "edges", "ms", "budget exhausted"]).titled("Work");
    stats.row(vec![
        s.events.to_string(),
        s.holders.to_string(),
        s.edges.to_string(),
        s.elapsed_ms.to_string(),
        s.budget_exhausted.to_string(),
    ]);
    tables.push(stats);
    tables
}
