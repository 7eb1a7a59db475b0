//! Bitcoin Core's JSON-RPC methods over the workspace's client (`chaintrail-rpc`), and ingestion
//! through them.
//!
//! Blocks are fetched as raw bytes (`getblock <hash> 0`, the default: smallest and exact) or as
//! verbosity-2 JSON (`getblock <hash> 2`), from which the header fields and every transaction's
//! `hex` are decoded with the `bitcoin` crate — amounts never pass through floating point. The
//! rebuilt block must hash to the hash asked for.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::mpsc;

use bitcoin::block::{Header, Version};
use bitcoin::hashes::Hash;
use bitcoin::{Block, BlockHash, CompactTarget, Transaction, TxMerkleNode, Txid};
use chaintrail_core::{BitcoinNetwork, Chain, UtxoTx};
use chaintrail_ingest::{ImportOptions, ImportReport};
use chaintrail_rpc::{Call, RpcClient, RpcError};
use chaintrail_store::Store;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::BitcoinError;
use crate::convert::{block_txs, classify_script, tx_hash, txid_of};

/// How `getblock` is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BlockFormat {
    /// `getblock <hash> 0`: the serialized block in hex.
    #[default]
    Raw,
    /// `getblock <hash> 2`: JSON with every transaction's `hex`.
    Verbose,
}

/// The Bitcoin Core methods ingestion uses, on the shared JSON-RPC client.
pub trait BitcoinRpc {
    /// `getblockcount`: the height of the node's tip.
    fn get_block_count(&self) -> Result<u64, RpcError>;
    /// The hashes of the blocks at `heights`, in one batch.
    fn get_block_hashes(&self, heights: std::ops::Range<u64>) -> Result<Vec<BlockHash>, RpcError>;
    /// The blocks with these hashes (at these heights, for error messages), in one batch.
    fn get_blocks(
        &self,
        blocks: &[(u64, BlockHash)],
        format: BlockFormat,
    ) -> Result<Vec<Result<Block, BitcoinError>>, RpcError>;
    /// Transactions by txid (`getrawtransaction <txid> true`; needs `-txindex` on the node).
    fn get_transactions(&self, txids: &[Txid]) -> Result<Vec<Transaction>, BitcoinError>;
}

/// Every call answered, or the first call's error.
fn all_answered(client: &RpcClient, calls: &[Call]) -> Result<Vec<Value>, RpcError> {
    client.batch(calls)?.into_iter().collect()
}

/// A value shown in a message, cut short.
fn shown(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(120) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

impl BitcoinRpc for RpcClient {
    fn get_block_count(&self) -> Result<u64, RpcError> {
        let value = self.call("getblockcount", json!([]))?;
        value.as_u64().ok_or_else(|| RpcError::Malformed {
            url: self.url().to_string(),
            call: "getblockcount".to_string(),
            detail: format!("expected a height, got {}", shown(&value)),
        })
    }

    fn get_block_hashes(&self, heights: std::ops::Range<u64>) -> Result<Vec<BlockHash>, RpcError> {
        let calls: Vec<Call> = heights
            .clone()
            .map(|h| Call::new("getblockhash", json!([h])).labelled(format!("height {h}")))
            .collect();
        let values = all_answered(self, &calls)?;
        values
            .iter()
            .zip(&calls)
            .map(|(value, call)| {
                value
                    .as_str()
                    .and_then(|s| s.parse::<BlockHash>().ok())
                    .ok_or_else(|| RpcError::Malformed {
                        url: self.url().to_string(),
                        call: call.describe(),
                        detail: format!("expected a block hash, got {}", shown(value)),
                    })
            })
            .collect()
    }

    fn get_blocks(
        &self,
        blocks: &[(u64, BlockHash)],
        format: BlockFormat,
    ) -> Result<Vec<Result<Block, BitcoinError>>, RpcError> {
        let verbosity = match format {
            BlockFormat::Raw => 0,
            BlockFormat::Verbose => 2,
        };
        let calls: Vec<Call> = blocks
            .iter()
            .map(|(height, hash)| {
                Call::new("getblock", json!([hash.to_string(), verbosity]))
                    .labelled(format!("height {height}"))
            })
            .collect();
        let values = all_answered(self, &calls)?;
        Ok(values
            .iter()
            .zip(blocks)
            .map(|(value, &(height, hash))| {
                let bad = |reason: String| BitcoinError::BadRpcBlock {
                    block: format!("{hash} (height {height})"),
                    method: "getblock",
                    reason,
                };
                let block = match format {
                    BlockFormat::Raw => {
                        let text = value
                            .as_str()
                            .ok_or_else(|| bad("expected a hex string".to_string()))?;
                        let bytes = hex::decode(text).map_err(|e| bad(format!("not hex: {e}")))?;
                        bitcoin::consensus::deserialize::<Block>(&bytes)
                            .map_err(|e| bad(format!("does not decode: {e}")))?
                    }
                    BlockFormat::Verbose => block_from_verbose(value).map_err(bad)?,
                };
                if block.block_hash() != hash {
                    return Err(bad(format!(
                        "the node's data hashes to {}, not to the block asked for",
                        block.block_hash()
                    )));
                }
                Ok(block)
            })
            .collect())
    }

    fn get_transactions(&self, txids: &[Txid]) -> Result<Vec<Transaction>, BitcoinError> {
        let calls: Vec<Call> = txids
            .iter()
            .map(|t| Call::new("getrawtransaction", json!([t.to_string(), true])))
            .collect();
        let values = all_answered(self, &calls)?;
        values
            .iter()
            .zip(txids)
            .map(|(value, txid)| {
                let bad = |reason: String| BitcoinError::BadRpcBlock {
                    block: format!("transaction {txid}"),
                    method: "getrawtransaction",
                    reason,
                };
                let text = value
                    .get("hex")
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad("the answer has no `hex`".to_string()))?;
                let bytes = hex::decode(text).map_err(|e| bad(format!("not hex: {e}")))?;
                let tx: Transaction = bitcoin::consensus::deserialize(&bytes)
                    .map_err(|e| bad(format!("does not decode: {e}")))?;
                if tx.compute_txid() != *txid {
                    return Err(bad("the node returned another transaction".to_string()));
                }
                Ok(tx)
            })
            .collect()
    }
}

