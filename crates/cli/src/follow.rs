//! `chaintrail follow`: follow a chain's head into the store (crate chaintrail-follow).

use std::path::PathBuf;
use std::time::Duration;

use chaintrail_alert::{AlertConfig, AlertEngine, RetryPolicy, SinkConfig};

use chaintrail_bitcoin::{RpcClient, RpcOptions};
use chaintrail_core::Chain;
use chaintrail_follow::{
    BitcoinSource, BlockObserver, BlocksDirSource, DerivedData, EvmSource, FollowConfig, Skip,
};
use chaintrail_store::Store;
use clap::{ArgGroup, Args};

use crate::commands::Global;
use crate::ingest::RpcAuthArgs;
use crate::output::{Table, emit};

#[derive(Args)]
#[command(group(ArgGroup::new("node").required(true).args(["rpc", "blocks_dir"])))]
pub struct FollowArgs {
    /// The chain to follow: bitcoin, bitcoin-testnet, bitcoin-regtest, or an EVM chain
    /// (ethereum, arbitrum, optimism, base, sepolia, anvil, …, evm:<chain id>).
    #[arg(long)]
    chain: Chain,
    /// The node's JSON-RPC URL, e.g. http://127.0.0.1:8332 (Bitcoin Core), http://127.0.0.1:8545.
    #[arg(long)]
    rpc: Option<String>,
    /// Instead of RPC, read a Bitcoin Core node's block files as it writes them: its blocks
    /// directory (e.g. ~/.bitcoin/blocks) or its data directory.
    #[arg(long, value_name = "DIR")]
    blocks_dir: Option<PathBuf>,
    #[command(flatten)]
    auth: RpcAuthArgs,
    /// Apply a block once it is this many blocks below the node's head.
    #[arg(long, default_value_t = 0)]
    confirmations: u64,
    /// Wait between polls when there is nothing new: 1s, 500ms, 2m.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    poll_interval: Duration,
    /// Exit once this block is applied (default: follow until killed).
    #[arg(long)]
    until_block: Option<u64>,
    /// The first block to apply when the store has not followed this chain yet.
    #[arg(long, default_value_t = 0)]
    from: u64,
    /// Do not derive the links after each block (`chaintrail links build` later).
    #[arg(long)]
    skip_links: bool,
    /// Do not update the address clusters after each block (`chaintrail cluster build` later).
    #[arg(long)]
    skip_clusters: bool,
    /// Do not update the exposure index after each block, when the store has one (it is then
    /// stale until `chaintrail screen build-index`).
    #[arg(long)]
    skip_index: bool,
    #[command(flatten)]
    alerts: AlertArgs,
}

/// Where the alerts of the watchlist (`chaintrail watch`) go while following (docs/alerts.md).
/// Without any of these, follow raises no alerts.
#[derive(Args)]
struct AlertArgs {
    /// POST each alert as JSON to this URL (http://), signed with `--webhook-secret`.
    #[arg(long, requires = "webhook_secret")]
    webhook: Option<String>,
    /// The HMAC-SHA256 key of the `X-Chaintrail-Signature` header.
    #[arg(long, env = "CHAINTRAIL_WEBHOOK_SECRET", hide_env_values = true)]
    webhook_secret: Option<String>,
    /// Append each alert as a JSON line to this file.
    #[arg(long)]
    alerts_jsonl: Option<PathBuf>,
    /// Print each alert as a JSON line on stdout.
    #[arg(long)]
    alerts_stdout: bool,
    /// Delivery attempts per alert and sink before its dead letter.
    #[arg(long, default_value_t = RetryPolicy::default().max_attempts)]
    alert_attempts: u32,
}

impl AlertArgs {
    fn sinks(&self) -> anyhow::Result<Vec<SinkConfig>> {
        let mut sinks = Vec::new();
        if let (Some(url), Some(secret)) = (&self.webhook, &self.webhook_secret) {
            sinks.push(SinkConfig::webhook(url, secret)?);
        }
        if let Some(path) = &self.alerts_jsonl {
            sinks.push(SinkConfig::JsonlFile(path.clone()));
        }
        if self.alerts_stdout {
            sinks.push(SinkConfig::Stdout);
        }
        Ok(sinks)
    }

    /// The alert engine over the store's watchlist, with what a previous run left undelivered
    /// sent first; none when no sink is given.
    fn observers(&self, store: &Store) -> anyhow::Result<Vec<Box<dyn BlockObserver>>> {
        let sinks = self.sinks()?;
        if sinks.is_empty() {
            return Ok(Vec::new());
        }
        let config = AlertConfig {
            sinks,
            retry: RetryPolicy {
                max_attempts: self.alert_attempts,
                ..RetryPolicy::default()
            },
            links_file: None,
        };
        let mut engine = AlertEngine::open(store.dir(), config)?;
        engine.deliver()?;
        Ok(vec![Box::new(engine)])
    }
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit())
        .map_or((text, "s"), |at| text.split_at(at));
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: write 1s, 500ms or 2m"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        _ => Err(format!("`{text}`: the unit must be ms, s or m")),
    }
}

pub fn run(global: &Global, args: FollowArgs) -> anyhow::Result<()> {
    let store = Store::init(&global.data_dir)?;
    let config = FollowConfig {
        confirmations: args.confirmations,
        poll_interval: args.poll_interval,
        until_block: args.until_block,
        start: args.from,
        ..FollowConfig::default()
    };
    // Derived data first: the alert rules read the links and clusters.
    let mut observers: Vec<Box<dyn BlockObserver>> = vec![Box::new(DerivedData::new(Skip {
        links: args.skip_links,
        clusters: args.skip_clusters,
        index: args.skip_index,
    }))];
    observers.extend(args.alerts.observers(&store)?);
    let report = match (args.chain, &args.rpc, &args.blocks_dir) {
        (Chain::Bitcoin(network), _, Some(dir)) => {
            let mut source = BlocksDirSource::open(dir, network)?;
            chaintrail_follow::follow(&store, &mut source, &config, &mut observers)?
        }
        (Chain::Evm(_), _, Some(_)) => anyhow::bail!(
            "--blocks-dir reads Bitcoin Core's block files; follow {} with --rpc URL",
            args.chain
        ),
        (chain, Some(url), None) => {
            let client = RpcClient::new(url, args.auth.auth(), RpcOptions::default())?;
            match chain {
                Chain::Bitcoin(network) => {
                    let mut source = BitcoinSource::new(client, network);
                    chaintrail_follow::follow(&store, &mut source, &config, &mut observers)?
                }
                Chain::Evm(_) => {
                    let mut source = EvmSource::connect(client, chain, Vec::new())?;
                    chaintrail_follow::follow(&store, &mut source, &config, &mut observers)?
                }
            }
        }
        (_, None, None) => anyhow::bail!("give the node: --rpc URL or --blocks-dir DIR"),
    };
    let mut table = Table::new(&["chain", "blocks applied", "rollbacks to", "height"]);
    table.row(vec![
        args.chain.to_string(),
        report.blocks_applied.to_string(),
        report
            .rollbacks
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        report.height.map(|h| h.to_string()).unwrap_or_default(),
    ]);
    emit(global.format(None), &report, &[table])
}
