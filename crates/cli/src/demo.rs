//! `chaintrail demo` and `chaintrail sim`: a simulated world with heists, traced end to end.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use chaintrail_eval::demo::{HeistOutcome, build_demo};
use chaintrail_labels::LabelStore;
use chaintrail_report::{OpenedStore, Page, ReportRequest};
use chaintrail_sim::{EtlLayout, SimConfig};
use chaintrail_store::Store;
use chaintrail_trace::Policy;
use clap::{Args, Subcommand};
use indicatif::ProgressBar;
use serde::Serialize;

use crate::commands::{Global, stats_tables};
use crate::output::{Format, Table, emit};

#[derive(Args)]
pub struct DemoArgs {
    /// Approximate number of background account transfers in the simulated world.
    #[arg(long, default_value_t = SimConfig::DEMO_SCALE)]
    scale: u64,
    /// Seed of the simulated world (same seed, same world).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Taint policy for tracing the heists.
    #[arg(long, default_value = "haircut", value_parser = ["poison", "haircut", "fifo", "lifo", "tiho"])]
    policy: String,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(Args)]
pub struct SimArgs {
    /// Approximate number of background account transfers.
    #[arg(long, default_value_t = SimConfig::DEMO_SCALE)]
    scale: u64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Days of simulated time.
    #[arg(long, default_value_t = 3)]
    days: u32,
    /// Directory to write ethereum-etl CSV, bitcoin-etl JSON, ground truth and TagPacks into.
    #[arg(long, required_unless_present = "into_store")]
    out: Option<PathBuf>,
    /// Write the exports per range of this many blocks, in the directory layout of ethereum-etl's
    /// and bitcoin-etl's `export_all` (`ethereum/blocks/start_block=…/end_block=…/blocks_….csv`).
    #[arg(long, conflicts_with = "into_store")]
    partition_blocks: Option<u64>,
    /// Write the exported world this many times, one copy after another at later heights, each
    /// with its own hashes and the same addresses (load for import tests and benchmarks; the
    /// ground truth covers the first copy).
    #[arg(long, default_value_t = 1, conflicts_with_all = ["into_store", "partition_blocks"])]
    copies: u64,
    /// Write the world straight into the store at --data-dir (no ETL files; for large worlds),
    /// with its ground truth and TagPack in <data-dir>/sim and its labels loaded.
    #[arg(long, conflicts_with = "out")]
    into_store: bool,
}

