//! A small JSON-RPC 2.0 client: batched calls over HTTP (minreq, blocking), retries with
//! exponential backoff on transport failures, and errors that name the method and block.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::EvmError;
use crate::rpcjson::short;

/// One call of a batch, with the block it is about (for error messages).
#[derive(Debug, Clone)]
pub struct Call {
    pub method: &'static str,
    pub params: Value,
    pub block: Option<u64>,
}

impl Call {
    pub fn new(method: &'static str, params: Value, block: Option<u64>) -> Call {
        Call {
            method,
            params,
            block,
        }
    }
}

/// A JSON-RPC error object answered for one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeError {
    pub code: i64,
    pub message: String,
}

impl NodeError {
    /// Whether the node says it does not have this method (so a fallback is in order).
    pub fn is_unsupported(&self) -> bool {
        let text = self.message.to_ascii_lowercase();
        matches!(self.code, -32601 | -32600 | -32602 | -32004)
            || text.contains("not found")
            || text.contains("not supported")
            || text.contains("does not exist")
            || text.contains("unsupported")
            || text.contains("not available")
            || text.contains("disabled")
    }
}

impl std::fmt::Display for NodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "node error {}: {}", self.code, self.message)
    }
}

/// Client settings.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Per-request timeout.
    pub timeout: Duration,
    /// Attempts after the first one on transport failures (connection, timeout, HTTP 429/5xx).
    pub retries: u32,
    /// First backoff; doubles on each retry.
    pub backoff: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            timeout: Duration::from_secs(60),
            retries: 4,
            backoff: Duration::from_millis(250),
        }
    }
}

pub struct RpcClient {
    url: String,
    config: ClientConfig,
    next_id: AtomicU64,
}

enum Failure {
    /// Worth retrying.
    Transient(String),
    Fatal(String),
}

