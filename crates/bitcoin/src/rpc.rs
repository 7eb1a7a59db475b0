//! A blocking Bitcoin Core JSON-RPC client, and ingestion through it.
//!
//! Blocks are fetched as raw bytes (`getblock <hash> 0`, the default: smallest and exact) or as
//! verbosity-2 JSON (`getblock <hash> 2`), from which the header fields and every transaction's
//! `hex` are decoded with the `bitcoin` crate — amounts never pass through floating point. The
//! rebuilt block must hash to the hash asked for.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use base64::Engine;
use bitcoin::block::{Header, Version};
use bitcoin::hashes::Hash;
use bitcoin::{Block, BlockHash, CompactTarget, Transaction, TxMerkleNode, Txid};
use chaintrail_core::{BitcoinNetwork, Chain, UtxoTx};
use chaintrail_ingest::{ImportOptions, ImportReport};
use chaintrail_store::Store;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::BitcoinError;
use crate::convert::{block_txs, classify_script, tx_hash, txid_of};

/// How to authenticate to the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RpcAuth {
    None,
    UserPass {
        user: String,
        password: String,
    },
    /// Core's `.cookie` file (`__cookie__:<password>`), read when the client is created.
    CookieFile(PathBuf),
}

/// Timeouts and retries of a client.
#[derive(Debug, Clone, Copy)]
pub struct RpcOptions {
    /// Per request; rounded up to whole seconds.
    pub timeout: Duration,
    /// Further attempts after a transient failure (connection refused or reset, timeout, HTTP
    /// 503 "work queue depth exceeded", RPC error -28 "warming up").
    pub retries: u32,
    /// Wait before the first retry; doubled for each further one.
    pub backoff: Duration,
}

impl Default for RpcOptions {
    fn default() -> Self {
        RpcOptions {
            timeout: Duration::from_secs(120),
            retries: 5,
            backoff: Duration::from_millis(500),
        }
    }
}

/// Every failure names the call (`method` and its parameters, or the block) and the node.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    #[error(
        "{url} refused the credentials for `{call}` (HTTP {status}): check --rpc-user/--rpc-password, \
         or give the node's .cookie file"
    )]
    Auth {
        url: String,
        call: String,
        status: i32,
    },
    #[error("{url} does not answer `{call}` like a Bitcoin Core JSON-RPC server: {detail}")]
    NotANode {
        url: String,
        call: String,
        detail: String,
    },
    #[error("`{call}` to {url} timed out after {seconds} s ({attempts} attempts)")]
    Timeout {
        url: String,
        call: String,
        seconds: u64,
        attempts: u32,
    },
    #[error("cannot reach {url} for `{call}` after {attempts} attempts: {detail}")]
    Unreachable {
        url: String,
        call: String,
        attempts: u32,
        detail: String,
    },
    #[error("malformed JSON-RPC answer to `{call}` from {url}: {detail}")]
    Malformed {
        url: String,
        call: String,
        detail: String,
    },
    #[error("the node answered `{call}` with error {code}: {message}")]
    Node {
        call: String,
        code: i64,
        message: String,
    },
    #[error("cannot use the cookie file {}: {detail}", path.display())]
    Cookie { path: PathBuf, detail: String },
    #[error("bad node URL `{url}`: {detail}")]
    Url { url: String, detail: String },
}

/// A Bitcoin Core JSON-RPC endpoint.
pub struct RpcClient {
    url: String,
    authorization: Option<String>,
    options: RpcOptions,
    next_id: AtomicU64,
}

enum Attempt {
    Done(Value),
    Transient(RpcError),
    Fatal(RpcError),
}

/// How `getblock` is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BlockFormat {
    /// `getblock <hash> 0`: the serialized block in hex.
    #[default]
    Raw,
    /// `getblock <hash> 2`: JSON with every transaction's `hex`.
    Verbose,
}

