//! Anchoring: a node fills in what the store does not keep — each cited transaction's block
//! hash and index in its block, and the log index of a token transfer — after checking that
//! the node has the transaction in the block the store says.

use std::collections::BTreeSet;

use chaintrail_core::ChainModel;

use crate::node::{Nodes, TRANSFER_TOPIC, topic_is};
use crate::{Citation, ReportError};

/// Anchor every citation on a chain `nodes` serves; citations on other chains stay unanchored.
/// A transaction the node does not have, or has in another block, is an error naming both.
pub fn anchor(citations: &mut [Citation], nodes: &Nodes) -> Result<usize, ReportError> {
    let mut anchored = 0;
    // (tx, log index) already given to a citation: two transfers of one transaction to the same
    // recipient get two logs.
    let mut taken: BTreeSet<(String, u64)> = BTreeSet::new();
    for citation in citations.iter_mut() {
        if nodes.client(citation.chain).is_none() {
            continue;
        }
        match citation.chain.model() {
            ChainModel::Account => {
                let tx = citation.tx.to_ascii_lowercase();
                let (number, hash, index) =
                    nodes.evm_tx(citation.chain, &tx)?.ok_or_else(|| {
                        ReportError::Invalid(format!(
                            "citation {}: the {} node does not know transaction {tx}: is it the \
                         node the store was built from?",
                            citation.id, citation.chain
                        ))
                    })?;
                same_block(citation, number)?;
                citation.block_hash = Some(hash);
                citation.tx_index = Some(index);
                if citation.contract.is_some() {
                    let contract = citation.contract.as_deref().map(str::to_ascii_lowercase);
                    citation.log_index = nodes
                        .evm_logs(citation.chain, &tx)?
                        .into_iter()
                        .find(|log| {
                            Some(&log.address) == contract.as_ref()
                                && log.topics.first().map(String::as_str) == Some(TRANSFER_TOPIC)
                                && topic_is(log.topics.get(1), citation.from.as_deref())
                                && topic_is(log.topics.get(2), citation.to.as_deref())
                                && !taken.contains(&(tx.clone(), log.index))
                        })
                        .map(|log| log.index);
                    if let Some(index) = citation.log_index {
                        taken.insert((tx, index));
                    }
                }
            }
            ChainModel::Utxo => {
                let block = nodes
                    .block(citation.chain, citation.block_number)?
                    .ok_or_else(|| {
                        ReportError::Invalid(format!(
                            "citation {}: the {} node has no block {}",
                            citation.id, citation.chain, citation.block_number
                        ))
                    })?;
                let tx = citation.tx.to_ascii_lowercase();
                let index = block.txs.iter().position(|t| *t == tx).ok_or_else(|| {
                    ReportError::Invalid(format!(
                        "citation {}: block {} on the {} node does not hold {tx}: the store \
                         and the node are on different chains or forks",
                        citation.id, citation.block_number, citation.chain
                    ))
                })?;
                citation.block_hash = Some(block.hash);
                citation.tx_index = Some(index as u64);
            }
        }
        anchored += 1;
    }
    Ok(anchored)
}

fn same_block(citation: &Citation, node: u64) -> Result<(), ReportError> {
    if node == citation.block_number {
        return Ok(());
    }
    Err(ReportError::Invalid(format!(
        "citation {}: the store has {} in block {}, the {} node in block {node}: the store and \
         the node are on different forks",
        citation.id, citation.tx, citation.block_number, citation.chain
    )))
}
