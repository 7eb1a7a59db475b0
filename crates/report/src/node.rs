//! The nodes citations are anchored to and checked against: EVM JSON-RPC and Bitcoin Core RPC,
//! each found by asking it which chain it serves. Only what citations need is read: a block's
//! hash and transactions, a transaction's place, a receipt's logs, an output's address.

use std::collections::BTreeMap;

use chaintrail_core::{BitcoinNetwork, Chain, ChainModel};
use chaintrail_rpc::{RpcAuth, RpcClient, RpcError, RpcOptions};
use serde_json::{Value, json};

use crate::ReportError;

/// The keccak-256 of `Transfer(address,address,uint256)`: topic 0 of ERC-20/721 transfers.
pub(crate) const TRANSFER_TOPIC: &str =
    "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";

/// One node per chain.
pub struct Nodes {
    clients: BTreeMap<Chain, RpcClient>,
}

/// A block as citations see it.
pub(crate) struct NodeBlock {
    /// Its hash, lower-case (EVM with `0x`, Bitcoin without).
    pub hash: String,
    /// Its transactions' hashes in order, lower-case.
    pub txs: Vec<String>,
    /// Bitcoin: per transaction, the address of each output (`None` without one).
    pub outputs: Vec<Vec<Option<String>>>,
}

/// One EVM log.
pub(crate) struct NodeLog {
    pub index: u64,
    pub address: String,
    pub topics: Vec<String>,
}

fn text(value: &Value, field: &str) -> Option<String> {
    value.get(field)?.as_str().map(str::to_ascii_lowercase)
}

fn quantity(value: &Value, field: &str) -> Option<u64> {
    let hex = value.get(field)?.as_str()?.strip_prefix("0x")?;
    u64::from_str_radix(hex, 16).ok()
}

fn bad_answer(url: &str, what: &str) -> ReportError {
    ReportError::Invalid(format!("{url} answered {what} in an unexpected shape"))
}

impl Nodes {
    /// Connect to every URL and ask each which chain it serves (`eth_chainId`, else
    /// `getblockchaininfo`). Credentials go in the URL (`http://user:password@host:port`).
    pub fn connect(urls: &[String]) -> Result<Nodes, ReportError> {
        let mut clients = BTreeMap::new();
        for url in urls {
            let client = RpcClient::new(
                url,
                RpcAuth::None,
                RpcOptions {
                    retries: 2,
                    ..RpcOptions::default()
                },
            )?;
            let chain = identify(&client)?;
            clients.insert(chain, client);
        }
        Ok(Nodes { clients })
    }

    /// The chains served.
    pub fn chains(&self) -> Vec<Chain> {
        self.clients.keys().copied().collect()
    }

    pub(crate) fn client(&self, chain: Chain) -> Option<&RpcClient> {
        self.clients.get(&chain)
    }

    /// The block at `height`, `None` when the node has none there.
    pub(crate) fn block(
        &self,
        chain: Chain,
        height: u64,
    ) -> Result<Option<NodeBlock>, ReportError> {
        let Some(client) = self.client(chain) else {
            return Ok(None);
        };
        match chain.model() {
            ChainModel::Account => {
                let block = client.call(
                    "eth_getBlockByNumber",
                    json!([format!("{height:#x}"), false]),
                )?;
                if block.is_null() {
                    return Ok(None);
                }
                let hash =
                    text(&block, "hash").ok_or_else(|| bad_answer(client.url(), "a block"))?;
                let txs = block
                    .get("transactions")
                    .and_then(Value::as_array)
                    .ok_or_else(|| bad_answer(client.url(), "a block"))?
                    .iter()
                    .filter_map(|t| t.as_str().map(str::to_ascii_lowercase))
                    .collect();
                Ok(Some(NodeBlock {
                    hash,
                    txs,
                    outputs: Vec::new(),
                }))
            }
            ChainModel::Utxo => {
                let hash = match client.call("getblockhash", json!([height])) {
                    Ok(hash) => hash
                        .as_str()
                        .map(str::to_ascii_lowercase)
                        .ok_or_else(|| bad_answer(client.url(), "getblockhash"))?,
                    // -8: block height out of range.
                    Err(RpcError::Node { code: -8, .. }) => return Ok(None),
                    Err(e) => return Err(e.into()),
                };
                let block = client.call("getblock", json!([hash, 2]))?;
                let list = block
                    .get("tx")
                    .and_then(Value::as_array)
                    .ok_or_else(|| bad_answer(client.url(), "getblock"))?;
                let txs = list.iter().filter_map(|t| text(t, "txid")).collect();
                let outputs = list
                    .iter()
                    .map(|t| {
                        t.get("vout")
                            .and_then(Value::as_array)
                            .map(|vouts| {
                                vouts
                                    .iter()
                                    .map(|v| v.get("scriptPubKey").and_then(|s| text(s, "address")))
                                    .collect()
                            })
                            .unwrap_or_default()
                    })
                    .collect();
                Ok(Some(NodeBlock { hash, txs, outputs }))
            }
        }
    }