fn spinner(message: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner().with_message(message.to_string());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

pub fn sim(global: &Global, args: SimArgs) -> anyhow::Result<()> {
    let config = SimConfig {
        days: args.days,
        ..SimConfig::new(args.seed, args.scale)
    };
    let bar = spinner("simulating");
    let (summary, dir) = match &args.out {
        Some(out) => {
            let layout = match args.partition_blocks {
                Some(blocks) if blocks > 0 => EtlLayout::Partitioned { blocks },
                Some(_) => anyhow::bail!("--partition-blocks must be at least 1"),
                None => EtlLayout::Single,
            };
            let summary = chaintrail_sim::write_dir_as(&config, out, layout)?;
            if args.copies > 1 {
                chaintrail_sim::replicate_export(out, args.copies)?;
            }
            (summary, out.clone())
        }
        None => {
            let store = Store::init(&global.data_dir)?;
            let side = global.data_dir.join("sim");
            let summary = chaintrail_sim::write_store(&config, &store, &side)?;
            let mut labels = LabelStore::open(store.dir())?;
            labels.import_tagpacks(&side.join("tagpacks"))?;
            labels.save()?;
            (summary, side)
        }
    };
    bar.finish_and_clear();
    let mut table = Table::new(&["file"]).titled(format!("Wrote {}", dir.display()));
    for file in &summary.files {
        table.row(vec![file.clone()]);
    }
    emit(
        global.format.unwrap_or(Format::Table),
        &summary.files,
        &[table],
    )
}

/// Per heist: what was stolen and where it went, by entity, rounded for people.
fn heist_tables(heists: &[HeistOutcome]) -> Vec<Table> {
    heists
        .iter()
        .map(|h| {
            let mut table = Table::new(&["where", "category", "status", "amount", "usd", "share"])
                .titled(format!(
                    "{} — victim {}, {}: stolen {} ({})",
                    h.name,
                    h.victim,
                    h.date,
                    chaintrail_report::amounts(&h.report.seeded),
                    chaintrail_report::round::usd(Some(h.stolen_usd))
                ));
            for t in &h.report.by_entity {
                let share = match (t.usd, h.stolen_usd) {
                    (Some(v), total) if total > 0.0 => format!("{:.1}%", 100.0 * v / total),
                    _ => "-".to_string(),
                };
                table.row(vec![
                    t.entity.clone(),
                    t.category.clone(),
                    chaintrail_report::kind_name(t.kind).to_string(),
                    chaintrail_report::amounts(&t.values),
                    chaintrail_report::round::usd(t.usd),
                    share,
                ]);
            }
            table
        })
        .collect()
}

#[derive(Serialize)]
struct DemoOutput {
    data_dir: PathBuf,
    report_html: PathBuf,
    seconds: f64,
    heists: Vec<HeistOutcome>,
}

pub fn demo(global: &Global, args: DemoArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let dir = &global.data_dir;
    let policy: Policy = args.policy.parse()?;
    let bar = spinner("simulating the world");
    let built = build_demo(
        dir,
        &SimConfig::new(args.seed, args.scale),
        policy,
        &|step| bar.set_message(step.to_string()),
    )?;
    bar.set_message("tracing under every policy and writing the report");
    let html_path = dir.join("report.html");
    let stats = built.store.stats(None)?;
    let opened = OpenedStore::open(&built.store, None)?;
    let investigation = opened.investigation();
    let mut reports = Vec::new();
    for heist in &built.heists {
        let request = ReportRequest {
            title: format!("{} — victim {}, {}", heist.name, heist.victim, heist.date),
            trace: heist.request.clone(),
            compare: Policy::ALL.to_vec(),
        };
        reports.push(chaintrail_report::build_report_from(
            &investigation,
            &request,
            heist.report.clone(),
        )?);
    }
    let html = chaintrail_report::render_html(&Page {
        title: "chaintrail — where did the stolen funds go?",
        intro: "A simulated world with heists that follow the DPRK laundering playbook, traced \
                with an explicit taint policy and compared under every other. Every amount comes \
                with the path that explains it and a citation of each transaction.",
        stats: &stats,
        reports: &reports,
    });
    chaintrail_report::write_atomic(&html_path, html.as_bytes())?;
    bar.finish_and_clear();
    let output = DemoOutput {
        data_dir: dir.clone(),
        report_html: html_path.clone(),
        seconds: started.elapsed().as_secs_f64(),
        heists: built.heists,
    };
    let mut tables = stats_tables(&stats)[..1].to_vec();
    tables.extend(heist_tables(&output.heists));
    let mut done = Table::new(&["report", "seconds"]).titled("Done");
    done.row(vec![
        output.report_html.display().to_string(),
        format!("{:.1}", output.seconds),
    ]);
    tables.push(done);
    emit(
        global.format.or(args.format).unwrap_or(Format::Table),
        &output,
        &tables,
    )
}

#[derive(Args)]
pub struct EvalArgs {
    #[command(subcommand)]
    command: Option<EvalCommand>,
    /// Seed of the simulated world.
    #[arg(long, default_value_t = 1, global = true)]
    seed: u64,
    /// Approximate number of background account transfers.
    #[arg(long, default_value_t = SimConfig::DEMO_SCALE, global = true)]
    scale: u64,
    /// Write the markdown table here (e.g. docs/accuracy.md).
    #[arg(long, global = true)]
    out: Option<PathBuf>,
    #[arg(long, value_enum, global = true)]
    format: Option<Format>,
}

#[derive(Subcommand)]
enum EvalCommand {
    /// Screen every address of a simulated world in three label situations (day-one labels,
    /// mixer pools sanctioned without dates, an OFAC-like dated listing) and count innocent
    /// users rated High or Severe and laundering addresses caught, per rule table.
    Screening {
        /// A rule table (TOML) to compare beside the built-in, previous, strict and loose ones
        /// (repeatable).
        #[arg(long)]
        rules: Vec<PathBuf>,
    },
}

/// Write `text` to `out` atomically (temp file, rename).
fn write_markdown(out: &std::path::Path, text: String) -> anyhow::Result<()> {
    let tmp = out.with_extension("md.tmp");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, out).with_context(|| format!("cannot write {}", out.display()))
}