impl RpcClient {
    pub fn new(url: &str, config: ClientConfig) -> Result<RpcClient, EvmError> {
        let lower = url.to_ascii_lowercase();
        if lower.starts_with("https://") && !cfg!(feature = "https") {
            return Err(EvmError::Input(format!(
                "{url}: this build speaks plain http only; rebuild chaintrail with the \
                 `https` feature of chaintrail-evm, or tunnel the node to http://127.0.0.1"
            )));
        }
        if !lower.starts_with("http://") && !lower.starts_with("https://") {
            return Err(EvmError::Input(format!(
                "`{url}` is not a JSON-RPC URL: expected http://host:port (e.g. http://127.0.0.1:8545)"
            )));
        }
        Ok(RpcClient {
            url: url.to_string(),
            config,
            next_id: AtomicU64::new(1),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// One call; a node error is an [`EvmError::Node`].
    pub fn call(&self, call: Call) -> Result<Value, EvmError> {
        let (method, block) = (call.method, call.block);
        match self.batch(std::slice::from_ref(&call))?.pop() {
            Some(Ok(value)) => Ok(value),
            Some(Err(error)) => Err(EvmError::Node {
                method: method.to_string(),
                block,
                message: error.to_string(),
            }),
            None => Err(EvmError::Decode {
                method: method.to_string(),
                block,
                message: "the node answered nothing".to_string(),
            }),
        }
    }

    /// Send calls as one JSON-RPC batch. Each call gets its own result or node error; transport
    /// failures and answers that are not JSON-RPC fail the whole batch.
    pub fn batch(&self, calls: &[Call]) -> Result<Vec<Result<Value, NodeError>>, EvmError> {
        if calls.is_empty() {
            return Ok(Vec::new());
        }
        let first_id = self
            .next_id
            .fetch_add(calls.len() as u64, Ordering::Relaxed);
        let body: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(|(i, c)| {
                json!({"jsonrpc": "2.0", "id": first_id + i as u64, "method": c.method, "params": c.params})
            })
            .collect();
        let body = serde_json::to_vec(&body).map_err(|e| EvmError::Input(e.to_string()))?;
        let first = &calls[0];
        let describe = |message: String| {
            let more = if calls.len() > 1 {
                format!(" (batch of {} calls)", calls.len())
            } else {
                String::new()
            };
            (format!("{}{more}", first.method), message)
        };
        let mut delay = self.config.backoff;
        let mut attempt = 0;
        let answer = loop {
            match self.post(&body) {
                Ok(answer) => break answer,
                Err(Failure::Transient(message)) if attempt < self.config.retries => {
                    tracing::warn!(method = first.method, block = ?first.block, attempt, "{message}; retrying in {delay:?}");
                    std::thread::sleep(delay);
                    delay = delay.saturating_mul(2);
                    attempt += 1;
                }
                Err(Failure::Transient(message)) | Err(Failure::Fatal(message)) => {
                    let (method, message) = describe(message);
                    return Err(EvmError::Transport {
                        url: self.url.clone(),
                        method,
                        block: first.block,
                        message: if attempt > 0 {
                            format!("{message} (after {} attempts)", attempt + 1)
                        } else {
                            message
                        },
                    });
                }
            }
        };
        let decode_err = |message: String| {
            let (method, message) = describe(message);
            EvmError::Decode {
                method,
                block: first.block,
                message,
            }
        };
        let items = match answer {
            Value::Array(items) => items,
            Value::Object(ref object) if object.contains_key("error") => {
                let error = node_error(&answer);
                return Err(EvmError::Node {
                    method: describe(String::new()).0,
                    block: first.block,
                    message: format!("{error} (the node rejected the whole batch)"),
                });
            }
            other => {
                return Err(decode_err(format!(
                    "expected a JSON-RPC batch answer (a list), found {}",
                    short(&other)
                )));
            }
        };
        let mut results: Vec<Option<Result<Value, NodeError>>> = vec![None; calls.len()];
        for item in items {
            let id = item.get("id").and_then(Value::as_u64).ok_or_else(|| {
                decode_err(format!("an answer without a numeric id: {}", short(&item)))
            })?;
            let slot = id
                .checked_sub(first_id)
                .and_then(|i| results.get_mut(i as usize))
                .ok_or_else(|| decode_err(format!("an answer to an unknown id {id}")))?;
            *slot = Some(match item.get("error") {
                Some(error) if !error.is_null() => Err(node_error(&item)),
                _ => match item.get("result") {
                    Some(result) => Ok(result.clone()),
                    None => {
                        return Err(decode_err(format!(
                            "an answer with neither result nor error: {}",
                            short(&item)
                        )));
                    }
                },
            });
        }
        results
            .into_iter()
            .zip(calls)
            .map(|(result, call)| {
                result.ok_or_else(|| EvmError::Decode {
                    method: call.method.to_string(),
                    block: call.block,
                    message: "the node left this call of the batch unanswered".to_string(),
                })
            })
            .collect()
    }

    fn post(&self, body: &[u8]) -> Result<Value, Failure> {
        let timeout = self.config.timeout.as_secs().max(1);
        let response = minreq::post(&self.url)
            .with_header("Content-Type", "application/json")
            .with_body(body.to_vec())
            .with_timeout(timeout)
            .send()
            .map_err(|e| Failure::Transient(format!("cannot reach the node: {e}")))?;
        let status = response.status_code;
        let bytes = response.as_bytes();
        if status == 429 || status >= 500 {
            return Err(Failure::Transient(format!(
                "HTTP {status} {}",
                response.reason_phrase
            )));
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(value) => Ok(value),
            Err(e) => {
                let head = String::from_utf8_lossy(&bytes[..bytes.len().min(80)]).into_owned();
                Err(Failure::Fatal(format!(
                    "the answer (HTTP {status}) is not JSON-RPC: {e}; it starts with {head:?} — \
                     is this URL an EVM node's JSON-RPC endpoint?"
                )))
            }
        }
    }
}

fn node_error(item: &Value) -> NodeError {
    let error = item.get("error").cloned().unwrap_or(Value::Null);
    NodeError {
        code: error.get("code").and_then(Value::as_i64).unwrap_or(0),
        message: error
            .get("message")
            .and_then(Value::as_str)
            .map_or_else(|| short(&error), str::to_string),
    }
}
