//! The store's derived data kept in step with a followed chain: the links (`chaintrail links
//! build`) and the address clusters (`chaintrail cluster build`), after every applied batch and
//! after every rollback — what an import does after its blocks.
//!
//! The links are derived from the whole store each time (they hold no checkpoint); the clusters
//! are extended from their checkpoint, and rebuilt when the store no longer holds the last
//! clustered transaction (a rollback past it). Both are idempotent, so an observer told twice
//! after a crash derives the same files. The screening index needs no observer: it records the
//! transactions it covers and is refused as stale when they change (docs/exposure.md).

use chaintrail_core::Chain;
use chaintrail_store::Store;

use crate::BlockObserver;

/// Re-derives links and clusters after each block event. Put it before the observers that read
/// them (the alert engine).
#[derive(Debug, Default, Clone, Copy)]
pub struct DerivedData {
    /// Skip the links (as `--skip-links` does for an import).
    pub skip_links: bool,
    /// Skip the clusters (as `--skip-clusters` does).
    pub skip_clusters: bool,
}

impl DerivedData {
    fn refresh(&self, store: &Store) -> anyhow::Result<()> {
        if !self.skip_links {
            chaintrail_links::refresh(store)?;
        }
        if !self.skip_clusters {
            chaintrail_cluster::refresh(store, None, chaintrail_cluster::Mode::Incremental)?;
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
