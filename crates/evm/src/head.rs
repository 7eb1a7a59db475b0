//! The stored head of an EVM chain, and the parent-hash check every EVM import makes against it.
//!
//! Every import (ethereum-etl, cryo, RPC) keeps the highest stored block's number and hash in the
//! chain manifest (cursor [`HEAD_CURSOR`], committed with each checkpoint's block cursor), so the
//! check spans imports and survives restarts. A block one above the head must name the head's
//! hash as its parent, and a block at the head's height must be the head; otherwise the source is
//! on another fork than the store and the block is refused ([`ForkedBlock`]) before anything of
//! it is stored. Blocks before it stay committed.
//!
//! Blocks whose parent is not the stored block just below them are recorded but cannot be
//! checked, because only the head's hash is kept: the first block of a chain, the block after a
//! gap, blocks below the head (older history, or blocks read again after a crash) and blocks of
//! sources without block or parent hashes (cryo exports without `block_hash`/`parent_hash`). The
//! import logs how many blocks were checked and why the others were not.
//!
//! Imports refuse such a block; `chaintrail follow` (crate chaintrail-follow) checks parents
//! itself and rolls the store back to the fork point instead (docs/follow.md).

use alloy_primitives::B256;
use chaintrail_store::ChainWriter;
use serde::{Deserialize, Serialize};

use crate::model::EvmBlock;

/// The chain-manifest cursor holding the stored head.
pub(crate) const HEAD_CURSOR: &str = "evm-head";

const REORG_HINT: &str = "the source is on another fork than the store (a reorg). Imports do \
    not roll back stored blocks: follow the node with `chaintrail follow`, which rolls back to \
    the fork point, or import the chain from below the fork point into a fresh store (another \
    --data-dir)";

/// A block refused because it is not on the stored chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForkedBlock {
    /// Its parent is not the stored block below it.
    #[error(
        "block {number} names parent {parent}, but the stored block {} is {stored}: {hint}",
        .number.saturating_sub(1),
        hint = REORG_HINT
    )]
    Parent {
        /// The refused block.
        number: u64,
        /// The parent the block names.
        parent: B256,
        /// The hash of the stored block `number - 1`.
        stored: B256,
    },
    /// Another block than the stored one at the same height.
    #[error(
        "block {number} has hash {hash}, but the stored block {number} is {stored}: {hint}",
        hint = REORG_HINT
    )]
    Sibling {
        /// The height of both blocks.
        number: u64,
        /// The hash of the refused block.
        hash: B256,
        /// The hash of the stored block.
        stored: B256,
    },
}

impl ForkedBlock {
    /// The refused block.
    pub fn number(&self) -> u64 {
        match self {
            ForkedBlock::Parent { number, .. } | ForkedBlock::Sibling { number, .. } => *number,
        }
    }
}

/// The highest stored block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct ChainHead {
    number: u64,
    /// `None` when its source had no block hashes.
    hash: Option<B256>,
}

/// How many blocks were checked, and why the others could not be.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    checked: u64,
    /// The chain had no stored block yet.
    first: Option<u64>,
    /// Blocks above a gap: (how many, the first such block and the head below it).
    gaps: u64,
    first_gap: Option<(u64, u64)>,
    /// At or below the head: older history or blocks read again.
    below_head: u64,
    /// The block or the head has no hash in its source.
    without_hashes: u64,
}

/// The parent-hash check of one import: the head it started from, moved up by every accepted
/// block.
pub(crate) struct ParentCheck {
    head: Option<ChainHead>,
    tally: Tally,
}

impl ParentCheck {
    /// The check against the head stored in `writer`'s manifest.
    pub(crate) fn load(writer: &ChainWriter) -> ParentCheck {
        let head = writer.cursor(HEAD_CURSOR).and_then(|value| {
            serde_json::from_value::<ChainHead>(value.clone())
                .inspect_err(|e| {
                    tracing::warn!(
                        "the stored head `{value}` is unreadable ({e}): the next block's parent \
                         is not checked"
                    )
                })
                .ok()
        });
        ParentCheck {
            head,
            tally: Tally::default(),
        }
    }

    /// Refuse `block` if it is not on the stored chain; else make it the head if it is above.
    pub(crate) fn accept(&mut self, block: &EvmBlock) -> Result<(), ForkedBlock> {
        let number = block.number;
        match self.head {
            None => {
                self.tally.first.get_or_insert(number);
            }
            Some(head) if number == head.number.saturating_add(1) => {
                match (block.parent_hash, head.hash) {
                    (Some(parent), Some(stored)) if parent != stored => {
                        return Err(ForkedBlock::Parent {
                            number,
                            parent,
                            stored,
                        });
                    }
                    (Some(_), Some(_)) => self.tally.checked += 1,
                    _ => self.tally.without_hashes += 1,
                }
            }
            Some(head) if number == head.number => match (block.hash, head.hash) {
                (Some(hash), Some(stored)) if hash != stored => {
                    return Err(ForkedBlock::Sibling {
                        number,
                        hash,
                        stored,
                    });
                }
                _ => self.tally.below_head += 1,
            },
            Some(head) if number < head.number => self.tally.below_head += 1,
            Some(head) => {
                self.tally.gaps += 1;
                self.tally.first_gap.get_or_insert((number, head.number));
            }
        }
        if self.head.is_none_or(|head| number > head.number) {
            self.head = Some(ChainHead {
                number,
                hash: block.hash,
            });
        }
        Ok(())
    }

    /// Stage the head in the manifest: the writer's next commit stores it with the blocks.
    pub(crate) fn stage(&self, writer: &mut ChainWriter) {
        if let Some(head) = self.head {
            writer.stage_cursor(
                HEAD_CURSOR,
                serde_json::to_value(head).unwrap_or(serde_json::Value::Null),
            );
        }
    }

    /// Log which blocks were checked and why the others could not be.
    pub(crate) fn log(&self, source: &str) {
        let t = self.tally;
        tracing::info!(
            checked = t.checked,
            "{source}: {} blocks checked against the stored parent",
            t.checked
        );
        if let Some(first) = t.first {
            tracing::info!(
                "{source}: block {first} is the first stored block of the chain: its parent \
                 cannot be checked"
            );
        }
        if let Some((block, head)) = t.first_gap {
            tracing::warn!(
                "{source}: {} blocks follow a gap (first: block {block}, while the highest \
                 stored block was {head}): their parents are not stored and cannot be checked",
                t.gaps
            );
        }
        if t.below_head > 0 {
            tracing::info!(
                "{source}: {} blocks at or below the stored head (older history or read again): \
                 only the head's hash is kept, so their parents are not checked",
                t.below_head
            );
        }
        if t.without_hashes > 0 {
            tracing::warn!(
                "{source}: {} blocks without a block or parent hash in the source: not checked \
                 (cryo: export blocks with block_hash and parent_hash)",
                t.without_hashes
            );
        }
    }
}
