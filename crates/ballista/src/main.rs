//! `chaintrail-ballista`: export the store for Ballista and run SQL on a scheduler (thin: the
//! export, the tables, the functions and the cluster are the library's).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use chaintrail_ballista::{
    DEFAULT_BLOCKS_PER_FILE, ExecutorOptions, LocalCluster, remote_session, run_executor,
    run_scheduler,
};
use chaintrail_sql::Catalog;
use chaintrail_sql::datafusion::arrow::util::pretty;
use clap::{Parser, Subcommand};

/// chaintrail's SQL on Apache Ballista (docs/distributed.md).
#[derive(Parser)]
#[command(name = "chaintrail-ballista", version)]
struct Args {
    /// Store directory (its functions' labels, clusters and prices; and what `export` reads).
    #[arg(long, env = "CHAINTRAIL_DATA", default_value = chaintrail_store::DEFAULT_DATA_DIR)]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write the store as Parquet partitioned by chain and block range, into a new directory.
    Export {
        /// The new directory.
        #[arg(long)]
        out: PathBuf,
        /// Blocks per file of the chain tables.
        #[arg(long, default_value_t = DEFAULT_BLOCKS_PER_FILE)]
        blocks_per_file: usize,
    },
    /// Serve as a scheduler with chaintrail's functions, until stopped.
    Scheduler {
        /// Address to serve on.
        #[arg(long, default_value = "0.0.0.0:50050")]
        bind: SocketAddr,
        /// The name executors and clients reach the scheduler by.
        #[arg(long, default_value = "localhost")]
        external_host: String,
    },
    /// Serve as an executor with chaintrail's functions, until stopped.
    Executor {
        /// The scheduler, `host:port`.
        #[arg(long, default_value = "localhost:50050")]
        scheduler: String,
        /// Address to serve Arrow Flight on (gRPC on the next port up).
        #[arg(long, default_value = "0.0.0.0:50051")]
        bind: SocketAddr,
        /// The name others reach this executor by (else the address the scheduler sees).
        #[arg(long)]
        external_host: Option<String>,
        /// Task slots; 0 for one per core.
        #[arg(long, default_value_t = 0)]
        vcores: usize,
        /// Directory for shuffle files.
        #[arg(long)]
        work_dir: Option<String>,
        /// Memory for query operators in bytes, shared by the task slots (default: 70 % of
        /// the machine's).
        #[arg(long)]
        memory_pool_bytes: Option<u64>,
    },
    /// Run one statement over an export on a Ballista scheduler, or on a scheduler and
    /// executors started in this process (`--local-executors`).
    Sql {
        /// The export's root: a directory, or an object store URL the processes can read.
        #[arg(long)]
        export: String,
        /// The scheduler, `df://host:port`.
        #[arg(long, required_unless_present = "local_executors")]
        scheduler: Option<String>,
        /// Start a scheduler and this many executors here instead (one task slot each).
        #[arg(long, conflicts_with = "scheduler")]
        local_executors: Option<usize>,
        /// Run the direct-exposure job instead of a statement.
        #[arg(long, conflicts_with = "query")]
        direct_exposure: bool,
        /// The SQL statement.
        #[arg(required_unless_present = "direct_exposure")]
        query: Option<String>,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    let run = tokio::runtime::Runtime::new()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| runtime.block_on(run(args)));
    match run {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::Export {
            out,
            blocks_per_file,
        } => {
            let files = chaintrail_ballista::export(&args.data_dir, &out, blocks_per_file).await?;
            let rows: u64 = files.iter().map(|f| f.rows).sum();
            let bytes: u64 = files.iter().map(|f| f.bytes).sum();
            println!(
                "{} files, {rows} rows, {bytes} bytes in {}",
                files.len(),
                out.display()
            );
        }
        Command::Scheduler {
            bind,
            external_host,
        } => run_scheduler(&args.data_dir, bind, &external_host).await?,
        Command::Executor {
            scheduler,
            bind,
            external_host,
            vcores,
            work_dir,
            memory_pool_bytes,
        } => {
            let options = ExecutorOptions {
                scheduler,
                bind,
                external_host,
                vcores,
                work_dir,
                memory_pool_bytes,
            };
            run_executor(&args.data_dir, options).await?;
        }
        Command::Sql {
            export,
            scheduler,
            local_executors,
            direct_exposure,
            query,
        } => {
            let sql = match query {
                Some(query) => query,
                None if direct_exposure => Catalog::open(&args.data_dir)?.direct_exposure_query(),
                None => anyhow::bail!("give a statement or --direct-exposure"),
            };
            let scheduler = match (scheduler, local_executors) {
                (Some(url), _) => url,
                (None, Some(executors)) => LocalCluster::start(&args.data_dir, executors, 1)
                    .await?
                    .scheduler_url(),
                (None, None) => anyhow::bail!("give --scheduler or --local-executors"),
            };
            let session = remote_session(&scheduler, &args.data_dir, &export).await?;
            let started = Instant::now();
            let batches = session.sql(&sql).await?.collect().await?;
            let took = started.elapsed();
            println!("{}", pretty::pretty_format_batches(&batches)?);
            let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
            eprintln!("{rows} rows in {:.2} s", took.as_secs_f64());
        }
    }
    Ok(())
}
