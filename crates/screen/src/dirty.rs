//! Which stored exposures an import or a follower's block can change, so that an index update
//! recomputes only those.
//!
//! An update is possible when the chains only grew by appended blocks, the walk parameters,
//! pegs and risk rules have the index's fingerprints, the new date is not before the index's and
//! no label starts or ends in between, and the index saw its chains whole; labels, links and the
//! services' clusters either have the index's fingerprints too, or the caller names what changed
//! in them since ([`InputChanges`], as the follower does). Then (docs/exposure.md, *Exposure
//! index*):
//!
//! - **incoming** exposure walks backward from an address's inflows to earlier records only, so
//!   of the new records only their recipients change;
//! - **outgoing** exposure walks forward through later records, so an address changes when its
//!   walk reaches a node that has new outflows: the senders of new records (on UTXO chains, the
//!   owners of outputs that new inputs spend) and, within `max_hops` steps back, everyone whose
//!   value reached them;
//! - an address whose attribution changed, or a link that appeared, vanished or changed, alters
//!   the walks of everyone within `max_hops` steps of it, either way.
//!
//! The spreading ([`crate::reach`]) crosses the known links, so a chain reached through a link
//! is covered too; the set is a superset of what changes.

use chaintrail_core::{Address, Chain, ChainModel};
use chaintrail_store::{ChainReader, Extent};

use crate::changes::{Fingerprints, InputChanges};
use crate::exposure::end_of_day;
use crate::index::{
    BuildJob, ExposureIndex, IndexedChain, labels_fingerprint, last_block_time, pegs_fingerprint,
};
use crate::reach::{Bits, Reach};

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

/// What to recompute to bring `previous` to the job's chains and date, or why it cannot be.
pub(crate) fn plan(job: &BuildJob<'_>, previous: &ExposureIndex) -> Result<Dirty, String> {
    let meta = &previous.file_meta;
    let explained = job.changes.filter(|changes| {
        let indexed = Fingerprints {
            labels: meta.labels_fingerprint,
            clusters: meta.clusters_fingerprint,
            links: meta.links_fingerprint,
        };
        let now = Fingerprints {
            labels: labels_fingerprint(job.labels),
            clusters: job.clusters_fingerprint,
            links: job.links.fingerprint(),
        };
        changes.before == indexed && changes.after == now
    });
    if explained.is_none()
        && let Some(why) = previous.staleness(
            &[],
            job.labels,
            job.clusters_fingerprint,
            job.links,
            job.prices,
        )
    {
        return Err(why);
    }
    if pegs_fingerprint(job.prices) != meta.pegs_fingerprint {
        return Err("the registered pegs changed since the index was built".to_string());
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
    let mut reach = Reach::new(job.readers);
    let mut known = Vec::with_capacity(job.readers.len());
    for (index, reader) in job.readers.iter().enumerate() {
        let indexed = meta.chains.iter().find(|c| c.chain == reader.chain());
        known.push(match indexed {
            None => None,
            Some(c) => {
                if c.checksum != reader.content_checksum() {
                    check_appended(reader, c)?;
                    appended(&mut reach, index, reader, c);
                }
                // Addresses first seen since the index are computed whatever else changed.
                Some((c.addresses, reader.address_count() > c.addresses as usize))
            }
        });
    }
    if let Some(changes) = explained {
        changed(&mut reach, job.readers, changes);
    }
    if last_block_time(job.readers).is_some_and(|last| last > end_of_day(job.at)) {
        return Err(format!("the chains hold blocks after {}", job.at));
    }
    let chains = reach
        .spread(job.links, job.params.max_hops)
        .into_iter()
        .zip(known)
        .map(|(ids, known)| match known {
            None => ChainDirty::All,
            Some((known, new_addresses)) if new_addresses || ids.any() => {
                ChainDirty::Some { ids, known }
            }
            Some(_) => ChainDirty::Unchanged,
        })
        .collect();
    Ok(Dirty { chains })
}

/// The chain holds everything the index saw, in the same order, and more after it.
fn check_appended(reader: &ChainReader, indexed: &IndexedChain) -> Result<(), String> {
    let not_grown = || {
        format!(
            "{} is not the chain the index saw with blocks appended",
            reader.chain()
        )
    };
    let last_tx = match &indexed.last_tx {
        Some(hex) => Some(hex.parse().map_err(|_| not_grown())?),
        None => None,
    };
    let seen = Extent {
        txs: indexed.txs,
        records: indexed.records,
        last_tx,
    };
    if reader.extends(&seen) {
        Ok(())
    } else {
        Err(not_grown())
    }
}

/// The records appended since the index: their recipients' incoming exposure, and the outgoing
/// exposure of their senders and of everyone upstream.
fn appended(reach: &mut Reach<'_>, index: usize, reader: &ChainReader, indexed: &IndexedChain) {
    match reader.model() {
        ChainModel::Account => {
            let to = reader.transfer_columns().to;
            for row in indexed.records..reader.transfer_count() {
                reach.mark(index, to.at(row));
            }
        }
        ChainModel::Utxo => {
            let first_new_output = reader.tx_outputs(indexed.txs).start;
            for row in first_new_output..reader.output_count() {
                if let Some(output) = reader.output(row) {
                    reach.mark(index, output.address);
                }
            }
        }
    }
    for tx in indexed.txs..reader.tx_count() {
        reach.spent_in(index, tx);
    }
}

/// Labels, cluster memberships and links that changed since the index.
fn changed(reach: &mut Reach<'_>, readers: &[&ChainReader], changes: &InputChanges) {
    for (chain, text) in &changes.labels {
        for (index, reader) in readers.iter().enumerate() {
            if chain.is_some_and(|c| c != reader.chain()) {
                continue;
            }
            let id = Address::parse(reader.chain(), text)
                .ok()
                .and_then(|address| reader.address_id(&address));
            if let Some(id) = id {
                reach.address_changed(index, id);
            }
        }
    }
    for (chain, ids) in &changes.clusters {
        if let Some(index) = readers.iter().position(|r| r.chain() == *chain) {
            let count = readers[index].address_count();
            for &id in ids.iter().filter(|&&id| (id as usize) < count) {
                reach.address_changed(index, id);
            }
        }
    }
    let find = |chain: Chain, hash| {
        let index = readers.iter().position(|r| r.chain() == chain)?;
        Some((index, readers[index].tx_id(hash)?))
    };
    for link in &changes.links {
        if let Some((index, tx)) = find(link.from_chain, &link.from_tx) {
            reach.spent_in(index, tx);
        }
        if let Some((index, tx)) = find(link.to_chain, &link.to_tx) {
            reach.paid_in(index, tx);
        }
    }
}
