//! Live following of a chain's head: chaintrail-follow owns the loop that polls a node, appends
//! each new block to the store with one commit per block, finds the fork point when the node
//! switched branches, rolls the store back to it ([`chaintrail_store::ChainWriter::roll_back`])
//! and applies the new branch, and tells [`BlockObserver`]s what was applied and what was
//! removed; [`DerivedData`] keeps the store's links and clusters in step.
//!
//! The node is reached through a [`ChainSource`]; [`BitcoinSource`] speaks Bitcoin Core's
//! JSON-RPC, [`BlocksDirSource`] reads a Bitcoin Core node's block files as it writes them,
//! [`EvmSource`] speaks an EVM node's JSON-RPC (stored through the EVM RPC importer's own append
//! path). The model (fork-point search over the store's checkpoints, the reorg window, what a
//! rollback touches, crash safety) is documented in docs/follow.md.

#![warn(missing_docs)]

mod bitcoin_source;
mod blocks_dir_source;
mod cursor;
mod derived;
mod evm_source;
mod follower;

pub use bitcoin_source::BitcoinSource;
pub use blocks_dir_source::BlocksDirSource;
pub use cursor::{FOLLOW_CURSOR, FollowCursor};
pub use derived::{DerivedData, Skip};
pub use evm_source::EvmSource;
pub use follower::{FollowConfig, FollowReport, follow};

use chaintrail_core::Chain;
use chaintrail_store::{ChainWriter, Store};

/// Receives block events after they are committed (the alert engine implements it).
pub trait BlockObserver {
    /// Blocks `from..=to` of `chain` were committed to the store.
    fn blocks_applied(
        &mut self,
        store: &Store,
        chain: Chain,
        from: u64,
        to: u64,
    ) -> anyhow::Result<()>;
    /// Every block above `fork_point` of `chain` was removed from the store (a reorg).
    fn rolled_back(&mut self, store: &Store, chain: Chain, fork_point: u64) -> anyhow::Result<()>;
}

/// A block as the node has it: where it is in the chain, and its transactions.
pub struct NodeBlock<T> {
    /// Its height.
    pub height: u64,
    /// Its hash.
    pub hash: [u8; 32],
    /// Its parent's hash.
    pub parent: [u8; 32],
    /// Its transactions, ready for [`ChainSource::append`].
    pub txs: T,
}

/// A node that a chain is followed from. Every error of these calls is taken for a node that is
/// down or restarting: the follower logs it and retries with backoff.
pub trait ChainSource {
    /// The block's transactions as fetched.
    type Txs;
    /// The chain the node serves.
    fn chain(&self) -> Chain;
    /// Look for news before each poll's calls, which then see one view of the node: a source
    /// that reads the node's files reads what was appended here. Nothing by default.
    fn poll(&mut self) -> anyhow::Result<()> {
        Ok(())
    }
    /// The height of the node's best block.
    fn head(&self) -> anyhow::Result<u64>;
    /// The hash of the node's block at `height` on its best chain.
    fn hash_at(&self, height: u64) -> anyhow::Result<[u8; 32]>;
    /// The node's block at `height` on its best chain.
    fn block(&self, height: u64) -> anyhow::Result<NodeBlock<Self::Txs>>;
    /// Append a fetched block's transactions to `store`'s chain through `writer` (the follower
    /// commits). An error here stops the follower.
    fn append(
        &mut self,
        store: &Store,
        writer: &mut ChainWriter,
        txs: &Self::Txs,
    ) -> anyhow::Result<()>;
}
