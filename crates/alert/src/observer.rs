//! The alert engine as an observer of `chaintrail follow`: every block the follower commits is
//! evaluated and its alerts delivered; every rollback retracts the alerts of orphaned blocks.

use chaintrail_core::Chain;
use chaintrail_follow::BlockObserver;
use chaintrail_store::Store;

use crate::AlertEngine;

impl BlockObserver for AlertEngine {
    fn blocks_applied(
        &mut self,
        store: &Store,
        chain: Chain,
        from: u64,
        to: u64,
    ) -> anyhow::Result<()> {
        Ok(AlertEngine::blocks_applied(self, store, chain, from, to)?)
    }

    fn rolled_back(&mut self, store: &Store, chain: Chain, fork_point: u64) -> anyhow::Result<()> {
        Ok(AlertEngine::rolled_back(self, store, chain, fork_point)?)
    }
}
