//! `chaintrail report`, `freeze-pack`, `verify-report` and `case`: thin handlers over
//! chaintrail-report.

use std::path::PathBuf;

use anyhow::Context;
use chaintrail_report::{
    Annotation, CaseEdit, CaseStore, NewCase, Nodes, OpenedStore, Page, Report, ReportRequest,
};
use chaintrail_store::Store;
use chaintrail_trace::{Policy, TraceRequest};
use clap::{Args, Subcommand, ValueEnum};

use crate::commands::Global;
use crate::output::{Format, Table, emit};

/// What to report on: a saved case or seeds given here.
#[derive(Args)]
pub struct Subject {
    /// A saved case (`chaintrail case list`).
    #[arg(long, conflicts_with = "seed", required_unless_present = "seed")]
    case: Option<String>,
    /// Where to start: <chain>:<tx hash | address | txid:vout>. Repeatable.
    #[arg(long)]
    seed: Vec<String>,
    /// The report's policy (a case's own policy unless given).
    #[arg(long, value_parser = ["poison", "haircut", "fifo", "lifo", "tiho"])]
    policy: Option<String>,
    /// Policies traced beside it for the comparison (comma-separated).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "haircut,fifo,lifo,tiho,poison"
    )]
    compare: Vec<String>,
    /// Hops to follow (a case's own unless given).
    #[arg(long)]
    max_hops: Option<u32>,
    /// Dust threshold in whole units (a case's own unless given).
    #[arg(long)]
    min_value: Option<String>,
    /// A title (default: the case's name, or the seeds).
    #[arg(long)]
    title: Option<String>,
    /// A node to anchor citations to (block hash, transaction index, log index); repeatable,
    /// one per chain (EVM JSON-RPC or Bitcoin Core, credentials as user:password@ in the URL).
    #[arg(long)]
    rpc: Vec<String>,
}

/// Trace the subject under every compared policy and anchor its citations to the nodes given.
fn build(global: &Global, subject: &Subject) -> anyhow::Result<Report> {
    let store = Store::open(&global.data_dir)?;
    let (mut trace, title) = match &subject.case {
        Some(id) => {
            let case = CaseStore::open(&global.data_dir)
                .get(id)?
                .with_context(|| format!("no case `{id}`: `chaintrail case list` shows them"))?;
            (case.request()?, case.case.name.clone())
        }
        None => {
            let seeds = subject
                .seed
                .iter()
                .map(|s| s.parse())
                .collect::<Result<Vec<_>, _>>()?;
            (
                TraceRequest {
                    seeds,
                    ..TraceRequest::default()
                },
                subject.seed.join(", "),
            )
        }
    };
    if let Some(policy) = &subject.policy {
        trace.policy = policy.parse()?;
    }
    if let Some(hops) = subject.max_hops {
        trace.max_hops = hops;
    }
    if let Some(min) = &subject.min_value {
        trace.min_value = min.clone();
    }
    let compare = subject
        .compare
        .iter()
        .map(|p| p.parse::<Policy>())
        .collect::<Result<Vec<_>, _>>()?;
    let opened = OpenedStore::open(&store, None)?;
    let request = ReportRequest {
        title: subject.title.clone().unwrap_or(title),
        trace,
        compare,
    };
    let mut report = chaintrail_report::build_report(&opened.investigation(), &request)?;
    if !subject.rpc.is_empty() {
        let nodes = Nodes::connect(&subject.rpc)?;
        chaintrail_report::anchor(&mut report.citations, &nodes)?;
    }
    Ok(report)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Html,
    Pdf,
    Json,
}

