//! One block's cryo rows turned into the parts an ethereum-etl export would give
//! ([`crate::etl::Parts`], joined by [`crate::etl::assemble`]): transactions get receipts from
//! their own columns, `native_transfers` become traces, and transactions that only other datasets
//! name are synthesised.

use std::collections::{BTreeMap, HashMap, HashSet};

use alloy_primitives::{Address as EvmAddress, B256, Bytes, U256, keccak256};

use crate::etl::Parts;
use crate::events::TokenTransfer;
use crate::model::{EvmBlock, EvmLog, EvmReceipt, EvmTrace, EvmTransaction, TraceType};

use super::coverage::Coverage;
use super::records::{CryoRecord, CryoTx, NativeTransfer};

/// Per block: the parts an ethereum-etl export would give, plus what cryo adds.
#[derive(Default)]
pub(crate) struct CryoBlock {
    pub(crate) block: Option<EvmBlock>,
    txs: Vec<CryoTx>,
    logs: Vec<EvmLog>,
    transfers: Vec<(TokenTransfer, u64)>,
    traces: Vec<EvmTrace>,
    natives: Vec<NativeTransfer>,
}

impl CryoBlock {
    /// One block's rows (token metadata rows belong to no block and are skipped).
    pub(crate) fn gather(rows: impl IntoIterator<Item = CryoRecord>) -> CryoBlock {
        let mut parts = CryoBlock::default();
        for row in rows {
            match row {
                CryoRecord::Block(b) => parts.block = Some(b),
                CryoRecord::Transaction(t) => parts.txs.push(*t),
                CryoRecord::Log(l) => parts.logs.push(l),
                CryoRecord::Trace(t) => parts.traces.push(t),
                CryoRecord::Native(n) => parts.natives.push(n),
                CryoRecord::Erc20(t, i) => parts.transfers.push((t, i)),
                CryoRecord::Erc20Metadata(..) => {}
            }
        }
        parts
    }

    /// The parts [`crate::etl::assemble`] joins, and the transactions whose sender is unknown
    /// (synthesised from logs, transfers or traces without a top-level call).
    pub(crate) fn into_parts(self, number: u64, coverage: &Coverage) -> (Parts, HashSet<B256>) {
        let CryoBlock {
            block,
            txs,
            logs,
            transfers,
            mut traces,
            natives,
        } = self;
        let timestamp = txs.iter().find_map(|t| t.timestamp).unwrap_or(0);
        let mut block = block.unwrap_or(EvmBlock {
            number,
            hash: None,
            parent_hash: None,
            timestamp,
            miner: EvmAddress::ZERO,
            base_fee_per_gas: None,
            transactions: Vec::new(),
            withdrawals: Vec::new(),
        });
        if !coverage.fees {
            block.base_fee_per_gas = None;
        }
        let with_receipts = with_receipts(txs, block.base_fee_per_gas, coverage.fees);
        let creations: HashMap<B256, bool> = with_receipts
            .iter()
            .map(|(tx, _)| (tx.hash, tx.to.is_none()))
            .collect();
        traces.extend(natives_as_traces(natives, &creations));
        sort_in_execution_order(&mut traces);
        let mut parts = Parts {
            block: Some(block),
            txs: with_receipts,
            ..Parts::default()
        };
        let unknown_senders =
            synthesise_named_txs(&mut parts.txs, number, &logs, &transfers, &traces);
        parts.logs = logs;
        parts.transfers = transfers.into_iter().map(|(t, _)| t).collect();
        parts.traces = traces;
        (parts, unknown_senders)
    }
}

/// Transactions with receipts from their `gas_used`/`gas_price`/`success` columns; zero gas when
/// fees cannot be derived.
fn with_receipts(
    txs: Vec<CryoTx>,
    base_fee: Option<U256>,
    fees: bool,
) -> Vec<(EvmTransaction, Option<EvmReceipt>)> {
    txs.into_iter()
        .map(|t| {
            let CryoTx {
                mut tx,
                gas_used,
                success,
                ..
            } = t;
            let (gas_used, price) = if fees {
                // A node's gasPrice of a mined transaction is the effective price; without it,
                // EIP-1559's rule gives it from the fee caps and the base fee.
                let effective = tx.gas_price.or_else(|| {
                    let (max_fee, tip) = (tx.max_fee_per_gas?, tx.max_priority_fee_per_gas?);
                    Some(max_fee.min(base_fee.unwrap_or_default() + tip))
                });
                (gas_used.unwrap_or(0), effective)
            } else {
                tx.gas_price = Some(U256::ZERO);
                (0, Some(U256::ZERO))
            };
            let contract_address = tx.to.is_none().then(|| create_address(tx.from, tx.nonce));
            let receipt = EvmReceipt {
                transaction_hash: tx.hash,
                transaction_index: tx.transaction_index,
                block_number: tx.block_number,
                cumulative_gas_used: 0,
                gas_used,
                contract_address,
                root: None,
                status: success.map(u64::from),
                effective_gas_price: price,
                blob_gas_used: None,
                blob_gas_price: None,
                logs: Vec::new(),
            };
            (tx, Some(receipt))
        })
        .collect()
}

