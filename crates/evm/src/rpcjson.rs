//! Lenient decoding of JSON-RPC answers into [`crate::model`] records. Quantities are accepted as
//! hex strings (the spec), JSON numbers or decimal strings (what older or odd nodes send); every
//! error names the field.

use alloy_primitives::{Address, B256, Bytes, U256};
use serde_json::{Map, Value};

use crate::MalformedData;
use crate::model::{
    EvmBlock, EvmLog, EvmReceipt, EvmTrace, EvmTransaction, TraceType, Withdrawal,
    propagate_trace_status,
};

/// Parse a quantity: `0x`-hex, decimal text, or a JSON number.
pub(crate) fn u256_text(text: &str) -> Result<U256, String> {
    let text = text.trim();
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some("") => Ok(U256::ZERO),
        Some(hex) => U256::from_str_radix(hex, 16),
        None => U256::from_str_radix(text, 10),
    };
    parsed.map_err(|_| format!("`{text}` is not a number"))
}

fn u256_value(value: &Value) -> Result<U256, String> {
    match value {
        Value::String(text) => u256_text(text),
        Value::Number(number) => number
            .as_u64()
            .map(U256::from)
            .ok_or_else(|| format!("`{number}` is not a non-negative integer")),
        other => Err(format!("expected a quantity, found {other}")),
    }
}

fn u64_value(value: &Value) -> Result<u64, String> {
    let wide = u256_value(value)?;
    u64::try_from(wide).map_err(|_| format!("{wide} does not fit in 64 bits"))
}

fn text_value(value: &Value) -> Result<&str, String> {
    value
        .as_str()
        .ok_or_else(|| format!("expected a hex string, found {value}"))
}

pub(crate) fn address_text(text: &str) -> Result<Address, String> {
    text.trim()
        .parse::<Address>()
        .map_err(|_| format!("`{text}` is not a 20-byte address"))
}

pub(crate) fn b256_text(text: &str) -> Result<B256, String> {
    text.trim()
        .parse::<B256>()
        .map_err(|_| format!("`{text}` is not a 32-byte hash"))
}

pub(crate) fn bytes_text(text: &str) -> Result<Bytes, String> {
    text.trim()
        .parse::<Bytes>()
        .map_err(|_| format!("`{text}` is not hex data"))
}

/// Field access on one JSON object with errors naming the field.
pub(crate) struct Fields<'a>(pub &'a Map<String, Value>);

impl<'a> Fields<'a> {
    pub(crate) fn of(value: &'a Value, what: &str) -> Result<Fields<'a>, String> {
        value
            .as_object()
            .map(Fields)
            .ok_or_else(|| format!("expected {what} object, found {}", short(value)))
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    fn req(&self, name: &str) -> Result<&'a Value, String> {
        self.get(name)
            .ok_or_else(|| format!("field `{name}` is missing"))
    }

    fn with<T>(
        &self,
        name: &str,
        parse: impl Fn(&'a Value) -> Result<T, String>,
    ) -> Result<Option<T>, String> {
        self.get(name)
            .map(parse)
            .transpose()
            .map_err(|e| format!("field `{name}`: {e}"))
    }

    fn need<T>(
        &self,
        name: &str,
        parse: impl Fn(&'a Value) -> Result<T, String>,
    ) -> Result<T, String> {
        parse(self.req(name)?).map_err(|e| format!("field `{name}`: {e}"))
    }

    pub(crate) fn u64(&self, name: &str) -> Result<u64, String> {
        self.need(name, u64_value)
    }
    pub(crate) fn opt_u64(&self, name: &str) -> Result<Option<u64>, String> {
        self.with(name, u64_value)
    }
    pub(crate) fn u256(&self, name: &str) -> Result<U256, String> {
        self.need(name, u256_value)
    }
    pub(crate) fn opt_u256(&self, name: &str) -> Result<Option<U256>, String> {
        self.with(name, u256_value)
    }
    pub(crate) fn address(&self, name: &str) -> Result<Address, String> {
        self.need(name, |v| text_value(v).and_then(address_text))
    }
    pub(crate) fn opt_address(&self, name: &str) -> Result<Option<Address>, String> {
        self.with(name, |v| text_value(v).and_then(address_text))
    }
    pub(crate) fn b256(&self, name: &str) -> Result<B256, String> {
        self.need(name, |v| text_value(v).and_then(b256_text))
    }
    pub(crate) fn opt_b256(&self, name: &str) -> Result<Option<B256>, String> {
        self.with(name, |v| text_value(v).and_then(b256_text))
    }
    fn bytes(&self, name: &str) -> Result<Bytes, String> {
        Ok(self
            .with(name, |v| text_value(v).and_then(bytes_text))?
            .unwrap_or_default())
    }
    pub(crate) fn opt_str(&self, name: &str) -> Option<&'a str> {
        self.get(name).and_then(Value::as_str)
    }
    fn array(&self, name: &str) -> Result<&'a [Value], String> {
        match self.get(name) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(format!(
                "field `{name}`: expected a list, found {}",
                short(other)
            )),
        }
    }
}

