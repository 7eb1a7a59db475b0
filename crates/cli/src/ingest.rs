//! `chaintrail ingest`: read a chain from a node or from its files.

use std::path::PathBuf;

use chaintrail_bitcoin::{RpcAuth, RpcClient};
use chaintrail_core::BitcoinNetwork;
use chaintrail_ingest::{ImportOptions, ImportReport};
use chaintrail_store::Store;
use clap::{Args, Subcommand, ValueEnum};

use crate::commands::{Global, import_table, progress_bar};
use crate::output::{Format, emit};

#[derive(Args)]
pub struct IngestArgs {
    #[command(subcommand)]
    source: Source,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Network {
    Mainnet,
    Testnet,
    Regtest,
}

impl From<Network> for BitcoinNetwork {
    fn from(network: Network) -> BitcoinNetwork {
        match network {
            Network::Mainnet => BitcoinNetwork::Mainnet,
            Network::Testnet => BitcoinNetwork::Testnet,
            Network::Regtest => BitcoinNetwork::Regtest,
        }
    }
}

/// How to authenticate to a node; at most one way.
#[derive(Args)]
pub(crate) struct RpcAuthArgs {
    /// User for HTTP basic authentication (Core's -rpcuser), with --rpc-password.
    #[arg(long, requires = "rpc_password")]
    rpc_user: Option<String>,
    /// Password for --rpc-user.
    #[arg(long, requires = "rpc_user")]
    rpc_password: Option<String>,
    /// Core's .cookie file, instead of user and password.
    #[arg(long, conflicts_with_all = ["rpc_user", "rpc_bearer"])]
    rpc_cookie: Option<PathBuf>,
    /// A bearer token (hosted nodes, authenticating proxies).
    #[arg(
        long,
        env = "CHAINTRAIL_RPC_BEARER",
        hide_env_values = true,
        conflicts_with = "rpc_user"
    )]
    rpc_bearer: Option<String>,
}

impl RpcAuthArgs {
    pub(crate) fn auth(self) -> RpcAuth {
        match self {
            RpcAuthArgs {
                rpc_user: Some(user),
                rpc_password: Some(password),
                ..
            } => RpcAuth::UserPass { user, password },
            RpcAuthArgs {
                rpc_cookie: Some(cookie),
                ..
            } => RpcAuth::CookieFile(cookie),
            RpcAuthArgs {
                rpc_bearer: Some(token),
                ..
            } => RpcAuth::Bearer(token),
            _ => RpcAuth::None,
        }
    }
}

#[derive(Subcommand)]
enum Source {
    /// Any EVM chain from a JSON-RPC node (the chain id is asked from the node): blocks,
    /// receipts, traces, token transfers, fees.
    Evm {
        /// The node's URL, e.g. http://127.0.0.1:8545.
        #[arg(long)]
        rpc: String,
        #[command(flatten)]
        auth: RpcAuthArgs,
        /// First block.
        #[arg(long)]
        from: u64,
        /// Last block (inclusive).
        #[arg(long)]
        to: u64,
        /// Commit a checkpoint after this many blocks' transactions.
        #[arg(long, default_value_t = 10_000)]
        checkpoint_every: u64,
    },
    /// Bitcoin from Bitcoin Core's blk*.dat files or its JSON-RPC.
    Bitcoin {
        /// Core's blocks directory (with blk*.dat and, for Core ≥ 28, xor.dat).
        #[arg(long, conflicts_with = "rpc")]
        blocks_dir: Option<PathBuf>,
        /// Core's JSON-RPC URL, e.g. http://127.0.0.1:8332.
        #[arg(long)]
        rpc: Option<String>,
        #[command(flatten)]
        auth: RpcAuthArgs,
        #[arg(long, value_enum, default_value = "mainnet")]
        network: Network,
        /// First height (RPC).
        #[arg(long)]
        from: Option<u64>,
        /// Last height, inclusive (RPC).
        #[arg(long)]
        to: Option<u64>,
        /// Fetch outputs spent by inputs whose transaction is not in the store (needs -txindex).
        #[arg(long)]
        resolve_prevouts: bool,
        #[arg(long, default_value_t = 10_000)]
        checkpoint_every: u64,
    },
}

pub fn run(global: &Global, args: IngestArgs) -> anyhow::Result<()> {
    let store = Store::init(&global.data_dir)?;
    let bar = progress_bar(0, "ingesting");
    let on_progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let report: ImportReport = match args.source {
        Source::Evm {
            rpc,
            auth,
            from,
            to,
            checkpoint_every,
        } => {
            let options = ImportOptions {
                checkpoint_every,
                on_progress: &on_progress,
            };
            let config = chaintrail_evm::RpcConfig {
                auth: auth.auth(),
                ..chaintrail_evm::RpcConfig::default()
            };
            chaintrail_evm::ingest_rpc_with(&store, &rpc, from, to, &config, &options)?.import
        }
        Source::Bitcoin {
            blocks_dir,
            rpc,
            auth,
            network,
            from,
            to,
            resolve_prevouts,
            checkpoint_every,
        } => {
            let options = ImportOptions {
                checkpoint_every,
                on_progress: &on_progress,
            };
            match (blocks_dir, rpc) {
                (Some(dir), None) => {
                    chaintrail_bitcoin::ingest_blocks_dir(&store, &dir, network.into(), &options)?
                }
                (None, Some(url)) => {
                    let client = RpcClient::new(
                        &url,
                        auth.auth(),
                        chaintrail_bitcoin::RpcOptions::default(),
                    )?;
                    let ingest_options = chaintrail_bitcoin::RpcIngestOptions {
                        resolve_prevouts,
                        ..chaintrail_bitcoin::RpcIngestOptions::default()
                    };
                    chaintrail_bitcoin::ingest_rpc(
                        &store,
                        &client,
                        network.into(),
                        chaintrail_bitcoin::BlockRange {
                            start: from,
                            end: to,
                        },
                        &ingest_options,
                        &options,
                    )?
                }
                _ => anyhow::bail!(
                    "say where to read Bitcoin from: --blocks-dir <Core's blocks directory> or \
                     --rpc <URL>"
                ),
            }
        }
    };
    bar.finish_and_clear();
    let links = crate::links::refresh_after_import(&store)?;
    let clusters = crate::cluster::update_after_import(&store)?;
    emit(
        global.format.unwrap_or(Format::Table),
        &report,
        &[
            import_table(&report),
            crate::links::stats_table(&links.manifest),
            crate::cluster::report_table(&clusters),
        ],
    )
}
