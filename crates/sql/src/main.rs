//! `chaintrail-sql`: run SQL over a chaintrail store (thin: the tables and functions are the
//! library's).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use chaintrail_sql::Catalog;
use chaintrail_sql::datafusion::arrow::array::RecordBatch;
use chaintrail_sql::datafusion::arrow::{csv, json, util::pretty};
use clap::{Parser, ValueEnum};

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Csv,
    Json,
}

const AFTER_HELP: &str = "Tables: blocks, transactions, transfers, inputs, outputs, addresses, \
labels, links, attributions, clusters, exposure. Functions: label_of(address [, chain]), \
category_of(address [, chain]), usd(asset, amount, time). Columns and examples: docs/sql.md.\n\n\
Example: chaintrail-sql \"SELECT label_of(to_address) AS service, date_trunc('month', block_time) \
AS month, sum(usd(asset, value_f64, block_timestamp)) AS usd FROM transfers WHERE \
category_of(to_address) = 'exchange' GROUP BY 1, 2 ORDER BY 2\"";

/// SQL over a chaintrail store, with DataFusion embedded.
#[derive(Parser)]
#[command(name = "chaintrail-sql", version, after_help = AFTER_HELP)]
struct Args {
    /// Store directory.
    #[arg(long, env = "CHAINTRAIL_DATA", default_value = chaintrail_store::DEFAULT_DATA_DIR)]
    data_dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Run the direct-exposure job (every address's direct exposure per category, entity and
    /// direction, in USD) instead of a query.
    #[arg(long, conflicts_with = "query")]
    direct_exposure: bool,
    /// The SQL statement.
    #[arg(required_unless_present = "direct_exposure")]
    query: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> anyhow::Result<()> {
    let catalog = Catalog::open(&args.data_dir)?;
    let sql = match &args.query {
        Some(query) => query.clone(),
        None => catalog.direct_exposure_query(),
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let batches = runtime.block_on(catalog.query(&sql))?;
    write(&batches, args.format)
}

fn write(batches: &[RecordBatch], format: Format) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        Format::Table => writeln!(out, "{}", pretty::pretty_format_batches(batches)?)?,
        Format::Csv => {
            let mut writer = csv::Writer::new(&mut out);
            for batch in batches {
                writer.write(batch)?;
            }
        }
        Format::Json => {
            let mut writer = json::LineDelimitedWriter::new(&mut out);
            writer.write_batches(&batches.iter().collect::<Vec<_>>())?;
            writer.finish()?;
        }
    }
    Ok(())
}