/// A value shown in an error message, cut short.
pub(crate) fn short(value: &Value) -> String {
    let mut text = value.to_string();
    if text.len() > 120 {
        let mut cut = 117;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("...");
    }
    text
}

/// A block from `eth_getBlockByNumber(n, true)`.
pub fn decode_block(value: &Value) -> Result<EvmBlock, MalformedData> {
    let f = Fields::of(value, "a block")?;
    let number = f.u64("number")?;
    let timestamp = f.u64("timestamp")?;
    let miner = match f.opt_address("miner")? {
        Some(miner) => miner,
        None => f.address("author")?,
    };
    let mut transactions = Vec::new();
    for (i, tx) in f.array("transactions")?.iter().enumerate() {
        let tx = decode_transaction(tx, number).map_err(|e| format!("transaction {i}: {e}"))?;
        transactions.push(tx);
    }
    let mut withdrawals = Vec::new();
    for (i, w) in f.array("withdrawals")?.iter().enumerate() {
        let w = decode_withdrawal(w).map_err(|e| format!("withdrawal {i}: {e}"))?;
        withdrawals.push(w);
    }
    Ok(EvmBlock {
        number,
        hash: Some(f.b256("hash")?),
        parent_hash: Some(f.b256("parentHash")?),
        timestamp,
        miner,
        base_fee_per_gas: f.opt_u256("baseFeePerGas")?,
        transactions,
        withdrawals,
    })
}

fn decode_withdrawal(value: &Value) -> Result<Withdrawal, String> {
    let f = Fields::of(value, "a withdrawal")?;
    Ok(Withdrawal {
        index: f.u64("index")?,
        validator_index: f.u64("validatorIndex")?,
        address: f.address("address")?,
        amount_gwei: f.u64("amount")?,
    })
}

fn decode_transaction(value: &Value, block_number: u64) -> Result<EvmTransaction, String> {
    if value.is_string() {
        return Err(
            "the block lists transaction hashes only: ask with full transactions \
                    (eth_getBlockByNumber(n, true))"
                .to_string(),
        );
    }
    let f = Fields::of(value, "a transaction")?;
    Ok(EvmTransaction {
        hash: f.b256("hash")?,
        nonce: f.u64("nonce")?,
        block_number,
        transaction_index: f.u64("transactionIndex")?,
        from: f.address("from")?,
        to: f.opt_address("to")?,
        value: f.u256("value")?,
        gas: f.u64("gas")?,
        gas_price: f.opt_u256("gasPrice")?,
        input: f.bytes("input")?,
        max_fee_per_gas: f.opt_u256("maxFeePerGas")?,
        max_priority_fee_per_gas: f.opt_u256("maxPriorityFeePerGas")?,
        transaction_type: f.opt_u64("type")?,
    })
}

/// A receipt from `eth_getTransactionReceipt` or one element of `eth_getBlockReceipts`.
pub fn decode_receipt(value: &Value) -> Result<EvmReceipt, MalformedData> {
    let f = Fields::of(value, "a receipt")?;
    let mut logs = Vec::new();
    for (i, log) in f.array("logs")?.iter().enumerate() {
        logs.push(decode_log(log).map_err(|e| format!("log {i}: {e}"))?);
    }
    Ok(EvmReceipt {
        transaction_hash: f.b256("transactionHash")?,
        transaction_index: f.u64("transactionIndex")?,
        block_number: f.u64("blockNumber")?,
        cumulative_gas_used: f.u64("cumulativeGasUsed")?,
        gas_used: f.u64("gasUsed")?,
        contract_address: f.opt_address("contractAddress")?,
        root: f.opt_b256("root")?,
        status: f.opt_u64("status")?,
        effective_gas_price: f.opt_u256("effectiveGasPrice")?,
        blob_gas_used: f.opt_u64("blobGasUsed")?,
        blob_gas_price: f.opt_u256("blobGasPrice")?,
        logs,
    })
}

/// A log of an `eth_getTransactionReceipt` or `eth_getBlockReceipts` answer.
pub fn decode_log(value: &Value) -> Result<EvmLog, MalformedData> {
    let f = Fields::of(value, "a log")?;
    let mut topics = Vec::new();
    for topic in f.array("topics")? {
        topics.push(
            text_value(topic)
                .and_then(b256_text)
                .map_err(|e| format!("field `topics`: {e}"))?,
        );
    }
    Ok(EvmLog {
        log_index: f.u64("logIndex")?,
        transaction_hash: f.b256("transactionHash")?,
        transaction_index: f.u64("transactionIndex")?,
        block_number: f.u64("blockNumber")?,
        address: f.address("address")?,
        data: f.bytes("data")?,
        topics,
    })
}

/// The answer of Parity/OpenEthereum/Erigon/Reth/anvil `trace_block`.
pub fn decode_parity_traces(value: &Value) -> Result<Vec<EvmTrace>, MalformedData> {
    let items = value
        .as_array()
        .ok_or_else(|| format!("expected a list of traces, found {}", short(value)))?;
    let mut traces = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        traces.push(decode_parity_trace(item).map_err(|e| format!("trace {i}: {e}"))?);
    }
    propagate_trace_status(&mut traces);
    Ok(traces)
}