#[derive(Args)]
pub struct ReportArgs {
    #[command(flatten)]
    subject: Subject,
    /// html (flow chart, rounded amounts), pdf (the same, printed by headless Chromium:
    /// $CHAINTRAIL_CHROMIUM, else chromium on PATH) or json (exact, one citation per line).
    #[arg(long, value_enum, default_value = "html")]
    format: ReportFormat,
    /// Where to write it (default: report.<format> in the current folder).
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn report(global: &Global, args: ReportArgs) -> anyhow::Result<()> {
    let report = build(global, &args.subject)?;
    let extension = match args.format {
        ReportFormat::Html => "html",
        ReportFormat::Pdf => "pdf",
        ReportFormat::Json => "json",
    };
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from(format!("report.{extension}")));
    let html = || {
        chaintrail_report::render_html(&Page {
            title: &report.title,
            intro: "Where the traced funds went, under the chosen policy and beside the others, \
                    with the method and a citation for every transaction.",
            stats: &[],
            reports: std::slice::from_ref(&report),
        })
    };
    match args.format {
        ReportFormat::Html => chaintrail_report::write_atomic(&out, html().as_bytes())?,
        ReportFormat::Pdf => chaintrail_report::write_pdf(&html(), &out)?,
        ReportFormat::Json => chaintrail_report::write_json(&report, &out)?,
    }
    println!("{}", out.display());
    Ok(())
}

