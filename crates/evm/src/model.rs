//! The EVM records chaintrail reads, shaped like ethereum-etl's tables (blocks, transactions,
//! receipts, logs, traces) so that a node's JSON-RPC answers and an ethereum-etl export decode
//! into the same values and can be compared field by field.

use alloy_primitives::{Address, B256, Bytes, U256};

/// A block header with its transactions and beacon withdrawals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvmBlock {
    pub number: u64,
    /// `None` when the source lacks it (cryo exports without `block_hash`).
    pub hash: Option<B256>,
    /// The hash of the block below; `None` when the source lacks it (cryo exports without
    /// `parent_hash`, ethereum-etl tables without the column). Checked against the stored chain
    /// at import ([`crate::head`]).
    pub parent_hash: Option<B256>,
    pub timestamp: u64,
    /// The fee recipient (`miner`; Parity-era nodes also say `author`).
    pub miner: Address,
    /// EIP-1559 base fee; `None` before London.
    pub base_fee_per_gas: Option<U256>,
    pub transactions: Vec<EvmTransaction>,
    pub withdrawals: Vec<Withdrawal>,
}

/// A beacon-chain withdrawal credited by the block (EIP-4895). `amount_gwei` is in gwei.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawal {
    pub index: u64,
    pub validator_index: u64,
    pub address: Address,
    pub amount_gwei: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvmTransaction {
    pub hash: B256,
    pub nonce: u64,
    pub block_number: u64,
    pub transaction_index: u64,
    pub from: Address,
    /// `None` for a contract creation.
    pub to: Option<Address>,
    pub value: U256,
    pub gas: u64,
    pub gas_price: Option<U256>,
    pub input: Bytes,
    pub max_fee_per_gas: Option<U256>,
    pub max_priority_fee_per_gas: Option<U256>,
    pub transaction_type: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvmReceipt {
    pub transaction_hash: B256,
    pub transaction_index: u64,
    pub block_number: u64,
    pub cumulative_gas_used: u64,
    pub gas_used: u64,
    pub contract_address: Option<Address>,
    /// Post-state root of pre-Byzantium receipts.
    pub root: Option<B256>,
    /// 1 success, 0 failure; `None` before Byzantium (then traces tell).
    pub status: Option<u64>,
    pub effective_gas_price: Option<U256>,
    /// EIP-4844 blob gas (burnt at `blob_gas_price`).
    pub blob_gas_used: Option<u64>,
    pub blob_gas_price: Option<U256>,
    pub logs: Vec<EvmLog>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvmLog {
    pub log_index: u64,
    pub transaction_hash: B256,
    pub transaction_index: u64,
    pub block_number: u64,
    pub address: Address,
    pub data: Bytes,
    pub topics: Vec<B256>,
}

/// What a trace did, in Parity's (and ethereum-etl's) vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceType {
    Call,
    Create,
    Suicide,
    Reward,
    Genesis,
    DaoFork,
}

impl TraceType {
    pub fn as_str(self) -> &'static str {
        match self {
            TraceType::Call => "call",
            TraceType::Create => "create",
            TraceType::Suicide => "suicide",
            TraceType::Reward => "reward",
            TraceType::Genesis => "genesis",
            TraceType::DaoFork => "daofork",
        }
    }

    pub fn parse(text: &str) -> Option<TraceType> {
        Some(match text {
            "call" => TraceType::Call,
            "create" => TraceType::Create,
            "suicide" => TraceType::Suicide,
            "reward" => TraceType::Reward,
            "genesis" => TraceType::Genesis,
            "daofork" => TraceType::DaoFork,
            _ => return None,
        })
    }
}

/// One flattened trace (ethereum-etl's `traces` table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvmTrace {
    pub block_number: u64,
    pub transaction_hash: Option<B256>,
    pub transaction_index: Option<u64>,
    pub from: Option<Address>,
    pub to: Option<Address>,
    pub value: U256,
    pub trace_type: TraceType,
    /// `call`, `delegatecall`, `staticcall`, `callcode` for calls.
    pub call_type: Option<String>,
    pub reward_type: Option<String>,
    pub subtraces: u64,
    pub trace_address: Vec<u64>,
    pub error: Option<String>,
    /// False when this call or any call above it failed (ethereum-etl's `status`).
    pub status: bool,
}

impl EvmTrace {
    /// Whether the trace moves its `value` from `from` to `to` (delegate/static/callcode calls
    /// run code in the caller's context and move nothing).
    pub fn moves_value(&self) -> bool {
        match self.trace_type {
            TraceType::Call => matches!(self.call_type.as_deref(), None | Some("call")),
            TraceType::Create | TraceType::Suicide | TraceType::DaoFork => true,
            TraceType::Reward | TraceType::Genesis => true,
        }
    }
}

/// Set `status` of every trace of a list that is in execution order: a trace failed when it or
/// any trace above it (a prefix of its `trace_address`, same transaction) has an error.
pub fn propagate_trace_status(traces: &mut [EvmTrace]) {
    type TxKey = (Option<B256>, Option<u64>);
    let mut failed: Vec<(TxKey, Vec<u64>)> = Vec::new();
    for trace in traces.iter_mut() {
        let key = (trace.transaction_hash, trace.transaction_index);
        if failed.last().is_some_and(|(tx, _)| *tx != key) {
            failed.clear();
        }
        let below_failure = failed
            .iter()
            .any(|(tx, address)| *tx == key && trace.trace_address.starts_with(address));
        trace.status = !below_failure && trace.error.is_none();
        if trace.error.is_some() {
            failed.push((key, trace.trace_address.clone()));
        }
    }
}

/// Everything chaintrail needs from one block: the block, one receipt per transaction (same
/// order), and the traces when the source has them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockBundle {
    pub block: EvmBlock,
    pub receipts: Vec<EvmReceipt>,
    pub traces: Option<Vec<EvmTrace>>,
}
