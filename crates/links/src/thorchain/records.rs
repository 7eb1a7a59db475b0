//! Reading THORChain off the chains: router events on EVM chains, memos in OP_RETURN outputs
//! on UTXO chains, into inbounds, outbounds, vaults and routers.

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{Log, U256};
use alloy_sol_types::{SolEvent, sol};
use chaintrail_core::{Address, Chain, TxHash};
use chaintrail_evm::events::KeptLog;
use chaintrail_store::{ChainReader, Extent, TxId};

use super::memo::{self, Memo};

sol! {
    event Deposit(address indexed to, address indexed asset, uint256 amount, string memo);
    event TransferOut(address indexed vault, address indexed to, address asset, uint256 amount, string memo);
    event TransferOutAndCall(address indexed vault, address target, uint256 amount, address finalAsset, address to, uint256 amountOutMin, string memo);
}

/// The asset a record moves: the chain's coin or a token contract.
pub(super) type AssetKey = (Chain, Option<Address>);

/// An inbound: value handed to THORChain with a memo saying what to do with it.
#[derive(Debug, Clone)]
pub(super) struct Inbound {
    pub chain: Chain,
    pub tx: TxHash,
    pub time: u64,
    pub memo: String,
    pub parsed: Memo,
    /// The router (EVM) that emitted the deposit; `None` on UTXO chains.
    pub router: Option<Address>,
    pub vault: Option<Address>,
    pub asset: AssetKey,
    /// Base units handed in.
    pub amount: u128,
}

/// An outbound: a payout settling the inbound `inbound`.
#[derive(Debug, Clone)]
pub(super) struct Outbound {
    pub chain: Chain,
    pub tx: TxHash,
    pub memo: String,
    pub inbound: [u8; 32],
    pub refund: bool,
    /// The recipient, when the event names it (EVM); on UTXO chains it is found at the join.
    pub to: Option<Address>,
    pub router: Option<Address>,
    pub asset: AssetKey,
    /// Base units paid out (UTXO: filled at the join, from the recipient's output).
    pub amount: Option<u128>,
}

/// What the decoder read off the chains, before joining.
#[derive(Default)]
pub(super) struct Records {
    pub inbounds: Vec<Inbound>,
    pub outbounds: Vec<Outbound>,
    /// Vault addresses per chain: named by router events, senders of payouts and vault
    /// housekeeping, and the successors housekeeping pays.
    pub vaults: BTreeMap<Chain, BTreeSet<Address>>,
    pub routers: BTreeMap<Chain, BTreeSet<Address>>,
    pub decoded: u64,
    pub unreadable: u64,
}

fn evm(raw: alloy_primitives::Address) -> Address {
    Address::Evm(raw.0.0)
}

fn token(chain: Chain, raw: alloy_primitives::Address) -> AssetKey {
    (chain, (!raw.is_zero()).then(|| evm(raw)))
}

fn units(value: U256) -> Option<u128> {
    u128::try_from(value).ok()
}

fn as_log(log: &KeptLog) -> Option<Log> {
    let Address::Evm(emitter) = log.address else {
        return None;
    };
    Log::new(emitter.into(), log.topics.clone(), log.data.clone())
}

impl Records {
    fn vault(&mut self, chain: Chain, vault: Address) {
        self.vaults.entry(chain).or_default().insert(vault);
    }

    /// One kept log of an EVM chain, if it is a THORChain router event.
    pub fn read_evm_log(&mut self, log: &KeptLog) {
        let Some(topic0) = log.topics.first() else {
            return;
        };
        let router = log.address.clone();
        let Some(raw) = as_log(log) else { return };
        let read = if *topic0 == Deposit::SIGNATURE_HASH {
            Deposit::decode_log(&raw).ok().map(|e| {
                let vault = evm(e.data.to);
                self.vault(log.chain, vault.clone());
                let (Ok(parsed), Some(amount)) = (memo::parse(&e.data.memo), units(e.data.amount))
                else {
                    return false;
                };
                self.inbounds.push(Inbound {
                    chain: log.chain,
                    tx: log.tx,
                    time: log.block.timestamp,
                    memo: e.data.memo.clone(),
                    parsed,
                    router: Some(router.clone()),
                    vault: Some(vault),
                    asset: token(log.chain, e.data.asset),
                    amount,
                });
                true
            })
        } else if *topic0 == TransferOut::SIGNATURE_HASH {
            TransferOut::decode_log(&raw).ok().map(|e| {
                self.vault(log.chain, evm(e.data.vault));
                self.outbound(
                    log,
                    &e.data.memo,
                    evm(e.data.to),
                    token(log.chain, e.data.asset),
                    units(e.data.amount),
                )
            })
        } else if *topic0 == TransferOutAndCall::SIGNATURE_HASH {
            TransferOutAndCall::decode_log(&raw).ok().map(|e| {
                self.vault(log.chain, evm(e.data.vault));
                self.outbound(
                    log,
                    &e.data.memo,
                    evm(e.data.to),
                    (log.chain, None),
                    units(e.data.amount),
                )
            })
        } else {
            return;
        };
        match read {
            Some(true) => {
                self.decoded += 1;
                self.routers.entry(log.chain).or_default().insert(router);
            }
            _ => self.unreadable += 1,
        }
    }

