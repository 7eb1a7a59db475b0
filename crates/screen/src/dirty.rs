//! Which stored exposures an import can change, so that an index update recomputes only those.
//!
//! An update is possible when the chains only grew by appended blocks and nothing else the
//! walk reads changed: labels, links, pegs, parameters and risk rules have the fingerprints of
//! the index, the new date is not before the index's and no label starts or ends in between,
//! and the index saw its chains whole. Then, for a chain that grew (docs/exposure.md,
//! *Exposure index*):
//!
//! - **incoming** exposure walks backward from an address's inflows to earlier records only, so
//!   only the recipients of new records change;
//! - **outgoing** exposure walks forward through later records, so an address changes when its
//!   walk reaches a node that has new outflows: the senders of new records (on UTXO chains, the
//!   owners of outputs that new inputs spend) and, within `max_hops` steps back along earlier
//!   records, everyone whose value reached them.
//!
//! The set is a superset of what changes: it ignores that walks stop at attributed addresses,
//! at the share floor and at the work budget. Known links that lead onto a chain that grew
//! make every walk that crosses them reach new records: the index is then built in full.

use std::collections::BTreeSet;

use chaintrail_core::{Chain, ChainModel};
use chaintrail_store::{ChainReader, TxId};

use crate::exposure::end_of_day;
use crate::index::{BuildJob, ExposureIndex, IndexedChain, last_block_time};

/// Address ids to recompute, per chain of the build (in the order of its readers).
pub(crate) struct Dirty {
    chains: Vec<ChainDirty>,
}

enum ChainDirty {
    /// Unchanged since the index: nothing to recompute.
    Unchanged,
    /// New to the index: everything.
    All,
    /// Grew: these ids, and every id at or past `known` (addresses first seen since).
    Some { ids: Bits, known: u32 },
}

impl Dirty {
    pub(crate) fn contains(&self, chain_index: usize, id: u32) -> bool {
        match self.chains.get(chain_index) {
            None | Some(ChainDirty::All) => true,
            Some(ChainDirty::Unchanged) => false,
            Some(ChainDirty::Some { ids, known }) => id >= *known || ids.get(id),
        }
    }
}

/// A bit per address id.
struct Bits(Vec<u64>);

impl Bits {
    fn new(len: usize) -> Bits {
        Bits(vec![0; len.div_ceil(64)])
    }

    fn get(&self, id: u32) -> bool {
        self.0
            .get(id as usize / 64)
            .is_some_and(|word| word >> (id % 64) & 1 == 1)
    }

    /// Set the bit; `true` when it was clear.
    fn set(&mut self, id: u32) -> bool {
        match self.0.get_mut(id as usize / 64) {
            Some(word) if *word >> (id % 64) & 1 == 0 => {
                *word |= 1 << (id % 64);
                true
            }
            _ => false,
        }
    }
}

/// What to recompute to bring `previous` to the job's chains and date, or why it cannot be.
pub(crate) fn plan(job: &BuildJob<'_>, previous: &ExposureIndex) -> Result<Dirty, String> {
    let meta = &previous.file_meta;
    if let Some(why) = previous.staleness(
        &[],
        job.labels,
        job.clusters_fingerprint,
        job.links,
        job.prices,
    ) {
        return Err(why);
    }
    if meta.params != *job.params {
        return Err("the walk parameters differ".to_string());
    }
    // Stored exposures carry their rating (level, rule, alert): none can be kept under others.
    if meta.rules_fingerprint != job.rules_fingerprint {
        return Err("the risk rules differ".to_string());
    }
    if meta.last_block_time > end_of_day(meta.at) {
        return Err(format!(
            "the index was built for {}, before the last block it saw",
            meta.at
        ));
    }
    if job.at < meta.at || meta.valid_until.is_some_and(|until| job.at >= until) {
        return Err(format!(
            "a label starts or ends between {} and {}",
            meta.at, job.at
        ));
    }
    let mut grown: BTreeSet<Chain> = BTreeSet::new();
    let mut chains = Vec::with_capacity(job.readers.len());
    for reader in job.readers {
        let indexed = meta.chains.iter().find(|c| c.chain == reader.chain());
        let dirty = match indexed {
            None => {
                grown.insert(reader.chain());
                ChainDirty::All
            }
            Some(c) if c.checksum == reader.content_checksum() => ChainDirty::Unchanged,
            Some(c) => {
                check_appended(reader, c)?;
                grown.insert(reader.chain());
                let ids = match reader.model() {
                    ChainModel::Account => account(reader, c, job.params.max_hops),
                    ChainModel::Utxo => utxo(reader, c, job.params.max_hops),
                };
                ChainDirty::Some {
                    ids,
                    known: c.addresses,
                }
            }
        };
        chains.push(dirty);
    }
    if let Some(link) = job
        .links
        .converter()
        .links()
        .iter()
        .find(|l| grown.contains(&l.to_chain))
    {
        return Err(format!(
            "known links lead onto {}, which grew (a {} link of {})",
            link.to_chain, link.kind, link.via
        ));
    }
    if last_block_time(job.readers).is_some_and(|last| last > end_of_day(job.at)) {
        return Err(format!("the chains hold blocks after {}", job.at));
    }
    Ok(Dirty { chains })
}

