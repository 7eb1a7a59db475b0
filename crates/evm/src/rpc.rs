//! Fetching blocks, receipts and traces from a node, and the `ingest_rpc` pipeline: bounded
//! parallel batches, in-order appends, one checkpoint per window of blocks.

use std::collections::HashMap;
use std::path::PathBuf;

use alloy_primitives::{Address as EvmAddress, B256};
use chaintrail_core::Chain;
use chaintrail_ingest::{ImportOptions, ImportReport};
use chaintrail_store::Store;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use chaintrail_rpc::{Call, RpcAuth, RpcClient, RpcOptions};

use crate::append::BlockAppender;
use crate::model::{BlockBundle, EvmBlock, EvmReceipt, EvmTrace};
use crate::rpcjson::{decode_block, decode_geth_traces, decode_parity_traces, decode_receipt};
use crate::tokens::TokenNaming;
use crate::{EvmError, at_block};

/// Where receipts came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReceiptSource {
    /// `eth_getBlockReceipts`, one call per block.
    BlockReceipts,
    /// `eth_getTransactionReceipt`, one call per transaction (the node lacks the block call).
    PerTransaction,
}

/// Where internal transfers came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TraceSource {
    /// Parity-style `trace_block` (Erigon, Reth, Nethermind, OpenEthereum, anvil).
    TraceBlock,
    /// Geth `debug_traceBlockByNumber` with the `callTracer`.
    GethCallTracer,
    /// The node has neither: only each transaction's own value is recorded, internal transfers
    /// (contract payouts, self-destructs) are missing.
    None,
}

impl TraceSource {
    /// The JSON-RPC method (`none` without traces).
    pub fn method(self) -> &'static str {
        match self {
            TraceSource::TraceBlock => "trace_block",
            TraceSource::GethCallTracer => "debug_traceBlockByNumber",
            TraceSource::None => "none",
        }
    }
}

/// How `ingest_rpc_with` talks to the node.
#[derive(Debug, Clone)]
pub struct RpcConfig {
    /// Timeouts and retries of the JSON-RPC client.
    pub options: RpcOptions,
    /// Credentials for the node (also taken from `user:password@` in the URL).
    pub auth: RpcAuth,
    /// Blocks per JSON-RPC batch.
    pub blocks_per_batch: usize,
    /// Batches in flight at once.
    pub concurrency: usize,
    /// Wrapped-native contracts besides the known WETH of the chain.
    pub wrapped_native: Vec<EvmAddress>,
}

impl Default for RpcConfig {
    fn default() -> Self {
        RpcConfig {
            options: RpcOptions::default(),
            auth: RpcAuth::None,
            blocks_per_batch: 10,
            concurrency: 4,
            wrapped_native: Vec::new(),
        }
    }
}

/// Fetches complete blocks (block, receipts, traces) from a node.
pub struct Fetcher {
    client: RpcClient,
    /// Where receipts come from.
    pub receipts: ReceiptSource,
    /// Where internal transfers come from.
    pub traces: TraceSource,
}

fn hex(n: u64) -> String {
    format!("{n:#x}")
}

fn geth_params(n: u64) -> Value {
    json!([hex(n), {"tracer": "callTracer"}])
}

fn decode_err<E: ToString>(method: &str, block: u64) -> impl Fn(E) -> EvmError + '_ {
    move |message| EvmError::Decode {
        method: method.to_string(),
        block: Some(block),
        message: message.to_string(),
    }
}

impl Fetcher {
    /// A fetcher with the given methods (see [`Fetcher::detect`] to probe the node).
    pub fn new(client: RpcClient, receipts: ReceiptSource, traces: TraceSource) -> Fetcher {
        Fetcher {
            client,
            receipts,
            traces,
        }
    }

    /// The JSON-RPC client.
    pub fn client(&self) -> &RpcClient {
        &self.client
    }

    /// The node's EIP-155 chain id (`eth_chainId`).
    pub fn chain_id(&self) -> Result<u64, EvmError> {
        let value = self.client.call("eth_chainId", json!([]))?;
        crate::rpcjson::Fields::of(&json!({ "chainId": value }), "")
            .and_then(|f| f.u64("chainId"))
            .map_err(|message| EvmError::Decode {
                method: "eth_chainId".to_string(),
                block: None,
                message,
            })
    }

