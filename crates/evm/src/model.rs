//! The EVM records chaintrail reads, shaped like ethereum-etl's tables (blocks, transactions,
//! receipts, logs, traces) so that a node's JSON-RPC answers and an ethereum-etl export decode
//! into the same values and can be compared field by field.

use alloy_primitives::{Address, B256, Bytes, U256};

/// A block header with its transactions and beacon withdrawals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvmBlock {
    /// The block's number (height).
    pub number: u64,
    /// `None` when the source lacks it (cryo exports without `block_hash`).
    pub hash: Option<B256>,
    /// The hash of the block below; `None` when the source lacks it (cryo exports without
    /// `parent_hash`, ethereum-etl tables without the column). Checked against the stored chain
    /// at import ([`crate::head`]).
    pub parent_hash: Option<B256>,
    /// Seconds since the Unix epoch.
    pub timestamp: u64,
    /// The fee recipient (`miner`; Parity-era nodes also say `author`).
    pub miner: Address,
    /// EIP-1559 base fee; `None` before London.
    pub base_fee_per_gas: Option<U256>,
    /// Its transactions, in block order.
    pub transactions: Vec<EvmTransaction>,
    /// Its beacon-chain withdrawals.
    pub withdrawals: Vec<Withdrawal>,
}

/// A beacon-chain withdrawal credited by the block (EIP-4895). `amount_gwei` is in gwei.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawal {
    /// The withdrawal's global index.
    pub index: u64,
    /// The validator withdrawn from.
    pub validator_index: u64,
    /// Who receives it.
    pub address: Address,
    /// The amount, in gwei.
    pub amount_gwei: u64,
}

/// A transaction as a block lists it (ethereum-etl's `transactions` row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvmTransaction {
    /// The hash.
    pub hash: B256,
    /// The sender's nonce.
    pub nonce: u64,
    /// The block's number.
    pub block_number: u64,
    /// The transaction's index in its block.
    pub transaction_index: u64,
    /// The sender.
    pub from: Address,
    /// `None` for a contract creation.
    pub to: Option<Address>,
    /// Wei sent with the call.
    pub value: U256,
    /// The gas limit.
    pub gas: u64,
    /// The gas price (legacy), or the effective price some sources give.
    pub gas_price: Option<U256>,
    /// The call data.
    pub input: Bytes,
    /// EIP-1559 maximum fee per gas.
    pub max_fee_per_gas: Option<U256>,
    /// EIP-1559 maximum priority fee per gas.
    pub max_priority_fee_per_gas: Option<U256>,
    /// The EIP-2718 type (0 legacy, 2 EIP-1559, 3 blob…).
    pub transaction_type: Option<u64>,
}

/// What a transaction did (ethereum-etl's `receipts` row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvmReceipt {
    /// The transaction's hash.
    pub transaction_hash: B256,
    /// The transaction's index in its block.
    pub transaction_index: u64,
    /// The block's number.
    pub block_number: u64,
    /// Gas used by this and the block's earlier transactions.
    pub cumulative_gas_used: u64,
    /// Gas used by this transaction.
    pub gas_used: u64,
    /// The contract a creation made.
    pub contract_address: Option<Address>,
    /// Post-state root of pre-Byzantium receipts.
    pub root: Option<B256>,
    /// 1 success, 0 failure; `None` before Byzantium (then traces tell).
    pub status: Option<u64>,
    /// The price per gas paid (base fee plus tip since London).
    pub effective_gas_price: Option<U256>,
    /// EIP-4844 blob gas (burnt at `blob_gas_price`).
    pub blob_gas_used: Option<u64>,
    /// The price per unit of blob gas.
    pub blob_gas_price: Option<U256>,
    /// The logs it emitted, in order.
    pub logs: Vec<EvmLog>,
}

/// An event log (ethereum-etl's `logs` row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvmLog {
    /// The log's index in its block.
    pub log_index: u64,
    /// The transaction's hash.
    pub transaction_hash: B256,
    /// The transaction's index in its block.
    pub transaction_index: u64,
    /// The block's number.
    pub block_number: u64,
    /// The contract that emitted it.
    pub address: Address,
    /// The log's data.
    pub data: Bytes,
    /// The log's topics, the event signature first.
    pub topics: Vec<B256>,
}

/// What a trace did, in Parity's (and ethereum-etl's) vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceType {
    /// A call (or delegate/static call, see `call_type`).
    Call,
    /// A contract creation.
    Create,
    /// A self-destruct paying out the balance.
    Suicide,
    /// A block or uncle reward.
    Reward,
    /// A genesis allocation.
    Genesis,
    /// The DAO fork's balance moves (block 1,920,000).
    DaoFork,
}

impl TraceType {
    /// The name ethereum-etl and Parity use.
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

    /// The trace type of a name (`None` when unknown).
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
    /// The block's number.
    pub block_number: u64,
    /// The transaction (`None` for block rewards).
    pub transaction_hash: Option<B256>,
    /// The transaction's index in its block (`None` for block rewards).
    pub transaction_index: Option<u64>,
    /// Who sent the value (`None` for rewards).
    pub from: Option<Address>,
    /// Who received it (the created contract for a creation).
    pub to: Option<Address>,
    /// Wei moved.
    pub value: U256,
    /// What the trace did.
    pub trace_type: TraceType,
    /// `call`, `delegatecall`, `staticcall`, `callcode` for calls.
    pub call_type: Option<String>,
    /// `block` or `uncle` for rewards.
    pub reward_type: Option<String>,
    /// How many calls this one made.
    pub subtraces: u64,
    /// The call's position in the call tree (`[]` for the top-level call).
    pub trace_address: Vec<u64>,
    /// Why the call failed, if it did.
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
    /// The block with its transactions.
    pub block: EvmBlock,
    /// One receipt per transaction, same order.
    pub receipts: Vec<EvmReceipt>,
    /// The traces, `None` when the source has none.
    pub traces: Option<Vec<EvmTrace>>,
}