#[derive(Args)]
pub struct FreezePackArgs {
    #[command(flatten)]
    subject: Subject,
    /// The folder to write (one subfolder per exchange; replaced whole).
    #[arg(long, default_value = "freeze-packs")]
    out: PathBuf,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

pub fn freeze_pack(global: &Global, args: FreezePackArgs) -> anyhow::Result<()> {
    let report = build(global, &args.subject)?;
    let packs = chaintrail_report::write_freeze_packs(&report, &args.out)?;
    let mut table = Table::new(&["folder", "exchange", "deposits", "usd"])
        .titled(format!("Freeze packs in {}", args.out.display()));
    for (folder, pack) in &packs {
        table.row(vec![
            folder.clone(),
            pack.exchange.clone(),
            pack.deposits.len().to_string(),
            chaintrail_report::round::usd(pack.usd),
        ]);
    }
    let packs: Vec<_> = packs.into_iter().map(|(_, p)| p).collect();
    emit(
        global.format.or(args.format).unwrap_or(Format::Table),
        &packs,
        &[table],
    )
}

#[derive(Args)]
pub struct VerifyReportArgs {
    /// A JSON report (`chaintrail report --format json --rpc …`) or a freeze pack's
    /// deposits.json.
    report: PathBuf,
    /// A node to check against; repeatable, one per chain.
    #[arg(long, required = true)]
    rpc: Vec<String>,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

pub fn verify_report(global: &Global, args: VerifyReportArgs) -> anyhow::Result<()> {
    let nodes = Nodes::connect(&args.rpc)?;
    let outcome = chaintrail_report::verify_file(&args.report, &nodes)?;
    let mut table =
        Table::new(&["line", "citation", "field", "report says", "node says"]).titled(format!(
            "{}: {} citations verified, {} mismatches, {} unchecked",
            args.report.display(),
            outcome.verified,
            outcome.mismatches.len(),
            outcome.unchecked.len()
        ));
    for f in outcome.mismatches.iter().chain(&outcome.unchecked) {
        table.row(vec![
            f.line.map_or_else(|| "-".to_string(), |l| l.to_string()),
            f.citation.clone(),
            f.field.to_string(),
            f.report.clone(),
            f.node.clone(),
        ]);
    }
    emit(
        global.format.or(args.format).unwrap_or(Format::Table),
        &outcome,
        &[table],
    )?;
    if !outcome.passed() {
        anyhow::bail!(
            "{} does not verify: {} mismatches, {} citations unchecked",
            args.report.display(),
            outcome.mismatches.len(),
            outcome.unchecked.len()
        );
    }
    Ok(())
}

#[derive(Args)]
pub struct CaseArgs {
    #[command(subcommand)]
    command: CaseCommand,
    #[arg(long, value_enum, global = true)]
    format: Option<Format>,
}

#[derive(Subcommand)]
enum CaseCommand {
    /// Save a new case.
    New {
        /// A name for people.
        #[arg(long)]
        name: String,
        /// Where to start: <chain>:<tx hash | address | txid:vout>. Repeatable.
        #[arg(long, required = true)]
        seed: Vec<String>,
        #[arg(long, default_value = "haircut", value_parser = ["poison", "haircut", "fifo", "lifo", "tiho"])]
        policy: String,
        #[arg(long, default_value_t = 20)]
        max_hops: u32,
        #[arg(long, default_value = "0")]
        min_value: String,
        /// Free text.
        #[arg(long, default_value = "")]
        notes: String,
        /// A note on an address or transaction: TARGET=NOTE. Repeatable.
        #[arg(long)]
        annotate: Vec<String>,
    },
    /// The saved cases.
    List,
    /// One case as JSON (its export).
    Show { id: String },
    /// Change a case's name, notes or annotations; what it traces and its saved trace stay.
    Edit {
        id: String,
        /// A new name (the id stays).
        #[arg(long)]
        name: Option<String>,
        /// New notes, replacing the old.
        #[arg(long)]
        notes: Option<String>,
        /// Add a note on an address or transaction: TARGET=NOTE, replacing an earlier one on
        /// TARGET. Repeatable.
        #[arg(long)]
        annotate: Vec<String>,
        /// Remove the note on TARGET. Repeatable.
        #[arg(long, value_name = "TARGET")]
        unannotate: Vec<String>,
    },
    /// Delete a case.
    Rm { id: String },
}

pub fn case(global: &Global, args: CaseArgs) -> anyhow::Result<()> {
    let cases = CaseStore::open(&global.data_dir);
    let format = global.format.or(args.format).unwrap_or(Format::Table);
    match args.command {
        CaseCommand::New {
            name,
            seed,
            policy,
            max_hops,
            min_value,
            notes,
            annotate,
        } => {
            let annotations = annotate
                .iter()
                .map(|a| a.parse::<Annotation>())
                .collect::<Result<Vec<_>, _>>()?;
            let saved = cases.create(NewCase {
                name,
                seeds: seed,
                policy: policy.parse()?,
                max_hops,
                min_value,
                notes,
                annotations,
                trace: None,
            })?;
            let mut table = Table::new(&["id", "file"]).titled("Saved");
            table.row(vec![
                saved.id.clone(),
                global
                    .data_dir
                    .join("cases")
                    .join(format!("{}.json", saved.id))
                    .display()
                    .to_string(),
            ]);
            emit(format, &saved, &[table])
        }
        CaseCommand::List => {
            let all = cases.list()?;
            let mut table = Table::new(&["id", "name", "policy", "seeds", "created"]);
            for c in &all {
                table.row(vec![
                    c.id.clone(),
                    c.case.name.clone(),
                    c.case.policy.to_string(),
                    c.case.seeds.join(" "),
                    c.created_at.clone(),
                ]);
            }
            emit(format, &all, &[table])
        }
        CaseCommand::Show { id } => {
            let case = cases
                .get(&id)?
                .with_context(|| format!("no case `{id}`: `chaintrail case list` shows them"))?;
            emit(Format::Json, &case, &[])
        }
        CaseCommand::Edit {
            id,
            name,
            notes,
            annotate,
            unannotate,
        } => {
            let annotate = annotate
                .iter()
                .map(|a| a.parse::<Annotation>())
                .collect::<Result<Vec<_>, _>>()?;
            let saved = cases.edit(
                &id,
                CaseEdit {
                    name,
                    notes,
                    annotations: None,
                    annotate,
                    unannotate,
                },
            )?;
            let mut table = Table::new(&["id", "name", "annotations", "updated"]).titled("Saved");
            table.row(vec![
                saved.id.clone(),
                saved.case.name.clone(),
                saved.case.annotations.len().to_string(),
                saved.updated_at.clone().unwrap_or_default(),
            ]);
            emit(format, &saved, &[table])
        }
        CaseCommand::Rm { id } => {
            let removed = cases.delete(&id)?;
            let mut table = Table::new(&["id", "name"]).titled("Deleted");
            table.row(vec![removed.id.clone(), removed.case.name.clone()]);
            emit(format, &removed, &[table])
        }
    }
}