    /// EVM: the block number, block hash and index of transaction `tx`; `None` when unknown.
    pub(crate) fn evm_tx(
        &self,
        chain: Chain,
        tx: &str,
    ) -> Result<Option<(u64, String, u64)>, ReportError> {
        let Some(client) = self.client(chain) else {
            return Ok(None);
        };
        let found = client.call("eth_getTransactionByHash", json!([tx]))?;
        if found.is_null() {
            return Ok(None);
        }
        match (
            quantity(&found, "blockNumber"),
            text(&found, "blockHash"),
            quantity(&found, "transactionIndex"),
        ) {
            (Some(number), Some(hash), Some(index)) => Ok(Some((number, hash, index))),
            _ => Err(ReportError::Invalid(format!(
                "{} knows {tx} but not its block (still pending?): anchor again once it is mined",
                client.url()
            ))),
        }
    }

    /// EVM: the logs of transaction `tx`'s receipt.
    pub(crate) fn evm_logs(&self, chain: Chain, tx: &str) -> Result<Vec<NodeLog>, ReportError> {
        let Some(client) = self.client(chain) else {
            return Ok(Vec::new());
        };
        let receipt = client.call("eth_getTransactionReceipt", json!([tx]))?;
        Ok(receipt
            .get("logs")
            .and_then(Value::as_array)
            .map(|logs| {
                logs.iter()
                    .filter_map(|log| {
                        Some(NodeLog {
                            index: quantity(log, "logIndex")?,
                            address: text(log, "address")?,
                            topics: log
                                .get("topics")?
                                .as_array()?
                                .iter()
                                .filter_map(|t| t.as_str().map(str::to_ascii_lowercase))
                                .collect(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default())
    }
}

/// Does a 32-byte topic hold this 20-byte address?
pub(crate) fn topic_is(topic: Option<&String>, address: Option<&str>) -> bool {
    match (topic, address) {
        (Some(topic), Some(address)) => {
            let address = address.trim_start_matches("0x").to_ascii_lowercase();
            topic.len() == 66 && topic.ends_with(&address)
        }
        _ => false,
    }
}

fn identify(client: &RpcClient) -> Result<Chain, ReportError> {
    if let Ok(id) = client.call("eth_chainId", json!([])) {
        let id = id
            .as_str()
            .and_then(|h| h.strip_prefix("0x"))
            .and_then(|h| u64::from_str_radix(h, 16).ok())
            .ok_or_else(|| bad_answer(client.url(), "eth_chainId"))?;
        return Ok(Chain::Evm(id));
    }
    let info = client.call("getblockchaininfo", json!([])).map_err(|e| {
        ReportError::Invalid(format!(
            "{} answers neither eth_chainId (EVM) nor getblockchaininfo (Bitcoin Core): {e}",
            client.url()
        ))
    })?;
    let network = match info.get("chain").and_then(Value::as_str) {
        Some("main") => BitcoinNetwork::Mainnet,
        Some("test" | "testnet4" | "signet") => BitcoinNetwork::Testnet,
        Some("regtest") => BitcoinNetwork::Regtest,
        other => {
            return Err(ReportError::Invalid(format!(
                "{} serves Bitcoin chain {other:?}, which chaintrail does not read",
                client.url()
            )));
        }
    };
    Ok(Chain::Bitcoin(network))
}
