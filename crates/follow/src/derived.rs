//! The store's derived data kept in step with a followed chain: the links (`chaintrail links
//! build`), the address clusters (`chaintrail cluster build`) and the exposure index
//! (`chaintrail screen build-index`), after every applied batch and after every rollback — what
//! an import does after its blocks.
//!
//! The links are derived from the whole store each time (they hold no checkpoint); the clusters
//! are extended from their checkpoint, and rebuilt when the store no longer holds the last
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

/// Re-derives links, clusters and the exposure index after each block event. Put it before the
/// observers that read them (the alert engine).
#[derive(Debug, Default, Clone, Copy)]
pub struct DerivedData {
    /// Skip the links (as `--skip-links` does for an import).
    pub skip_links: bool,
    /// Skip the clusters (as `--skip-clusters` does).
    pub skip_clusters: bool,
    /// Leave the exposure index alone (it is then stale until `chaintrail screen build-index`).
    pub skip_index: bool,
}

impl DerivedData {
    fn refresh(&self, store: &Store) -> anyhow::Result<()> {
        let index = !self.skip_index && ExposureIndex::path(store.dir()).exists();
        let before = if index {
            Some(Inputs::read(store)?)
        } else {
            None
        };
        if !self.skip_links {
            chaintrail_links::refresh(store)?;
        }
        if !self.skip_clusters {
            chaintrail_cluster::refresh(store, None, chaintrail_cluster::Mode::Incremental)?;
        }
        if let Some(before) = before {
            let changes = InputChanges::between(&before, &Inputs::read(store)?);
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            let report =
                Screener::open(store.dir())?.update_index(&changes, None, threads, &|_, _| {})?;
            let (labels, clusters, links) = changes.counts();
            tracing::info!(
                computed = report.computed,
                addresses = report.addresses,
                labels,
                clusters,
                links,
                "exposure index brought up to date"
            );
        }
        Ok(())
    }
}

impl BlockObserver for DerivedData {
    fn blocks_applied(&mut self, store: &Store, _: Chain, _: u64, _: u64) -> anyhow::Result<()> {
        self.refresh(store)
    }

    fn rolled_back(&mut self, store: &Store, _: Chain, _: u64) -> anyhow::Result<()> {
        self.refresh(store)
    }
}