    /// The node's head (`eth_blockNumber`).
    pub fn head(&self) -> Result<u64, EvmError> {
        let value = self.client.call("eth_blockNumber", json!([]))?;
        crate::rpcjson::Fields::of(&json!({ "number": value }), "")
            .and_then(|f| f.u64("number"))
            .map_err(|message| EvmError::Decode {
                method: "eth_blockNumber".to_string(),
                block: None,
                message,
            })
    }

    /// The hash of the node's block `number` on its best chain (`eth_getBlockByNumber` without
    /// transactions).
    pub fn block_hash(&self, number: u64) -> Result<B256, EvmError> {
        let method = "eth_getBlockByNumber";
        let value = self
            .client
            .call(method, json!([hex(number), false]))
            .map_err(at_block(number))?;
        if value.is_null() {
            return Err(decode_err(method, number)(
                "the node does not have this block (beyond its head, or pruned)".to_string(),
            ));
        }
        crate::rpcjson::Fields::of(&value, "a block")
            .and_then(|f| f.b256("hash"))
            .map_err(decode_err(method, number))
    }

    /// Probe which receipt and trace methods the node answers, on block `sample`.
    pub fn detect(&mut self, sample: u64) -> Result<(), EvmError> {
        let probes = [
            Call::new("eth_getBlockReceipts", json!([hex(sample)])),
            Call::new("trace_block", json!([hex(sample)])),
            Call::new("debug_traceBlockByNumber", geth_params(sample)),
        ];
        let answers = self.client.batch(&probes).map_err(at_block(sample))?;
        let ok = |i: usize| matches!(answers.get(i), Some(Ok(v)) if !v.is_null());
        self.receipts = if ok(0) {
            ReceiptSource::BlockReceipts
        } else {
            ReceiptSource::PerTransaction
        };
        self.traces = if ok(1) {
            TraceSource::TraceBlock
        } else if ok(2) {
            TraceSource::GethCallTracer
        } else {
            tracing::warn!(
                "the node answers neither trace_block nor debug_traceBlockByNumber: internal \
                 transfers (contract payouts, self-destructs) will be missing"
            );
            TraceSource::None
        };
        tracing::info!(receipts = ?self.receipts, traces = ?self.traces, "node methods");
        Ok(())
    }

    /// Blocks `from..=to` with full transactions.
    pub fn blocks(&self, from: u64, to: u64) -> Result<Vec<EvmBlock>, EvmError> {
        let calls: Vec<Call> = (from..=to)
            .map(|n| Call::new("eth_getBlockByNumber", json!([hex(n), true])))
            .collect();
        let answers = self.client.batch(&calls).map_err(at_block(from))?;
        let mut blocks = Vec::with_capacity(calls.len());
        for (n, answer) in (from..=to).zip(answers) {
            let method = "eth_getBlockByNumber";
            let value = answer.map_err(at_block(n))?;
            if value.is_null() {
                return Err(decode_err(method, n)(
                    "the node does not have this block (beyond its head, or pruned)".to_string(),
                ));
            }
            let block = decode_block(&value).map_err(decode_err(method, n))?;
            if block.number != n {
                return Err(decode_err(method, n)(format!(
                    "the node answered block {}",
                    block.number
                )));
            }
            blocks.push(block);
        }
        Ok(blocks)
    }