/// `chaintrail eval`: every heist of a simulated world, under every policy, scored against its
/// ground truth.
pub fn eval(global: &Global, args: EvalArgs) -> anyhow::Result<()> {
    if let Some(EvalCommand::Screening { rules }) = &args.command {
        return eval_screening(global, &args, rules);
    }
    let work = global.data_dir.join("eval-world");
    if work.exists() {
        std::fs::remove_dir_all(&work)
            .with_context(|| format!("cannot clear {}", work.display()))?;
    }
    let bar = spinner("simulating, tracing and scoring");
    let (evaluation, _) = chaintrail_eval::evaluate(args.seed, args.scale, &work)?;
    bar.finish_and_clear();
    std::fs::remove_dir_all(&work).with_context(|| format!("cannot remove {}", work.display()))?;
    if let Some(out) = &args.out {
        let command = format!(
            "chaintrail eval --seed {} --scale {} --out {}",
            args.seed,
            args.scale,
            out.display()
        );
        write_markdown(
            out,
            chaintrail_eval::accuracy_markdown(&evaluation, &command),
        )?;
    }
    let mut table = Table::new(&[
        "setting",
        "heist",
        "policy",
        "recall",
        "precision",
        "entered mixer/bridge $",
        "cut $",
        "ms",
    ]);
    for s in &evaluation.scores {
        table.row(vec![
            s.setting.to_string(),
            s.heist.clone(),
            s.policy.to_string(),
            format!("{:.1}%", 100.0 * s.recall),
            format!("{:.1}%", 100.0 * s.precision),
            format!("{:.0}", s.entered_converters_usd),
            format!("{:.0}", s.cut_usd),
            s.trace_ms.to_string(),
        ]);
    }
    let mut derived = Table::new(&[
        "decoder / detector",
        "derived",
        "true",
        "precision",
        "recall",
        "right target",
    ])
    .titled("Derived from chain data, against the ground truth");
    for d in evaluation.links.iter().chain(&evaluation.attributions) {
        derived.row(vec![
            d.name.clone(),
            d.derived.to_string(),
            d.truth.to_string(),
            format!("{:.1}%", 100.0 * d.precision),
            format!("{:.1}%", 100.0 * d.recall),
            d.right_target.to_string(),
        ]);
    }
    let mut mixers = Table::new(&["custodial mixer"]).titled("How custodial mixers pay back");
    for c in &evaluation.custodial_mixers {
        mixers.row(vec![chaintrail_eval::calibration_line(c)]);
    }
    emit(
        global.format.or(args.format).unwrap_or(Format::Table),
        &evaluation,
        &[derived, mixers, table],
    )
}

/// `chaintrail eval screening`: alert fatigue and recall of rule tables on a simulated world.
fn eval_screening(global: &Global, args: &EvalArgs, rules: &[PathBuf]) -> anyhow::Result<()> {
    let mut tables = chaintrail_eval::screening::comparison_tables();
    for path in rules {
        let name = path.file_stem().map_or_else(
            || path.display().to_string(),
            |s| s.to_string_lossy().to_string(),
        );
        tables.push((name, chaintrail_screen::RuleTable::load(path)?));
    }
    let work = global.data_dir.join("eval-screening-world");
    if work.exists() {
        std::fs::remove_dir_all(&work)
            .with_context(|| format!("cannot clear {}", work.display()))?;
    }
    let bar = spinner("simulating, importing and screening every address");
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let evaluation = chaintrail_eval::screening::evaluate_screening(
        args.seed, args.scale, &work, &tables, threads,
    )?;
    bar.finish_and_clear();
    std::fs::remove_dir_all(&work).with_context(|| format!("cannot remove {}", work.display()))?;
    if let Some(out) = &args.out {
        let mut command = format!(
            "chaintrail eval screening --seed {} --scale {}",
            args.seed, args.scale
        );
        for path in rules {
            command.push_str(&format!(" --rules {}", path.display()));
        }
        command.push_str(&format!(" --out {}", out.display()));
        write_markdown(
            out,
            chaintrail_eval::screening::screening_markdown(&evaluation, &command),
        )?;
    }
    let percent = |x: f64| format!("{:.1}%", 100.0 * x);
    let mut table = Table::new(&[
        "scenario",
        "table",
        "innocent High+",
        "never in direct contact: High+",
        "laundering in reach",
        "of them High+",
    ])
    .titled(format!(
        "Screened on {} (innocent users and laundering addresses of the simulated world)",
        evaluation.at
    ));
    let mut by_rule = Table::new(&[
        "scenario",
        "table",
        "rule",
        "innocent High+",
        "of them clean",
    ])
    .titled("Innocent users rated High or Severe, by the rule that set the risk");
    for o in &evaluation.outcomes {
        table.row(vec![
            o.scenario.describe().to_string(),
            o.table.clone(),
            format!(
                "{} of {} ({})",
                o.innocent_high,
                o.innocent,
                percent(o.innocent_high_share())
            ),
            format!(
                "{} of {} ({})",
                o.clean_high,
                o.clean,
                percent(o.clean_high_share())
            ),
            format!("{} of {}", o.in_reach, o.laundering),
            format!("{} ({})", o.in_reach_high, percent(o.recall())),
        ]);
        for (rule, all, clean) in &o.by_rule {
            by_rule.row(vec![
                o.scenario.describe().to_string(),
                o.table.clone(),
                rule.clone(),
                all.to_string(),
                clean.to_string(),
            ]);
        }
    }
    emit(
        global.format.or(args.format).unwrap_or(Format::Table),
        &evaluation,
        &[table, by_rule],
    )
}