/// `native_transfers` rows as traces, in the block's trace order: the first of a transaction is
/// its top-level call (a creation when `creations` says so), transfers outside transactions are
/// rewards.
fn natives_as_traces(
    mut natives: Vec<NativeTransfer>,
    creations: &HashMap<B256, bool>,
) -> Vec<EvmTrace> {
    natives.sort_by_key(|n| n.transfer_index);
    let mut seen_top: HashSet<(Option<B256>, Option<u64>)> = HashSet::new();
    let mut position: HashMap<(Option<B256>, Option<u64>), u64> = HashMap::new();
    natives
        .into_iter()
        .map(|n| {
            let tx_key = (n.tx_hash, n.tx_index);
            let in_tx = n.tx_hash.is_some() || n.tx_index.is_some();
            let top = in_tx && seen_top.insert(tx_key);
            let trace_address = if top || !in_tx {
                Vec::new()
            } else {
                let next = position.entry(tx_key).or_insert(0);
                *next += 1;
                vec![*next - 1]
            };
            let is_create = top && n.tx_hash.and_then(|h| creations.get(&h).copied()) == Some(true);
            let (trace_type, from) = match (in_tx, is_create) {
                (false, _) => (TraceType::Reward, None),
                (true, true) => (TraceType::Create, Some(n.from)),
                (true, false) => (TraceType::Call, Some(n.from)),
            };
            EvmTrace {
                block_number: n.block,
                transaction_hash: n.tx_hash,
                transaction_index: n.tx_index,
                from,
                to: n.to,
                value: n.value,
                trace_type,
                call_type: None,
                reward_type: None,
                subtraces: 0,
                trace_address,
                error: None,
                status: true,
            }
        })
        .collect()
}

/// Execution order within each transaction: depth-first by trace address; rewards last.
fn sort_in_execution_order(traces: &mut [EvmTrace]) {
    traces.sort_by(|a, b| {
        (
            a.transaction_index.is_none(),
            a.transaction_index,
            &a.trace_address,
        )
            .cmp(&(
                b.transaction_index.is_none(),
                b.transaction_index,
                &b.trace_address,
            ))
    });
}

/// Add to `txs` the transactions only logs, transfers or traces name (sender from the top-level
/// trace when there is one); returns those whose sender stays unknown.
fn synthesise_named_txs(
    txs: &mut Vec<(EvmTransaction, Option<EvmReceipt>)>,
    number: u64,
    logs: &[EvmLog],
    transfers: &[(TokenTransfer, u64)],
    traces: &[EvmTrace],
) -> HashSet<B256> {
    let mut known: HashSet<B256> = txs.iter().map(|(tx, _)| tx.hash).collect();
    let mut named: BTreeMap<u64, B256> = BTreeMap::new();
    for l in logs {
        named.insert(l.transaction_index, l.transaction_hash);
    }
    for (t, index) in transfers {
        named.insert(*index, t.transaction_hash);
    }
    for t in traces {
        if let (Some(hash), Some(index)) = (t.transaction_hash, t.transaction_index) {
            named.insert(index, hash);
        }
    }
    let mut unknown_senders = HashSet::new();
    for (index, hash) in named {
        if !known.insert(hash) {
            continue;
        }
        let top = traces
            .iter()
            .find(|t| t.transaction_hash == Some(hash) && t.trace_address.is_empty());
        let from = top.and_then(|t| t.from);
        if from.is_none() {
            unknown_senders.insert(hash);
        }
        let tx = EvmTransaction {
            hash,
            nonce: 0,
            block_number: number,
            transaction_index: index,
            from: from.unwrap_or_default(),
            to: top.and_then(|t| t.to),
            value: U256::ZERO,
            gas: 0,
            gas_price: Some(U256::ZERO),
            input: Bytes::new(),
            max_fee_per_gas: None,
            max_priority_fee_per_gas: None,
            transaction_type: None,
        };
        let receipt = EvmReceipt {
            transaction_hash: hash,
            transaction_index: index,
            block_number: number,
            cumulative_gas_used: 0,
            gas_used: 0,
            contract_address: None,
            root: None,
            status: None,
            effective_gas_price: Some(U256::ZERO),
            blob_gas_used: None,
            blob_gas_price: None,
            logs: Vec::new(),
        };
        txs.push((tx, Some(receipt)));
    }
    unknown_senders
}

/// The address a contract created by `sender` with `nonce` gets (keccak256(rlp([sender,
/// nonce]))[12..]): cryo's transactions have no receipt `contractAddress`.
fn create_address(sender: EvmAddress, nonce: u64) -> EvmAddress {
    let mut nonce_rlp = Vec::with_capacity(9);
    match nonce {
        0 => nonce_rlp.push(0x80),
        1..=0x7f => nonce_rlp.push(nonce as u8),
        _ => {
            let bytes = nonce.to_be_bytes();
            let skip = bytes.iter().take_while(|b| **b == 0).count();
            nonce_rlp.push(0x80 + (8 - skip) as u8);
            nonce_rlp.extend_from_slice(&bytes[skip..]);
        }
    }
    let mut rlp = Vec::with_capacity(31);
    rlp.push(0xc0 + (21 + nonce_rlp.len()) as u8);
    rlp.push(0x94);
    rlp.extend_from_slice(sender.as_slice());
    rlp.extend_from_slice(&nonce_rlp);
    EvmAddress::from_slice(&keccak256(&rlp)[12..])
}