    /// The receipts of `blocks`, one list per block in transaction order.
    pub fn receipts(&self, blocks: &[EvmBlock]) -> Result<Vec<Vec<EvmReceipt>>, EvmError> {
        let mut calls = Vec::new();
        let mut owners = Vec::new();
        for (i, block) in blocks.iter().enumerate() {
            if block.transactions.is_empty() {
                continue;
            }
            match self.receipts {
                ReceiptSource::BlockReceipts => {
                    calls.push(Call::new(
                        "eth_getBlockReceipts",
                        json!([hex(block.number)]),
                    ));
                    owners.push(i);
                }
                ReceiptSource::PerTransaction => {
                    for tx in &block.transactions {
                        calls.push(Call::new("eth_getTransactionReceipt", json!([tx.hash])));
                        owners.push(i);
                    }
                }
            }
        }
        let mut found: Vec<HashMap<B256, EvmReceipt>> = vec![HashMap::new(); blocks.len()];
        let first = blocks.first().map_or(0, |b| b.number);
        let answers = self.client.batch(&calls).map_err(at_block(first))?;
        for ((call, &owner), answer) in calls.iter().zip(&owners).zip(answers) {
            let n = blocks[owner].number;
            let value = answer.map_err(at_block(n))?;
            let items = match value {
                Value::Array(items) => items,
                Value::Null => {
                    return Err(decode_err(&call.method, n)(format!(
                        "the node has no receipt for {}",
                        call.params
                    )));
                }
                single => vec![single],
            };
            for item in &items {
                let receipt = decode_receipt(item).map_err(decode_err(&call.method, n))?;
                found[owner].insert(receipt.transaction_hash, receipt);
            }
        }
        blocks
            .iter()
            .zip(found)
            .map(|(block, mut found)| {
                let method = match self.receipts {
                    ReceiptSource::BlockReceipts => "eth_getBlockReceipts",
                    ReceiptSource::PerTransaction => "eth_getTransactionReceipt",
                };
                block
                    .transactions
                    .iter()
                    .map(|tx| {
                        found.remove(&tx.hash).ok_or_else(|| {
                            decode_err(method, block.number)(format!(
                                "no receipt for transaction {}",
                                tx.hash
                            ))
                        })
                    })
                    .collect()
            })
            .collect()
    }

    /// The traces of `blocks` with the detected method (`None` when the node has none).
    pub fn traces(&self, blocks: &[EvmBlock]) -> Result<Option<Vec<Vec<EvmTrace>>>, EvmError> {
        let method = self.traces.method();
        let calls: Vec<Call> = match self.traces {
            TraceSource::None => return Ok(None),
            TraceSource::TraceBlock => blocks
                .iter()
                .map(|b| Call::new("trace_block", json!([hex(b.number)])))
                .collect(),
            TraceSource::GethCallTracer => blocks
                .iter()
                .map(|b| Call::new("debug_traceBlockByNumber", geth_params(b.number)))
                .collect(),
        };
        let first = blocks.first().map_or(0, |b| b.number);
        let answers = self.client.batch(&calls).map_err(at_block(first))?;
        let mut out = Vec::with_capacity(blocks.len());
        for (block, answer) in blocks.iter().zip(answers) {
            let n = block.number;
            let value = answer.map_err(at_block(n))?;
            let traces = match self.traces {
                TraceSource::GethCallTracer => {
                    let hashes: Vec<B256> = block.transactions.iter().map(|t| t.hash).collect();
                    decode_geth_traces(&value, n, &hashes)
                }
                _ => decode_parity_traces(&value),
            }
            .map_err(decode_err(method, n))?;
            out.push(traces);
        }
        Ok(Some(out))
    }

    /// Blocks `from..=to` with receipts and traces.
    pub fn bundles(&self, from: u64, to: u64) -> Result<Vec<BlockBundle>, EvmError> {
        let blocks = self.blocks(from, to)?;
        let receipts = self.receipts(&blocks)?;
        let mut traces = self.traces(&blocks)?.map(Vec::into_iter);
        Ok(blocks
            .into_iter()
            .zip(receipts)
            .map(|(block, receipts)| BlockBundle {
                block,
                receipts,
                traces: traces.as_mut().and_then(Iterator::next),
            })
            .collect())
    }
}

