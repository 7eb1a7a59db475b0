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

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chaintrail_store::{ChainReader, Extent, TxId};

use super::Mixer;
use crate::deposits::coinjoin;
use crate::deposits::utxo::{Touches, null_data_id, tx_sides, value_outputs};

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
#[derive(Debug, Clone, Default)]
pub(crate) struct Flows {
    pub deposits: Vec<Deposit>,
    pub payouts: Vec<Payout>,
    /// Addresses that joined a mixer's wallet as a consolidation's output.
    pub consolidated: u64,
}

/// The flows of the custodial mixers on one UTXO chain, kept up to date as blocks are appended
/// (`chaintrail follow` keeps one per chain).
///
/// What a transaction is (a deposit, a payout, a consolidation, or nothing to a mixer) depends
/// only on which of its addresses are a mixer's when it is read, so appended transactions are
/// read on from where the last scan stopped; and when the mixers' addresses change (the
/// addresses derived for them grow with every sweep), the chain is read again from the first
/// transaction touching an address that changed, keeping the flows before it. The result equals
/// one scan of the whole chain (tested by importing a world in batches).
#[derive(Debug, Clone)]
pub(crate) struct FlowScan {
    extent: Extent,
    names: Vec<String>,
    /// The addresses given as each mixer's (the first mixer naming one keeps it).
    given: HashMap<u32, usize>,
    /// Addresses that joined a mixer's wallet as a consolidation's output, with the
    /// consolidation.
    consolidated: HashMap<u32, (usize, TxId)>,
    touches: Touches,
    flows: Flows,
}

impl FlowScan {
    /// Read the deposits and payouts of `mixers` from the whole chain.
    pub fn new(reader: &ChainReader, mixers: &[Mixer]) -> FlowScan {
        let mut scan = FlowScan {
            extent: reader.extent(),
            names: mixers.iter().map(|m| m.name.clone()).collect(),
            given: given(reader, mixers),
            consolidated: HashMap::new(),
            touches: Touches::default(),
            flows: Flows::default(),
        };
        scan.read_from(reader, 0);
        scan
    }

    /// Bring the flows to the chain `reader` holds now and the mixers' addresses `mixers` gives:
    /// read from the first transaction the changes can affect, or the whole chain when the
    /// mixers are others or the chain does not extend the one read (a rollback).
    pub fn update(&mut self, reader: &ChainReader, mixers: &[Mixer]) {
        let same_mixers = self.names.iter().eq(mixers.iter().map(|m| &m.name));
        // A scan without a mixer address read nothing, not even the transactions' inputs.
        if !same_mixers || self.given.is_empty() || !reader.extends(&self.extent) {
            *self = FlowScan::new(reader, mixers);
            return;
        }
        let given = given(reader, mixers);
        let mut touched = BTreeSet::new();
        let changed = given
            .iter()
            .filter(|(a, m)| self.given.get(a) != Some(m))
            .chain(self.given.iter().filter(|(a, _)| !given.contains_key(a)));
        for (&address, _) in changed {
            self.touches.of(reader, address, &mut touched);
        }
        let from = touched
            .first()
            .map_or(self.extent.txs, |&tx| tx.min(self.extent.txs));
        self.given = given;
        self.consolidated.retain(|_, (_, tx)| *tx < from);
        self.touches.forget_from(from);
        self.flows.deposits.retain(|d| d.tx < from);
        self.flows.payouts.retain(|p| p.tx < from);
        self.flows.consolidated = self.consolidated.len() as u64;
        // A payout read before may have been spent since.
        for payout in &mut self.flows.payouts {
            payout.spent_by = reader.output(payout.row).and_then(|o| o.spent_by);
        }
        self.read_from(reader, from);
    }

    /// The deposits and payouts of every mixer, each in chain order.
    pub fn flows(&self) -> &Flows {
        &self.flows
    }

    /// The mixer owning `address` at this point of the reading.
    fn owner(&self, address: u32) -> Option<usize> {
        self.given
            .get(&address)
            .or_else(|| self.consolidated.get(&address).map(|(m, _)| m))
            .copied()
    }

    /// Read the transactions from `from` to the chain's end.
    fn read_from(&mut self, reader: &ChainReader, from: TxId) {
        self.extent = reader.extent();
        if self.given.is_empty() {
            return;
        }
        let null_data = null_data_id(reader);
        for tx in from..reader.tx_count() {
            self.touches.read(reader, tx);
            let (inputs, outputs) = tx_sides(reader, tx, null_data);
            if inputs.is_empty() {
                continue;
            }
            let time = reader.tx_effective_time(tx);
            if let Some(mixer) = inputs.iter().find_map(|&a| self.owner(a)) {
                if let ([_, _, ..], [(address, _)]) = (inputs.as_slice(), outputs.as_slice()) {
                    if self.owner(*address).is_none() {
                        self.consolidated.insert(*address, (mixer, tx));
                        self.flows.consolidated += 1;
                    }
                    continue;
                }
                for output in value_outputs(reader, tx, null_data) {
                    if self.owner(output.address) == Some(mixer) {
                        continue;
                    }
                    self.flows.payouts.push(Payout {
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
                if let Some(mixer) = self.owner(*address) {
                    let sum = paid.entry(mixer).or_default();
                    *sum = sum.saturating_add(*value);
                }
            }
            if paid.is_empty() || coinjoin::classify(&inputs, &outputs).is_some() {
                continue;
            }
            for (mixer, amount) in paid {
                self.flows.deposits.push(Deposit {
                    tx,
                    time,
                    amount,
                    mixer,
                });
            }
        }
    }
}

/// The address ids `mixers` give, each to the first mixer naming it.
fn given(reader: &ChainReader, mixers: &[Mixer]) -> HashMap<u32, usize> {
    let mut owner = HashMap::new();
    for (i, mixer) in mixers.iter().enumerate() {
        for address in &mixer.addresses {
            if let Some(id) = reader.address_id(address) {
                owner.entry(id).or_insert(i);
            }
        }
    }
    owner
}
