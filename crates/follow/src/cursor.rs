//! The follower's cursor in the chain manifest: the last applied block and how far the
//! observers were told. Every checkpoint of the store keeps the cursor as committed with it, so
//! the checkpoints hold the hashes of the last blocks: the reorg window searched for the fork.

use serde::{Deserialize, Serialize};

/// The chain-manifest cursor of the follower.
pub const FOLLOW_CURSOR: &str = "follow";

/// The last block the follower applied, and the last height observers acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowCursor {
    /// Height of the last applied block.
    pub height: u64,
    /// Its hash, hex.
    pub hash: String,
    /// The observers have been told of every block below this height; above `height + 1` they
    /// still must be told of a rollback.
    pub told_below: u64,
}

impl FollowCursor {
    /// The cursor a checkpoint or writer holds, if it holds a readable one.
    pub fn from_value(value: Option<&serde_json::Value>) -> Option<FollowCursor> {
        value.and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    /// The cursor as stored.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// Its block hash, as bytes.
    pub fn hash_bytes(&self) -> Option<[u8; 32]> {
        let mut raw = [0u8; 32];
        hex::decode_to_slice(&self.hash, &mut raw)
            .ok()
            .map(|()| raw)
    }
}
