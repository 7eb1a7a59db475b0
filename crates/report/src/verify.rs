//! Verification: every citation of a report (or a freeze pack) re-checked against a node, each
//! mismatch named by the line of the file and the field that is wrong.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chaintrail_core::{Chain, ChainModel};
use serde::{Deserialize, Serialize};

use crate::node::{NodeBlock, Nodes, TRANSFER_TOPIC, topic_is};
use crate::{Citation, ReportError};

/// A citation that does not hold, or could not be checked.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Finding {
    /// The line of the file holding the citation (1-based), when found.
    pub line: Option<usize>,
    /// The citation's id.
    pub citation: String,
    /// The field that is wrong (or `chain` when no node serves it).
    pub field: &'static str,
    /// What the file says.
    pub report: String,
    /// What the node says (or why it was not checked).
    pub node: String,
}

/// The outcome of a verification.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// Citations checked and found right.
    pub verified: usize,
    /// Fields that do not match the node.
    pub mismatches: Vec<Finding>,
    /// Citations not checked: no node for their chain, or never anchored.
    pub unchecked: Vec<Finding>,
}

impl Verification {
    /// Whether every citation was checked and holds.
    pub fn passed(&self) -> bool {
        self.mismatches.is_empty() && self.unchecked.is_empty() && self.verified > 0
    }
}

#[derive(Deserialize)]
struct Cited {
    citations: Vec<Citation>,
}

/// Verify the file at `path`: a JSON report or a freeze pack's `deposits.json`.
pub fn verify_file(path: &Path, nodes: &Nodes) -> Result<Verification, ReportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReportError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })?;
    verify(&text, nodes).map_err(|e| match e {
        ReportError::Invalid(why) => ReportError::Invalid(format!("{}: {why}", path.display())),
        other => other,
    })
}

/// Verify a JSON text with a top-level `citations` array (one citation per line, as chaintrail
/// writes it).
pub fn verify(text: &str, nodes: &Nodes) -> Result<Verification, ReportError> {
    let cited: Cited = serde_json::from_str(text).map_err(|e| {
        ReportError::Invalid(format!(
            "not a chaintrail report or freeze pack ({e}); verify the JSON report (--format \
             json) or a freeze pack's deposits.json"
        ))
    })?;
    let lines = citation_lines(text);
    let mut outcome = Verification {
        verified: 0,
        mismatches: Vec::new(),
        unchecked: Vec::new(),
    };
    let mut blocks: HashMap<(Chain, u64), Option<NodeBlock>> = HashMap::new();
    for citation in &cited.citations {
        let line = lines.get(citation.id.as_str()).copied();
        let finding = |field: &'static str, report: String, node: String| Finding {
            line,
            citation: citation.id.clone(),
            field,
            report,
            node,
        };
        if nodes.client(citation.chain).is_none() {
            outcome.unchecked.push(finding(
                "chain",
                citation.chain.to_string(),
                format!("no --rpc node serves {}", citation.chain),
            ));
            continue;
        }
        let (Some(hash), Some(index)) = (&citation.block_hash, citation.tx_index) else {
            outcome.unchecked.push(finding(
                "block_hash",
                "null".to_string(),
                "never anchored: build the report with --rpc".to_string(),
            ));
            continue;
        };
        let key = (citation.chain, citation.block_number);
        if let std::collections::hash_map::Entry::Vacant(slot) = blocks.entry(key) {
            slot.insert(nodes.block(citation.chain, citation.block_number)?);
        }
        let Some(block) = &blocks[&key] else {
            outcome.mismatches.push(finding(
                "block_number",
                citation.block_number.to_string(),
                "no such block".to_string(),
            ));
            continue;
        };
        let before = outcome.mismatches.len();
        check(
            citation,
            hash,
            index,
            block,
            nodes,
            &mut |field, report, node| {
                outcome.mismatches.push(finding(field, report, node));
            },
        )?;
        if outcome.mismatches.len() == before {
            outcome.verified += 1;
        }
    }
    Ok(outcome)
}

/// The line of each citation: chaintrail writes one per line, starting with its id.
fn citation_lines(text: &str) -> BTreeMap<&str, usize> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let rest = line.trim_start().strip_prefix("{\"id\":\"")?;
            Some((rest.split('"').next()?, i + 1))
        })
        .collect()
}

fn same(a: &str, b: &str) -> bool {
    a.trim_start_matches("0x")
        .eq_ignore_ascii_case(b.trim_start_matches("0x"))
}

fn check(
    citation: &Citation,
    hash: &str,
    index: u64,
    block: &NodeBlock,
    nodes: &Nodes,
    mismatch: &mut dyn FnMut(&'static str, String, String),
) -> Result<(), ReportError> {
    if !same(hash, &block.hash) {
        mismatch("block_hash", hash.to_string(), block.hash.clone());
        return Ok(());
    }
    let at = usize::try_from(index).ok().and_then(|i| block.txs.get(i));
    if !at.is_some_and(|t| same(t, &citation.tx)) {
        match block.txs.iter().position(|t| same(t, &citation.tx)) {
            Some(actual) => mismatch("tx_index", index.to_string(), actual.to_string()),
            None => mismatch(
                "tx",
                citation.tx.clone(),
                format!("not in block {}", citation.block_number),
            ),
        }
        return Ok(());
    }
    match citation.chain.model() {
        ChainModel::Utxo => {
            let Some(vout) = citation.vout else {
                return Ok(());
            };
            let outputs = usize::try_from(index)
                .ok()
                .and_then(|i| block.outputs.get(i));
            match outputs.and_then(|o| o.get(vout as usize)) {
                None => mismatch("vout", vout.to_string(), "no such output".to_string()),
                Some(address) => {
                    if let (Some(to), Some(address)) = (&citation.to, address)
                        && !same(to, address)
                    {
                        mismatch("to", to.clone(), address.clone());
                    }
                }
            }
        }
        ChainModel::Account => {
            let Some(log_index) = citation.log_index else {
                return Ok(());
            };
            let logs = nodes.evm_logs(citation.chain, &citation.tx.to_ascii_lowercase())?;
            let Some(log) = logs.iter().find(|l| l.index == log_index) else {
                mismatch(
                    "log_index",
                    log_index.to_string(),
                    "no such log in the transaction".to_string(),
                );
                return Ok(());
            };
            if let Some(contract) = &citation.contract
                && !same(contract, &log.address)
            {
                mismatch("contract", contract.clone(), log.address.clone());
            }
            if log.topics.first().map(String::as_str) != Some(TRANSFER_TOPIC) {
                mismatch(
                    "log_index",
                    log_index.to_string(),
                    "that log is not a Transfer".to_string(),
                );
            } else if !topic_is(log.topics.get(1), citation.from.as_deref()) {
                mismatch(
                    "from",
                    citation.from.clone().unwrap_or_default(),
                    log.topics.get(1).cloned().unwrap_or_default(),
                );
            } else if !topic_is(log.topics.get(2), citation.to.as_deref()) {
                mismatch(
                    "to",
                    citation.to.clone().unwrap_or_default(),
                    log.topics.get(2).cloned().unwrap_or_default(),
                );
            }
        }
    }
    Ok(())
}
