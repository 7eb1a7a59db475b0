//! Citations: every transaction a report's paths rest on, named so that anyone with a node can
//! check it — chain, block number and hash, transaction index, and the log index (token
//! transfers) or output index (UTXO) that carried the value.

use std::collections::BTreeMap;

use chaintrail_core::Chain;
use chaintrail_trace::{PathStep, TraceReport};
use serde::{Deserialize, Serialize};

/// One cited movement of value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citation {
    /// `c1`, `c2`, …: how the report's paths refer to it.
    pub id: String,
    /// The chain.
    pub chain: Chain,
    /// The transaction hash.
    pub tx: String,
    /// The height of its block, as the store has it.
    pub block_number: u64,
    /// The block's hash; `None` until anchored to a node ([`crate::anchor`]): the store keeps
    /// no block hashes.
    pub block_hash: Option<String>,
    /// The transaction's index in its block; `None` until anchored.
    pub tx_index: Option<u64>,
    /// The token transfer's log index in its block (EVM token transfers, once anchored).
    pub log_index: Option<u64>,
    /// The output carrying the value (UTXO chains).
    pub vout: Option<u32>,
    /// The sender (account chains).
    pub from: Option<String>,
    /// The recipient.
    pub to: Option<String>,
    /// The token contract; `None` for the native coin.
    pub contract: Option<String>,
}

impl Citation {
    /// Whether a node has filled in the block hash and transaction index.
    pub fn is_anchored(&self) -> bool {
        self.block_hash.is_some() && self.tx_index.is_some()
    }
}

/// What makes two path steps the same citation.
pub(crate) type StepKey = (Chain, String, Option<u32>, Option<u32>);

pub(crate) fn step_key(step: &PathStep) -> StepKey {
    (step.chain, step.tx.clone(), step.vout, step.position)
}

/// A citation per distinct movement on the paths of `trace`, in order of first use, and the
/// id of each step's citation by its key.
pub(crate) fn collect(trace: &TraceReport) -> (Vec<Citation>, BTreeMap<StepKey, String>) {
    let mut citations = Vec::new();
    let mut ids = BTreeMap::new();
    for step in trace.endpoints.iter().flat_map(|e| &e.path) {
        if step.tx.is_empty() {
            continue;
        }
        let key = step_key(step);
        if ids.contains_key(&key) {
            continue;
        }
        let id = format!("c{}", citations.len() + 1);
        ids.insert(key, id.clone());
        citations.push(Citation {
            id,
            chain: step.chain,
            tx: step.tx.clone(),
            block_number: step.block,
            block_hash: None,
            tx_index: None,
            log_index: None,
            vout: step.vout,
            from: step.from.clone(),
            to: step.to.clone(),
            contract: step.value.contract.as_ref().map(ToString::to_string),
        });
    }
    (citations, ids)
}
