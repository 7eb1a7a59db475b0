//! Where value enters and leaves custodial mixers on one UTXO chain, read from the chain alone.
//!
//! - A **deposit** is what a transaction that spends no coin of the mixer pays to the mixer's
//!   addresses (one deposit per transaction and mixer); CoinJoins are left out (a coordinator's
//!   fee output is no deposit to be paid back).
//! - A **payout** is an output paying someone else, of a transaction that spends the mixer's
//!   coins.
//! - A transaction spending several of the mixer's coins to a single output is a consolidation
//!   into the mixer's own wallet (its sweep of deposit addresses into a fresh pool address): the output
//!   is no payout, and its address joins the wallet, so spending it later is the mixer's spend.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};

use chaintrail_store::{ChainReader, TxId};

use super::Mixer;
use crate::deposits::coinjoin;
use crate::deposits::utxo::{null_data_id, tx_sides, value_outputs};

/// Value paid into a mixer by one transaction.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Deposit {
    pub tx: TxId,
    pub time: u64,
    pub amount: u64,
    pub mixer: usize,
}

/// One output a mixer paid to someone else.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Payout {
    pub row: u64,
    pub tx: TxId,
    pub time: u64,
    pub value: u64,
    pub address: u32,
    pub mixer: usize,
    /// The transaction that spent the output, if any.
    pub spent_by: Option<TxId>,
}

/// The deposits and payouts of every mixer, each in chain order.
#[derive(Debug, Default)]
pub(crate) struct Flows {
    pub deposits: Vec<Deposit>,
    pub payouts: Vec<Payout>,
    /// Addresses that joined a mixer's wallet as a consolidation's output.
    pub consolidated: u64,
}

/// Read the deposits and payouts of `mixers` from the chain.
pub(crate) fn read(reader: &ChainReader, mixers: &[Mixer]) -> Flows {
    let mut owner: HashMap<u32, usize> = HashMap::new();
    for (i, mixer) in mixers.iter().enumerate() {
        for address in &mixer.addresses {
            if let Some(id) = reader.address_id(address) {
                owner.entry(id).or_insert(i);
            }
        }
    }
    let null_data = null_data_id(reader);
    let mut flows = Flows::default();
    if owner.is_empty() {
        return flows;
    }
    for tx in 0..reader.tx_count() {
        let (inputs, outputs) = tx_sides(reader, tx, null_data);
        if inputs.is_empty() {
            continue;
        }
        let time = reader.tx_effective_time(tx);
        if let Some(&mixer) = inputs.iter().find_map(|a| owner.get(a)) {
            if let ([_, _, ..], [(address, _)]) = (inputs.as_slice(), outputs.as_slice()) {
                if let Entry::Vacant(slot) = owner.entry(*address) {
                    slot.insert(mixer);
                    flows.consolidated += 1;
                }
                continue;
            }
            for output in value_outputs(reader, tx, null_data) {
                if owner.get(&output.address) == Some(&mixer) {
                    continue;
                }
                flows.payouts.push(Payout {
                    row: output.row,
                    tx,
                    time,
                    value: output.value,
                    address: output.address,
                    mixer,
                    spent_by: output.spent_by,
                });
            }
            continue;
        }
        let mut paid: BTreeMap<usize, u64> = BTreeMap::new();
        for (address, value) in &outputs {
            if let Some(&mixer) = owner.get(address) {
                let sum = paid.entry(mixer).or_default();
                *sum = sum.saturating_add(*value);
            }
        }
        if paid.is_empty() || coinjoin::classify(&inputs, &outputs).is_some() {
            continue;
        }
        for (mixer, amount) in paid {
            flows.deposits.push(Deposit {
                tx,
                time,
                amount,
                mixer,
            });
        }
    }
    flows
}