    /// An outbound memo on an EVM router event; `false` when the memo is not one.
    fn outbound(
        &mut self,
        log: &KeptLog,
        memo_text: &str,
        to: Address,
        asset: AssetKey,
        amount: Option<u128>,
    ) -> bool {
        let Some((inbound, refund)) = memo::parse(memo_text).ok().and_then(|m| m.settles()) else {
            return false;
        };
        self.outbounds.push(Outbound {
            chain: log.chain,
            tx: log.tx,
            memo: memo_text.to_string(),
            inbound,
            refund,
            to: Some(to),
            router: Some(log.address.clone()),
            asset,
            amount,
        });
        true
    }

    /// The memos of a UTXO chain (`memos`, read from its OP_RETURN outputs). Outbounds come
    /// first so that the vaults they reveal pick out the vault output of each inbound.
    pub fn read_utxo_chain(&mut self, reader: &ChainReader, memos: &MemoScan) {
        let chain = reader.chain();
        let mut inbound_txs: Vec<(TxId, String, Memo)> = Vec::new();
        for MemoTx { tx, text, parsed } in memos.memos.iter().cloned() {
            let senders = input_addresses(reader, tx);
            if let Some((inbound, refund)) = parsed.settles() {
                self.decoded += 1;
                self.vaults.entry(chain).or_default().extend(senders);
                self.outbounds.push(Outbound {
                    chain,
                    tx: reader.tx_hash(tx),
                    memo: text,
                    inbound,
                    refund,
                    to: None,
                    router: None,
                    asset: (chain, None),
                    amount: None,
                });
            } else if matches!(parsed, Memo::VaultInternal { .. }) {
                // Churn and consolidation: from vaults to vaults.
                self.decoded += 1;
                let successors = payees(reader, tx).into_iter().map(|(a, _)| a);
                self.vaults
                    .entry(chain)
                    .or_default()
                    .extend(senders.into_iter().chain(successors));
            } else {
                inbound_txs.push((tx, text, parsed));
            }
        }
        let vaults = self.vaults.get(&chain).cloned().unwrap_or_default();
        for (tx, text, parsed) in inbound_txs {
            let senders = input_addresses(reader, tx);
            let candidates: Vec<(Address, u64)> = payees(reader, tx)
                .into_iter()
                .filter(|(a, _)| !senders.contains(a))
                .collect();
            // The output to a known vault, else the first one (THORChain's observers read the
            // vault payment first).
            let Some((vault, value)) = candidates
                .iter()
                .find(|(a, _)| vaults.contains(a))
                .or(candidates.first())
                .cloned()
            else {
                self.unreadable += 1;
                continue;
            };
            self.decoded += 1;
            self.inbounds.push(Inbound {
                chain,
                tx: reader.tx_hash(tx),
                time: reader.tx_block(tx).timestamp,
                memo: text,
                parsed,
                router: None,
                vault: Some(vault),
                asset: (chain, None),
                amount: u128::from(value),
            });
        }
    }
}

/// A transaction whose (first) OP_RETURN output carries a THORChain memo.
#[derive(Debug, Clone)]
struct MemoTx {
    tx: TxId,
    /// The memo as written, trimmed.
    text: String,
    parsed: Memo,
}

/// The THORChain memos of one UTXO chain, kept up to date as blocks are appended: only the
/// OP_RETURN outputs added since the last read are parsed (`chaintrail follow` keeps one per
/// chain).
#[derive(Debug, Clone)]
pub struct MemoScan {
    extent: Extent,
    /// The outputs read: rows `0..outputs`.
    outputs: u64,
    memos: Vec<MemoTx>,
}

impl MemoScan {
    /// Read every memo of the chain of `reader`.
    pub fn new(reader: &ChainReader) -> MemoScan {
        let mut scan = MemoScan {
            extent: reader.extent(),
            outputs: 0,
            memos: Vec::new(),
        };
        scan.read(reader);
        scan
    }

    /// Read the memos of the outputs appended since, or all of them again when the chain does
    /// not extend the one read (a rollback).
    pub fn update(&mut self, reader: &ChainReader) {
        if !reader.extends(&self.extent) {
            *self = MemoScan::new(reader);
            return;
        }
        self.read(reader);
    }

    fn read(&mut self, reader: &ChainReader) {
        // A transaction's outputs are appended together: the first OP_RETURN output of each
        // transaction is its memo.
        let mut last = None;
        for (row, payload) in reader.null_data_from(self.outputs) {
            let Some(output) = reader.output(row) else {
                continue;
            };
            if last == Some(output.tx) {
                continue;
            }
            last = Some(output.tx);
            let Ok(text) = std::str::from_utf8(payload) else {
                continue;
            };
            let Ok(parsed) = memo::parse(text) else {
                continue;
            };
            let text = text.trim_matches(|c: char| c.is_whitespace() || c == '\0');
            self.memos.push(MemoTx {
                tx: output.tx,
                text: text.to_string(),
                parsed,
            });
        }
        self.outputs = reader.output_count();
        self.extent = reader.extent();
    }
}

/// The addresses a UTXO transaction spends from.
pub(super) fn input_addresses(reader: &ChainReader, tx: TxId) -> BTreeSet<Address> {
    reader
        .tx_inputs(tx)
        .filter_map(|row| reader.input(row))
        .filter_map(|input| input.address)
        .filter_map(|id| reader.address(id))
        .collect()
}

/// The value-carrying outputs of a UTXO transaction: (address, value), in output order.
pub(super) fn payees(reader: &ChainReader, tx: TxId) -> Vec<(Address, u64)> {
    reader
        .tx_outputs(tx)
        .filter_map(|row| reader.output(row))
        .filter(|o| o.value > 0)
        .filter_map(|o| Some((reader.address(o.address)?, o.value)))
        .collect()
}
