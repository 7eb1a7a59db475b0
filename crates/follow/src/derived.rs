//! The store's derived data kept in step with a followed chain: the links (`chaintrail links
//! build`), the address clusters (`chaintrail cluster build`) and the exposure index
//! (`chaintrail screen build-index`), after every applied batch and after every rollback — what
//! an import does after its blocks.
//!
//! The links are brought up to date by a [`chaintrail_links::Builder`] kept from block to block:
//! a decoder runs again only when what it reads changed, and deposit addresses on account chains
//! are evaluated again only where the new transfers touch them (after a restart, the first block
//! runs every decoder); the clusters are extended from their checkpoint, and rebuilt when the store no longer holds the last
//! clustered transaction (a rollback past it). The exposure index, when the store has one, is
//! updated: what changed in labels, clusters and links is read before and after they are
//! re-derived, and only the addresses those changes and the new records can reach are computed
//! again; after a rollback (the chain is no longer the one the index saw, grown) it is built in
//! full. All three are idempotent, so an observer told twice after a crash derives the same
//! files; an index left behind by a crash is seen as stale and built in full.

use chaintrail_core::Chain;
use chaintrail_screen::{ExposureIndex, InputChanges, Inputs, Screener};
use chaintrail_store::Store;

use crate::BlockObserver;

/// What [`DerivedData`] leaves alone.
#[derive(Debug, Default, Clone, Copy)]
pub struct Skip {
    /// The links (as `--skip-links` does for an import).
    pub links: bool,
    /// The clusters (as `--skip-clusters` does).
    pub clusters: bool,
    /// The exposure index (it is then stale until `chaintrail screen build-index`).
    pub index: bool,
}

/// Re-derives links, clusters and the exposure index after each block event. Put it before the
/// observers that read them (the alert engine).
#[derive(Debug, Default)]
pub struct DerivedData {
    skip: Skip,
    /// What each links decoder found at the last block: reused while its inputs are unchanged.
    links: chaintrail_links::Builder,
    clusters: chaintrail_cluster::Kept,
    /// The inputs as the last update left them: the next block's starting point, read again
    /// only after a restart.
    last: Option<Inputs>,
}

impl DerivedData {
    /// Keep everything but what `skip` names in step.
    pub fn new(skip: Skip) -> DerivedData {
        DerivedData {
            skip,
            ..DerivedData::default()
        }
    }

    fn refresh(&mut self, store: &Store) -> anyhow::Result<()> {
        let index = !self.skip.index && ExposureIndex::path(store.dir()).exists();
        let before = match self.last.take() {
            Some(last) if index => Some(last),
            _ if index => Some(Inputs::read(store)?),
            _ => None,
        };
        if !self.skip.links {
            let build = self.links.refresh(store)?;
            tracing::debug!(reused = ?build.reused, "links brought up to date");
        }
        if !self.skip.clusters {
            chaintrail_cluster::refresh_with(store, &self.links, &mut self.clusters)?;
        }
        if let Some(before) = before {
            // The index is refused as stale by its own checksums when it falls behind: a failed
            // update must not stop the follower (and its alerts), only be said.
            match update_index(store, &before) {
                Ok(after) => self.last = Some(after),
                Err(e) => tracing::warn!(
                    "the exposure index was not updated and is stale until the next block or \
                     `chaintrail screen build-index`: {e:#}"
                ),
            }
        }
        Ok(())
    }
}

/// Bring the store's exposure index from the inputs `before` to the current ones; returns them.
fn update_index(store: &Store, before: &Inputs) -> anyhow::Result<Inputs> {
    let after = Inputs::read(store)?;
    let changes = InputChanges::between(before, &after);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let report = Screener::open(store.dir())?.update_index(&changes, None, threads, &|_, _| {})?;
    let (labels, clusters, links) = changes.counts();
    tracing::info!(
        computed = report.computed,
        addresses = report.addresses,
        labels,
        clusters,
        links,
        "exposure index brought up to date"
    );
    Ok(after)
}

impl BlockObserver for DerivedData {
    fn blocks_applied(&mut self, store: &Store, _: Chain, _: u64, _: u64) -> anyhow::Result<()> {
        self.refresh(store)
    }

    fn rolled_back(&mut self, store: &Store, _: Chain, _: u64) -> anyhow::Result<()> {
        self.refresh(store)
    }
}