/// The chain holds everything the index saw, in the same order, and more after it.
fn check_appended(reader: &ChainReader, indexed: &IndexedChain) -> Result<(), String> {
    let records = reader.transfer_count() + reader.input_count() + reader.output_count();
    let same_start = indexed
        .txs
        .checked_sub(1)
        .map(|last| reader.tx_hash(last).to_hex())
        == indexed.last_tx;
    if reader.tx_count() < indexed.txs || records < indexed.records || !same_start {
        return Err(format!(
            "{} is not the chain the index saw with blocks appended",
            reader.chain()
        ));
    }
    Ok(())
}

/// Account chain: recipients of new transfers; senders of new transfers and, `max_hops` steps
/// back through earlier transfers, the senders into them.
fn account(reader: &ChainReader, indexed: &IndexedChain, max_hops: u32) -> Bits {
    let columns = reader.transfer_columns();
    let mut dirty = Bits::new(reader.address_count());
    let mut expanded = Bits::new(reader.address_count());
    let mut frontier = Vec::new();
    for row in indexed.records..reader.transfer_count() {
        dirty.set(columns.to.at(row));
        let from = columns.from.at(row);
        dirty.set(from);
        if expanded.set(from) {
            frontier.push(from);
        }
    }
    for _ in 0..max_hops {
        let mut next = Vec::new();
        for node in frontier {
            for row in reader.incoming(node) {
                if row >= indexed.records {
                    break;
                }
                let sender = columns.from.at(row);
                dirty.set(sender);
                if expanded.set(sender) {
                    next.push(sender);
                }
            }
        }
        frontier = next;
    }
    dirty
}

/// UTXO chain: addresses paid by new outputs; owners of the outputs new inputs spend and,
/// `max_hops` steps back through the transactions that made those outputs, the owners of what
/// they spent.
fn utxo(reader: &ChainReader, indexed: &IndexedChain, max_hops: u32) -> Bits {
    let mut dirty = Bits::new(reader.address_count());
    let first_new_output = reader.tx_outputs(indexed.txs).start;
    let first_new_input = reader.tx_inputs(indexed.txs).start;
    for row in first_new_output..reader.output_count() {
        if let Some(output) = reader.output(row) {
            dirty.set(output.address);
        }
    }
    let mut seen: BTreeSet<TxId> = BTreeSet::new();
    let mut frontier = Vec::new();
    for row in first_new_input..reader.input_count() {
        let spent = reader.input(row).and_then(|i| i.spent_output);
        if let Some(output) = spent
            .filter(|&o| o < first_new_output)
            .and_then(|o| reader.output(o))
        {
            dirty.set(output.address);
            if seen.insert(output.tx) {
                frontier.push(output.tx);
            }
        }
    }
    for _ in 0..max_hops {
        let mut next = Vec::new();
        for tx in frontier {
            for row in reader.tx_inputs(tx) {
                let spent = reader.input(row).and_then(|i| i.spent_output);
                if let Some(output) = spent.and_then(|o| reader.output(o)) {
                    dirty.set(output.address);
                    if seen.insert(output.tx) {
                        next.push(output.tx);
                    }
                }
            }
        }
        frontier = next;
    }
    dirty
}