fn decode_parity_trace(value: &Value) -> Result<EvmTrace, String> {
    let f = Fields::of(value, "a trace")?;
    let kind = f.opt_str("type").unwrap_or_default();
    let trace_type = TraceType::parse(kind)
        .ok_or_else(|| format!("field `type`: unknown trace type `{kind}`"))?;
    let action = Fields::of(f.req("action")?, "an action")?;
    let result = f
        .get("result")
        .map(|r| Fields::of(r, "a result"))
        .transpose()?;
    let mut trace_address = Vec::new();
    for position in f.array("traceAddress")? {
        trace_address.push(u64_value(position).map_err(|e| format!("field `traceAddress`: {e}"))?);
    }
    let (from, to, value, call_type, reward_type) = match trace_type {
        TraceType::Call => (
            action.opt_address("from")?,
            action.opt_address("to")?,
            action.u256("value")?,
            action.opt_str("callType").map(str::to_string),
            None,
        ),
        TraceType::Create => (
            action.opt_address("from")?,
            match &result {
                Some(r) => r.opt_address("address")?,
                None => None,
            },
            action.u256("value")?,
            None,
            None,
        ),
        TraceType::Suicide => (
            action.opt_address("address")?,
            action.opt_address("refundAddress")?,
            action.u256("balance")?,
            None,
            None,
        ),
        TraceType::Reward | TraceType::Genesis | TraceType::DaoFork => (
            None,
            action.opt_address("author")?,
            action.u256("value")?,
            None,
            action.opt_str("rewardType").map(str::to_string),
        ),
    };
    Ok(EvmTrace {
        block_number: f.u64("blockNumber")?,
        transaction_hash: f.opt_b256("transactionHash")?,
        transaction_index: f.opt_u64("transactionPosition")?,
        from,
        to,
        value,
        trace_type,
        call_type,
        reward_type,
        subtraces: f.opt_u64("subtraces")?.unwrap_or(0),
        trace_address,
        error: f.opt_str("error").map(str::to_string),
        status: true,
    })
}

/// The answer of Geth's `debug_traceBlockByNumber(n, {"tracer": "callTracer"})`, flattened into
/// Parity-style traces the way ethereum-etl does. `tx_hashes` are the block's transactions in
/// order (older Geth answers do not carry the hash).
pub fn decode_geth_traces(
    value: &Value,
    block_number: u64,
    tx_hashes: &[B256],
) -> Result<Vec<EvmTrace>, MalformedData> {
    let items = value.as_array().ok_or_else(|| {
        format!(
            "expected a list of transaction traces, found {}",
            short(value)
        )
    })?;
    let mut traces = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let f = Fields::of(item, "a transaction trace")?;
        if let Some(error) = f.opt_str("error") {
            return Err(format!("transaction {i}: the tracer failed: {error}").into());
        }
        let hash = match f.opt_b256("txHash")? {
            Some(hash) => Some(hash),
            None => tx_hashes.get(i).copied(),
        };
        let frame = f
            .req("result")
            .map_err(|e| format!("transaction {i}: {e}"))?;
        let mut path = Vec::new();
        flatten_frame(frame, block_number, hash, i as u64, &mut path, &mut traces)
            .map_err(|e| format!("transaction {i}: {e}"))?;
    }
    propagate_trace_status(&mut traces);
    Ok(traces)
}

fn flatten_frame(
    frame: &Value,
    block_number: u64,
    hash: Option<B256>,
    index: u64,
    path: &mut Vec<u64>,
    out: &mut Vec<EvmTrace>,
) -> Result<(), String> {
    if path.len() > 1024 {
        return Err("call frames nested deeper than the EVM allows".to_string());
    }
    let f = Fields::of(frame, "a call frame")?;
    let kind = f.opt_str("type").unwrap_or_default().to_ascii_uppercase();
    let (trace_type, call_type) = match kind.as_str() {
        "CALL" => (TraceType::Call, Some("call")),
        "STATICCALL" => (TraceType::Call, Some("staticcall")),
        "DELEGATECALL" => (TraceType::Call, Some("delegatecall")),
        "CALLCODE" => (TraceType::Call, Some("callcode")),
        "CREATE" | "CREATE2" => (TraceType::Create, None),
        "SELFDESTRUCT" => (TraceType::Suicide, None),
        other => return Err(format!("unknown call frame type `{other}`")),
    };
    let calls = f.array("calls")?;
    out.push(EvmTrace {
        block_number,
        transaction_hash: hash,
        transaction_index: Some(index),
        from: f.opt_address("from")?,
        to: f.opt_address("to")?,
        value: f.opt_u256("value")?.unwrap_or(U256::ZERO),
        trace_type,
        call_type: call_type.map(str::to_string),
        reward_type: None,
        subtraces: calls.len() as u64,
        trace_address: path.clone(),
        error: f.opt_str("error").map(str::to_string),
        status: true,
    });
    for (i, call) in calls.iter().enumerate() {
        path.push(i as u64);
        flatten_frame(call, block_number, hash, index, path, out)?;
        path.pop();
    }
    Ok(())
}
