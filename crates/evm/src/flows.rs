//! From EVM records to the value-flow model: one [`AccountTx`] per transaction with its fee,
//! native, internal and token transfers, plus one per block for what the block itself credits
//! (beacon withdrawals, mining rewards), and the protocol events of the same transactions.

use std::collections::HashSet;

use alloy_primitives::{Address as EvmAddress, U256, keccak256};
use chaintrail_core::{
    AccountTransfer, AccountTx, AssetKind, BlockRef, Chain, TransferKind, TxHash,
};

use crate::MalformedData;
use crate::events::{
    ContractCreation, EventBatch, decode_protocol_event, decode_token_transfer, decode_wrap, evm,
    kept_log,
};
use crate::model::{BlockBundle, EvmReceipt, EvmTrace, EvmTransaction, TraceType};

const GWEI: u64 = 1_000_000_000;

/// Wrapped-native-coin contracts (WETH9 and its copies) whose `Deposit`/`Withdrawal` events mint
/// and burn the wrapped token. Chains by EIP-155 id.
pub fn known_wrapped_native(chain_id: u64) -> Vec<EvmAddress> {
    let known: &[(u64, &str)] = &[
        (1, "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"),
        (10, "0x4200000000000000000000000000000000000006"),
        (8453, "0x4200000000000000000000000000000000000006"),
        (42161, "0x82aF49447D8a07e3bd95BD0d56f35241523fBab1"),
        (56, "0xbb4CdB9CBd36B01bD1cBaEBF2De08d9173bc095c"),
        (137, "0x0d500B1d8E8eF31E21C99d1Db9A6444d3ADf1270"),
    ];
    known
        .iter()
        .filter(|(id, _)| *id == chain_id)
        .filter_map(|(_, text)| text.parse().ok())
        .collect()
}

/// The hash under which a block's own credits (withdrawals, rewards) are stored: keccak-256 of
/// `"chaintrail:evm-block-credits:" ‖ chain id (8 bytes BE) ‖ height (8 bytes BE)`. No real
/// transaction can have it.
pub fn block_credits_hash(chain_id: u64, height: u64) -> TxHash {
    let mut preimage = b"chaintrail:evm-block-credits:".to_vec();
    preimage.extend_from_slice(&chain_id.to_be_bytes());
    preimage.extend_from_slice(&height.to_be_bytes());
    TxHash(keccak256(&preimage).0)
}

/// How a block is turned into flows.
pub struct FlowRules {
    pub chain: Chain,
    pub chain_id: u64,
    pub wrapped_native: HashSet<EvmAddress>,
}

impl FlowRules {
    pub fn new(chain_id: u64, extra_wrapped: &[EvmAddress]) -> FlowRules {
        let mut wrapped: HashSet<EvmAddress> = known_wrapped_native(chain_id).into_iter().collect();
        wrapped.extend(extra_wrapped.iter().copied());
        FlowRules {
            chain: Chain::Evm(chain_id),
            chain_id,
            wrapped_native: wrapped,
        }
    }
}

/// The flows of one block, in order, and its protocol events.
pub struct BlockFlows {
    pub txs: Vec<AccountTx>,
    /// Events per entry of `txs` (same index).
    pub events: Vec<EventBatch>,
}

fn transfer(
    from: Option<EvmAddress>,
    to: Option<EvmAddress>,
    asset: AssetKind,
    amount: U256,
    kind: TransferKind,
    success: bool,
) -> AccountTransfer {
    AccountTransfer {
        from: from.map(evm),
        to: to.map(evm),
        asset,
        amount: chaintrail_core::Amount::from_u256(amount),
        kind,
        success,
    }
}