/// What an RPC ingest did, beyond the common [`ImportReport`].
#[derive(Debug, Clone, Serialize)]
pub struct RpcIngestReport {
    /// What every import reports.
    pub import: ImportReport,
    /// Blocks fetched in this run.
    pub blocks: u64,
    /// Where receipts came from.
    pub receipts: ReceiptSource,
    /// Where internal transfers came from.
    pub traces: TraceSource,
    /// Uniswap-style swaps stored.
    pub swaps: u64,
    /// Mixer deposits and withdrawals stored.
    pub mixer_events: u64,
    /// Contract creations stored.
    pub contracts: u64,
    /// Raw logs of bridge and mixer events kept for the link decoders (`KEPT_TOPICS`).
    pub kept_logs: u64,
    /// How the tokens first seen got their symbol and decimals.
    pub tokens: TokenNaming,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct RpcCursor {
    next_block: u64,
}

/// Ingest blocks `from..=to` from the JSON-RPC node at `url` into `store` (see the crate docs).
pub fn ingest_rpc(
    store: &Store,
    url: &str,
    from: u64,
    to: u64,
    options: &ImportOptions<'_>,
) -> Result<ImportReport, EvmError> {
    ingest_rpc_with(store, url, from, to, &RpcConfig::default(), options).map(|r| r.import)
}

/// [`ingest_rpc`] with explicit settings, returning the methods used and event counts.
pub fn ingest_rpc_with(
    store: &Store,
    url: &str,
    from: u64,
    to: u64,
    config: &RpcConfig,
    options: &ImportOptions<'_>,
) -> Result<RpcIngestReport, EvmError> {
    if from > to {
        return Err(EvmError::Input(format!("--from {from} is after --to {to}")));
    }
    let client = RpcClient::new(url, config.auth.clone(), config.options)?;
    let mut fetcher = Fetcher::new(client, ReceiptSource::BlockReceipts, TraceSource::None);
    let chain_id = fetcher.chain_id()?;
    let head = fetcher.head()?;
    if to > head {
        return Err(EvmError::Input(format!(
            "block {to} is beyond the node's head {head}: ingest up to {head} or wait"
        )));
    }
    let chain = Chain::Evm(chain_id);
    let mut writer = store.writer(chain)?;
    let mut appender = BlockAppender::open(store, &mut writer, chain_id, &config.wrapped_native)?;
    let key = format!("evm-rpc:{from}-{to}");
    let saved = writer
        .cursor(&key)
        .and_then(|v| serde_json::from_value::<RpcCursor>(v.clone()).ok());
    let start = saved.map_or(from, |c| c.next_block);
    let resumed = saved.is_some() && start > from;
    fetcher.detect(start.min(to))?;
    let per_batch = config.blocks_per_batch.max(1) as u64;
    let window = per_batch * config.concurrency.max(1) as u64;
    let total_blocks = to - from + 1;
    let mut next = start;
    while next <= to {
        let end = next.saturating_add(window - 1).min(to);
        let bundles = fetch_window(&fetcher, next, end, per_batch)?;
        let fork = appender.append(&mut writer, &fetcher, &bundles)?;
        next = match &fork {
            Some(forked) => forked.number(),
            None => end + 1,
        };
        writer.commit(&key, cursor_value(next))?;
        if let Some(forked) = fork {
            return Err(EvmError::Fork(forked));
        }
        (options.on_progress)(next - from, total_blocks);
    }
    appender.log_parent_checks(url);
    let totals = writer.finish(&key, cursor_value(next))?;
    let counts = appender.counts();
    Ok(RpcIngestReport {
        import: ImportReport {
            chain,
            format: format!(
                "evm-rpc (receipts: {}, traces: {})",
                match fetcher.receipts {
                    ReceiptSource::BlockReceipts => "eth_getBlockReceipts",
                    ReceiptSource::PerTransaction => "eth_getTransactionReceipt",
                },
                fetcher.traces.method()
            ),
            source: PathBuf::from(url),
            txs_read: appender.txs_read(),
            resumed,
            totals,
        },
        blocks: to + 1 - start,
        receipts: fetcher.receipts,
        traces: fetcher.traces,
        swaps: counts.swaps,
        mixer_events: counts.mixers,
        contracts: counts.contracts,
        kept_logs: counts.kept_logs,
        tokens: appender.token_naming(),
    })
}

/// Blocks `from..=to` with receipts and traces, fetched in parallel batches of `per_batch`
/// blocks, in block order.
fn fetch_window(
    fetcher: &Fetcher,
    from: u64,
    to: u64,
    per_batch: u64,
) -> Result<Vec<BlockBundle>, EvmError> {
    let ranges: Vec<(u64, u64)> = (from..=to)
        .step_by(per_batch as usize)
        .map(|a| (a, a.saturating_add(per_batch - 1).min(to)))
        .collect();
    let fetched: Vec<Result<Vec<BlockBundle>, EvmError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = ranges
            .iter()
            .map(|&(a, b)| scope.spawn(move || fetcher.bundles(a, b)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(EvmError::Input("a fetch thread panicked".to_string())))
            })
            .collect()
    });
    let mut bundles = Vec::new();
    for batch in fetched {
        bundles.extend(batch?);
    }
    Ok(bundles)
}

fn cursor_value(next_block: u64) -> Value {
    json!({ "next_block": next_block })
}