impl RpcClient {
    /// A client for `url` (`http://host:port`, `host:port`, or with `user:password@`, which
    /// then overrides `auth`).
    pub fn new(url: &str, auth: RpcAuth, options: RpcOptions) -> Result<RpcClient, RpcError> {
        let mut url = url.trim().to_string();
        if url.starts_with("https://") {
            return Err(RpcError::Url {
                url,
                detail: "https is not supported: Core serves plain HTTP (tunnel it, e.g. over SSH)"
                    .to_string(),
            });
        }
        if !url.starts_with("http://") {
            url = format!("http://{url}");
        }
        let mut auth = auth;
        if let Some((userinfo, host)) = url["http://".len()..].split_once('@') {
            let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            auth = RpcAuth::UserPass {
                user: user.to_string(),
                password: password.to_string(),
            };
            url = format!("http://{host}");
        }
        let credentials = match auth {
            RpcAuth::None => None,
            RpcAuth::UserPass { user, password } => Some(format!("{user}:{password}")),
            RpcAuth::CookieFile(path) => {
                let text = std::fs::read_to_string(&path).map_err(|e| RpcError::Cookie {
                    path: path.clone(),
                    detail: format!("{e} (is the node running, and is this its data directory?)"),
                })?;
                let text = text.trim();
                if !text.contains(':') {
                    return Err(RpcError::Cookie {
                        path,
                        detail: "expected `user:password` in the file".to_string(),
                    });
                }
                Some(text.to_string())
            }
        };
        Ok(RpcClient {
            url,
            authorization: credentials.map(|c| {
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(c)
                )
            }),
            options,
            next_id: AtomicU64::new(1),
        })
    }

    /// The node's URL, without credentials.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn post(&self, call: &str, body: &Value) -> Attempt {
        let seconds = self.options.timeout.as_secs_f64().ceil().max(1.0) as u64;
        let mut request = minreq::post(&self.url)
            .with_header("Content-Type", "application/json")
            .with_body(body.to_string())
            .with_timeout(seconds);
        if let Some(auth) = &self.authorization {
            request = request.with_header("Authorization", auth.as_str());
        }
        let call = call.to_string();
        let url = self.url.clone();
        let response = match request.send() {
            Ok(response) => response,
            Err(minreq::Error::IoError(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
                ) =>
            {
                return Attempt::Transient(RpcError::Timeout {
                    url,
                    call,
                    seconds,
                    attempts: 1,
                });
            }
            Err(e) => {
                return Attempt::Transient(RpcError::Unreachable {
                    url,
                    call,
                    attempts: 1,
                    detail: e.to_string(),
                });
            }
        };
        let status = response.status_code;
        if status == 401 || status == 403 {
            return Attempt::Fatal(RpcError::Auth { url, call, status });
        }
        let text = String::from_utf8_lossy(response.as_bytes());
        match serde_json::from_str::<Value>(&text) {
            Ok(value) if value.is_object() || value.is_array() => {
                if status == 503 {
                    return Attempt::Transient(RpcError::NotANode {
                        url,
                        call,
                        detail: format!("HTTP 503: {}", snippet(&text)),
                    });
                }
                Attempt::Done(value)
            }
            Ok(_) | Err(_) if status == 503 || status == 500 && text.trim().is_empty() => {
                Attempt::Transient(RpcError::NotANode {
                    url,
                    call,
                    detail: format!("HTTP {status}: {}", snippet(&text)),
                })
            }
            Ok(_) => Attempt::Fatal(RpcError::Malformed {
                url,
                call,
                detail: format!("expected a JSON object, got {}", snippet(&text)),
            }),
            Err(e) if status == 200 && looks_like_json(&text) => {
                Attempt::Fatal(RpcError::Malformed {
                    url,
                    call,
                    detail: format!("{e}: {}", snippet(&text)),
                })
            }
            Err(_) => Attempt::Fatal(RpcError::NotANode {
                url,
                call,
                detail: format!("HTTP {status} with a non-JSON body: {}", snippet(&text)),
            }),
        }
    }

    /// POST with retries on transient failures.
    fn exchange(&self, call: &str, body: &Value) -> Result<Value, RpcError> {
        let mut wait = self.options.backoff;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let error = match self.post(call, body) {
                Attempt::Done(value) => match transient_node_error(&value) {
                    Some(message) => RpcError::Node {
                        call: call.to_string(),
                        code: -28,
                        message,
                    },
                    None => return Ok(value),
                },
                Attempt::Fatal(error) => return Err(error),
                Attempt::Transient(error) => error,
            };
            if attempt > self.options.retries {
                return Err(match error {
                    RpcError::Timeout {
                        url, call, seconds, ..
                    } => RpcError::Timeout {
                        url,
                        call,
                        seconds,
                        attempts: attempt,
                    },
                    RpcError::Unreachable {
                        url, call, detail, ..
                    } => RpcError::Unreachable {
                        url,
                        call,
                        attempts: attempt,
                        detail,
                    },
                    other => other,
                });
            }
            tracing::warn!(%error, attempt, "retrying after a transient failure");
            std::thread::sleep(wait);
            wait = wait.saturating_mul(2);
        }
    }

    fn request(&self, method: &str, params: &Value) -> Value {
        json!({
            "jsonrpc": "1.0",
            "id": self.next_id.fetch_add(1, Ordering::Relaxed),
            "method": method,
            "params": params,
        })
    }

    /// One call; `label` names what it is for in errors (e.g. the block).
    pub fn call(&self, method: &str, params: Value, label: &str) -> Result<Value, RpcError> {
        let call = describe(method, &params, label);
        let body = self.request(method, &params);
        let answer = self.exchange(&call, &body)?;
        self.result_of(&call, answer)
    }

    fn result_of(&self, call: &str, mut answer: Value) -> Result<Value, RpcError> {
        let Some(object) = answer.as_object_mut() else {
            return Err(RpcError::Malformed {
                url: self.url.clone(),
                call: call.to_string(),
                detail: "expected a JSON-RPC response object".to_string(),
            });
        };
        match object.get("error") {
            Some(Value::Null) | None => {}
            Some(error) => {
                return Err(RpcError::Node {
                    call: call.to_string(),
                    code: error.get("code").and_then(Value::as_i64).unwrap_or(0),
                    message: error
                        .get("message")
                        .and_then(Value::as_str)
                        .unwrap_or("(no message)")
                        .to_string(),
                });
            }
        }
        object.remove("result").ok_or_else(|| RpcError::Malformed {
            url: self.url.clone(),
            call: call.to_string(),
            detail: "the response has neither `result` nor `error`".to_string(),
        })
    }

    /// Several calls of one method in one JSON-RPC batch; results in the order of `params`.
    /// `labels[i]` names call `i` in errors.
    pub fn batch(
        &self,
        method: &str,
        params: &[Value],
        labels: &[String],
    ) -> Result<Vec<Value>, RpcError> {
        if params.is_empty() {
            return Ok(Vec::new());
        }
        let requests: Vec<Value> = params.iter().map(|p| self.request(method, p)).collect();
        let ids: Vec<u64> = requests
            .iter()
            .filter_map(|r| r.get("id").and_then(Value::as_u64))
            .collect();
        let call_of = |i: usize| {
            describe(
                method,
                &params[i],
                labels.get(i).map(String::as_str).unwrap_or(""),
            )
        };
        let summary = if params.len() == 1 {
            call_of(0)
        } else {
            format!(
                "batch of {} {method} calls, from {}",
                params.len(),
                call_of(0)
            )
        };
        let answer = self.exchange(&summary, &Value::Array(requests))?;
        let Value::Array(answers) = answer else {
            // A node that rejects a whole batch answers with a single error object.
            return self.result_of(&summary, answer).and_then(|_| {
                Err(RpcError::Malformed {
                    url: self.url.clone(),
                    call: summary.clone(),
                    detail: "a batch was answered with a single object".to_string(),
                })
            });
        };
        let mut by_id: HashMap<u64, Value> = answers
            .into_iter()
            .filter_map(|a| Some((a.get("id")?.as_u64()?, a)))
            .collect();
        ids.iter()
            .enumerate()
            .map(|(i, id)| {
                let answer = by_id.remove(id).ok_or_else(|| RpcError::Malformed {
                    url: self.url.clone(),
                    call: call_of(i),
                    detail: format!("the batch answer has no response with id {id}"),
                })?;
                self.result_of(&call_of(i), answer)
            })
            .collect()
    }

    pub fn get_block_count(&self) -> Result<u64, RpcError> {
        let value = self.call("getblockcount", json!([]), "")?;
        value.as_u64().ok_or_else(|| RpcError::Malformed {
            url: self.url.clone(),
            call: "getblockcount".to_string(),
            detail: format!("expected a height, got {}", snippet(&value.to_string())),
        })
    }

    /// The hashes of the blocks at `heights`, in one batch.
    pub fn get_block_hashes(
        &self,
        heights: std::ops::Range<u64>,
    ) -> Result<Vec<BlockHash>, RpcError> {
        let params: Vec<Value> = heights.clone().map(|h| json!([h])).collect();
        let labels: Vec<String> = heights.clone().map(|h| format!("height {h}")).collect();
        let values = self.batch("getblockhash", &params, &labels)?;
        values
            .iter()
            .zip(heights)
            .map(|(value, height)| {
                value
                    .as_str()
                    .and_then(|s| s.parse::<BlockHash>().ok())
                    .ok_or_else(|| RpcError::Malformed {
                        url: self.url.clone(),
                        call: format!("getblockhash {height}"),
                        detail: format!(
                            "expected a block hash, got {}",
                            snippet(&value.to_string())
                        ),
                    })
            })
            .collect()
    }

    /// The blocks with these hashes (at these heights, for error messages), in one batch.
    pub fn get_blocks(
        &self,
        blocks: &[(u64, BlockHash)],
        format: BlockFormat,
    ) -> Result<Vec<Result<Block, BitcoinError>>, RpcError> {
        let verbosity = match format {
            BlockFormat::Raw => 0,
            BlockFormat::Verbose => 2,
        };
        let params: Vec<Value> = blocks
            .iter()
            .map(|(_, hash)| json!([hash.to_string(), verbosity]))
            .collect();
        let labels: Vec<String> = blocks.iter().map(|(h, _)| format!("height {h}")).collect();
        let values = self.batch("getblock", &params, &labels)?;
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

    /// Transactions by txid (`getrawtransaction <txid> true`; needs `-txindex` on the node).
    pub fn get_transactions(&self, txids: &[Txid]) -> Result<Vec<Transaction>, BitcoinError> {
        let params: Vec<Value> = txids.iter().map(|t| json!([t.to_string(), true])).collect();
        let labels = vec![String::new(); txids.len()];
        let values = self.batch("getrawtransaction", &params, &labels)?;
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

fn looks_like_json(text: &str) -> bool {
    matches!(text.trim_start().as_bytes().first(), Some(b'{' | b'['))
}

fn transient_node_error(value: &Value) -> Option<String> {
    let error = value.get("error")?;
    (error.get("code").and_then(Value::as_i64) == Some(-28)).then(|| {
        error
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("warming up")
            .to_string()
    })
}

fn describe(method: &str, params: &Value, label: &str) -> String {
    let args: Vec<String> = params
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    let mut text = method.to_string();
    for arg in args {
        text.push(' ');
        text.push_str(&arg);
    }
    if !label.is_empty() {
        text.push_str(&format!(" ({label})"));
    }
    text
}

fn snippet(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(120) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None if text.is_empty() => "(empty body)".to_string(),
        None => text.to_string(),
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
    pub start: Option<u64>,
    pub end: Option<u64>,
}

/// How [`ingest_rpc`] fetches.
#[derive(Debug, Clone, Copy)]
pub struct RpcIngestOptions {
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
                 height (a reorg): reorgs are not supported yet; ingest into a new store",
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
                    reason,
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