/// Turn a block into flows. Receipts must be one per transaction, in order.
pub fn block_flows(rules: &FlowRules, bundle: &BlockBundle) -> Result<BlockFlows, MalformedData> {
    let block = &bundle.block;
    let at = BlockRef {
        height: block.number,
        timestamp: block.timestamp,
    };
    if bundle.receipts.len() != block.transactions.len() {
        return Err(format!(
            "{} transactions but {} receipts",
            block.transactions.len(),
            bundle.receipts.len()
        )
        .into());
    }
    let mut flows = BlockFlows {
        txs: Vec::with_capacity(block.transactions.len() + 1),
        events: Vec::with_capacity(block.transactions.len() + 1),
    };
    let mut credits = Vec::new();
    let traces = bundle.traces.as_deref();
    let mut by_tx: std::collections::HashMap<_, Vec<&EvmTrace>> = std::collections::HashMap::new();
    for trace in traces.unwrap_or(&[]) {
        match trace.transaction_hash {
            Some(hash) => by_tx.entry(hash).or_default().push(trace),
            None => block_trace_credit(trace, &mut credits),
        }
    }
    for (tx, receipt) in block.transactions.iter().zip(&bundle.receipts) {
        if receipt.transaction_hash != tx.hash {
            return Err(format!(
                "receipt {} belongs to transaction {}, expected {}",
                receipt.transaction_index, receipt.transaction_hash, tx.hash
            )
            .into());
        }
        let tx_traces = traces.map(|_| by_tx.remove(&tx.hash).unwrap_or_default());
        let (account_tx, events) = tx_flows(
            rules,
            at,
            block.miner,
            block.base_fee_per_gas,
            tx,
            receipt,
            tx_traces,
        )?;
        flows.txs.push(account_tx);
        flows.events.push(events);
    }
    for w in &block.withdrawals {
        let amount = U256::from(w.amount_gwei) * U256::from(GWEI);
        if !amount.is_zero() {
            credits.push(transfer(
                None,
                Some(w.address),
                AssetKind::Native,
                amount,
                TransferKind::Mint,
                true,
            ));
        }
    }
    // Traces of transactions the block does not list would be silently lost: refuse them.
    if let Some(hash) = by_tx.keys().next() {
        return Err(
            format!("traces name transaction {hash}, which the block does not contain").into(),
        );
    }
    if !credits.is_empty() {
        flows.txs.push(AccountTx {
            hash: block_credits_hash(rules.chain_id, block.number),
            block: at,
            transfers: credits,
        });
        flows.events.push(EventBatch::default());
    }
    Ok(flows)
}

/// Whether the transfers so far hold a successful ether move of `amount` into `contract` (a
/// wrap) or out of it (an unwrap): what makes a WETH9-style `Deposit`/`Withdrawal` event of an
/// unlisted contract a real wrap rather than any contract's same-named event.
fn moved_ether(
    transfers: &[AccountTransfer],
    contract: EvmAddress,
    amount: U256,
    wrap: bool,
) -> bool {
    let contract = evm(contract);
    let amount = chaintrail_core::Amount::from_u256(amount);
    transfers.iter().any(|t| {
        t.success
            && t.asset == AssetKind::Native
            && matches!(t.kind, TransferKind::Native | TransferKind::Internal)
            && t.amount == amount
            && if wrap {
                t.to.as_ref() == Some(&contract)
            } else {
                t.from.as_ref() == Some(&contract)
            }
    })
}

/// Rewards, genesis allocations and DAO-fork moves: traces outside any transaction.
fn block_trace_credit(trace: &EvmTrace, credits: &mut Vec<AccountTransfer>) {
    if trace.value.is_zero() || !trace.status {
        return;
    }
    match trace.trace_type {
        TraceType::Reward | TraceType::Genesis => credits.push(transfer(
            None,
            trace.to,
            AssetKind::Native,
            trace.value,
            TransferKind::Mint,
            true,
        )),
        TraceType::DaoFork => credits.push(transfer(
            trace.from,
            trace.to,
            AssetKind::Native,
            trace.value,
            TransferKind::Internal,
            true,
        )),
        TraceType::Call | TraceType::Create | TraceType::Suicide => {}
    }
}