/// Rebuild a block from `getblock` verbosity 2: header fields plus each transaction's `hex`.
fn block_from_verbose(value: &Value) -> Result<Block, String> {
    let field = |name: &str| value.get(name).ok_or(format!("missing `{name}`"));
    let hash_field = |name: &str| -> Result<[u8; 32], String> {
        let text = field(name)?
            .as_str()
            .ok_or(format!("`{name}` is not a string"))?;
        let mut raw = [0u8; 32];
        hex::decode_to_slice(text, &mut raw).map_err(|e| format!("`{name}`: {e}"))?;
        raw.reverse();
        Ok(raw)
    };
    let int = |name: &str| -> Result<i64, String> {
        field(name)?
            .as_i64()
            .ok_or(format!("`{name}` is not an integer"))
    };
    let prev = match value.get("previousblockhash") {
        Some(_) => hash_field("previousblockhash")?,
        None => [0; 32],
    };
    let bits_text = field("bits")?.as_str().ok_or("`bits` is not a string")?;
    let bits = u32::from_str_radix(bits_text, 16).map_err(|e| format!("`bits`: {e}"))?;
    let narrow = |name: &str| -> Result<u32, String> {
        u32::try_from(int(name)?).map_err(|_| format!("`{name}` is out of range"))
    };
    let version = i32::try_from(int("version")?).map_err(|_| "`version` is out of range")?;
    let header = Header {
        version: Version::from_consensus(version),
        prev_blockhash: BlockHash::from_byte_array(prev),
        merkle_root: TxMerkleNode::from_byte_array(hash_field("merkleroot")?),
        time: narrow("time")?,
        bits: CompactTarget::from_consensus(bits),
        nonce: narrow("nonce")?,
    };
    let txs = field("tx")?
        .as_array()
        .ok_or("`tx` is not an array (verbosity 2 expected)")?;
    let txdata = txs
        .iter()
        .enumerate()
        .map(|(i, tx)| {
            let text = tx
                .get("hex")
                .and_then(Value::as_str)
                .ok_or(format!("transaction {i} has no `hex`"))?;
            let bytes = hex::decode(text).map_err(|e| format!("transaction {i}: {e}"))?;
            bitcoin::consensus::deserialize::<Transaction>(&bytes)
                .map_err(|e| format!("transaction {i} does not decode: {e}"))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Block { header, txdata })
}

/// Which heights to ingest. `start: None` resumes after the last block this node delivered to
/// the store (or starts at 0); `end: None` is the node's current tip.
#[derive(Debug, Clone, Copy, Default)]
pub struct BlockRange {
    /// The first height (`None`: after the last block stored from this node).
    pub start: Option<u64>,
    /// The last height (`None`: the node's tip).
    pub end: Option<u64>,
}

/// How [`ingest_rpc`] fetches.
#[derive(Debug, Clone, Copy)]
pub struct RpcIngestOptions {
    /// How blocks are asked for (raw or verbose `getblock`).
    pub format: BlockFormat,
    /// Blocks per JSON-RPC batch.
    pub batch: usize,
    /// Fetch the outputs spent by inputs whose transaction is not in the store
    /// (`getrawtransaction`, needs `-txindex`), so that a range that does not start at genesis
    /// still gets input values, addresses and fees.
    pub resolve_prevouts: bool,
}

impl Default for RpcIngestOptions {
    fn default() -> Self {
        RpcIngestOptions {
            format: BlockFormat::Raw,
            batch: 8,
            resolve_prevouts: false,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RpcCursor {
    height: u64,
    hash: String,
}

struct Fetched {
    height: u64,
    hash: BlockHash,
    txs: Vec<UtxoTx>,
}

/// Ingest blocks from a Bitcoin Core node. Commits at block boundaries with the last complete
/// block as the cursor; a later run without `range.start` resumes after it.
pub fn ingest_rpc(
    store: &Store,
    client: &RpcClient,
    network: BitcoinNetwork,
    range: BlockRange,
    rpc_options: &RpcIngestOptions,
    options: &ImportOptions<'_>,
) -> Result<ImportReport, BitcoinError> {
    let chain = Chain::Bitcoin(network);
    check_network(client, network)?;
    let mut writer = store.writer(chain)?;
    let cursor_key = format!("bitcoin-rpc:{}", client.url());
    let saved = writer
        .cursor(&cursor_key)
        .and_then(|v| serde_json::from_value::<RpcCursor>(v.clone()).ok());
    let mut start = range.start.unwrap_or(0);
    let mut resumed = false;
    if let Some(saved) = &saved
        && saved.height >= start
    {
        let hash = client
            .get_block_hashes(saved.height..saved.height + 1)?
            .pop()
            .map(|h| h.to_string());
        if hash.as_deref() != Some(saved.hash.as_str()) {
            return Err(BitcoinError::Diverged(format!(
                "the store holds {chain} up to block {} ({}), but the node now has {} at that \
                 height (a reorg): `ingest` only appends; `chaintrail follow --rpc` rolls reorgs \
                 back, or ingest into a new store",
                saved.height,
                saved.hash,
                hash.unwrap_or_default()
            )));
        }
        start = saved.height + 1;
        resumed = true;
    }
    let end = match range.end {
        Some(end) => end,
        None => client.get_block_count()?,
    };
    // Txids known to be stored (committed before this run, or appended by it), for prevout
    // resolution only.
    let known_before = if rpc_options.resolve_prevouts && store.chains()?.contains(&chain) {
        Some(store.reader(chain)?)
    } else {
        None
    };
    let batch = rpc_options.batch.max(1) as u64;
    let total = (end + 1).saturating_sub(start);
    let mut txs_read = 0u64;
    let mut since_checkpoint = 0u64;
    let mut done = 0u64;
    let mut last = saved;
    let outcome: Result<(), BitcoinError> = std::thread::scope(|scope| {
        let (send, receive) =
            mpsc::sync_channel::<Result<Fetched, BitcoinError>>(2 * batch as usize);
        scope.spawn(move || {
            let mut seen: HashSet<[u8; 32]> = HashSet::new();
            let mut from = start;
            while from <= end {
                let to = (from + batch).min(end + 1);
                let fetched = fetch_range(client, network, from..to, rpc_options.format);
                let fetched = match fetched {
                    Ok(blocks) => blocks,
                    Err(e) => {
                        let _ = send.send(Err(e));
                        return;
                    }
                };
                for mut item in fetched {
                    if let (Ok(block), true) = (&mut item, rpc_options.resolve_prevouts) {
                        for tx in &block.txs {
                            seen.insert(tx.hash.0);
                        }
                        let known = |hash: &[u8; 32]| {
                            seen.contains(hash)
                                || known_before.as_ref().is_some_and(|r| {
                                    r.tx_id(&chaintrail_core::TxHash(*hash)).is_some()
                                })
                        };
                        if let Err(e) = resolve_prevouts(client, network, &mut block.txs, known) {
                            item = Err(e);
                        }
                    }
                    let failed = item.is_err();
                    if send.send(item).is_err() || failed {
                        return;
                    }
                }
                from = to;
            }
        });
        for fetched in receive {
            let fetched = fetched?;
            for tx in &fetched.txs {
                writer.append_utxo_tx(tx)?;
            }
            txs_read += fetched.txs.len() as u64;
            since_checkpoint += fetched.txs.len() as u64;
            done += 1;
            last = Some(RpcCursor {
                height: fetched.height,
                hash: fetched.hash.to_string(),
            });
            if since_checkpoint >= options.checkpoint_every {
                writer.commit(&cursor_key, cursor_value(last.as_ref()))?;
                (options.on_progress)(done, total);
                since_checkpoint = 0;
            }
        }
        Ok(())
    });
    if let Err(err) = outcome {
        // Keep the complete blocks, indexed; after a store error commit nothing.
        if !matches!(err, BitcoinError::Store(_)) {
            writer.finish(&cursor_key, cursor_value(last.as_ref()))?;
        }
        return Err(err);
    }
    let totals = writer.finish(&cursor_key, cursor_value(last.as_ref()))?;
    (options.on_progress)(done, total);
    Ok(ImportReport {
        chain,
        format: "bitcoin-rpc".to_string(),
        source: PathBuf::from(client.url()),
        txs_read,
        resumed,
        totals,
    })
}

/// The node's genesis block must be the network's (a custom signet passes as testnet).
fn check_network(client: &RpcClient, network: BitcoinNetwork) -> Result<(), BitcoinError> {
    let genesis = client.get_block_hashes(0..1)?.pop();
    let known = crate::blk::genesis_hashes(network);
    match genesis {
        Some(hash) if known.contains(&hash) => Ok(()),
        Some(hash) if network == BitcoinNetwork::Testnet => {
            tracing::warn!(%hash, "unknown genesis block: assuming a custom signet");
            Ok(())
        }
        other => {
            let found = [
                BitcoinNetwork::Mainnet,
                BitcoinNetwork::Testnet,
                BitcoinNetwork::Regtest,
            ]
            .into_iter()
            .find(|&n| other.is_some_and(|h| crate::blk::genesis_hashes(n).contains(&h)))
            .map_or("an unknown network".to_string(), |n| {
                Chain::Bitcoin(n).to_string()
            });
            Err(BitcoinError::Diverged(format!(
                "the node at {} is on {found}, not {}: its genesis block is {}",
                client.url(),
                Chain::Bitcoin(network),
                other.map(|h| h.to_string()).unwrap_or_default()
            )))
        }
    }
}

fn fetch_range(
    client: &RpcClient,
    network: BitcoinNetwork,
    heights: std::ops::Range<u64>,
    format: BlockFormat,
) -> Result<Vec<Result<Fetched, BitcoinError>>, BitcoinError> {
    let hashes = client.get_block_hashes(heights.clone())?;
    let wanted: Vec<(u64, BlockHash)> = heights.zip(hashes).collect();
    let blocks = client.get_blocks(&wanted, format)?;
    Ok(blocks
        .into_iter()
        .zip(&wanted)
        .map(|(block, &(height, hash))| {
            let block = block?;
            let txs =
                block_txs(&block, height, network).map_err(|reason| BitcoinError::BadRpcBlock {
                    block: format!("{hash} (height {height})"),
                    method: "getblock",
                    reason: reason.to_string(),
                })?;
            Ok(Fetched { height, hash, txs })
        })
        .collect())
}

/// Fill in value and address of inputs whose spent transaction is not `known`.
fn resolve_prevouts(
    client: &RpcClient,
    network: BitcoinNetwork,
    txs: &mut [UtxoTx],
    known: impl Fn(&[u8; 32]) -> bool,
) -> Result<(), BitcoinError> {
    let mut wanted: Vec<Txid> = txs
        .iter()
        .flat_map(|tx| tx.inputs.iter())
        .filter_map(|input| input.prevout)
        .filter(|prevout| !known(&prevout.tx.0))
        .map(|prevout| txid_of(&prevout.tx))
        .collect();
    wanted.sort();
    wanted.dedup();
    if wanted.is_empty() {
        return Ok(());
    }
    let fetched: HashMap<[u8; 32], Transaction> = client
        .get_transactions(&wanted)?
        .into_iter()
        .map(|tx| (tx_hash(tx.compute_txid()).0, tx))
        .collect();
    for tx in txs.iter_mut() {
        let spender = tx.hash;
        for input in &mut tx.inputs {
            let Some(prevout) = input.prevout else {
                continue;
            };
            let Some(prev) = fetched.get(&prevout.tx.0) else {
                continue;
            };
            let output = prev.output.get(prevout.vout as usize).ok_or_else(|| {
                BitcoinError::BadRpcBlock {
                    block: format!("transaction {spender}"),
                    method: "getrawtransaction",
                    reason: format!(
                        "it spends output {} of {}, which has only {} outputs",
                        prevout.vout,
                        prevout.tx,
                        prev.output.len()
                    ),
                }
            })?;
            input.value = Some(output.value.to_sat());
            input.address = Some(classify_script(&output.script_pubkey, network));
        }
    }
    Ok(())
}

fn cursor_value(cursor: Option<&RpcCursor>) -> serde_json::Value {
    cursor
        .and_then(|c| serde_json::to_value(c).ok())
        .unwrap_or(serde_json::Value::Null)
}