fn tx_flows(
    rules: &FlowRules,
    at: BlockRef,
    miner: EvmAddress,
    base_fee: Option<U256>,
    tx: &EvmTransaction,
    receipt: &EvmReceipt,
    traces: Option<Vec<&EvmTrace>>,
) -> Result<(AccountTx, EventBatch), String> {
    let hash = TxHash(tx.hash.0);
    let mut transfers = Vec::new();
    let mut events = EventBatch::default();
    // Gas: charged whatever the outcome.
    let gas_used = U256::from(receipt.gas_used);
    let price = receipt
        .effective_gas_price
        .or(tx.gas_price)
        .ok_or_else(|| {
            format!(
                "transaction {}: no gas price in the transaction or its receipt",
                tx.hash
            )
        })?;
    let (burnt, tip) = match base_fee {
        Some(base) => {
            let tip_price = price.checked_sub(base).ok_or_else(|| {
                format!(
                    "transaction {}: gas price {price} is below the base fee {base}",
                    tx.hash
                )
            })?;
            (base * gas_used, tip_price * gas_used)
        }
        None => (U256::ZERO, price * gas_used),
    };
    if !tip.is_zero() {
        transfers.push(transfer(
            Some(tx.from),
            Some(miner),
            AssetKind::Native,
            tip,
            TransferKind::Fee,
            true,
        ));
    }
    if !burnt.is_zero() {
        transfers.push(transfer(
            Some(tx.from),
            None,
            AssetKind::Native,
            burnt,
            TransferKind::Burn,
            true,
        ));
    }
    if let (Some(blob_gas), Some(blob_price)) = (receipt.blob_gas_used, receipt.blob_gas_price) {
        let blob_fee = U256::from(blob_gas) * blob_price;
        if !blob_fee.is_zero() {
            transfers.push(transfer(
                Some(tx.from),
                None,
                AssetKind::Native,
                blob_fee,
                TransferKind::Burn,
                true,
            ));
        }
    }
    let receipt_ok = receipt.status != Some(0);
    match traces {
        Some(traces) if !traces.is_empty() => {
            for trace in traces {
                let success = receipt_ok && trace.status;
                if trace.trace_type == TraceType::Create
                    && success
                    && let (Some(creator), Some(address)) = (trace.from, trace.to)
                {
                    events.contracts.push(ContractCreation {
                        chain: rules.chain,
                        tx: hash,
                        block: at,
                        address: evm(address),
                        creator: evm(creator),
                    });
                }
                let self_destruct_to_self =
                    trace.trace_type == TraceType::Suicide && trace.from == trace.to;
                if trace.value.is_zero() || !trace.moves_value() || self_destruct_to_self {
                    continue;
                }
                if matches!(
                    trace.trace_type,
                    TraceType::Reward | TraceType::Genesis | TraceType::DaoFork
                ) {
                    continue;
                }
                let kind = if trace.trace_address.is_empty() {
                    TransferKind::Native
                } else {
                    TransferKind::Internal
                };
                transfers.push(transfer(
                    trace.from,
                    trace.to,
                    AssetKind::Native,
                    trace.value,
                    kind,
                    success,
                ));
            }
        }
        _ => {
            // No traces: the transaction's own value transfer only.
            let to = tx.to.or(receipt.contract_address);
            if tx.to.is_none()
                && receipt_ok
                && let Some(address) = receipt.contract_address
            {
                events.contracts.push(ContractCreation {
                    chain: rules.chain,
                    tx: hash,
                    block: at,
                    address: evm(address),
                    creator: evm(tx.from),
                });
            }
            if !tx.value.is_zero() {
                transfers.push(transfer(
                    Some(tx.from),
                    to,
                    AssetKind::Native,
                    tx.value,
                    TransferKind::Native,
                    receipt_ok,
                ));
            }
        }
    }
    for log in &receipt.logs {
        if receipt_ok && let Some(kept) = kept_log(rules.chain, at, tx, log) {
            events.logs.push(kept);
        }
        if let Some(t) = decode_token_transfer(log) {
            let asset = AssetKind::Token(evm(t.token_address));
            let (from, to, kind) = match (t.from.is_zero(), t.to.is_zero()) {
                (true, false) => (None, Some(t.to), TransferKind::Mint),
                (false, true) => (Some(t.from), None, TransferKind::Burn),
                _ => (Some(t.from), Some(t.to), TransferKind::Token),
            };
            transfers.push(transfer(from, to, asset, t.value, kind, receipt_ok));
        } else if let Some((wrap, account, amount)) = decode_wrap(log)
            && (rules.wrapped_native.contains(&log.address)
                || moved_ether(&transfers, log.address, amount, wrap))
        {
            let asset = AssetKind::Token(evm(log.address));
            transfers.push(if wrap {
                transfer(
                    None,
                    Some(account),
                    asset,
                    amount,
                    TransferKind::Mint,
                    receipt_ok,
                )
            } else {
                transfer(
                    Some(account),
                    None,
                    asset,
                    amount,
                    TransferKind::Burn,
                    receipt_ok,
                )
            });
        } else {
            decode_protocol_event(rules.chain, at, tx, log, &mut events);
        }
    }
    Ok((
        AccountTx {
            hash,
            block: at,
            transfers,
        },
        events,
    ))
}
